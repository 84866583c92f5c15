/**
 * double-lock: the function runs from its entry on one thread; confirmed by
 * the path on which a lock already held by the thread is taken again.
 */
import type { Confirmation } from '../../report/schema.js';
import { lockMember, normLockName } from '../exprtext.js';
import type { ModelEvent } from '../state.js';
import { scopeOf } from '../scope.js';
import { findingFunction, findingLockClass, noWitness, runEntry, stackAt, stats, traceOf, warnsOnPath, type ScenarioContext } from './common.js';
import { renderLockdepScenario } from '../lockdep.js';

export function confirmDoubleLock(ctx: ScenarioContext): Confirmation {
  const f = ctx.finding;
  const fn = findingFunction(ctx.index, f);
  if (!fn) return { status: 'unknown', summary: `the model could not find ${f.function ?? 'the function'}() in ${f.file}`, trace: [] };
  const matches = (ev: ModelEvent): boolean => {
    if (ev.kind !== 'double-lock') return false;
    if (stackAt(ev.stack, f.file, f.line) || (ev.file === f.file && ev.line === f.line)) return true;
    const rel = f.related.some((r) => r.file === ev.file && r.line === ev.line);
    const sameLock = !!f.lock && !!ev.lock && normLockName(f.lock) === normLockName(ev.lock);
    return rel || sameLock;
  };
  const run = runEntry(ctx, fn, { concurrent: false, allocFail: true, spontaneous: [], watch: { file: f.file, line: f.line }, onEvent: matches, scope: scopeOf(f), sliceMember: f.lock ? lockMember(f.lock) : undefined, sliceClass: findingLockClass(ctx, fn) });
  if (run.res.witness && run.res.event) {
    const ev = run.res.event;
    const trace = traceOf(run.res.witness, run.res.event.traceLen);
    const table = renderLockdepScenario(trace);
    return {
      status: 'confirmed',
      summary: `${ev.lock ?? 'the lock'} is taken twice at ${ev.file}:${ev.line}: ${ev.detail}${warnsOnPath(run.res.witness, ev.traceLen)} [${stats(run.res)}]${table ? '\n' + table : ''}`,
      trace,
    };
  }
  return noWitness([run], 'a second acquisition', `no path of ${fn.name}() takes ${f.lock ?? 'the lock'} while holding it`);
}
