/**
 * sync-under-lock: thread T0 runs the function holding the lock from its
 * entry; the callback bound to the waited-for work/timer/kthread may already
 * be pending on any pre-existing object of its type and start on a worker
 * thread at any point. Confirmed = a deadlock whose cycle passes through the
 * waiting call: T0 holds L and waits for the callback, the callback waits
 * for L.
 */
import type { CallInstr, IrFunction } from '../../parse/ir.js';
import type { Binding, TreeIndex } from '../../parse/index/types.js';
import { accessKey, type TypeLookup } from '../../parse/index/types-of.js';
import type { Confirmation } from '../../report/schema.js';
import { exprText } from '../exprtext.js';
import type { Deadlock, Spontaneous } from '../scheduler.js';
import {
  callersOf,
  callsAt,
  findingFunction,
  noWitness,
  runEntry,
  stackAt,
  stats,
  threadStack,
  traceOf,
  type EntryRun,
  type ScenarioContext,
} from './common.js';
import { renderLockdepScenario } from '../lockdep.js';

/** Waiting primitives: which argument names the item and what kind it is. */
const WAITS: Record<string, { arg: number; kind: Spontaneous['kind']; delayed: boolean }> = {
  cancel_work_sync: { arg: 0, kind: 'work', delayed: false },
  disable_work_sync: { arg: 0, kind: 'work', delayed: false },
  flush_work: { arg: 0, kind: 'work', delayed: false },
  cancel_delayed_work_sync: { arg: 0, kind: 'work', delayed: true },
  disable_delayed_work_sync: { arg: 0, kind: 'work', delayed: true },
  flush_delayed_work: { arg: 0, kind: 'work', delayed: true },
  del_timer_sync: { arg: 0, kind: 'timer', delayed: false },
  timer_delete_sync: { arg: 0, kind: 'timer', delayed: false },
  timer_shutdown_sync: { arg: 0, kind: 'timer', delayed: false },
  try_to_del_timer_sync: { arg: 0, kind: 'timer', delayed: false },
  hrtimer_cancel: { arg: 0, kind: 'hrtimer', delayed: false },
  kthread_stop: { arg: 0, kind: 'kthread', delayed: false },
  kthread_stop_put: { arg: 0, kind: 'kthread', delayed: false },
};

function lookupOf(index: TreeIndex): TypeLookup {
  const ix = index as TreeIndex & { typedef?(name: string, fromFile?: string): string | null };
  return {
    struct: (n) => index.struct(n),
    global: (n) => index.global(n),
    resolve: (n, from) => index.resolve(n, from),
    typedef: ix.typedef ? (n, from) => ix.typedef!(n, from) : undefined,
  };
}

function sourceOf(b: Binding, fallbackFile: string): Spontaneous | null {
  if (b.field === null) return null;
  if (b.kind === 'kthread') return { kind: 'kthread', struct: b.struct, field: b.field, delayed: false, callback: b.callback, file: b.file ?? fallbackFile };
  const delayed = b.kind === 'delayed_work' && !b.field.endsWith('.work');
  const kind = b.kind === 'delayed_work' ? 'work' : b.kind;
  return { kind, struct: b.struct, field: b.field, delayed, callback: b.callback, file: b.file ?? fallbackFile };
}

function dedupe(xs: Spontaneous[]): Spontaneous[] {
  const seen = new Set<string>();
  return xs.filter((x) => {
    const k = `${x.kind}|${x.struct}|${x.field}|${x.delayed}|${x.callback}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Callback names the finding names (`waits for foo_work()`, `foo_work() bound here by INIT_WORK`). */
function namedCallbacks(ctx: ScenarioContext): string[] {
  const out = new Set<string>();
  const f = ctx.finding;
  for (const m of f.message.matchAll(/waits for (\w+)\(\)/g)) out.add(m[1]!);
  for (const r of f.related) {
    const m = /^(\w+)\(\) (?:bound here|takes)/.exec(r.message);
    if (m) out.add(m[1]!);
  }
  return [...out];
}

interface Sources {
  sources: Spontaneous[];
  /** The direct waiting call's target when its bindings could be looked up: `gdev->work`. */
  direct: string | null;
}

function sourcesFor(ctx: ScenarioContext, fn: IrFunction): Sources {
  const out: Spontaneous[] = [];
  let direct: string | null = null;
  const lookup = lookupOf(ctx.index);
  // The waiting calls at the line, or inside the functions called there (a few calls deep).
  const waits: { fn: IrFunction; call: CallInstr; top: boolean }[] = [];
  const seen = new Set<string>();
  let frontier: { fn: IrFunction; calls: CallInstr[]; top: boolean }[] = [{ fn, calls: callsAt(fn, ctx.finding.line), top: true }];
  for (let depth = 0; depth < 4 && frontier.length; depth++) {
    const next: typeof frontier = [];
    for (const fr of frontier) {
      for (const call of fr.calls) {
        if (!call.callee) continue;
        if (WAITS[call.callee]) {
          waits.push({ fn: fr.fn, call, top: fr.top });
          continue;
        }
        const callee = ctx.index.resolve(call.callee, fr.fn.file);
        if (!callee || seen.has(`${callee.file}:${callee.name}`)) continue;
        seen.add(`${callee.file}:${callee.name}`);
        next.push({ fn: callee, calls: callee.blocks.flatMap((b) => b.instrs.filter((i): i is CallInstr => i.op === 'call')), top: false });
      }
    }
    frontier = next;
  }
  for (const { fn: wf, call, top } of waits) {
    const w = WAITS[call.callee!]!;
    const arg = call.args[w.arg];
    if (!arg) continue;
    let key: { struct: string | null; field: string; resolved: boolean } | null = null;
    try {
      key = accessKey(wf, arg, lookup);
    } catch {
      key = null;
    }
    if (!key || !key.resolved) continue;
    if (top) direct = exprText(arg).replace(/^&/, '');
    let bs: Binding[] = [];
    try {
      bs = ctx.index.bindingsFor(key.struct, key.field);
    } catch {
      bs = [];
    }
    for (const b of bs) {
      const s = sourceOf(b, fn.file);
      if (s && (s.kind === w.kind || (w.kind === 'timer' && s.kind === 'timer'))) out.push(s);
    }
  }
  if (direct !== null && out.length === 0) return { sources: [], direct };
  if (direct === null) {
    for (const cb of namedCallbacks(ctx)) {
      let bs: Binding[] = [];
      try {
        bs = ctx.index.bindingsOf(cb);
      } catch {
        bs = [];
      }
      for (const b of bs) {
        const s = sourceOf(b, fn.file);
        if (s) out.push(s);
      }
    }
  }
  return { sources: dedupe(out), direct };
}

export function confirmSyncUnderLock(ctx: ScenarioContext): Confirmation {
  const f = ctx.finding;
  const fn = findingFunction(ctx.index, f);
  if (!fn) return { status: 'unknown', summary: `the model could not find ${f.function ?? 'the function'}() in ${f.file}`, trace: [] };
  const { sources, direct } = sourcesFor(ctx, fn);
  if (sources.length === 0) {
    if (direct) {
      return {
        status: 'refuted',
        summary: `no callback is ever bound to ${direct} (no INIT_WORK/timer_setup/kthread_run for it in the tree): nothing can be running for ${f.function}() to wait for`,
        trace: [],
      };
    }
    return { status: 'unknown', summary: 'the model could not tell which callback the waiting call waits for', trace: [] };
  }
  const watch = { file: f.file, line: f.line };
  const onDeadlock = (d: Deadlock, s: import('../state.js').State, m: import('../machine.js').Machine): boolean => {
    if (!d.cycle.some((e) => e.thread === 'T0')) return false;
    return stackAt(threadStack(m, s, 'T0'), f.file, f.line) && d.cycle.length >= 2;
  };
  const runs: EntryRun[] = [];
  const entries = [fn, ...callersOf(ctx.index, fn, 3)];
  for (const entry of entries) {
    const run = runEntry(ctx, entry, { concurrent: true, allocFail: false, spontaneous: sources, watch, onDeadlock });
    runs.push(run);
    const w = run.res.witness;
    if (w && run.res.deadlock) {
      const d = run.res.deadlock;
      const trace = traceOf(w);
      const cyc = d.cycle.map((e) => `${e.thread} waits for ${e.kind === 'lock' ? e.on : `${e.on}`} held by ${e.holder}`).join('; ');
      const table = renderLockdepScenario(trace);
      return {
        status: 'confirmed',
        summary:
          `deadlock${entry === fn ? '' : ` (entered through ${entry.name}())`}: ${cyc}` +
          ` [${stats(run.res)}]${table ? '\n' + table : ''}`,
        trace,
      };
    }
    // Callers are only a way in when the function's own entry never reaches the call.
    if (run.reached) break;
  }
  const cbs = [...new Set(sources.map((s) => s.callback))].join(', ');
  return noWitness(runs, 'a deadlock', `${cbs}() never waits for ${f.lock ?? 'the lock'} while ${f.function}() waits for it`);
}

