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
import { Exec, Machine } from '../machine.js';
import { lockAcquire } from '../primitives.js';
import { explore, type Deadlock, type ExploreResult, type Spontaneous } from '../scheduler.js';
import { NeedChoice } from '../signals.js';
import { initialState, traceArray, type ModelEvent, type State } from '../state.js';

export interface ScenarioContext {
  finding: Finding;
  index: TreeIndex;
  bounds: Bounds;
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

/** Runs `entry` on thread T0 from its entry with unconstrained parameters. */
export function runEntry(ctx: ScenarioContext, entry: IrFunction, o: EntryOptions): EntryRun {
  const bounds = o.bounds ? { ...ctx.bounds, ...o.bounds } : ctx.bounds;
  const m = new Machine(ctx.index, bounds, { concurrent: o.concurrent, allocFail: o.allocFail, entryThread: 'T0' });
  m.watch = o.watch;
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
