/**
 * assert-held-caller: the caller runs from its entry; confirmed when a
 * lockdep assertion (or `__must_hold`) fails inside the call the finding
 * names. The trace shows the branches and unlocks on the way.
 */
import type { Confirmation } from '../../report/schema.js';
import type { ModelEvent } from '../state.js';
import { scopeOf } from '../scope.js';
import { findingFunction, noWitness, runEntry, stackAt, stats, traceOf, warnsOnPath, type ScenarioContext } from './common.js';

export function confirmAssertHeldCaller(ctx: ScenarioContext): Confirmation {
  const f = ctx.finding;
  const fn = findingFunction(ctx.index, f);
  if (!fn) return { status: 'unknown', summary: `the model could not find ${f.function ?? 'the function'}() in ${f.file}`, trace: [] };
  const asserts = f.related.map((r) => ({ file: r.file, line: r.line }));
  const matches = (ev: ModelEvent): boolean => {
    if (ev.kind !== 'assert') return false;
    if (ev.thread !== 'T0') return false;
    if (stackAt(ev.stack, f.file, f.line)) return true;
    return ev.stack.some((s) => s.fn === fn.name) && asserts.some((a) => a.file === ev.file && a.line === ev.line);
  };
  const run = runEntry(ctx, fn, { concurrent: false, allocFail: true, spontaneous: [], watch: { file: f.file, line: f.line }, onEvent: matches, scope: scopeOf(f) });
  if (run.res.witness && run.res.event) {
    const ev = run.res.event;
    const callee = ev.stack[ev.stack.length - 1]!;
    return {
      status: 'confirmed',
      summary: `${callee.fn}() asserts ${ev.lock ?? 'the lock'} at ${ev.file}:${ev.line}, reached from ${fn.name}() without it: ${ev.detail}${warnsOnPath(run.res.witness, ev.traceLen)} [${stats(run.res)}]`,
      trace: traceOf(run.res.witness, run.res.event.traceLen),
    };
  }
  return noWitness([run], 'a failing assertion', `every path of ${fn.name}() that reaches the call holds ${f.lock ?? 'the lock'}`);
}
