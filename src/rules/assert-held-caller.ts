/**
 * assert-held-caller: a function that asserts lock L is held (lockdep
 * asserts, __must_hold, configured wrappers) is called on a path where the
 * caller does not hold L.
 */
import { chainRelated, findingAt, type RawFinding, type Rule, type RuleContext } from './context.js';
import { assertedLocks, E, H, R, resultCalls } from './dataflow.js';
import { heldMatch, lockName } from './held.js';
import { lockRef, mapToCaller } from './lockpath.js';

export const assertHeldCaller: Rule = {
  meta: {
    id: 'assert-held-caller',
    severity: 'error',
    description: 'a function that asserts a lock is held is called without it',
    docs:
      'lockdep_assert_held() and its kin, __must_hold() and configured assert wrappers state that the caller holds L. ' +
      'A call on a path where L was released, or where L (rooted in a local or obtained by the caller itself) was never taken, ' +
      'breaks that. When L is rooted in the caller\'s own parameters and not taken there, the requirement moves up to ' +
      'the caller\'s callers.',
  },
  *check(ctx: RuleContext): Iterable<RawFinding> {
    for (const fn of ctx.functions) {
      const flow = ctx.flow(fn);
      const calls = resultCalls(fn.blocks);
      for (const b of fn.blocks) {
        for (const ins of b.instrs) {
          if (ins.op !== 'call' || !ins.callee) continue;
          const st = flow.before.get(ins);
          if (!st) continue;
          // An assert right after the function released the lock itself.
          const own = assertedLocks(ins, flow.scope, calls);
          if (own.length) {
            for (const a of own) {
              if (a.mode !== 'held') continue;
              const lock = lockRef(a.expr, flow.scope, null);
              const s = st.locks.get(lock.key)?.states ?? E;
              if (s & R && !(s & E) && !heldMatch(st, lock, { may: false })) {
                yield findingAt(fn, ins.pos, ins.text, lock.path, `${ins.text} asserts ${lock.path} is held, but it was released ${s === R ? '' : 'on some paths '}before this point`, []);
              }
            }
            continue;
          }
          const hit = ctx.summaries.forCall(ins, fn);
          if (!hit) continue;
          const { callee, summary: cs } = hit;
          const seen = new Set<string>();
          for (const req of cs.requires) {
            const lock = mapToCaller(req.lock, callee, ins.args, flow.scope);
            if (seen.has(lock.key)) continue;
            seen.add(lock.key);
            const s = st.locks.get(lock.key)?.states ?? E;
            if (s === H) continue;
            const m = heldMatch(st, lock, { may: false });
            if (m) continue;
            let why: string | null = null;
            if (s & R) why = s === R ? `${lock.path} was released before this call` : `${lock.path} is released on some paths before this call`;
            // Held on some paths, asserted under a condition: most often the same condition
            // (`rcu_nocb_lock(rdp)` takes nocb_lock only if the rdp is offloaded, and the assert
            // is `if (rcu_rdp_is_offloaded(rdp))`), which the dataflow cannot correlate.
            else if (s & H && req.always !== false) why = `${lock.path} is not held on every path to this call`;
            // Not taken here and rooted in a parameter: the requirement moves up to the callers (summary).
            // Rooted in a local the function never locks (a list iterator, a looked-up object): most
            // often held by the function's own caller, so not reported either.
            if (!why) continue;
            const assertSite = req.chain[req.chain.length - 1]!;
            const what = req.via === 'annotation' ? `is annotated __must_hold(${req.lock.path})` : `asserts ${req.lock.path} is held (${assertSite.text})`;
            yield findingAt(
              fn, ins.pos, ins.text, lockName(lock),
              `${callee.name}() ${what}${req.chain.length > 1 ? ' through ' + req.chain.slice(0, -1).map((x) => x.function + '()').join(' -> ') : ''}, but ${why}`,
              chainRelated(req.chain, `asserts here: ${assertSite.text}`),
            );
          }
        }
      }
    }
  },
};
