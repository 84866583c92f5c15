/**
 * warn-reachable: from a state built by the tree's own setup entry (a probe
 * or add function that allocates the object the WARN looks at), run short
 * sequences of the subsystem's entry points on one thread (T0), over the
 * same objects, with any work they queue run by a worker thread, and see
 * whether the WARN fires. The static side (src/rules/warn-reachable.ts)
 * chooses the WARN, the setup entries, the writers and the final entries;
 * this module only runs them.
 */
import type { IrFunction } from '../../parse/ir.js';
import type { TreeIndex } from '../../parse/index/types.js';
import type { Confirmation, Finding, TraceStep } from '../../report/schema.js';
import type { Bounds } from '../bounds.js';
import { locKey, newObj, newSym } from '../heap.js';
import { Machine } from '../machine.js';
import { RecordingIndex, type Deps } from '../deps.js';
import { explore } from '../scheduler.js';
import { addTrace, cloneState, hashState, initialState, traceArray, type ModelEvent, type State, type TraceNode } from '../state.js';
import { isPointerType, normType, pointee, ptr, sameValue, structName, type Value } from '../values.js';
import type { ScenarioContext } from './common.js';

/** The WARN under study. */
export interface WarnTarget {
  fn: IrFunction;
  /** Line of the WARN call (where the model reports the event). */
  line: number;
  /** `WARN_ON(group->owner_cnt || ...)`, whitespace folded. */
  text: string;
  /** The struct the condition reads fields of (`struct iommu_group`), and the variable it is read through. */
  struct: string;
  base: string;
  /** Fields the condition reads (`owner_cnt`, `domain`, `default_domain`, `devices`). */
  fields: string[];
}

export interface MiddleEntry {
  fn: IrFunction;
  /** The work callback it queues that writes the fields, if that is how it matters. */
  worker: string | null;
}

export interface EntryPlan {
  setup: IrFunction[];
  /** Pointer fields of the target the setup entries assign: a setup path that leaves one NULL failed (an allocation or driver op gave nothing) and is not used. */
  setupFields?: string[];
  middles: MiddleEntry[];
  finals: IrFunction[];
}

export interface WarnSequence {
  /** Entry names in the order run (setup, middles, final). */
  entries: string[];
  /** Work callbacks that ran on a worker thread. */
  workers: string[];
  /** `when iommu_release_device() runs after ...: values`. */
  explanation: string;
  confirmation: Confirmation;
}

export interface WarnExploration {
  firing: WarnSequence[];
  /** Sequences fully explored without the WARN firing. */
  quiet: number;
  /** Sequences cut by a bound or the time budget, with why. */
  cut: string[];
  /** Sequences not tried because the budget ran out. */
  untried: number;
  ms: number;
}

export interface ExploreWarnOptions {
  bounds: Bounds;
  /** Wall-clock budget for all sequences of this WARN. */
  budgetMs: number;
  /** Sequences with more than one middle entry run for this WARN at most (a count, so that the same code gives the same answer before and after a series). */
  maxRuns: number;
  /** Entry points in one sequence, setup and final included. */
  maxLen: number;
  /** Write down what the runs ask of the tree (to reuse the exploration in another view, deps.ts). */
  deps?: Deps;
}

export const DEFAULT_SEQUENCE_LENGTH = 4;

/** Every sequence within bounds, shortest first; each set of middles is reported once, with its first final that fires. */
export function exploreWarn(tree: TreeIndex, target: WarnTarget, plan: EntryPlan, o: ExploreWarnOptions): WarnExploration {
  const t0 = Date.now();
  const index = o.deps ? new RecordingIndex(tree, o.deps) : tree;
  const out: WarnExploration = { firing: [], quiet: 0, cut: [], untried: 0, ms: 0 };
  const maxMiddles = Math.max(0, o.maxLen - 2);
  const combos: MiddleEntry[][] = [[]];
  for (let n = 1; n <= maxMiddles; n++) for (const c of orderedCombos(plan.middles, n)) combos.push(c);
  const fired: Set<string>[] = [];
  let runs = 0;
  for (const setup of plan.setup.slice(0, 2)) {
    const snap = runSetup(index, target, setup, { ...o.bounds, timeMs: Math.min(o.bounds.timeMs, o.budgetMs) }, plan.setupFields ?? []);
    if ('why' in snap) {
      out.cut.push(snap.why);
      continue;
    }
    for (const mids of combos) {
      const names = new Set(mids.map((m) => m.fn.name));
      // A superset of a firing set adds nothing but noise.
      if (fired.some((f) => [...f].every((n) => names.has(n)))) continue;
      // Every final after the setup alone; with middles, the first final (the others take the same path).
      for (const fin of mids.length ? plan.finals.slice(0, 1) : plan.finals) {
        const left = o.budgetMs - (Date.now() - t0);
        if (left <= 0 || (mids.length > 1 && runs >= o.maxRuns)) {
          out.untried++;
          continue;
        }
        const seq = [setup, ...mids.map((m) => m.fn), fin];
        const bounds = { ...o.bounds, timeMs: Math.min(o.bounds.timeMs, left) };
        // First with queued work finished before the next entry starts (the plain story), then racing it.
        if (mids.length > 1) runs++;
        let r = runSequence(target, snap, seq, bounds, { settle: true, setupFields: plan.setupFields ?? [] });
        if (!r.fired && mids.some((m) => m.worker)) {
          const left2 = o.budgetMs - (Date.now() - t0);
          if (left2 > 0) r = runSequence(target, snap, seq, { ...o.bounds, timeMs: Math.min(o.bounds.timeMs, left2) }, { settle: false, setupFields: plan.setupFields ?? [] });
        }
        if (r.fired) {
          out.firing.push(r.fired);
          fired.push(names);
          break;
        }
        if (r.cut) out.cut.push(`${seq.map((f) => f.name).join(' -> ')}: ${r.cut}`);
        else out.quiet++;
      }
    }
    if (out.firing.length || out.quiet) break;
  }
  out.ms = Date.now() - t0;
  return out;
}

/** The exploration as it reads in another view of the tree, its trace lines moved by `shift` (deps.ts replayShift). */
export function shiftExploration(ex: WarnExploration, shift: (file: string, line: number) => number): WarnExploration {
  return {
    ...ex,
    firing: ex.firing.map((s) => ({
      ...s,
      confirmation: { ...s.confirmation, trace: s.confirmation.trace.map((t) => ({ ...t, line: shift(t.file, t.line) })) },
    })),
  };
}

/** One answer for the WARN: confirmed with the first firing sequence, refuted when every sequence within bounds ran quiet, else unknown with why. */
export function verdictOf(target: WarnTarget, ex: WarnExploration, maxLen: number): Confirmation {
  const first = ex.firing[0];
  if (first) return first.confirmation;
  if (ex.cut.length || ex.untried) {
    const why = [...ex.cut.slice(0, 3), ...(ex.untried ? [`${ex.untried} sequences not tried within the budget`] : [])].join('; ');
    return { status: 'unknown', summary: `${target.text}: no firing sequence found within the model's bounds (${why}; ${ex.ms} ms)`, trace: [] };
  }
  return {
    status: 'refuted',
    summary: `${target.text} fires on no sequence of up to ${maxLen} entry points from the setup (${ex.quiet} sequences explored, ${ex.ms} ms)`,
    trace: [],
  };
}

/** Ordered selections of n distinct middles (order matters: a writer before or after a worker). */
function orderedCombos<T>(xs: T[], n: number): T[][] {
  if (n === 0) return [[]];
  const out: T[][] = [];
  xs.forEach((x, i) => {
    for (const rest of orderedCombos([...xs.slice(0, i), ...xs.slice(i + 1)], n - 1)) out.push([x, ...rest]);
  });
  return out;
}

interface RunResult {
  fired: WarnSequence | null;
  cut: string | null;
}

export interface SequenceOptions {
  /** Work queued by an entry finishes before the next entry starts. */
  settle: boolean;
  setupFields: string[];
}

/** The state right after the setup entry returned, with the objects it made. */
export interface SetupSnapshot {
  m: Machine;
  state: State;
  /** Objects passed to the setup entry, by struct type: later entries get the same ones. */
  byType: Map<string, Value>;
  marks: Set<TraceNode>;
  /** Fields of the setup's arguments that point to the target object (`dev->iommu_group`). */
  links: { obj: number; field: string }[];
  ms: number;
}

/** Runs the setup entry until a path returns with the target's object allocated and its pointer fields set. */
export function runSetup(index: TreeIndex, target: WarnTarget, setup: IrFunction, bounds: Bounds, setupFields: string[]): SetupSnapshot | { why: string } {
  const m = new Machine(index, bounds, { concurrent: false, allocFail: false, entryThread: '-' });
  const s = initialState();
  const byType = new Map<string, Value>();
  const args = setup.params.map((p) => {
    const t = normType(p.type);
    const st = pointee(t);
    if (isPointerType(t) && st && structName(st)) {
      const v = ptr(newObj(s, bounds, st, 'pre', p.name), '');
      byType.set(st, v);
      return v;
    }
    return newSym(s, t, p.name) as Value;
  });
  m.spawn(s, 'main', setup.name, setup, args, null);
  const marks = new Set<TraceNode>();
  addTrace(s, 'T0', setup.file, setup.pos.line, call(setup));
  marks.add(s.trace!);
  const res = explore(m, s, {
    spontaneous: [],
    onEvent(ev: ModelEvent, st: State): boolean {
      if (ev.kind !== 'return' || ev.thread !== 'T0') return false;
      const obj = allocated(st, target.struct);
      if (obj === null || !healthy(m, st, obj, setupFields)) return false;
      const txt = stateText(st, target, obj, ptrField(m, st, obj));
      addTrace(st, 'T0', setup.file, setup.pos.line, `${call(setup)} returns${txt ? `  [${txt}]` : ''}`);
      marks.add(st.trace!);
      return true;
    },
  });
  if (!res.witness) return { why: `${setup.name}() never returned with a ${target.struct} set up (${res.bounds.join('; ') || `${res.states} states`})` };
  const w = res.witness;
  const obj = allocated(w, target.struct)!;
  const links: { obj: number; field: string }[] = [];
  for (const v of byType.values()) {
    if (v.k !== 'ptr') continue;
    for (const [f, fv] of Object.entries(w.objs[v.obj]?.fields ?? {})) {
      const n = normV(w, fv);
      if (n.k === 'ptr' && n.obj === obj) links.push({ obj: v.obj, field: f });
    }
  }
  return { m, state: w, byType, marks, links, ms: res.ms };
}

/** Runs the entries after the setup one after the other on T0, over the setup's objects; queued work runs on worker threads. */
export function runSequence(target: WarnTarget, snap: SetupSnapshot, seq: IrFunction[], bounds: Bounds, so: SequenceOptions): RunResult {
  const m = snap.m;
  (m as { bounds: Bounds }).bounds = bounds;
  const marks = snap.marks;
  const mark = (st: State, fn: IrFunction, step: string) => {
    addTrace(st, 'T0', fn.file, fn.pos.line, step);
    marks.add(st.trace!);
  };
  const startNext = (st: State, next: IrFunction) => {
    const th = st.threads.find((x) => x.id === 'T0')!;
    const nargs = next.params.map((p) => {
      const pt = pointee(normType(p.type));
      if (pt && structName(pt)) {
        const have = snap.byType.get(pt);
        if (have) return have;
        const live = allocated(st, pt);
        if (live !== null) return ptr(live, '');
      }
      return newSym(st, normType(p.type), p.name) as Value;
    });
    th.frames = [m.newFrame(st, next, nargs)];
    th.status = 'ready';
    th.wait = null;
    th.label = next.name;
    delete th.killed;
    mark(st, next, call(next));
  };
  /** Settled mode: a work the last entry queued runs to its end before the next entry starts. */
  const runPending = (st: State): boolean => {
    const found = Object.entries(st.async).find(([, a]) => a.kind === 'work' && a.state === 'pending' && a.callback && !a.runner);
    if (!found) return false;
    const [key, a] = found;
    const cb = m.resolve(a.callback!, target.fn.file) ?? index0(m, a.callback!);
    const loc = /^o(\d+)(?:\.(.*))?$/.exec(key);
    if (!cb || !loc) return false;
    const th = m.spawn(st, 'main', `kworker ${cb.name}`, cb, [ptr(Number(loc[1]), loc[2] ?? '')], key);
    st.async[key] = { ...a, state: 'running', runner: th.id };
    addTrace(st, th.id, cb.file, cb.pos.line, `${cb.name}(&${a.name})  [work ${a.name} runs on the worker ${th.id}]`);
    marks.add(st.trace!);
    return true;
  };
  const s = cloneState(snap.state);
  s.steps = 0;
  s.forks = 0;
  startNext(s, seq[1]!);
  function index0(mm: Machine, name: string): IrFunction | null {
    try {
      return mm.index.functions(name).find((f) => f.blocks.length > 0) ?? null;
    } catch {
      return null;
    }
  }
  let obj: number | null = null;
  // Distinct states carried on into the next entry, per phase: a few outcomes of each entry (success, an error path).
  const carried = new Map<number, Set<string>>();
  const res = explore(m, s, {
    spontaneous: [],
    onEvent(ev: ModelEvent, st: State): boolean {
      // Entries finished so far, counting this event (one step may hold the WARN and the entry's return).
      const upTo = st.events.indexOf(ev);
      const phase = st.events.slice(0, upTo + 1).filter((e) => e.kind === 'return' && e.thread === 'T0').length;
      if (ev.kind === 'return' && ev.thread !== 'T0') {
        // The worker of settled mode finished: the next entry starts.
        const target0 = allocated(st, target.struct);
        const th = st.threads.find((x) => x.id === ev.thread);
        const txt = target0 === null ? '' : stateText(st, target, target0, ptrField(m, st, target0));
        addTrace(st, ev.thread, ev.file, ev.line, `${th?.label.replace(/^kworker /, '') ?? 'work'}() returns${txt ? `  [${txt}]` : ''}`);
        marks.add(st.trace!);
        if (phase < seq.length && target0 !== null && !runPending(st)) startNext(st, seq[phase]!);
        return false;
      }
      if (ev.kind === 'return' && ev.thread === 'T0') {
        const done = seq[phase - 1]!;
        const target0 = allocated(st, target.struct);
        if (target0 === null) return false;
        const txt = stateText(st, target, target0, ptrField(m, st, target0));
        mark(st, done, `${call(done)} returns${txt ? `  [${txt}]` : ''}`);
        if (phase >= seq.length) return false;
        // An entry that left a link of the setup (`dev->iommu_group`) pointing to something the model made up
        // (a call it could not follow) has lost the objects of the sequence: the path goes no further.
        if (snap.links.some((l) => {
          const v = st.objs[l.obj]?.fields[l.field];
          return v !== undefined && normV(st, v).k === 'sym';
        })) return false;
        const seen = carried.get(phase) ?? new Set<string>();
        carried.set(phase, seen);
        const h = hashState(st);
        if (!seen.has(h) && seen.size >= 6) return false;
        seen.add(h);
        if (so.settle && runPending(st)) return false;
        startNext(st, seq[phase]!);
        return false;
      }
      if ((ev.kind === 'warn' || ev.kind === 'bug') && ev.file === target.fn.file && ev.line === target.line && phase === seq.length - 1) {
        // Only on the state the sequence built: a value the model left open (`?x`) means the WARN read another object.
        if (/= \?/.test(ev.detail)) return false;
        // (The same step may have gone on to free the object.)
        obj = allocated(st, target.struct, true);
        return obj !== null;
      }
      return false;
    },
  });
  if (res.witness && obj !== null) return { cut: null, fired: witnessOf(target, seq, res.witness, marks, res) };
  const cut = res.bounds.length ? res.bounds.join('; ') : null;
  return { fired: null, cut };
}

function witnessOf(target: WarnTarget, seq: IrFunction[], w: State, marks: Set<TraceNode>, res: { states: number; ms: number }): WarnSequence {
  const nodes: TraceNode[] = [];
  for (let n = w.trace; n; n = n.prev) nodes.push(n);
  nodes.reverse();
  const stateBefore = (lastState(nodes, marks, seq[seq.length - 1]!) ?? '').split(', ').filter((p) => p && !/: (empty|\d+ entr)/.test(p)).join(', ');
  const fireIdx = nodes.map((n, i) => ({ n, i })).filter(({ n }) => n.file === target.fn.file && n.line === target.line && /\[fires/.test(n.step)).pop()?.i ?? nodes.length - 1;
  const trace: TraceStep[] = [];
  nodes.forEach((n, i) => {
    if (i > fireIdx) return;
    const keep = marks.has(n) || /\[starts work|pending \(runs |\[work .* runs on the worker/.test(n.step) || i === fireIdx;
    if (!keep) return;
    let step = n.step;
    // The WARN saw the state the entries before it left (its own values are those of objects the model made up names for).
    if (i === fireIdx && stateBefore) step = step.replace(/\[fires: .*\]$/, `[fires: ${stateBefore}]`);
    trace.push({ thread: n.thread, file: n.file, line: n.line, step });
  });
  const workers = [...new Set(nodes.filter((x) => /\[starts work|\[work .* runs on the worker/.test(x.step)).map((x) => x.step.split('(')[0]!.trim()))];
  const entries = seq.map((f) => f.name);
  const fin = seq[seq.length - 1]!;
  const mids = seq.slice(1, -1);
  const stateAt = stateBefore.split(', ').filter((p) => p && !/ set$/.test(p)).join(', ');
  const after = mids.length
    ? ` after ${mids.map((f) => `${f.name}()`).join(', then ')}${workers.length ? ` (and the work it queues, ${workers.map((x) => `${x}()`).join(', ')})` : ''}`
    : ` right after ${seq[0]!.name}()`;
  const explanation = `when ${fin.name}() runs${after}${stateAt ? `, with ${stateAt}` : ''}`;
  const ev = w.events.find((e) => (e.kind === 'warn' || e.kind === 'bug') && e.file === target.fn.file && e.line === target.line);
  return {
    entries,
    workers,
    explanation,
    confirmation: {
      status: 'confirmed',
      summary: `${target.text} fires on the sequence ${entries.map((e) => `${e}()`).join(' -> ')}${workers.length ? ` with ${workers.join(', ')}() on a worker` : ''}${ev ? ` (${ev.detail})` : ''} (${res.states} states, ${res.ms} ms)`,
      trace,
    },
  };
}

function call(fn: IrFunction): string {
  return `${fn.name}(${fn.params.map((p) => p.name).join(', ')})`;
}

/** The setup left every pointer field it assigns set (a NULL one means a failed allocation or driver op on this path). */
function healthy(m: Machine, s: State, obj: number, fields: string[]): boolean {
  const o = s.objs[obj];
  if (!o) return false;
  for (const f of fields) {
    if (!isPointerType(m.types.pathType(o.type, f))) continue;
    const v = o.fields[f] === undefined ? null : normV(s, o.fields[f]!);
    if (v === null || v.k === 'null' || (v.k === 'int' && v.v === 0)) return false;
  }
  return true;
}

/** The live object of `type` the setup allocated (the newest one). */
function allocated(s: State, type: string, freedToo = false): number | null {
  let best: number | null = null;
  for (const o of Object.values(s.objs)) if (o.origin === 'zero' && (freedToo || !o.freed) && o.type === type) best = o.id;
  return best;
}

function normV(s: State, v: Value): Value {
  let cur = v;
  for (let i = 0; i < 16 && cur.k === 'sym'; i++) {
    const b = s.bind[cur.id];
    if (b === undefined) break;
    cur = b;
  }
  return cur;
}

/** `group->owner_cnt = 0, group->domain = group->blocking_domain, group->devices: 1 entry`. */
export function stateText(s: State, target: WarnTarget, obj: number, isPtr: (field: string) => boolean = () => true): string {
  const o = s.objs[obj];
  if (!o) return '';
  const b = target.base;
  const parts: string[] = [];
  const done = new Set<string>();
  const isNull = (v: Value) => v.k === 'null';
  for (const f of target.fields) {
    if (done.has(f)) continue;
    const list = s.lists[locKey(obj, f)];
    if (list) {
      const n = list.items.length;
      parts.push(`${b}->${f}: ${n === 0 && !list.nonEmptyOpen ? 'empty' : `${n} entr${n === 1 ? 'y' : 'ies'}`}`);
      continue;
    }
    const raw = o.fields[f] ?? (o.origin === 'zero' && !isPtr(f) ? ({ k: 'int', v: 0 } as Value) : undefined);
    if (raw === undefined) continue;
    const v = normV(s, raw);
    if (v.k === 'int') {
      parts.push(`${b}->${f} = ${v.v}`);
      continue;
    }
    if (isNull(v)) {
      parts.push(`${b}->${f} = NULL`);
      continue;
    }
    // A pointer: name it after the other fields holding the same value.
    const same = Object.entries(o.fields)
      .filter(([g, gv]) => g !== f && !g.includes('.') && !s.lists[locKey(obj, g)] && sameValue(normV(s, gv), v))
      .map(([g]) => g);
    const inTarget = same.filter((g) => target.fields.includes(g));
    const other = same.filter((g) => !target.fields.includes(g));
    for (const g of inTarget) done.add(g);
    const eq = [f, ...inTarget].map((g) => `${b}->${g}`).join(' == ');
    if (other.length) parts.push(`${eq} = ${b}->${other[0]}`);
    else if (inTarget.length) parts.push(eq);
    else parts.push(`${b}->${f} set`);
  }
  return parts.join(', ');
}

function ptrField(m: Machine, s: State, obj: number): (f: string) => boolean {
  const t = s.objs[obj]?.type ?? null;
  return (f) => isPointerType(m.types.pathType(t, f));
}

function lastState(nodes: TraceNode[], marks: Set<TraceNode>, fin: IrFunction): string | null {
  // The state when the final entry starts is the one printed when the entry before it returned.
  let lastReturn: string | null = null;
  for (const n of nodes) {
    if (!marks.has(n)) continue;
    const m = / returns {2}\[(.*)\]$/.exec(n.step);
    if (m) lastReturn = m[1]!;
    else if (n.step.startsWith(`${fin.name}(`)) return lastReturn;
  }
  return lastReturn;
}

// ---- confirmations computed at check time --------------------------------

const memo = new WeakMap<TreeIndex, Map<string, { confirmation: Confirmation; function: string }>>();

function memoKey(file: string, line: number, message: string): string {
  return `${file}\0${line}\0${message}`;
}

/** The rule explored the sequence already: keep its confirmation for confirmAll. */
export function rememberWarnConfirmation(index: TreeIndex, file: string, line: number, message: string, fn: string, c: Confirmation): void {
  let m = memo.get(index);
  if (!m) memo.set(index, (m = new Map()));
  m.set(memoKey(file, line, message), { confirmation: c, function: fn });
}

export function recalledWarn(index: TreeIndex, f: Finding): { confirmation: Confirmation; function: string } | null {
  return memo.get(index)?.get(memoKey(f.file, f.line, f.message)) ?? null;
}

/** confirmAll's entry: the confirmation the rule found with its sequence. */
export function confirmWarnReachable(ctx: ScenarioContext): Confirmation {
  const r = recalledWarn(ctx.index, ctx.finding);
  if (r) return r.confirmation;
  if (ctx.finding.confirmation.status !== 'unknown') return ctx.finding.confirmation;
  return { status: 'unknown', summary: 'the firing sequence of this WARN was not explored with this index (run the warn-reachable rule first)', trace: [] };
}
