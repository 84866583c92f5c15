/**
 * lock-imbalance: a function returns with L held on some paths and released
 * on others, with no annotation saying so.
 */
import type { Expr, IrFunction } from '../parse/ir.js';
import type { Related } from '../report/schema.js';
import { at, findingAt, type RawFinding, type Rule, type RuleContext } from './context.js';
import { E, H, N, R, hangsOffAny, type Flow, type ReturnState } from './dataflow.js';
import { rootName } from './lockpath.js';

export const lockImbalance: Rule = {
  meta: {
    id: 'lock-imbalance',
    severity: 'warning',
    description: 'a function returns with a lock held on some paths and released on others',
    docs:
      'Usually an error path that forgot to unlock (or unlocked twice). Functions annotated __acquires/__releases/' +
      '__must_hold/__cond_acquires for that lock, and lock wrappers named *lock*, are not reported. Only returns where ' +
      'the lock is held for sure are compared with returns where it is released for sure.',
  },
  *check(ctx: RuleContext): Iterable<RawFinding> {
    for (const fn of ctx.functions) yield* imbalance(fn, ctx.flow(fn));
  },
};

function isZero(e: Expr | null): boolean {
  return !!e && ((e.k === 'num' && e.value === 0) || (e.k === 'bool' && e.value === false));
}

function isTrue(e: Expr | null): boolean {
  return !!e && ((e.k === 'num' && e.value !== 0) || (e.k === 'bool' && e.value === true));
}

/**
 * Local pointers the function stores where its caller can reach them
 * (`path->nodes[0] = right;`, a global): a lock taken on such an object
 * and left held is handed over with it (btrfs push_leaf_right() returns 0
 * with the right leaf locked in the path), not forgotten.
 */
function handedOver(fn: IrFunction): Set<string> {
  const out = new Set<string>();
  const params = new Set(fn.params.map((p) => p.name));
  for (const b of fn.blocks) {
    for (const i of b.instrs) {
      if (i.op !== 'assign' || i.value.k !== 'id' || i.target.k === 'id') continue;
      const root = rootName(i.target);
      if (root && (params.has(root) || !(root in fn.locals))) out.add(i.value.name);
    }
  }
  return out;
}

function annotated(fn: IrFunction, path: string): boolean {
  const all = [...fn.annotations.acquires, ...fn.annotations.releases, ...fn.annotations.mustHold];
  return all.some((a) => a.replace(/[&\s()]/g, '') === path.replace(/\s/g, ''));
}

function* imbalance(fn: IrFunction, flow: Flow): Iterable<RawFinding> {
  if (flow.returns.length < 2 || /lock/i.test(fn.name)) return;
  const keys = new Set(flow.returns.flatMap((r) => [...r.state.locks.keys()]));
  const given = handedOver(fn);
  for (const key of keys) {
    if (hangsOffAny(key, given)) continue;
    const entryHeld = flow.entryHeld.has(key);
    const held: ReturnState[] = [];
    const free: ReturnState[] = [];
    let fact = null;
    for (const r of flow.returns) {
      const f = r.state.locks.get(key);
      fact = fact ?? f ?? null;
      let s = f?.states ?? E;
      // Paths where the lock's object is not there (its pointer NULL) count for neither side.
      s &= ~N;
      if (!s) continue;
      if (s & E) s = (s & ~E) | (entryHeld ? H : R);
      if (s === H) held.push(r);
      else if (s === R) free.push(r);
    }
    if (!fact || !held.length || !free.length || annotated(fn, fact.lock.path)) continue;
    // Held at exit is normal when the caller held it on entry; then the odd ones out are the releases.
    const odd = entryHeld ? free : held;
    const ok = entryHeld ? held : free;
    const r = odd[0]!;
    const related: Related[] = [];
    if (fact.site && !entryHeld) related.push(at(fact.site, `${fact.lock.path} taken here`));
    related.push({ file: fn.file, line: ok[0]!.term.pos.line, function: fn.name, message: `returns with ${fact.lock.path} ${entryHeld ? 'held' : 'released'} here` });
    const msg = entryHeld
      ? `${fn.name}() returns here with ${fact.lock.path} released, but with it still held on other paths (it was held on entry)`
      : `${fn.name}() returns here with ${fact.lock.path} held, but releases it on other paths: missing unlock?`;
    // `return 0` with the lock held and an error returned without it, or `return true` held and
    // `return false` released (drm_master_internal_acquire()): a conditional acquire the caller
    // checks (often intended, just not annotated).
    const zeroHeld = held.every((h) => isZero(h.term.value)) && free.every((f) => !isZero(f.term.value) && f.term.value !== null);
    const trueHeld = held.every((h) => isTrue(h.term.value)) && free.every((f) => isZero(f.term.value));
    const idiom = !entryHeld && (zeroHeld || trueHeld);
    const why = zeroHeld ? 'it returns 0 only with the lock held' : 'it returns true only with the lock held';
    yield findingAt(fn, r.term.pos, r.term.text, fact.lock.path, idiom ? `${msg} (${why}: if that is intended, annotate it __cond_acquires)` : msg, related, idiom ? 'info' : undefined);
  }
}
