import { describe, expect, it } from 'vitest';
import { lint } from './helpers.js';

/**
 * Modelled on the clk framework's prepare_lock: a trylock, an owner check
 * against `current`, a count; the unlock drops the mutex when the count
 * reaches zero.
 */
const CLK = `
struct mutex { int x; };
struct task_struct;
struct clk_core { int prepare_count; };
static struct mutex prepare_lock;
static struct task_struct *prepare_owner;
static int prepare_refcnt;

static void clk_prepare_lock(void)
{
	if (!mutex_trylock(&prepare_lock)) {
		if (prepare_owner == current) {
			prepare_refcnt++;
			return;
		}
		mutex_lock(&prepare_lock);
	}
	prepare_owner = current;
	prepare_refcnt = 1;
}

static void clk_prepare_unlock(void)
{
	WARN_ON_ONCE(prepare_owner != current);
	if (--prepare_refcnt)
		return;
	prepare_owner = NULL;
	mutex_unlock(&prepare_lock);
}

static int clk_core_prepare(struct clk_core *core)
{
	lockdep_assert_held(&prepare_lock);
	core->prepare_count++;
	return 0;
}

int clk_core_prepare_lock(struct clk_core *core)
{
	int ret;

	clk_prepare_lock();
	ret = clk_core_prepare(core);
	clk_prepare_unlock();
	return ret;
}

int clk_set_parent_locked(struct clk_core *core)
{
	int ret;

	clk_prepare_lock();
	ret = clk_core_prepare_lock(core);
	clk_prepare_unlock();
	return ret;
}
`;

/** The spinlock twin, annotated for sparse as clk_enable_lock() is. */
const ENABLE = `
struct spinlock { int x; };
struct task_struct;
struct clk_core { int enable_count; };
static struct spinlock enable_lock;
static struct task_struct *enable_owner;
static int enable_refcnt;

static unsigned long clk_enable_lock(void)
	__acquires(enable_lock)
{
	unsigned long flags;

	if (!IS_ENABLED(CONFIG_SMP) ||
	    !spin_trylock_irqsave(&enable_lock, flags)) {
		if (enable_owner == current) {
			enable_refcnt++;
			__acquire(enable_lock);
			return flags;
		}
		spin_lock_irqsave(&enable_lock, flags);
	}
	enable_owner = current;
	enable_refcnt = 1;
	return flags;
}

static void clk_enable_unlock(unsigned long flags)
	__releases(enable_lock)
{
	WARN_ON_ONCE(enable_owner != current);
	if (--enable_refcnt) {
		__release(enable_lock);
		return;
	}
	enable_owner = NULL;
	spin_unlock_irqrestore(&enable_lock, flags);
}

static void clk_core_enable(struct clk_core *core)
{
	lockdep_assert_held(&enable_lock);
	core->enable_count++;
}

int clk_enable(struct clk_core *core)
{
	unsigned long flags;

	if (!core)
		return 0;
	flags = clk_enable_lock();
	clk_core_enable(core);
	clk_enable_unlock(flags);
	return 0;
}
`;

describe('re-entrant locks (owner-checked trylock wrappers)', () => {
  it('handles the annotated spinlock wrapper pair (__acquires/__releases) the same way', () => {
    expect(lint(ENABLE)).toEqual([]);
  });

  it('takes the wrapper as acquiring and the unlock as releasing: no finding in its callers', () => {
    expect(lint(CLK)).toEqual([]);
  });

  it('still finds a call to an asserting function after the re-entrant lock is dropped', () => {
    const f = lint(CLK + `
int clk_unprepared(struct clk_core *core)
{
	clk_prepare_lock();
	clk_prepare_unlock();
	return clk_core_prepare(core);
}
`);
    expect(f.map((x) => [x.rule, x.function, x.lock])).toEqual([['assert-held-caller', 'clk_unprepared', 'prepare_lock']]);
  });

  it('still finds a plain mutex_lock of the re-entrant lock while its wrapper holds it', () => {
    const f = lint(CLK + `
void clk_direct(void)
{
	clk_prepare_lock();
	mutex_lock(&prepare_lock);
	mutex_unlock(&prepare_lock);
	clk_prepare_unlock();
}
`, { rule: 'double-lock' });
    expect(f.map((x) => [x.function, x.lock])).toEqual([['clk_direct', 'prepare_lock']]);
  });

  it('without the owner check, the same wrapper is a conditional lock and its callers are reported', () => {
    const f = lint(CLK.replace('prepare_owner == current', 'prepare_refcnt > 0'), { rule: 'assert-held-caller' });
    expect(f.map((x) => x.function)).toContain('clk_core_prepare_lock');
  });
});

/**
 * Modelled on libps2: begin/end helpers that each pick the mutex into a
 * local (`serio->ps2_cmd_mutex ?: &ps2dev->cmd_mutex`).
 */
const PS2 = `
struct mutex { int x; };
struct serio { struct mutex *ps2_cmd_mutex; };
struct ps2dev { struct serio *serio; struct mutex cmd_mutex; };

void ps2_begin_command(struct ps2dev *ps2dev)
{
	struct mutex *m = ps2dev->serio->ps2_cmd_mutex ?: &ps2dev->cmd_mutex;

	mutex_lock(m);
}

void ps2_end_command(struct ps2dev *ps2dev)
{
	struct mutex *m = ps2dev->serio->ps2_cmd_mutex ?: &ps2dev->cmd_mutex;

	mutex_unlock(m);
}

int __ps2_command(struct ps2dev *ps2dev, unsigned int command);

int ps2_command(struct ps2dev *ps2dev, unsigned int command)
{
	int rc;

	ps2_begin_command(ps2dev);
	rc = __ps2_command(ps2dev, command);
	ps2_end_command(ps2dev);
	return rc;
}
`;

describe('a lock behind a helper-local pointer set from the parameters', () => {
  it('matches the helper that takes it with the helper that drops it', () => {
    expect(lint(PS2 + `
int write_reg(struct ps2dev *ps2dev)
{
	if (ps2_command(ps2dev, 1) || ps2_command(ps2dev, 2))
		return -1;
	return ps2_command(ps2dev, 3);
}
`)).toEqual([]);
  });

  it('still finds the second begin without an end', () => {
    const f = lint(PS2 + `
void twice(struct ps2dev *ps2dev)
{
	ps2_begin_command(ps2dev);
	ps2_begin_command(ps2dev);
	ps2_end_command(ps2dev);
}
`, { rule: 'double-lock' });
    expect(f.map((x) => x.function)).toEqual(['twice']);
  });
});
