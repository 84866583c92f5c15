/** double-lock: L taken while already held, directly or through a callee. */
import type { CallInstr, GuardInstr, IrFunction } from '../parse/ir.js';
import { at, chainRelated, findingAt, type RawFinding, type Rule, type RuleContext } from './context.js';
import { H, type State } from './dataflow.js';
import { heldMatch } from './held.js';
import { callerMapper, lockRef, type LockRef } from './lockpath.js';
import { acquirePrim, guardPrim, type LockMode } from './primitives.js';
import type { Step } from './summaries.js';

export const doubleLock: Rule = {
  meta: {
    id: 'double-lock',
    severity: 'error',
    description: 'a lock taken while it is already held',
    docs:
      'Kernel mutexes, spinlocks and rwsems are not recursive: taking L again while holding it (directly, or in a ' +
      'function called with L held) deadlocks. Only locks matched by their access path are reported; _nested ' +
      'acquisitions and trylocks are not.',
  },
  *check(ctx: RuleContext): Iterable<RawFinding> {
    for (const fn of ctx.functions) {
      const flow = ctx.flow(fn);
      for (const b of fn.blocks) {
        for (const ins of b.instrs) {
          const st = flow.before.get(ins);
          if (!st) continue;
          if (ins.op === 'guard') {
            const g = guardPrim(ins.class);
            if (g && ins.args[0] && !ins.class.endsWith('_try')) {
              yield* again(fn, ins, st, lockRef(ins.args[0], flow.scope, g.kind), g.mode, null);
            }
            continue;
          }
          if (ins.op !== 'call' || !ins.callee) continue;
          const acq = acquirePrim(ins.callee);
          if (acq) {
            if (acq.cond !== 'nonzero' && !acq.nested && ins.args[0]) yield* again(fn, ins, st, lockRef(ins.args[0], flow.scope, acq.kind), acq.mode, null);
            continue;
          }
          // Nothing surely held here: no callee's take can be a second one (most calls are made so).
          if (!holdsAny(st)) continue;
          const hit = ctx.summaries.forCall(ins, fn);
          if (!hit) continue;
          const { callee, summary: cs } = hit;
          const seen = new Set<string>();
          const toCaller = callerMapper(callee, ins.args, flow.scope);
          for (const t of cs.takes) {
            if (!t.fromEntry || !t.blocking || t.nested) continue;
            const lock = toCaller(t.lock);
            if (seen.has(lock.key)) continue;
            seen.add(lock.key);
            yield* again(fn, ins, st, lock, t.mode, [{ file: fn.file, function: fn.name, line: ins.pos.line, column: ins.pos.column, text: ins.text }, ...t.chain], t.always);
          }
        }
      }
    }
  },
};

/** Held on every path (the only kind of fact again() matches). */
function holdsAny(st: State): boolean {
  for (const f of st.locks.values()) if (f.states === H) return true;
  return false;
}

function* again(fn: IrFunction, ins: CallInstr | GuardInstr, st: State, lock: LockRef, mode: LockMode, chain: Step[] | null, always = true): Iterable<RawFinding> {
  const m = heldMatch(st, lock, { may: false, mode, classOk: false });
  if (!m) return;
  const via = chain ? ` through ${chain.map((s) => s.text).join(' -> ')}` : '';
  const how = m.fact.assumed ? 'asserted held' : 'already held';
  const related = [];
  if (m.fact.site) related.push(at(m.fact.site, `${m.fact.lock.path} ${m.fact.assumed ? 'asserted held' : 'first taken'} here`));
  if (chain) related.push(...chainRelated(chain.slice(1), `takes ${lock.path} again here`));
  const some = always ? '' : ' on some paths';
  yield findingAt(fn, ins.pos, ins.text, m.fact.lock.path, `${m.fact.lock.path} is taken${via}${some} while ${how}: deadlock${always ? '' : ' if that path is taken'}`, related, always ? undefined : 'warning');
}
