import { describe, expect, it } from 'vitest';
import { lint } from './helpers.js';
import { evalCond } from '../../src/rules/consts.js';

/** Modelled on iwlegacy's il_send_add_sta(): asynchronous commands return before the response handler takes sta_lock. */
const FLAGS = `
struct mutex { int x; };
struct il { struct mutex sta_lock; int n; };

static int process_resp(struct il *il)
{
	mutex_lock(&il->sta_lock);
	il->n++;
	mutex_unlock(&il->sta_lock);
	return 0;
}

int send_add_sta(struct il *il, unsigned char flags)
{
	int ret = send_cmd(il, flags);

	if (ret)
		return ret;
	if (flags & CMD_ASYNC)
		return 0;
	return process_resp(il);
}
`;

/** Modelled on the SEV driver: a "locked" flag passed down two calls picks the variant that does not take the mutex. */
const LOCKED = `
struct mutex { int x; };
static struct mutex cmd_mutex;

static int do_cmd(int cmd)
{
	mutex_lock(&cmd_mutex);
	mutex_unlock(&cmd_mutex);
	return 0;
}

static int reclaim(int n, bool locked)
{
	int ret;

	if (locked)
		ret = do_cmd_locked(n);
	else
		ret = do_cmd(n);
	return ret;
}

static int mark(int n, bool locked)
{
	return reclaim(n, locked);
}
`;

const holding = (call: string) => `
int caller(void)
{
	int r;

	mutex_lock(&cmd_mutex);
	r = ${call};
	mutex_unlock(&cmd_mutex);
	return r;
}
`;

describe("constant arguments decide the callee's branches", () => {
  it('an asynchronous flag skips the path that takes the lock', () => {
    expect(lint(FLAGS + `
void add_station(struct il *il)
{
	mutex_lock(&il->sta_lock);
	send_add_sta(il, CMD_ASYNC);
	mutex_unlock(&il->sta_lock);
}
`, { rule: 'double-lock' })).toEqual([]);
  });

  it('another flag decides nothing: the path is still reported', () => {
    const f = lint(FLAGS + `
void add_station_sync(struct il *il)
{
	mutex_lock(&il->sta_lock);
	send_add_sta(il, CMD_SYNC);
	mutex_unlock(&il->sta_lock);
}
`, { rule: 'double-lock' });
    expect(f.map((x) => [x.function, x.lock, x.severity])).toEqual([['add_station_sync', 'il->sta_lock', 'warning']]);
  });

  it('a true "locked" flag passed through two calls avoids the locking variant', () => {
    expect(lint(LOCKED + holding('mark(1, true)'), { rule: 'double-lock' })).toEqual([]);
  });

  it('a false one takes it: reported', () => {
    const f = lint(LOCKED + holding('mark(1, false)'), { rule: 'double-lock' });
    expect(f.map((x) => x.function)).toEqual(['caller']);
    expect(f[0]!.message).toMatch(/mark\(1, false\) -> reclaim\(n, locked\) -> do_cmd\(n\)/);
  });

  it('a flag named by #define as true or false decides too (ionic\'s CAN_SLEEP / CAN_NOT_SLEEP)', () => {
    const named = (flag: string) => `#define USE_LOCKED\t${flag}\n` + LOCKED + holding('mark(1, USE_LOCKED)');
    expect(lint(named('true'), { rule: 'double-lock' })).toEqual([]);
    expect(lint(named('false'), { rule: 'double-lock' }).map((x) => x.function)).toEqual(['caller']);
  });

  it("a parameter the callee writes before testing is not the caller's constant", () => {
    const src = LOCKED.replace('\tint ret;\n', '\tint ret;\n\n\tlocked = recheck(locked);\n') + holding('mark(1, true)');
    expect(lint(src, { rule: 'double-lock' }).map((x) => x.function)).toEqual(['caller']);
  });
});

describe('evalCond', () => {
  const id = (name: string) => ({ k: 'id' as const, name });
  it('decides numbers, negation and masks of the same name, and nothing else', () => {
    const c = new Map([['a', { num: 0 }], ['f', { sym: 'CMD_ASYNC' }]]);
    expect(evalCond(id('a'), c, [])).toBe(false);
    expect(evalCond({ k: 'unary', op: '!', arg: id('a') }, c, [])).toBe(true);
    expect(evalCond({ k: 'binary', op: '&', left: id('f'), right: id('CMD_ASYNC') }, c, [])).toBe(true);
    expect(evalCond({ k: 'binary', op: '&', left: id('f'), right: id('CMD_WANT_SKB') }, c, [])).toBeNull();
    expect(evalCond(id('f'), c, [])).toBeNull();
    expect(evalCond(id('b'), c, [])).toBeNull();
  });
});

/** Modelled on xfs_assert_ilocked(): one lock asserted per bit of a flags argument, the bits named in a header. */
const FLAG_BITS = {
  'fs/xf/xf_inode.h': `struct rw_semaphore { int x; };
struct xf_inode { struct rw_semaphore i_lock; struct rw_semaphore i_iolock; int size; };
#define XF_IOLOCK_EXCL		(1u << 0)
#define XF_IOLOCK_SHARED	(1u << 1)
#define XF_ILOCK_EXCL		(1u << 2)
#define XF_ILOCK_SHARED		(1u << 3)
`,
  'fs/xf/xf_inode.c': `#include "xf_inode.h"

void xf_assert_locked(struct xf_inode *ip, unsigned int lock_flags)
{
	if (lock_flags & XF_ILOCK_SHARED)
		lockdep_assert_held(&ip->i_lock);
	else if (lock_flags & XF_ILOCK_EXCL)
		lockdep_assert_held_write(&ip->i_lock);

	if (lock_flags & XF_IOLOCK_SHARED)
		lockdep_assert_held(&ip->i_iolock);
	else if (lock_flags & XF_IOLOCK_EXCL)
		lockdep_assert_held_write(&ip->i_iolock);
}

static void xf_join(struct xf_inode *ip)
{
	xf_assert_locked(ip, XF_ILOCK_EXCL);
	ip->size = 0;
}
`,
};

const flagCaller = (body: string) => ({
  ...FLAG_BITS,
  'fs/xf/xf_file.c': `#include "xf_inode.h"

void xf_setsize(struct xf_inode *ip)
{
${body}
}
`,
});

describe('flag bits named by #define', () => {
  // The lock of another bit was just released: only the asserted bit's lock matters.
  const iolockDropped = '\tdown_write(&ip->i_iolock);\n\tup_write(&ip->i_iolock);\n\tdown_write(&ip->i_lock);\n';

  it('the bit the caller passes asserts only its own lock: another lock released before the call is fine', () => {
    const f = lint(flagCaller(`${iolockDropped}\txf_join(ip);\n\tup_write(&ip->i_lock);`), { rule: 'assert-held-caller' });
    expect(f).toEqual([]);
  });

  it("the bit's own lock released before the call is reported, and only that lock", () => {
    const f = lint(flagCaller('\tdown_write(&ip->i_iolock);\n\tdown_write(&ip->i_lock);\n\tup_write(&ip->i_lock);\n\txf_join(ip);\n\tup_write(&ip->i_iolock);'), { rule: 'assert-held-caller' });
    expect(f.map((x) => [x.function, x.lock])).toEqual([['xf_setsize', 'ip->i_lock']]);
  });

  it('bits OR-ed together are evaluated where the call is', () => {
    const call = '\txf_assert_locked(ip, XF_ILOCK_SHARED | XF_ILOCK_EXCL);\n';
    expect(lint(flagCaller(`${iolockDropped}${call}\tup_write(&ip->i_lock);`), { rule: 'assert-held-caller' })).toEqual([]);
    const f = lint(flagCaller(`\tdown_read(&ip->i_lock);\n\tup_read(&ip->i_lock);\n${call}`), { rule: 'assert-held-caller' });
    expect(f.map((x) => x.lock)).toEqual(['ip->i_lock']);
  });

  it('a name with no value visible decides no bit: every lock stays asserted', () => {
    const f = lint(flagCaller(`${iolockDropped}\txf_assert_locked(ip, XF_UNKNOWN);\n\tup_write(&ip->i_lock);`), { rule: 'assert-held-caller' });
    expect(f.map((x) => x.lock)).toEqual(['ip->i_iolock']);
  });
});

describe('evalCond with #define values', () => {
  const id = (name: string) => ({ k: 'id' as const, name });
  it('reads both names as their values', () => {
    const values: Record<string, number> = { EXCL: 4, SHARED: 8 };
    const valueOf = (n: string) => values[n] ?? null;
    const c = new Map([['f', { sym: 'EXCL' }]]);
    expect(evalCond({ k: 'binary', op: '&', left: id('f'), right: id('SHARED') }, c, [], valueOf)).toBe(false);
    expect(evalCond({ k: 'binary', op: '&', left: id('f'), right: id('EXCL') }, c, [], valueOf)).toBe(true);
    expect(evalCond({ k: 'binary', op: '&', left: id('f'), right: id('OTHER') }, c, [], valueOf)).toBeNull();
  });
});
