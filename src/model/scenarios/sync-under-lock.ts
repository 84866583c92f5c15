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
import type { Machine } from '../machine.js';
import type { State } from '../state.js';
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
  const confirmed = (entry: IrFunction, run: EntryRun): Confirmation | null => {
    const w = run.res.witness;
    if (!w || !run.res.deadlock) return null;
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
  };
  // When the lock is taken by a caller (the finding names it: "L taken here in
  // holder()"), the scenario starts there: from the waiting function's own
  // entry the lock is not held and nothing can deadlock.
  const holders = holdersOf(ctx, fn);
  const callers = callersOf(ctx.index, fn, 3).filter((c) => !holders.includes(c));
  const hit = witnessFirst(ctx, [...holders, ...callers, fn], { sources, watch, onDeadlock }, confirmed);
  if (hit) return hit;
  const entries = [...holders, fn, ...callers];
  for (const entry of entries) {
    const run = runEntry(ctx, entry, { concurrent: true, allocFail: false, spontaneous: sources, watch, onDeadlock });
    runs.push(run);
    const c = confirmed(entry, run);
    if (c) return c;
    // Callers are only a way in when the function's own entry never reaches the call.
    if (run.reached && entry === fn) break;
  }
  const cbs = [...new Set(sources.map((s) => s.callback))].join(', ');
  return noWitness(runs, 'a deadlock', `${cbs}() never waits for ${f.lock ?? 'the lock'} while ${f.function}() waits for it`);
}


/** Functions the finding says hold the lock at the wait (other than the waiting function itself), simplest first. */
function holdersOf(ctx: ScenarioContext, fn: IrFunction): IrFunction[] {
  const names = new Set<string>();
  for (const r of ctx.finding.related) {
    if (r.function && r.function !== fn.name && /taken here|with .* held/.test(r.message)) names.add(r.function);
  }
  const m = /; (\w+)\(\) (?:may )?holds? /.exec(ctx.finding.message);
  if (m && m[1] !== fn.name) names.add(m[1]!);
  const out: IrFunction[] = [];
  for (const n of names) {
    const h = ctx.index.resolve(n, fn.file);
    if (h && !out.includes(h)) out.push(h);
  }
  const size = (f: IrFunction) => f.blocks.reduce((a, b) => a + b.instrs.length, 0);
  return out.sort((a, b) => size(a) - size(b));
}

/**
 * A first, narrow search for the deadlock itself, before the exhaustive one.
 * For the cycle the callback must be RUNNING, blocked on the lock, when the
 * entry thread waits (a merely pending item is cancelled without waiting):
 * so the callback starts only at the waiting call, aliases and "already
 * running" are tried first, and a path is dropped as soon as the entry thread
 * is past the wait, finished, or waiting there while holding no lock. Only a
 * witness counts: finding none proves nothing, the exhaustive search follows.
 */
function witnessFirst(
  ctx: ScenarioContext,
  entries: IrFunction[],
  o: { sources: Spontaneous[]; watch: { file: string; line: number }; onDeadlock: (d: Deadlock, s: State, m: Machine) => boolean },
  confirmed: (entry: IrFunction, run: EntryRun) => Confirmation | null,
): Confirmation | null {
  const { file, line } = o.watch;
  const prune = (s: State, m: Machine): boolean => {
    const t0 = s.threads.find((t) => t.id === 'T0');
    if (!t0 || t0.status === 'done') return true;
    const at = stackAt(threadStack(m, s, 'T0'), file, line);
    if (!at) return !!s.watched;
    if (t0.status === 'blocked' && t0.wait?.kind === 'async') {
      const held = Object.keys(s.locks).filter((k) => s.locks[k]!.owner === 'T0' || s.locks[k]!.readers.includes('T0'));
      if (!held.length) return true;
      // Another thread took a lock of the same class as one T0 holds, without
      // blocking: a different instance (another object), the path of a
      // non-aliasing choice; the witness is the one where they are the same.
      const classes = new Set(held.map((k) => lockClass(s, k)));
      for (const k in s.locks) {
        const l = s.locks[k]!;
        if (l.owner && l.owner !== 'T0' && classes.has(lockClass(s, k))) return true;
      }
    }
    return false;
  };
  // A share of the finding's budget, so the exhaustive search keeps most of it.
  const deadline = Date.now() + Math.max(200, Math.floor(ctx.bounds.timeMs / 2));
  const seen = new Set<IrFunction>();
  for (const entry of entries) {
    if (seen.has(entry)) continue;
    seen.add(entry);
    const now = Date.now();
    if (now >= deadline) break;
    // Each entry gets its share of what is left; an entry that finishes early leaves more to the others.
    const left = Math.max(50, Math.floor((deadline - now) / (entries.length - seen.size + 1)));
    const run = runEntry(ctx, entry, {
      concurrent: true,
      allocFail: false,
      spontaneous: o.sources,
      spontaneousAtWaitOnly: true,
      witnessFirst: true,
      watch: o.watch,
      onDeadlock: o.onDeadlock,
      prune,
      bounds: { timeMs: left, forks: Math.min(ctx.bounds.forks, 24), states: Math.max(1000, Math.floor(ctx.bounds.states / 4)) },
    });
    const c = confirmed(entry, run);
    if (c) return c;
  }
  return null;
}

/** A lock's class in the lockdep sense: the struct type and member it is, whatever the object. */
function lockClass(s: State, key: string): string {
  const m = /^o(\d+)(?:\.(.*))?$/.exec(key);
  if (!m) return key;
  const o = s.objs[Number(m[1])];
  return o && o.type ? `${o.type}|${m[2] ?? ''}` : `${s.locks[key]?.name ?? key}`;
}
