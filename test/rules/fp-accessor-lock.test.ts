/**
 * A lock reached through an accessor macro (`to_opaque(dev)->mlock`), taken
 * by a claim helper and dropped by a release macro, as the IIO core's
 * iio_device_claim_direct() / iio_device_release_direct() do. The call's
 * result is a compiler temporary in the IR: it must neither split the lock
 * in two nor show up in a finding.
 */
import { describe, expect, it } from 'vitest';
import { lint } from './helpers.js';
import { functionMacros, includedPaths } from '../../src/parse/index/index.js';

const HEADER = `
struct mutex { int x; };
struct dev { int mode; };
struct opaque { struct mutex mlock; struct dev dev; };
#define to_opaque(d) container_of(d, struct opaque, dev)
void mode_lock(struct dev *d);
void mode_unlock(struct dev *d);
static inline bool claim_direct(struct dev *d)
{
	mode_lock(d);
	if (d->mode) {
		mode_unlock(d);
		return false;
	}
	return true;
}
#define release_direct(d) \\
	mode_unlock(d)
`;

const CORE = `
void mode_lock(struct dev *d)
{
	mutex_lock(&to_opaque(d)->mlock);
}
void mode_unlock(struct dev *d)
{
	mutex_unlock(&to_opaque(d)->mlock);
}
`;

const files = (driver: string): Record<string, string> => ({ 'include/dev.h': HEADER, 'core.c': '#include <dev.h>\n' + CORE, 'drv.c': '#include <dev.h>\n' + driver });

describe('locks behind accessor calls and release macros', () => {
  it('reads function-like macros and includes', () => {
    const m = functionMacros(HEADER);
    expect(m.get('release_direct')).toMatchObject({ params: ['d'], body: 'mode_unlock(d)' });
    expect(m.get('to_opaque')).toMatchObject({ params: ['d'] });
    expect(includedPaths('#include <linux/a.h>\n#include "b.h"\n#include "../c.h"\n', 'drivers/x/y.c')).toEqual([
      'include/linux/a.h',
      'drivers/x/b.h',
      'drivers/c.h',
    ]);
    // <asm/...> outside arch/: the arch that builds the file (s390's drivers), else x86's, then asm-generic.
    expect(includedPaths('#include <asm/ccwdev.h>\n', 'drivers/s390/cio/qdio_main.c')).toEqual(['arch/s390/include/asm/ccwdev.h', 'include/asm-generic/ccwdev.h']);
    expect(includedPaths('#include <asm/io.h>\n', 'drivers/net/x.c')).toEqual(['arch/x86/include/asm/io.h', 'include/asm-generic/io.h']);
    expect(includedPaths('#include <asm/io.h>\n', 'arch/arm64/kernel/x.c')).toEqual(['arch/arm64/include/asm/io.h', 'include/asm-generic/io.h']);
  });

  it('matches the claim helper with the release macro', () => {
    const f = lint(files(`
int read_raw(struct dev *d, int *val)
{
	int ret;

	if (d->mode == 2)
		return 0;
	if (!claim_direct(d))
		return -16;
	ret = *val;
	release_direct(d);
	return ret;
}
`), { rule: 'lock-imbalance' });
    expect(f).toEqual([]);
  });

  it('still reports a path that forgets the release, naming the lock without temporaries', () => {
    const f = lint(files(`
int write_raw(struct dev *d, int val)
{
	if (!claim_direct(d))
		return -16;
	if (val < 0)
		return -22;
	d->mode = val;
	release_direct(d);
	return 0;
}
`), { rule: 'lock-imbalance' });
    expect(f).toHaveLength(1);
    // The accessor is followed into its definition: the lock is named by what it returns.
    expect(f[0]!.lock).toBe('container_of(d, struct opaque, dev)->mlock');
    expect(f[0]!.message).not.toMatch(/\$t/);
  });
});

describe('lock names never show compiler temporaries', () => {
  it('names a lock reached through an unknown call by the call', () => {
    const f = lint(`
struct mutex { int x; };
struct obj { struct mutex lock; int n; };
struct obj *get_obj(int id);
int touch(int id, int n)
{
	mutex_lock(&get_obj(id)->lock);
	if (n < 0)
		return -22;
	mutex_unlock(&get_obj(id)->lock);
	return 0;
}
`, { rule: 'lock-imbalance' });
    expect(f.map((x) => x.lock)).toEqual(['get_obj(id)->lock']);
  });
});

/** Modelled on s390's get_ccwdev_lock() and qdio_setup_irq(): a macro that reads a lock pointer field of its argument. */
const CCW = `
struct spinlock { int x; };
struct ccw_device { struct spinlock *ccwlock; int state; };
struct qdio_irq { struct ccw_device *cdev; int handler; };
#define get_ccwdev_lock(x) (x)->ccwlock
`;

const establish = (helper: string) => CCW + helper + `
int establish(struct qdio_irq *irq)
{
	if (!irq->cdev)
		return -19;
	set_handler(irq);
	return 0;
}
`;

describe('a lock behind a field-reading macro', () => {
  it('reads the macro as an accessor', () => {
    expect(functionMacros(CCW).get('get_ccwdev_lock')).toMatchObject({ params: ['x'], body: '(x)->ccwlock' });
    expect(functionMacros('#define ADD(a, b) (a)->b\n#define other(x) (y)->lock\n#define f(x) (x)->a + 1\n').size).toBe(0);
  });

  it("names one lock at the helper's lock and unlock: its caller sees no imbalance", () => {
    const f = lint(establish(`
static void set_handler(struct qdio_irq *irq)
{
	struct ccw_device *cdev = irq->cdev;

	spin_lock_irq(get_ccwdev_lock(cdev));
	irq->handler = cdev->state;
	spin_unlock_irq(get_ccwdev_lock(cdev));
}
`), { rule: 'lock-imbalance' });
    expect(f).toEqual([]);
  });

  it('still reports the helper that returns with it held, named as written', () => {
    const f = lint(establish(`
static void set_handler(struct qdio_irq *irq)
{
	struct ccw_device *cdev = irq->cdev;

	spin_lock_irq(get_ccwdev_lock(cdev));
	if (cdev->state)
		return;
	irq->handler = cdev->state;
	spin_unlock_irq(get_ccwdev_lock(cdev));
}
`), { rule: 'lock-imbalance' });
    expect(f.map((x) => [x.function, x.lock])).toEqual([['set_handler', '*(get_ccwdev_lock(cdev))']]);
  });
});
