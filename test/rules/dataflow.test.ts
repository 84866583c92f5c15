import { describe, expect, it } from 'vitest';
import { analyseFunction, E, H, R, mustHeld, mayHeld } from '../../src/rules/dataflow.js';
import { makeScope } from '../../src/rules/lockpath.js';
import { Summaries } from '../../src/rules/summaries.js';
import { defaultConfig } from '../../src/rules/config.js';
import { addr, block, branch, call, fld, fn, guard, handIndex, id, jump, not, ret, scopeEnd } from './ir-builder.js';

const G = [['g', 'struct grp *']] as [string, string][];
const M = addr(fld(id('g'), 'mutex'));

function flowOf(f: ReturnType<typeof fn>, others: ReturnType<typeof fn>[] = []) {
  const index = handIndex([f, ...others]);
  return new Summaries(index, defaultConfig()).flowOf(f);
}

describe('lock-set dataflow on hand-built IR', () => {
  it('tracks must and may across a diamond', () => {
    const probe = call('probe', []);
    const f = fn('f', G, [
      block(0, [], branch(id('x'), 1, 2)),
      block(1, [call('mutex_lock', [M])], jump(2)),
      block(2, [probe], ret()),
    ]);
    const flow = flowOf(f);
    const st = flow.before.get(probe)!;
    expect(mustHeld(st)).toHaveLength(0);
    expect(mayHeld(st).map((x) => x.lock.path)).toEqual(['g->mutex']);
    expect(st.locks.get('g->mutex')!.states).toBe(E | H);
  });

  it('knows the trylock is held only on the branch that tested it non-zero', () => {
    const inThen = call('probe', []);
    const inElse = call('probe2', []);
    const f = fn('f', G, [
      block(0, [call('mutex_trylock', [M], '$t1')], branch(not(id('$t1')), 1, 2)),
      block(1, [inElse], ret()),
      block(2, [inThen, call('mutex_unlock', [M])], ret()),
    ]);
    const flow = flowOf(f);
    expect(mustHeld(flow.before.get(inThen)!).map((x) => x.lock.key)).toEqual(['g->mutex']);
    expect(mayHeld(flow.before.get(inElse)!)).toHaveLength(0);
  });

  it('mutex_lock_interruptible holds the lock where the result is zero', () => {
    const ok = call('probe', []);
    const f = fn('f', G, [
      block(0, [call('mutex_lock_interruptible', [M], 'ret')], branch(id('ret'), 1, 2)),
      block(1, [], ret()),
      block(2, [ok, call('mutex_unlock', [M])], ret()),
    ]);
    expect(mustHeld(flowOf(f).before.get(ok)!)).toHaveLength(1);
  });

  it('releases a guard at its scope end', () => {
    const inside = call('probe', []);
    const after = call('probe2', []);
    const f = fn('f', G, [block(0, [guard('mutex', M), inside, scopeEnd('mutex', M), after], ret())]);
    const flow = flowOf(f);
    expect(mustHeld(flow.before.get(inside)!)).toHaveLength(1);
    expect(flow.before.get(after)!.locks.get('g->mutex')!.states).toBe(R);
  });

  it('reaches a fixpoint on a loop and terminates', () => {
    const body = call('probe', []);
    const f = fn('f', G, [
      block(0, [], jump(1)),
      block(1, [], branch(id('n'), 2, 3), true),
      block(2, [call('mutex_lock', [M]), body, call('mutex_unlock', [M])], jump(1)),
      block(3, [], ret()),
    ]);
    const flow = flowOf(f);
    expect(mustHeld(flow.before.get(body)!)).toHaveLength(1);
    expect(flow.returns[0]!.state.locks.get('g->mutex')!.states & H).toBe(0);
  });

  it('applies a helper that takes the lock for its caller, mapped through the argument', () => {
    const helper = fn('grp_lock', [['q', 'struct grp *']], [block(0, [call('mutex_lock', [addr(fld(id('q'), 'mutex'))])], ret())]);
    const probe = call('probe', []);
    const f = fn('f', G, [block(0, [call('grp_lock', [id('g')]), probe], ret())]);
    const st = flowOf(f, [helper]).before.get(probe)!;
    expect(mustHeld(st).map((x) => [x.lock.key, x.lock.cls])).toEqual([['g->mutex', 'struct grp::mutex']]);
  });

  it('treats an asserted lock as held and records it as required by the summary', () => {
    const f = fn('f', G, [block(0, [call('lockdep_assert_held', [M])], ret())]);
    const index = handIndex([f]);
    const s = new Summaries(index, defaultConfig()).get(f)!;
    expect(s.requires.map((r) => r.lock.path)).toEqual(['g->mutex']);
    expect(analyseFunction(makeScope(f, index, defaultConfig())).returns[0]!.state.locks.get('g->mutex')!.states).toBe(H);
  });

  it('keeps one requirement per lock, however many calls lead to the assert', () => {
    const callee = fn('needs', G, [block(0, [call('lockdep_assert_held', [M])], ret())]);
    const mid = fn('mid', G, [block(0, [call('needs', [id('g')]), call('needs', [id('g')])], ret())]);
    const top = fn('top', G, [block(0, [call('mid', [id('g')]), call('needs', [id('g')]), call('mid', [id('g')])], ret())]);
    const s = new Summaries(handIndex([callee, mid, top]), defaultConfig());
    expect(s.get(mid)!.requires.map((r) => [r.lock.key, r.chain.map((c) => c.function)])).toEqual([['g->mutex', ['mid', 'needs']]]);
    // The first path found is the one kept, as the rule reports it.
    expect(s.get(top)!.requires.map((r) => [r.lock.key, r.chain.map((c) => c.function)])).toEqual([['g->mutex', ['top', 'mid', 'needs']]]);
  });

  it('does not hang on mutual recursion', () => {
    const a = fn('a', G, [block(0, [call('b', [id('g')]), call('mutex_lock', [M])], ret())]);
    const b = fn('b', G, [block(0, [call('a', [id('g')])], ret())]);
    const s = new Summaries(handIndex([a, b]), defaultConfig());
    expect(s.get(a)!.takes.map((t) => t.lock.key)).toContain('g->mutex');
    expect(s.get(b)).not.toBeNull();
  });

  it('skips calls through function pointers and notes them', () => {
    const f = fn('f', G, [block(0, [{ op: 'call', callee: null, calleeExpr: fld(id('ops'), 'cb'), args: [], result: null, pos: { line: 1, column: 1, endLine: 1, endColumn: 2 }, text: 'ops->cb()', comments: [] }], ret())]);
    const s = new Summaries(handIndex([f]), defaultConfig()).get(f)!;
    expect(s.notes[0]).toMatch(/function pointer/);
  });
});

describe('a lock returned held by a helper', () => {
  it('is released by the caller unlocking its own name for it, so the caller is balanced', async () => {
    const { memIndex, RETURNS_LOCKED } = await import('./helpers.js');
    const index = memIndex({
      't.c': `struct mutex { int x; };
struct work_struct { int x; };
${RETURNS_LOCKED}
void tmr_other(struct tmr *t, struct tbase *mine)
{
	lock_base(t);
	spin_unlock(&mine->lock);
}
`,
    });
    const sums = new Summaries(index, defaultConfig());
    const helper = sums.get(index.functions('lock_base')[0]!)!;
    expect(helper.maybeAcquires.map((a) => a.lock.path)).toEqual(['b->lock']);
    const touch = sums.get(index.functions('tmr_touch')[0]!)!;
    expect(touch.maybeAcquires).toEqual([]);
    expect(touch.acquires).toEqual([]);
    // A parameter's lock is a name the caller has: unlocking it says nothing of the helper's lock.
    const other = sums.get(index.functions('tmr_other')[0]!)!;
    expect(other.releases.map((l) => l.path)).toEqual(['mine->lock']);
  });
});

describe('a helper\'s own local lock left held, seen from further up', () => {
  // Each level returns with a lock of its own local object held on some path (an imbalance the
  // helper's caller cannot name). Followed all the way up, every call chain made a new "lock".
  const chain = (depth: number) => {
    let src = `struct spinlock { int x; };
struct obj { struct spinlock lock; int n; };
struct obj *find_obj(int k);
static int level0(int k)
{
	struct obj *o = find_obj(k);

	if (!o)
		return 0;
	spin_lock(&o->lock);
	return o->n;
}
`;
    for (let i = 1; i <= depth; i++) src += `static int level${i}(int k)\n{\n\treturn level${i - 1}(k) + 1;\n}\n`;
    return src;
  };

  it('is still seen by its caller and its caller\'s caller, who could drop it under their own name', async () => {
    const { memIndex } = await import('./helpers.js');
    const index = memIndex({ 't.c': chain(2) });
    const sums = new Summaries(index, defaultConfig());
    expect(sums.get(index.functions('level1')[0]!)!.maybeAcquires.map((a) => a.lock.key)).toEqual(['level0():o->lock']);
    expect(sums.get(index.functions('level2')[0]!)!.maybeAcquires.map((a) => a.lock.key)).toEqual(['level1():level0():o->lock']);
  });

  it('is no longer carried up beyond that: nobody there can name it', async () => {
    const { memIndex } = await import('./helpers.js');
    const index = memIndex({ 't.c': chain(5) });
    const sums = new Summaries(index, defaultConfig());
    for (const n of ['level3', 'level4', 'level5']) {
      const s = sums.get(index.functions(n)[0]!)!;
      expect(s.maybeAcquires).toEqual([]);
      expect(s.acquires).toEqual([]);
    }
  });
});

describe('a lock of a global array element, taken by one helper and dropped by another', () => {
  it('leaves the caller balanced (get_hash_bucket()/put_hash_bucket() in kernel/dma/debug.c)', async () => {
    const { memIndex } = await import('./helpers.js');
    const index = memIndex({
      't.c': `
struct spinlock { int x; };
struct bucket { struct spinlock lock; int n; };
static struct bucket table[16];
static struct bucket *get_bucket(int key)
{
	int idx = key & 15;

	spin_lock(&table[idx].lock);
	return &table[idx];
}
static void put_bucket(struct bucket *b)
{
	spin_unlock(&b->lock);
}
void count(int key)
{
	struct bucket *b = get_bucket(key);

	b->n++;
	put_bucket(b);
}
`,
    });
    const sums = new Summaries(index, defaultConfig());
    expect(sums.get(index.functions('get_bucket')[0]!)!.acquires.map((a) => a.lock.path)).toEqual(['table[idx].lock']);
    const c = sums.get(index.functions('count')[0]!)!;
    expect(c.acquires).toEqual([]);
    expect(c.maybeAcquires).toEqual([]);
    expect(c.releases).toEqual([]);
  });
});
