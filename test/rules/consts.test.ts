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
