/**
 * What every scenario does: find the finding's function and statement, start
 * a thread at a function's entry with unconstrained parameters, explore, and
 * turn the result into the contract's Confirmation.
 */
import type { CallInstr, IrFunction } from '../../parse/ir.js';
import type { TreeIndex } from '../../parse/index/types.js';
import type { Confirmation, Finding, TraceStep } from '../../report/schema.js';
import type { Bounds } from '../bounds.js';
import { parsePath } from '../exprtext.js';
import { Exec, Machine, successors } from '../machine.js';
import { lockAcquire } from '../primitives.js';
import { explore, type Deadlock, type ExploreResult, type Spontaneous } from '../scheduler.js';
import { NeedChoice } from '../signals.js';
import { initialState, traceArray, type ModelEvent, type State } from '../state.js';
import type { CodeScope } from '../scope.js';
import { LockSlice, lockClassOf, type LockClass } from '../slice.js';

export interface ScenarioContext {
  finding: Finding;
  index: TreeIndex;
  bounds: Bounds;
  /**
   * When the finding's time bound runs out (on `clock`): every run of the
   * scenario (each entry point, each phase) shares the one budget, so a
   * finding never takes more than `bounds.timeMs` however many entries it has.
   */
  deadline?: number;
  /** The clock `deadline` is on (clock.ts); Date.now when absent. */
  clock?: () => number;
}

export function now(ctx: ScenarioContext): number {
  return ctx.clock ? ctx.clock() : Date.now();
}

export interface EntryRun {
  res: ExploreResult;
  /** The finding's line was executed on some path. */
  reached: boolean;
  machine: Machine;
}

export interface EntryOptions {
  concurrent: boolean;
  allocFail: boolean;
  spontaneous: Spontaneous[];
  watch: { file: string; line: number } | null;
  /** Values assumed for fields first read through these access paths. */
  assume?: Record<string, import('../values.js').Value>;
  onEvent?(ev: ModelEvent, s: State, m: Machine): boolean;
  onDeadlock?(d: Deadlock, s: State, m: Machine): boolean;
  /** States the witness cannot follow from (see ExploreOptions.prune). */
  prune?(s: State, m: Machine): boolean;
  /** Bounds tightened or widened for this run only. */
  bounds?: Partial<Bounds>;
  /** Callbacks pending from before start only where the scenario waits for them, not at every step. */
  spontaneousAtWaitOnly?: boolean;
  /** Order choices witness-first: aliases before fresh objects, "already running" before "not running". */
  witnessFirst?: boolean;
  /** Run only these functions; the others are external calls (scope.ts). */
  scope?: CodeScope;
  /** Run only the calls that may touch a lock of this member (slice.ts), of this class when known. */
  sliceMember?: string;
  sliceClass?: LockClass | null;
  /** Called when a thread executes the watched line, before the statement runs. */
  atWatch?(x: Exec): void;
  /** Called when a thread takes a lock (its display name). */
  onAcquireName?(name: string, x: Exec): void;
}

/** The definition of the finding's function in the finding's file. */
export function findingFunction(index: TreeIndex, f: Finding): IrFunction | null {
  if (!f.function) return null;
  let defs: IrFunction[] = [];
  try {
    defs = index.functions(f.function);
  } catch {
    defs = [];
  }
  const inFile = defs.filter((d) => d.file === f.file);
  const containing = inFile.find((d) => d.pos.line <= f.line && f.line <= d.pos.endLine);
  return containing ?? inFile[0] ?? defs[0] ?? null;
}

/** Calls at a source line (the statement the finding is about). */
export function callsAt(fn: IrFunction, line: number): CallInstr[] {
  const out: CallInstr[] = [];
  for (const b of fn.blocks) for (const i of b.instrs) if (i.op === 'call' && i.pos.line === line) out.push(i);
  return out;
}

/** The least time a run is given, even past the finding's deadline (a run that cannot start proves nothing). */
const MIN_RUN_MS = 50;

/** Milliseconds left of the finding's budget. */
export function timeLeft(ctx: ScenarioContext): number {
  return ctx.deadline === undefined ? ctx.bounds.timeMs : ctx.deadline - now(ctx);
}

/** Runs `entry` on thread T0 from its entry with unconstrained parameters. */
export function runEntry(ctx: ScenarioContext, entry: IrFunction, o: EntryOptions): EntryRun {
  // A run never gets more than the finding's time bound, nor (past a short minimum) more than is left of it.
  let timeMs = Math.min(o.bounds?.timeMs ?? ctx.bounds.timeMs, ctx.bounds.timeMs);
  if (ctx.deadline !== undefined) timeMs = Math.max(Math.min(MIN_RUN_MS, timeMs), Math.min(timeMs, ctx.deadline - now(ctx)));
  const bounds = { ...ctx.bounds, ...(o.bounds ?? {}), timeMs };
  const m = new Machine(ctx.index, bounds, { concurrent: o.concurrent, allocFail: o.allocFail, entryThread: 'T0' });
  m.watch = o.watch;
  m.scope = o.scope ?? null;
  if (ctx.clock) m.clock = ctx.clock;
  if (o.sliceMember) m.slice = new LockSlice(m, o.sliceMember, o.sliceClass ?? null);
  m.atWatch = o.atWatch ?? null;
  if (o.onAcquireName) m.onAcquire = (x, name) => o.onAcquireName!(name, x);
  m.trackWatched = !!o.prune;
  if (o.witnessFirst) {
    m.preferAlias = true;
    m.preferRunning = true;
  }
  m.spontaneous = o.spontaneous;
  m.assume = o.assume ?? {};
  const s = initialState();
  const t = m.spawn(s, 'main', entry.name, entry, [], null);
  preHold(m, s, entry, t.id);
  const res = explore(m, s, {
    spontaneous: o.spontaneousAtWaitOnly ? [] : o.spontaneous,
    prune: o.prune ? (st) => o.prune!(st, m) : undefined,
    onEvent: o.onEvent ? (ev, st) => o.onEvent!(ev, st, m) : undefined,
    onDeadlock: o.onDeadlock ? (d, st) => o.onDeadlock!(d, st, m) : undefined,
  });
  return { res, reached: m.reached, machine: m };
}

/** `__must_hold(&x->lock)` on the entry function: its callers hold the lock, so the scenario starts with it held. */
function preHold(m: Machine, s: State, entry: IrFunction, tid: string): void {
  const t = s.threads.find((x) => x.id === tid)!;
  for (const text of entry.annotations.mustHold) {
    const e = parsePath(text.trim());
    if (!e) continue;
    const arg = e.k === 'unary' && e.op === '&' ? e : { k: 'unary' as const, op: '&' as const, arg: e };
    try {
      const x = new Exec(m, s, t);
      lockAcquire(x, arg, 'excl', `__must_hold(${text})  [entry requires it: assumed held by the caller]`);
      const key = Object.keys(s.locks).find((k) => s.locks[k]!.owner === tid && !s.locks[k]!.preheld);
      if (key) s.locks[key]!.preheld = true;
    } catch (err) {
      if (!(err instanceof NeedChoice)) throw err;
    }
  }
}

export function traceOf(s: State, upTo?: number, limit = 300): TraceStep[] {
  const all = traceArray(s.trace, upTo);
  if (all.length <= limit) return all;
  const head = all[0]!;
  return [{ thread: head.thread, file: head.file, line: head.line, step: `... ${all.length - limit} earlier steps` }, ...all.slice(-limit)];
}

/** Why a search without a witness is not a proof: bounds and unmodelled code met. */
export function limits(res: ExploreResult): string | null {
  const parts: string[] = [];
  if (res.bounds.length) parts.push(`bound hit: ${res.bounds.join('; ')}`);
  if (res.unmodelled.length) parts.push(`not modelled: ${res.unmodelled.slice(0, 3).join('; ')}`);
  return parts.length ? parts.join('; ') : null;
}

export function stats(res: ExploreResult): string {
  const soft = res.softBounds.length ? `; paths with more loop passes not explored: ${res.softBounds.join(', ')}` : '';
  return `${res.states} states, ${res.paths} paths, ${res.ms} ms${soft}`;
}

/** No witness: refuted when the search was complete and reached the statement, else unknown with why. */
export function noWitness(runs: EntryRun[], what: string, refutation: string): Confirmation {
  const reached = runs.some((r) => r.reached);
  const lim = runs.map((r) => limits(r.res)).filter((x): x is string => !!x);
  const st = runs.map((r) => stats(r.res)).join('; ');
  if (lim.length) return { status: 'unknown', summary: `${what} not shown within the model's bounds (${lim.join('; ')}; ${st})`, trace: [] };
  if (!reached) return { status: 'unknown', summary: `the model never reached the statement of the finding from the entry point (${st})`, trace: [] };
  // Paths cut at the loop bound alone do not make the answer unknown; the summary says so (stats).
  
  return { status: 'refuted', summary: `${refutation} (explored ${st})`, trace: [] };
}

/** Whether a thread's call stack passes through (file, line). */
export function stackAt(stack: { file: string; line: number }[], file: string, line: number): boolean {
  return stack.some((f) => f.file === file && f.line === line);
}

/** Functions that call `fn`, nearest first, up to `max`. */
export function callersOf(index: TreeIndex, fn: IrFunction, max: number): IrFunction[] {
  let cs: IrFunction[] = [];
  try {
    cs = index.callers(fn.name);
  } catch {
    cs = [];
  }
  const same = cs.filter((c) => c.file === fn.file && c.name !== fn.name);
  const other = cs.filter((c) => c.file !== fn.file && c.name !== fn.name);
  return [...same, ...other].slice(0, max);
}

/** The line in `caller` where it calls `callee`. */
export function callLine(caller: IrFunction, callee: string): number | null {
  for (const b of caller.blocks) for (const i of b.instrs) if (i.op === 'call' && i.callee === callee) return i.pos.line;
  return null;
}

/** Source positions of a thread's call stack in a state, outermost first. */
export function threadStack(m: Machine, s: State, tid: string): { fn: string; file: string; line: number }[] {
  const t = s.threads.find((x) => x.id === tid);
  if (!t) return [];
  return t.frames.map((fr) => {
    const f = m.fn(fr.fn);
    const blk = f.blocks[fr.block];
    const ins = blk?.instrs[fr.idx];
    const pos = ins ? ins.pos : blk && 'pos' in blk.term ? (blk.term as { pos: { line: number } }).pos : f.pos;
    return { fn: f.name, file: f.file, line: pos.line };
  });
}

/** " (on this path WARN_ON(...) at file:line fires first)" when the witness path needs a warning to fire. */
export function warnsOnPath(s: State, before?: number): string {
  const w = s.events.filter((e) => (e.kind === 'warn' || e.kind === 'bug') && (before === undefined || (e.traceLen ?? 0) < before));
  if (!w.length) return '';
  return ` (on this path ${w.map((e) => `${e.text} at ${e.file}:${e.line}`).join(', ')} fires first)`;
}

/** The class of the finding's lock in its function (slice.ts), when the index can type it. */
export function findingLockClass(ctx: ScenarioContext, fn: IrFunction): LockClass | null {
  const text = ctx.finding.lock;
  if (!text) return null;
  const e = parsePath(text.replace(/^&/, '').trim());
  return e ? lockClassOf(ctx.index, fn, e) : null;
}

/** Blocks of `fn` from which a statement at `line` can still be reached (it included). */
export function blocksReaching(fn: IrFunction, line: number): Set<number> {
  const preds = new Map<number, number[]>();
  const seeds: number[] = [];
  fn.blocks.forEach((b, i) => {
    if (b.instrs.some((x) => x.pos.line === line) || ('pos' in b.term && (b.term as { pos: { line: number } }).pos.line === line)) seeds.push(i);
    for (const n of successors(b.term)) {
      const xs = preds.get(n) ?? [];
      xs.push(i);
      preds.set(n, xs);
    }
  });
  const out = new Set<number>(seeds);
  const stack = [...seeds];
  while (stack.length) {
    const b = stack.pop()!;
    for (const p of preds.get(b) ?? []) {
      if (!out.has(p)) {
        out.add(p);
        stack.push(p);
      }
    }
  }
  return out;
}

/**
 * A prune for scenarios whose witness needs thread T0 at `line` of its entry
 * function `entry` (the wait, or the call into it): a state where T0's entry
 * frame is in a block from which that line cannot be reached any more, and
 * T0 has not been there, can lead to no witness. Null when the line is not in
 * `entry` (nothing to prune on).
 */
export function awayFrom(entry: IrFunction, line: number): ((s: State, m: Machine) => boolean) | null {
  const reach = blocksReaching(entry, line);
  if (reach.size === 0) return null;
  return (s, m) => {
    if (s.watched) return false;
    const t0 = s.threads.find((t) => t.id === 'T0');
    const bottom = t0?.frames[0];
    if (!bottom) return false;
    return m.fn(bottom.fn) === entry && !reach.has(bottom.block);
  };
}
