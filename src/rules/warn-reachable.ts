/**
 * warn-reachable: a WARN_ON/BUG_ON whose condition reads an object's state
 * that the subsystem's own entry points can drive into the firing state.
 * The static part (here) picks, per WARN, the fields its condition reads,
 * the setup entry that creates the object, the entries that write those
 * fields (directly, or by queueing a work whose callback does), and the
 * entries that reach the WARN; the model (src/model/scenarios/warn-reachable.ts)
 * runs the sequences. One finding per firing set of entry points: the
 * finding's id depends on that set and not on the function the WARN sits
 * in, so a firing sequence that was possible before a series (or moved into
 * a new helper by it) is not reported as new.
 */
import type { CallInstr, Expr, IrFunction } from '../parse/ir.js';
import type { TreeIndex } from '../parse/index/types.js';
import type { Related } from '../report/schema.js';
import { DEFAULT_BOUNDS, type Bounds } from '../model/bounds.js';
import { exprText } from '../model/exprtext.js';
import { Deps, fnPrint, replayShift } from '../model/deps.js';
import {
  DEFAULT_SEQUENCE_LENGTH,
  exploreWarn,
  rememberWarnConfirmation,
  shiftExploration,
  type EntryPlan,
  type ExploreWarnOptions,
  type MiddleEntry,
  type WarnExploration,
  type WarnTarget,
} from '../model/scenarios/warn-reachable.js';
import { normType, pointee, structName } from '../model/values.js';
import type { RawFinding, Rule, RuleContext } from './context.js';

const WARNS = new Set(['WARN_ON', 'WARN_ON_ONCE', 'WARN', 'WARN_ONCE', 'BUG_ON']);
const ALLOCS = new Set(['kzalloc', 'kmalloc', 'kcalloc', 'kvzalloc', 'kvmalloc', 'devm_kzalloc', 'kzalloc_node', 'kmalloc_node', 'kzalloc_obj', 'kmalloc_obj']);
const QUEUES = new Set(['schedule_work', 'queue_work', 'queue_work_on', 'queue_work_node', 'schedule_delayed_work', 'queue_delayed_work', 'mod_delayed_work', 'queue_delayed_work_on', 'mod_delayed_work_on']);
const LIST_WRITES = /^(list_add|list_add_tail|list_del|list_del_init|list_move|list_move_tail|list_splice\w*|INIT_LIST_HEAD|hlist_add_head|hlist_del)(_rcu)?$/;
const SETUP_NAME = /probe|add|init|create|alloc/;

/** Budget for all sequences of one WARN: a count of runs first (deterministic), wall-clock time as a safety net. */
export const WARN_MAX_RUNS = 8;
export const WARN_BUDGET_MS = 4000;
/** States of one sequence: the plain ones need a few hundred. */
const SEQUENCE_STATES = 1500;
const REACH_DEPTH = 8;
/** Budget for one sequence: the plain ones take tens of milliseconds. */
const SEQUENCE_MS = 1000;

export const warnReachable: Rule = {
  meta: {
    id: 'warn-reachable',
    severity: 'warning',
    description: 'a WARN_ON/BUG_ON that a short sequence of entry points makes fire',
    docs:
      'For each WARN_ON/WARN/BUG_ON whose condition reads fields of an object, the model builds the object with the ' +
      "tree's own setup entry (a probe/add function), then runs sequences of up to 4 entry points on the same objects " +
      '(with queued work run by a worker) and reports each set of entry points that makes the WARN fire. The finding ' +
      'id depends on that set, so a sequence that could fire before a series is not news for lint/review/scan.',
  },
  *check(ctx: RuleContext): Iterable<RawFinding> {
    if (ctx.config.model === false) return;
    const session = ctx.warnSession ?? current;
    const graph = new CallGraph(ctx.index);
    const entries = ctx.functions.filter((f) => !f.isStatic && f.blocks.length > 0);
    const affected = session?.focus ? focusTest(ctx.index, graph, session.focus) : null;
    for (const fn of ctx.functions) {
      for (const { call, target } of warnTargets(fn)) {
        // Code the same in every view, and the WARN's own function untouched: no plan can differ (and none is built).
        if (session?.focus && session.focus.code.size === 0 && !session.focus.text.has(`${fn.file}\0${fn.name}`)) {
          session.stats.skipped++;
          continue;
        }
        const plan = planFor(ctx.index, graph, entries, ctx.functions, target);
        if (!plan) continue;
        if (affected && !affected(target, plan)) {
          session!.stats.skipped++;
          continue;
        }
        const opts: ExploreWarnOptions = { bounds: modelBounds(), budgetMs: WARN_BUDGET_MS, maxRuns: WARN_MAX_RUNS, maxLen: DEFAULT_SEQUENCE_LENGTH };
        const ex = session ? memoised(session, ctx.index, target, plan, opts) : exploreWarn(ctx.index, target, plan, opts);
        yield* findingsOf(ctx.index, fn, call, target, plan, ex);
      }
    }
  },
};

/**
 * Shared by the runs of one series analysis over its views (the tree before
 * the series and after each patch): most WARNs explore the same code in
 * every view, so each is explored once and reused where the tree answers
 * every question of the exploration the same way (src/model/deps.ts).
 */
export interface WarnSession {
  memo: Map<string, { deps: Deps; ex: WarnExploration }[]>;
  /**
   * Only the WARNs the series can change, when set: those whose entry points
   * reach a function whose code (`code`: names) differs between the views,
   * and those that sit in a function whose text does (`text`: `file\0name`,
   * for lint --all). A WARN left out gives the same findings in every view,
   * so lint and review, which report only differences (and findings in
   * changed functions), lose nothing; scan counts every finding and runs
   * without it.
   */
  focus: WarnFocus | null;
  stats: { explored: number; reused: number; skipped: number };
}

export interface WarnFocus {
  code: ReadonlySet<string>;
  text: ReadonlySet<string>;
}

export function newWarnSession(focus: WarnFocus | null = null): WarnSession {
  return { memo: new Map(), focus, stats: { explored: 0, reused: 0, skipped: 0 } };
}

let current: WarnSession | null = null;

/** Runs `run` (an analysis, synchronous) with `session` seen by the rule wherever its context does not carry one. */
export function withWarnSession<T>(session: WarnSession, run: () => T): T {
  const prev = current;
  current = session;
  try {
    return run();
  } finally {
    current = prev;
  }
}

function staticKey(t: WarnTarget, plan: EntryPlan, o: ExploreWarnOptions): string {
  return [
    fnPrint(t.fn),
    t.line - t.fn.pos.line,
    t.text,
    t.struct,
    t.base,
    t.fields.join(','),
    plan.setup.map(fnPrint).join(','),
    (plan.setupFields ?? []).join(','),
    plan.middles.map((m) => `${fnPrint(m.fn)}/${m.worker ?? ''}`).join(','),
    plan.finals.map(fnPrint).join(','),
    JSON.stringify(o.bounds),
    o.budgetMs,
    o.maxRuns,
    o.maxLen,
  ].join('\n');
}

function memoised(session: WarnSession, index: TreeIndex, t: WarnTarget, plan: EntryPlan, o: ExploreWarnOptions): WarnExploration {
  const key = staticKey(t, plan, o);
  const given = [t.fn, ...plan.setup, ...plan.middles.map((m) => m.fn), ...plan.finals];
  let list = session.memo.get(key);
  if (!list) session.memo.set(key, (list = []));
  for (const e of list) {
    const shift = replayShift(e.deps, index, given);
    if (shift) {
      session.stats.reused++;
      return shiftExploration(e.ex, shift);
    }
  }
  const deps = new Deps();
  deps.fns(given);
  const ex = exploreWarn(index, t, plan, { ...o, deps });
  list.push({ deps, ex });
  session.stats.explored++;
  return ex;
}

/** Whether the series can change what a WARN's exploration does (see WarnSession.focus). */
function focusTest(index: TreeIndex, g: CallGraph, focus: WarnFocus): (t: WarnTarget, plan: EntryPlan) => boolean {
  const names = [...focus.code];
  const word = names.length ? new RegExp(`\\b(?:${names.map((n) => n.replace(/\W/g, '')).join('|')})\\b`) : null;
  const hit = new Map<IrFunction, boolean>();
  // Calls past the reach's depth and function pointers taken show up as names in the code reached.
  const mentions = (f: IrFunction): boolean => {
    let v = hit.get(f);
    if (v === undefined) {
      v = focus.code.has(f.name) || (word !== null && f.blocks.some((b) => b.instrs.some((i) => word.test(i.text)) || ('text' in b.term && word.test(b.term.text))));
      hit.set(f, v);
    }
    return v;
  };
  return (t, plan) => {
    if (focus.text.has(`${t.fn.file}\0${t.fn.name}`)) return true;
    const roots = [t.fn, ...plan.setup, ...plan.middles.map((m) => m.fn), ...plan.finals];
    for (const m of plan.middles) {
      if (!m.worker) continue;
      if (focus.code.has(m.worker)) return true;
      const cb = g.resolve(m.worker, m.fn.file) ?? safeFunctions(index, m.worker).find((f) => f.blocks.length > 0);
      if (cb) roots.push(cb);
    }
    for (const r of roots) for (const f of g.from(r)) if (mentions(f)) return true;
    return false;
  };
}

function safeFunctions(index: TreeIndex, name: string): IrFunction[] {
  try {
    return index.functions(name);
  } catch {
    return [];
  }
}

function modelBounds(): Bounds {
  return { ...DEFAULT_BOUNDS, timeMs: SEQUENCE_MS, states: SEQUENCE_STATES };
}

const fold = (s: string) => s.replace(/\s+/g, ' ').replace(/\(\s+/g, '(').replace(/\s+\)/g, ')').trim();

/** The WARN calls of `fn` whose condition reads fields of an object, with those fields. */
export function warnTargets(fn: IrFunction): { call: CallInstr; target: WarnTarget }[] {
  const out: { call: CallInstr; target: WarnTarget }[] = [];
  for (const b of fn.blocks) {
    for (const ins of b.instrs) {
      if (ins.op !== 'call' || !ins.callee || !WARNS.has(ins.callee) || !ins.args[0]) continue;
      const reads = fieldReads(fn, ins.args[0]);
      if (!reads.length) continue;
      // The object most read in the condition is the one whose state matters.
      const count = new Map<string, number>();
      for (const r of reads) count.set(`${r.base}\0${r.struct}`, (count.get(`${r.base}\0${r.struct}`) ?? 0) + 1);
      const [key] = [...count.entries()].sort((a, c) => c[1] - a[1])[0]!;
      const [base, struct] = key.split('\0') as [string, string];
      const fields = new Set(reads.filter((r) => r.base === base).map((r) => r.field));
      // Guards of the WARN in the same function (`if (list_empty(&group->devices))`) read state too.
      for (const bb of fn.blocks) {
        for (const i of bb.instrs) {
          if (i.op !== 'call' || !i.callee || !/^list_(empty|is_singular|is_first|is_last)/.test(i.callee)) continue;
          for (const r of i.args.flatMap((a) => fieldReads(fn, a))) if (r.base === base) fields.add(r.field);
        }
      }
      out.push({
        call: ins,
        target: { fn, line: ins.pos.line, text: fold(ins.text.replace(/;\s*$/, '')), struct, base, fields: [...fields] },
      });
    }
  }
  return out;
}

interface FieldRead {
  base: string;
  struct: string;
  field: string;
}

function varType(fn: IrFunction, name: string): string | null {
  const p = fn.params.find((x) => x.name === name);
  return normType(p ? p.type : fn.locals[name] ?? null);
}

function fieldReads(fn: IrFunction, e: Expr): FieldRead[] {
  const out: FieldRead[] = [];
  const walk = (n: Expr): void => {
    switch (n.k) {
      case 'field':
        if (n.arrow && n.base.k === 'id') {
          const st = pointee(varType(fn, n.base.name));
          if (st && structName(st)) out.push({ base: n.base.name, struct: st, field: n.name });
        } else walk(n.base);
        return;
      case 'index':
        walk(n.base);
        walk(n.index);
        return;
      case 'unary':
      case 'cast':
        walk(n.arg);
        return;
      case 'binary':
        walk(n.left);
        walk(n.right);
        return;
      case 'cond':
        walk(n.test);
        walk(n.then);
        walk(n.else);
        return;
      case 'container_of':
        walk(n.ptr);
        return;
      default:
        return;
    }
  };
  walk(e);
  return out;
}

/** Forward reachability over direct calls, bounded. */
class CallGraph {
  private reach = new Map<IrFunction, Set<IrFunction>>();
  constructor(private readonly index: TreeIndex) {}

  resolve(name: string, from: string): IrFunction | null {
    try {
      const f = this.index.resolve(name, from);
      return f && f.blocks.length ? f : null;
    } catch {
      return null;
    }
  }

  /** `fn` and every function it calls, up to REACH_DEPTH deep. */
  from(fn: IrFunction): Set<IrFunction> {
    const hit = this.reach.get(fn);
    if (hit) return hit;
    const seen = new Set<IrFunction>([fn]);
    let frontier = [fn];
    for (let d = 0; d < REACH_DEPTH && frontier.length; d++) {
      const next: IrFunction[] = [];
      for (const f of frontier) {
        for (const b of f.blocks) {
          for (const i of b.instrs) {
            if (i.op !== 'call' || !i.callee || WARNS.has(i.callee)) continue;
            const c = this.resolve(i.callee, f.file);
            if (c && !seen.has(c)) {
              seen.add(c);
              next.push(c);
            }
          }
        }
      }
      frontier = next;
    }
    this.reach.set(fn, seen);
    return seen;
  }

  private tested = new Map<string, Map<IrFunction, boolean>>();

  /**
   * Whether `e` reaches a function for which `pred` (named by `key`) holds.
   * Every WARN of a file asks the same questions of the same entries, whose
   * reach sets overlap: each function is tested once per question.
   */
  reaches(e: IrFunction, key: string, pred: (f: IrFunction) => boolean): boolean {
    let memo = this.tested.get(key);
    if (!memo) this.tested.set(key, (memo = new Map()));
    for (const f of this.from(e)) {
      let v = memo.get(f);
      if (v === undefined) memo.set(f, (v = pred(f)));
      if (v) return true;
    }
    return false;
  }
}

function calls(fn: IrFunction, pred: (c: CallInstr) => boolean): boolean {
  return fn.blocks.some((b) => b.instrs.some((i) => i.op === 'call' && pred(i)));
}

/** Allocates an object of `struct` (`p = kzalloc(...)` with p of type `struct X *`). */
function allocates(fn: IrFunction, struct: string): boolean {
  return calls(fn, (c) => !!c.callee && ALLOCS.has(c.callee) && !!c.result && c.result.k === 'id' && pointee(varType(fn, c.result.name)) === struct);
}

const mentions = (e: Expr, base: RegExp) => base.test(exprText(e));

/** Whether a function writes one of the target's fields of an object of the target's struct. */
function writerOf(t: WarnTarget): (fn: IrFunction) => boolean {
  const fieldRe = new RegExp(`->(${t.fields.map((f) => f.replace(/\W/g, '')).join('|')})$`);
  const listRe = new RegExp(`^&\\s*\\w+->(${t.fields.join('|')})$`);
  return (fn) => writes(fn, t, fieldRe, listRe);
}

function writes(fn: IrFunction, t: WarnTarget, fieldRe: RegExp, listRe: RegExp): boolean {
  for (const b of fn.blocks) {
    for (const i of b.instrs) {
      if (i.op === 'assign' && i.target.k === 'field' && i.target.arrow && t.fields.includes(i.target.name)) {
        const bt = i.target.base.k === 'id' ? pointee(varType(fn, i.target.base.name)) : null;
        if (bt === null || bt === t.struct) return true;
      }
      if (i.op === 'call' && i.callee && LIST_WRITES.test(i.callee) && i.args.some((a) => mentions(a, listRe))) return true;
      if (i.op === 'call' && i.result && i.result.k === 'field' && i.result.arrow && t.fields.includes(i.result.name)) {
        if (fieldRe.test(exprText(i.result))) return true;
      }
    }
  }
  return false;
}

function assigns(fn: IrFunction, t: WarnTarget, field: string): boolean {
  return fn.blocks.some((b) => b.instrs.some((i) => i.op === 'assign' && i.target.k === 'field' && i.target.arrow && i.target.name === field && (i.target.base.k !== 'id' || pointee(varType(fn, i.target.base.name)) === t.struct)));
}

/** Setup entries, middles (writers and queuers) and finals for a WARN; null when the model has nothing to run. */
export function planFor(index: TreeIndex, g: CallGraph, entries: IrFunction[], scope: readonly IrFunction[], t: WarnTarget): EntryPlan | null {
  const finals = entries.filter((e) => g.from(e).has(t.fn));
  if (!finals.length) return null;
  const setup = entries
    .filter((e) => SETUP_NAME.test(e.name) && g.reaches(e, `allocates ${t.struct}`, (f) => allocates(f, t.struct)))
    .sort((a, b) => a.params.length - b.params.length || a.pos.line - b.pos.line);
  if (!setup.length) return null;
  const setupSet = new Set(setup);
  const lastFinals = finals.filter((f) => !setupSet.has(f));
  if (!lastFinals.length) return null;
  const writer = writerOf(t);
  const writerKey = `writes ${t.struct} ${t.fields.join(',')}`;
  const middles: MiddleEntry[] = [];
  const seen = new Set<IrFunction>();
  for (const e of entries) {
    if (setupSet.has(e) || lastFinals.includes(e)) continue;
    if (g.reaches(e, writerKey, writer)) {
      middles.push({ fn: e, worker: null });
      seen.add(e);
    }
  }
  // Work callbacks that write the fields, and the entries that queue their work.
  for (const cb of scope) {
    let binds: ReturnType<TreeIndex['bindingsOf']> = [];
    try {
      binds = index.bindingsOf(cb.name);
    } catch {
      binds = [];
    }
    const work = binds.filter((b) => (b.kind === 'work' || b.kind === 'delayed_work') && b.field);
    if (!work.length || !g.reaches(cb, writerKey, writer)) continue;
    const fieldRe = new RegExp(`(->|\\.)(${work.map((b) => b.field!.split('.')[0]!.replace(/\W/g, '')).join('|')})\\b`);
    const queues = (f: IrFunction) => calls(f, (c) => !!c.callee && QUEUES.has(c.callee) && c.args.some((a) => fieldRe.test(exprText(a))));
    for (const e of entries) {
      if (setupSet.has(e) || lastFinals.includes(e) || seen.has(e)) continue;
      if (g.reaches(e, `queues ${fieldRe.source}`, queues)) {
        middles.push({ fn: e, worker: cb.name });
        seen.add(e);
      }
    }
  }
  middles.sort((a, b) => a.fn.file.localeCompare(b.fn.file) || a.fn.pos.line - b.fn.pos.line);
  const setupFields = t.fields.filter((f) => setup.some((e) => g.reaches(e, `assigns ${t.struct} ${f}`, (x) => assigns(x, t, f))));
  return { setup, setupFields, middles, finals: lastFinals };
}

/**
 * A sequence in which nothing runs between the setup entry and the entry
 * that reaches the WARN says the object is born in the firing state. With
 * a whole driver that is almost always the model's gap, not the driver's:
 * setup runs only the code the tree shows, so fields that hardware reads,
 * firmware or ops tables fill in stay unset. Only sequences in which
 * another entry point (or a work it queued) changes the state are reported.
 */
export function changesState(seq: { entries: string[]; workers: string[] }): boolean {
  return seq.entries.length > 2 || seq.workers.length > 0;
}

function* findingsOf(index: TreeIndex, fn: IrFunction, call: CallInstr, t: WarnTarget, plan: EntryPlan, ex: WarnExploration): Iterable<RawFinding> {
  for (const seq of ex.firing.filter(changesState)) {
    const message = `${t.text} fires ${seq.explanation}`;
    const related: Related[] = [];
    for (const name of seq.entries) {
      const f = [...plan.setup, ...plan.middles.map((m) => m.fn), ...plan.finals].find((x) => x.name === name);
      if (!f) continue;
      const role = name === seq.entries[0] ? 'sets the object up' : name === seq.entries[seq.entries.length - 1] ? 'reaches the WARN' : 'changes the state the WARN reads';
      related.push({ file: f.file, line: f.pos.line, function: f.name, message: `entry point ${name}() ${role}` });
    }
    for (const w of seq.workers) {
      const m = plan.middles.find((x) => x.worker === w);
      const cb = index.functions(w)[0];
      if (cb) related.push({ file: cb.file, line: cb.pos.line, function: w, message: `work callback${m ? ` queued by ${m.fn.name}()` : ''}` });
    }
    rememberWarnConfirmation(index, fn.file, call.pos.line, message, fn.name, seq.confirmation);
    yield {
      file: fn.file,
      line: call.pos.line,
      column: call.pos.column,
      // No function in the id: a WARN moved into a new helper is the same check.
      function: null,
      lock: null,
      message,
      related,
      statement: `${t.text} via ${[...new Set(seq.entries)].sort().join(',')}`,
    };
  }
}

export { CallGraph };
