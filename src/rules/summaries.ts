/**
 * Bottom-up function summaries over the call graph: the locks a function
 * may take (transitively, with the call chain as evidence), the locks it
 * requires its caller to hold (asserts, `__must_hold`, configured wrappers),
 * its net acquire/release, and the waits it performs. Memoised per function;
 * recursion yields a partial summary instead of looping; calls through
 * function pointers are skipped and noted; depth is bounded.
 */
import type { CallInstr, Expr, IrFunction } from '../parse/ir.js';
import type { Binding, TreeIndex } from '../parse/index/types.js';
import type { Config, WaitKind } from './config.js';
import { accessKey } from '../parse/index/types-of.js';
import {
  analyseFunction,
  assertedLocks,
  E,
  H,
  R,
  resultCalls,
  siteOf,
  type CallEffect,
  type Flow,
  type Site,
  type State,
} from './dataflow.js';
import {
  canonical,
  exprText,
  lockClass,
  lockOfObject,
  rootName,
  lockRef,
  makeScope,
  callerMapper,
  normalize,
  parsePath,
  substitute,
  type FnScope,
  type LockRef,
} from './lockpath.js';
import { ownerCheckedLocks, ReentrantLocks } from './reentrant.js';
import { calleeConsts, constOf, constsKey, passedParams, testedParams, writtenNames, type Consts } from './consts.js';
import type { SummaryShare } from './summary-share.js';
import { acquirePrim, guardPrim, isInstrumentation, isPrimitive, QUEUE_ON_WQ, waitPrim, type LockMode } from './primitives.js';

export type Step = Site;

export interface TakeFact {
  lock: LockRef;
  mode: LockMode;
  /** False for trylocks, which do not wait. */
  blocking: boolean;
  /** True when the lock is untouched by the function before this point (so a caller holding it deadlocks). */
  fromEntry: boolean;
  nested: boolean;
  /** Taken on every path through the function (and through each callee on the chain). */
  always: boolean;
  /** From the function's call site down to the acquisition (the last step). */
  chain: Step[];
}

export interface RequireFact {
  lock: LockRef;
  /** From the function's call site down to the assert (the last step). */
  chain: Step[];
  via: 'assert' | 'annotation' | 'wrapper';
  /**
   * The assert is on every path through each function of the chain. False
   * for `if (rcu_rdp_is_offloaded(rdp)) lockdep_assert_held(&rdp->nocb_lock)`:
   * required only under a condition the callers cannot be checked against.
   */
  always?: boolean;
}

export interface WaitTarget {
  callback: string;
  binding: Binding;
}

export interface WaitFact {
  prim: string;
  waitsFor: WaitKind;
  /** The waited-for object in the function's terms (`&gdev->work`). */
  arg: Expr;
  targets: WaitTarget[];
  /** From the function's call site down to the waiting call (the last step). */
  chain: Step[];
  /**
   * Locks held on entry that the function (or a callee on the way) has
   * dropped by the time it waits, in the function's terms: a caller holding
   * one of them does not hold it at the wait.
   */
  dropped?: LockRef[];
}

/**
 * A function that stores one parameter in a field of another (`fd->tree =
 * tree` in hfs_find_init()) and locks through the first (`tree->tree_lock`)
 * hands its caller the lock under the handle's name, `fd->tree->tree_lock`:
 * that is how the matching exit (`hfs_find_exit(&fd)`) names it, and the
 * caller, which passed `HFSPLUS_SB(sb)->attr_tree` and `&fd`, sees one lock
 * and not two. Only a field stored once, on every path, from a parameter
 * never assigned.
 * Null when the function stores no such field.
 */
function handleNames(fn: IrFunction, scope: FnScope, onEveryPath: ReadonlySet<number>): ((l: LockRef) => LockRef) | null {
  const params = new Set(fn.params.map((p) => p.name));
  const stores = new Map<string, Expr>();
  const counts = new Map<string, number>();
  for (const b of fn.blocks) {
    for (const i of b.instrs) {
      if (i.op !== 'assign' || i.target.k !== 'field') continue;
      const t = exprText(i.target);
      counts.set(t, (counts.get(t) ?? 0) + 1);
      // On every path: a store made only under a condition (`if (ret == -EDEADLK) ww->contended = obj;`
      // in i915's object lock) records something about the lock, it does not name it.
      if (!onEveryPath.has(b.id)) continue;
      const base = i.target.base;
      if (!i.target.arrow || base.k !== 'id' || !params.has(base.name) || i.value.k !== 'id' || !params.has(i.value.name) || i.value.name === base.name) continue;
      stores.set(i.value.name, i.target);
    }
  }
  if (!stores.size) return null;
  const written = writtenNames(fn);
  const to = new Map<string, Expr>();
  for (const [q, target] of stores) if (counts.get(exprText(target)) === 1 && !written.has(q)) to.set(q, target);
  if (!to.size) return null;
  return (l) => {
    if (l.root !== 'param') return l;
    const r = rootName(l.expr);
    const target = r ? to.get(r) : undefined;
    if (!r || !target) return l;
    return lockOfObject(normalize(substitute(l.expr, new Map([[r, target]]))), scope, l.kind);
  };
}

/** A returned value that is 0 or NULL on every path to the return: a literal, or a variable the dataflow knows is. */
function isZero(v: Expr | null | undefined, st: State): boolean {
  if (!v) return false;
  if (v.k === 'cast') return isZero(v.arg, st);
  return zeroish(v) || (v.k === 'id' && st.nulls.has(v.name));
}

/** Locks released and not retaken at a point: held on entry (or assumed so) and dropped. */
export function droppedAt(st: State): LockRef[] {
  const out: LockRef[] = [];
  for (const f of st.locks.values()) if ((f.states & R) !== 0 && (f.states & H) === 0) out.push(f.lock);
  return out;
}

export interface Summary {
  fn: IrFunction;
  scope: FnScope;
  flow: Flow;
  takes: TakeFact[];
  requires: RequireFact[];
  /** Held at every return and not on entry; `returned`: what the function returns points at it. */
  acquires: { lock: LockRef; mode: LockMode; site: Site; returned?: boolean }[];
  /** Held at some returns only, not on entry (conditional acquire). */
  /**
   * `oneSided`: the `when` value says the lock is held, the other says
   * nothing (rdtgroup_kn_lock_live() returns NULL both before locking and
   * after, when the group was deleted meanwhile).
   */
  maybeAcquires: { lock: LockRef; mode: LockMode; site: Site; when?: 'nonzero' | 'zero'; oneSided?: boolean; returned?: boolean }[];
  /** Released at every return, having been held on entry. */
  releases: LockRef[];
  /**
   * Released at some returns, untouched at the others, having been held on
   * entry: the unlock half of a helper that picks its lock by a condition
   * (dm-bufio's `dm_bufio_unlock()`: the spinlock or the mutex).
   */
  maybeReleases: LockRef[];
  /**
   * Every return the function can reach (under the constants it was
   * specialised to) returns 0 or NULL: `drm_modeset_lock(lock, NULL)` takes
   * the lock and returns 0, so the caller's `if (ret) return ret;` is never
   * taken.
   */
  returnsZero: boolean;
  waits: WaitFact[];
  notes: string[];
}

const MAX_DEPTH = 12;

/** Takes that differ only in their call chain are one take: the first chain found is the evidence. */
function takeKey(lock: LockRef, mode: LockMode, fromEntry: boolean, blocking: boolean, always: boolean): string {
  return `${lock.key}|${lock.cls}|${mode}|${fromEntry}|${blocking}|${always}`;
}

/** An argument that is a constant, or an expression that may be one (`A | B`, to evaluate only if it matters). */
function mayBeConst(a: Expr | undefined, outer?: Consts): boolean {
  return !!a && (a.k === 'binary' || a.k === 'unary' || constOf(a, outer) !== null);
}

export interface SummaryOptions {
  /**
   * Functions whose per-statement lock states are kept with their summary
   * (those the rules look at). Others keep only the summary: on a large
   * tree, the states of every function in the transitive callee set are
   * most of the memory. flowOf() recomputes a dropped flow on demand.
   */
  keepFlow?(fn: IrFunction): boolean;
  /** Summaries shared with the other views of a series (summary-share.ts). */
  share?: SummaryShare<Summary>;
}
const MAX_FACTS = 200;

/**
 * How many calls deep a lock rooted in a callee's local may still be
 * followed up. `lock_timer_base()` returns with its local `base->lock`
 * held and its caller drops it under its own name, through a wrapper at
 * most; further up nobody can name it. Followed all the way, every
 * imbalanced helper's local lock travelled up the whole call tree, once
 * per call chain: 21,000 "locks" in one btrfs function and a JS heap out
 * of memory on fs/btrfs/ctree.c alone.
 */
const MAX_LOCAL_CHAIN = 2;

/** A callee's lock its caller could still name or release (not a local of a callee's callee's callee). */
function nameable(l: LockRef): boolean {
  if (l.root !== 'unknown') return true;
  let calls = 0;
  for (let i = l.key.indexOf('():'); i >= 0; i = l.key.indexOf('():', i + 3)) if (++calls > MAX_LOCAL_CHAIN) return false;
  return true;
}

export class Summaries {
  private memo = new Map<IrFunction, Summary>();
  /** Summaries specialised to constant arguments, by function and constants. */
  private special = new Map<IrFunction, Map<string, Summary>>();
  private inProgress = new Set<IrFunction>();
  private resolved = new Map<string, IrFunction | null>();
  private wqTargets = new Map<string, { cls: string; targets: WaitTarget[] }[]>();
  private depth = 0;
  private readonly reentrant: ReentrantLocks;

  constructor(
    readonly index: TreeIndex,
    readonly config: Config,
    private readonly opts: SummaryOptions = {},
  ) {
    this.reentrant = new ReentrantLocks(index, (fn) => makeScope(fn, index, config));
  }

  resolve(name: string, fromFile: string): IrFunction | null {
    const k = `${fromFile}\0${name}`;
    if (this.resolved.has(k)) return this.resolved.get(k)!;
    let f: IrFunction | null = null;
    try {
      f = this.index.resolve(name, fromFile);
    } catch {
      f = null;
    }
    this.resolved.set(k, f);
    return f;
  }

  /** The callee of a call, or null for primitives, unknown functions and function pointers. */
  callee(call: CallInstr, from: IrFunction): IrFunction | null {
    if (!call.callee || isPrimitive(call.callee) || this.config.assertWrappers[call.callee] || isInstrumentation(call.callee)) return null;
    return this.resolve(call.callee, from.file);
  }

  /**
   * The summary of `fn`, specialised to `consts` (parameters bound to
   * constant arguments) when given; partial (and not memoised) when met
   * again during its own computation.
   */
  get(fn: IrFunction, consts?: Consts): Summary | null {
    const ck = constsKey(consts);
    let s = ck ? this.special.get(fn)?.get(ck) : this.memo.get(fn);
    if (!s) {
      const share = this.opts.share;
      const shared = share && !this.opts.keepFlow?.(fn) ? share.take(fn, ck) : undefined;
      if (shared) s = this.remember(fn, ck, shared);
      else {
        if (this.inProgress.has(fn) || this.depth >= MAX_DEPTH) return null;
        this.inProgress.add(fn);
        this.depth++;
        const frame = { dependsOnTouched: share ? share.ownDependsOnTouched(fn) : false };
        this.frames.push(frame);
        try {
          s = this.compute(fn, ck ? consts : undefined);
          if (ck || (this.opts.keepFlow && !this.opts.keepFlow(fn))) s.flow = thin(s.flow);
          this.remember(fn, ck, s);
        } finally {
          this.frames.pop();
          this.depth--;
          this.inProgress.delete(fn);
        }
        if (frame.dependsOnTouched) this.touchedDeps.add(s);
        else if (share && !this.opts.keepFlow?.(fn)) share.put(fn, ck, s);
      }
    }
    if (this.touchedDeps.has(s)) this.taint();
    return s;
  }

  private remember(fn: IrFunction, ck: string, s: Summary): Summary {
    if (ck) {
      let per = this.special.get(fn);
      if (!per) this.special.set(fn, (per = new Map()));
      per.set(ck, s);
    } else this.memo.set(fn, s);
    return s;
  }

  /** One per summary being computed: whether it has met anything from a touched file (shared summaries only). */
  private readonly frames: { dependsOnTouched: boolean }[] = [];
  /** Summaries built from something in a touched file: never shared, and neither is any summary using one. */
  private readonly touchedDeps = new WeakSet<Summary>();

  private taint(): void {
    const top = this.frames[this.frames.length - 1];
    if (top) top.dependsOnTouched = true;
  }

  /** Wait targets found from a summary under computation: bindings in a touched file make it view-specific. */
  private noteTargets(targets: readonly WaitTarget[]): void {
    const share = this.opts.share;
    if (share && this.frames.length && share.targetsDependOnTouched(targets.map((t) => t.binding))) this.taint();
  }

  /**
   * The summary of the function a call reaches, specialised to the call's
   * constant arguments where the callee's branches test them (`locked` =
   * `true`, `flags` = `CMD_ASYNC`); null for primitives and unknown callees.
   */
  forCall(call: CallInstr, from: IrFunction, outer?: Consts): { callee: IrFunction; summary: Summary } | null {
    const callee = this.callee(call, from);
    if (!callee) return null;
    const s = this.get(callee, this.constsFor(callee, call.args, from.file, outer));
    return s ? { callee, summary: s } : null;
  }

  private constsFor(callee: IrFunction, args: readonly Expr[], fromFile: string, outer?: Consts): Consts | undefined {
    const ix = this.index;
    const valueOf = ix.constant ? (name: string) => ix.constant!(name, fromFile) : undefined;
    // Most calls pass no constant: nothing to look up then. Names are looked up only for parameters that decide something.
    const given = callee.params.filter((p, i) => mayBeConst(args[i], outer)).map((p) => p.name);
    if (!given.length) return undefined;
    const wanted = new Set(given.filter((p) => this.decides(callee, p)));
    return wanted.size ? calleeConsts(callee, args, outer, wanted, valueOf) : undefined;
  }

  private decided = new Map<IrFunction, Map<string, boolean>>();

  /**
   * Whether a constant value of `param` can decide something: a branch of
   * the function tests it, or it is passed on as it is, up to four calls
   * down, to a callee whose parameter there does (`mark(n, locked)` ->
   * `reclaim(n, locked)` -> `if (locked)`). A search of its own per question
   * (not answers met half-way through another), so that the answer is the
   * same whatever was asked before.
   */
  private decides(fn: IrFunction, param: string): boolean {
    let per = this.decided.get(fn);
    if (!per) this.decided.set(fn, (per = new Map()));
    const hit = per.get(param);
    if (hit !== undefined) return hit;
    let out = false;
    const seen = new Set<string>();
    let level: [IrFunction, string][] = [[fn, param]];
    for (let depth = 0; depth <= 4 && level.length && !out; depth++) {
      const next: [IrFunction, string][] = [];
      for (const [f, p] of level) {
        if (testedParams(f).has(p)) {
          out = true;
          break;
        }
        if (depth === 4) continue;
        for (const { call, at } of passedParams(f)) {
          for (const [k, q] of at) {
            if (q !== p) continue;
            const c = this.callee(call, f);
            const cp = c?.params[k]?.name;
            if (!c || !cp) continue;
            const key = `${c.file}\0${c.name}\0${c.pos.line}\0${cp}`;
            if (!seen.has(key)) (seen.add(key), next.push([c, cp]));
          }
        }
      }
      level = next;
    }
    per.set(param, out);
    return out;
  }

  /** The dataflow of a function with callee effects applied. */
  flowOf(fn: IrFunction): Flow {
    const f = this.get(fn)?.flow;
    return f && !THIN.has(f) ? f : analyseFunction(makeScope(fn, this.index, this.config), this.hooks(fn));
  }

  private hooks(fn: IrFunction, consts?: Consts) {
    // The dataflow meets a call again at each pass over its block: its effect depends on the call only.
    const effects = new Map<CallInstr, CallEffect | null>();
    return {
      callEffect: (call: CallInstr, scope: FnScope): CallEffect | null => {
        if (effects.has(call)) return effects.get(call)!;
        const hit = this.forCall(call, fn, consts);
        let eff: CallEffect | null = null;
        if (hit) {
          const { callee, summary: s } = hit;
          const map = callerMapper(callee, call.args, scope);
          eff = {
            acquires: s.acquires.map((a) => ({ lock: map(a.lock), mode: a.mode, site: a.site, returned: a.returned })).filter((a) => nameable(a.lock)),
            releases: s.releases.map(map).filter(nameable),
            maybeReleases: s.maybeReleases.map(map).filter(nameable),
            maybeAcquires: s.maybeAcquires
              .map((a) => ({ lock: map(a.lock), mode: a.mode, site: a.site, when: a.when, returned: a.returned, ...(a.oneSided ? { oneSided: true } : {}) }))
              .filter((a) => nameable(a.lock)),
            ...(s.returnsZero ? { returnsZero: true } : {}),
          };
        }
        effects.set(call, eff);
        return eff;
      },
    };
  }

  /** Lets an index that searches the tree look up all of a batch of names in one search. */
  prefetchCallees(fns: readonly IrFunction[]): void {
    const ix = this.index as TreeIndex & { prefetch?(names: string[]): void };
    if (typeof ix.prefetch !== 'function') return;
    const names = new Set<string>();
    for (const f of fns) {
      for (const b of f.blocks) {
        for (const i of b.instrs) {
          if (i.op === 'call' && i.callee && !isPrimitive(i.callee) && !this.resolved.has(`${f.file}\0${i.callee}`)) names.add(i.callee);
        }
      }
    }
    // Macros in capitals are never definitions worth a search; big batches make one slow grep.
    const list = [...names].filter((n) => !/^[A-Z0-9_]+$/.test(n));
    for (let i = 0; i < list.length; i += 150) {
      try {
        ix.prefetch(list.slice(i, i + 150));
      } catch {
        /* prefetching is only an optimisation */
      }
    }
  }

  private compute(fn: IrFunction, consts?: Consts): Summary {
    const scope = makeScope(fn, this.index, this.config);
    const notes: string[] = [];
    const flow = analyseFunction(scope, this.hooks(fn, consts), consts);
    const calls = resultCalls(fn.blocks);
    const takes: TakeFact[] = [];
    const requires: RequireFact[] = [];
    const waits: WaitFact[] = [];
    const seenTake = new Set<string>();
    const addTake = (t: TakeFact): void => {
      const k = takeKey(t.lock, t.mode, t.fromEntry, t.blocking, t.always);
      if (seenTake.has(k) || takes.length >= MAX_FACTS) return;
      seenTake.add(k);
      takes.push(t);
    };
    // One requirement per lock (and per direct assert or not): the rules read the first of a lock
    // only, and every call path to the same assert repeated it, up to MAX_FACTS, in every caller.
    const seenAt = new Map<string, number>();
    const addRequire = (r: RequireFact): void => {
      const k = `${r.lock.key}|${r.chain.length === 1}`;
      const at = seenAt.get(k);
      // An unconditional path to the assert wins over a conditional one found first.
      if (at !== undefined) {
        if (r.always && !requires[at]!.always) requires[at] = r;
        return;
      }
      if (requires.length >= MAX_FACTS) return;
      seenAt.set(k, requires.length);
      requires.push(r);
    };
    const stateOf = (s: State, l: LockRef): number => s.locks.get(l.key)?.states ?? E;
    // A re-entrant lock's own wrapper: its trylock-then-lock is no deadlock for a caller that holds it.
    const ownWrapper = ownerCheckedLocks(fn, () => scope);

    const onEveryPath = unavoidableBlocks(fn);
    for (const b of fn.blocks) {
      const always = onEveryPath.has(b.id);
      for (const ins of b.instrs) {
        const st = flow.before.get(ins);
        if (!st) continue;
        const here = siteOf(scope, ins.pos, ins.text);
        if (ins.op === 'guard') {
          // guard(rcu)(), guard(srcu)(&s), guard(preempt)()... are not locks for these rules.
          const g = guardPrim(ins.class);
          const lock = g && ins.args[0] ? lockRef(ins.args[0], scope, g.kind) : null;
          if (g && lock) addTake({ lock, mode: g.mode, blocking: !ins.class.endsWith('_try'), fromEntry: (stateOf(st, lock) & E) !== 0, nested: ins.class.endsWith('_nested'), always, chain: [here] });
          continue;
        }
        if (ins.op !== 'call') continue;
        if (!ins.callee) {
          if (ins.calleeExpr) notes.push(`call through a function pointer skipped: ${ins.text}`);
          continue;
        }
        const acq = acquirePrim(ins.callee);
        if (acq && ins.args[0]) {
          const lock = lockRef(ins.args[0], scope, acq.kind);
          if (ownWrapper.has(lock.key)) continue;
          addTake({ lock, mode: acq.mode, blocking: acq.cond !== 'nonzero', fromEntry: (stateOf(st, lock) & E) !== 0, nested: acq.nested, always, chain: [here] });
          continue;
        }
        const asserted = assertedLocks(ins, scope, calls);
        if (asserted.length) {
          for (const a of asserted) {
            if (a.mode !== 'held') continue;
            const lock = lockRef(a.expr, scope, null);
            // Only a lock the function leaves entirely to its caller is the caller's to hold: one it
            // takes or drops itself on some path is its own business (and a caller holding it would deadlock).
            if (stateOf(st, lock) === E && (lock.root === 'param' || lock.root === 'global')) {
              addRequire({ lock, chain: [here], via: this.config.assertWrappers[ins.callee] ? 'wrapper' : 'assert', always });
            }
          }
          continue;
        }
        const wp = waitPrim(ins.callee, this.config);
        if (wp) {
          const arg = ins.args[wp.arg];
          const dropped = droppedAt(st);
          if (arg) waits.push({ prim: ins.callee, waitsFor: wp.waitsFor, arg: canonical(arg, scope.aliases), targets: this.waitTargets(wp.waitsFor, arg, scope), chain: [here], ...(dropped.length ? { dropped } : {}) });
          continue;
        }
        const callee = this.callee(ins, fn);
        if (!callee) continue;
        const cs = this.get(callee, this.constsFor(callee, ins.args, fn.file, consts));
        if (!cs) {
          notes.push(`summary of ${callee.name}() cut short (recursion or depth)`);
          continue;
        }
        for (const n of cs.notes) if (notes.length < 20) notes.push(n);
        const toCaller = callerMapper(callee, ins.args, scope);
        for (const t of cs.takes) {
          if (takes.length >= MAX_FACTS) break;
          const lock = toCaller(t.lock);
          const fromEntry = t.fromEntry && (stateOf(st, lock) & E) !== 0;
          const k = takeKey(lock, t.mode, fromEntry, t.blocking, t.always && always);
          if (seenTake.has(k)) continue;
          seenTake.add(k);
          takes.push({ ...t, lock, fromEntry, always: t.always && always, chain: [here, ...t.chain] });
        }
        for (const r of cs.requires) {
          if (requires.length >= MAX_FACTS) break;
          const lock = toCaller(r.lock);
          const s = stateOf(st, lock);
          if (s === E && (lock.root === 'param' || lock.root === 'global')) addRequire({ lock, chain: [here, ...r.chain], via: r.via, always: r.always !== false && always });
        }
        for (const w of cs.waits) {
          if (waits.length >= MAX_FACTS) break;
          const map = new Map<string, Expr>();
          callee.params.forEach((p, i) => ins.args[i] && map.set(p.name, ins.args[i]!));
          const dropped = [...(w.dropped ?? []).map(toCaller), ...droppedAt(st)];
          waits.push({ ...w, arg: canonical(normalize(substitute(w.arg, map)), scope.aliases), chain: [here, ...w.chain], ...(dropped.length ? { dropped } : {}) });
        }
      }
    }
    for (const text of fn.annotations.mustHold) {
      const e = parsePath(text);
      if (e) addRequire({ lock: lockOfObject(e, scope, null), chain: [siteOf(scope, fn.pos, `__must_hold(${text})`)], via: 'annotation', always: true });
    }

    // Net effect: what every return agrees on.
    // What the summary says is taken or dropped, named through the handle the function filled in (`fd->tree = tree`).
    const home = handleNames(fn, scope, onEveryPath);
    const acquires: Summary['acquires'] = [];
    const maybeAcquires: Summary['maybeAcquires'] = [];
    const releases: LockRef[] = [];
    const maybeReleases: LockRef[] = [];
    if (flow.returns.length) {
      const keys = new Set(flow.returns.flatMap((r) => [...r.state.locks.keys()]));
      const reentrant = keys.size ? this.reentrant.inFile(fn.file) : new Set<string>();
      for (const k of keys) {
        let facts = flow.returns.map((r) => r.state.locks.get(k));
        if (reentrant.has(k)) {
          // A path that leaves the lock as it found it is the re-entrant one: the task holds it already.
          const held = flow.entryHeld.has(k);
          const unchanged = (f: (typeof facts)[number]): boolean => !f || f.states === E || (held && f.states === H);
          const some = facts.find((f) => f && !unchanged(f) && (f.states === H || f.states === R));
          if (some && facts.every((f) => unchanged(f) || f!.states === some.states)) facts = facts.map(() => ({ ...some, assumed: false }));
        }
        if (facts.every((f) => f && f.states === H && !f.assumed) && !flow.entryHeld.has(k)) {
          const f = facts.find((x) => x?.site) ?? facts[0]!;
          if (f!.site) acquires.push({ lock: f!.lock, mode: f!.mode, site: f!.site, ...(returnsLock(flow.returns, k, scope) ? { returned: true } : {}) });
        } else if (flow.entryHeld.has(k) && facts.every((f) => f && f.states === R)) {
          releases.push(facts[0]!.lock);
        } else if (flow.entryHeld.has(k) && facts.some((f) => f && f.states & R) && facts.every((f) => !f || (f.states & ~(R | E)) === 0)) {
          maybeReleases.push(facts.find((f) => f)!.lock);
        } else if (!flow.entryHeld.has(k)) {
          const f = facts.find((x) => x && x.states & H && !x.assumed && x.site);
          const two = heldWhen(flow.returns, k) ?? decidedWhen(flow.returns, k);
          const one = two ? undefined : heldWhenNonzero(flow.returns, k);
          const when = two ?? one;
          if (f) maybeAcquires.push({ lock: f.lock, mode: f.mode, site: f.site!, ...(when ? { when } : {}), ...(one ? { oneSided: true } : {}), ...(returnsLock(flow.returns, k, scope) ? { returned: true } : {}) });
        }
      }
      // `return mutex_lock_interruptible(&x->lock);`: the result says whether the lock is held, for the caller to test.
      for (const r of flow.returns) {
        const v = r.term.value;
        const p = v?.k === 'id' ? r.state.pending.get(v.name) : undefined;
        if (!p || p.maybe || keys.has(p.lock.key) || flow.entryHeld.has(p.lock.key)) continue;
        if (maybeAcquires.some((m) => m.lock.key === p.lock.key)) continue;
        // Every return either passes the result on or returns a value that means "not taken".
        const others = flow.returns.filter((o) => o !== r);
        const notTaken = (o: (typeof flow.returns)[number]) => (o.term.value?.k === 'id' && o.state.pending.get(o.term.value.name)?.lock.key === p.lock.key) || (p.when === 'zero' ? nonzeroConst(o.term.value) : zeroish(o.term.value));
        if (others.every(notTaken)) maybeAcquires.push({ lock: p.lock, mode: p.mode, site: p.site, when: p.when });
      }
    }
    const returnsZero = flow.returns.length > 0 && flow.returns.every((r) => isZero(r.term.value, r.state));
    if (home) {
      for (const a of acquires) a.lock = home(a.lock);
      for (const a of maybeAcquires) a.lock = home(a.lock);
      releases.forEach((l, i) => (releases[i] = home(l)));
      maybeReleases.forEach((l, i) => (maybeReleases[i] = home(l)));
    }
    return { fn, scope, flow, takes, requires, acquires, maybeAcquires, releases, maybeReleases, returnsZero, waits, notes };
  }

  /** The callbacks a wait waits for, through the index's bindings and the field's owner type. */
  waitTargets(kind: WaitKind, arg: Expr, scope: FnScope): WaitTarget[] {
    const out = this.findWaitTargets(kind, arg, scope);
    this.noteTargets(out);
    return out;
  }

  private findWaitTargets(kind: WaitKind, arg: Expr, scope: FnScope): WaitTarget[] {
    if (kind === 'workqueue') return this.workqueueTargets(arg, scope);
    const obj = normalize(canonical(arg, scope.aliases));
    const inner = obj.k === 'unary' && obj.op === '&' ? obj.arg : obj;
    const out: WaitTarget[] = [];
    const push = (bs: Binding[]): void => {
      for (const b of bs) {
        if (kind === 'work' && !(b.kind === 'work' || b.kind === 'delayed_work')) continue;
        if (kind === 'timer' && !(b.kind === 'timer' || b.kind === 'hrtimer')) continue;
        if (kind === 'kthread' && b.kind !== 'kthread') continue;
        if (!out.some((o) => o.callback === b.callback)) out.push({ callback: b.callback, binding: b });
      }
    };
    try {
      for (const e of [inner, arg]) {
        const key = accessKey(scope.fn, e, this.index);
        if (key?.resolved) push(this.index.bindingsFor(key.struct, key.field));
        if (out.length) break;
      }
      if (!out.length && inner.k === 'field') {
        // `&x->dwork.work` may be bound as `dwork`: try the outer field.
        let outer: Expr = inner.base;
        while (outer.k === 'field' && !outer.arrow) outer = outer.base;
        if (outer !== inner.base && outer.k === 'field') {
          const key = accessKey(scope.fn, inner.base, this.index);
          if (key?.resolved) push(this.index.bindingsFor(key.struct, key.field));
        }
      }
    } catch {
      /* an index that cannot answer: no target */
    }
    return out;
  }

  /** flush_workqueue(wq) and friends: the works queued on a workqueue of the same class, in the same file. */
  private workqueueTargets(arg: Expr, scope: FnScope): WaitTarget[] {
    const cls = lockClass(canonical(arg, scope.aliases), scope) ?? exprText(normalize(arg));
    let table = this.wqTargets.get(scope.fn.file);
    if (!table) {
      table = [];
      let fns: IrFunction[] = [];
      try {
        fns = this.index.functionsIn(scope.fn.file);
      } catch {
        fns = [];
      }
      for (const f of fns) {
        const fs = makeScope(f, this.index, this.config);
        for (const b of f.blocks) {
          for (const i of b.instrs) {
            if (i.op !== 'call' || !i.callee) continue;
            const q = QUEUE_ON_WQ.get(i.callee);
            if (!q || !i.args[q.wq] || !i.args[q.work]) continue;
            const wcls = lockClass(canonical(i.args[q.wq]!, fs.aliases), fs) ?? exprText(normalize(i.args[q.wq]!));
            table.push({ cls: wcls, targets: this.waitTargets('work', i.args[q.work]!, fs) });
          }
        }
      }
      this.wqTargets.set(scope.fn.file, table);
    }
    const out: WaitTarget[] = [];
    for (const row of table) if (row.cls === cls) for (const t of row.targets) if (!out.some((o) => o.callback === t.callback)) out.push(t);
    return out;
  }
}

/** Blocks every path from entry to a return goes through (dominators of the exit). */
export function unavoidableBlocks(fn: IrFunction): Set<number> {
  const byId = new Map(fn.blocks.map((b) => [b.id, b]));
  const succ = (id: number): number[] => {
    const t = byId.get(id)?.term;
    if (!t) return [];
    if (t.op === 'jump') return [t.to];
    if (t.op === 'branch') return [t.then, t.else];
    if (t.op === 'switch') return t.cases.map((c) => c.to);
    if (t.op === 'foreach') return [t.body, t.exit];
    return [];
  };
  const returnsAvoiding = (skip: number): boolean => {
    if (skip === fn.entry) return false;
    const seen = new Set<number>([fn.entry]);
    const stack = [fn.entry];
    while (stack.length) {
      const id = stack.pop()!;
      if (byId.get(id)?.term.op === 'return') return true;
      for (const n of succ(id)) if (n !== skip && !seen.has(n)) (seen.add(n), stack.push(n));
    }
    return false;
  };
  const out = new Set<number>();
  if (fn.blocks.length > 400) return out;
  for (const b of fn.blocks) if (!returnsAvoiding(b.id)) out.add(b.id);
  return out;
}

/** `return 0`, `return NULL`, `return false`. */
function zeroish(e: Expr | null): boolean {
  return !!e && (e.k === 'null' || (e.k === 'num' && e.value === 0) || (e.k === 'bool' && !e.value) || (e.k === 'id' && e.name === 'NULL'));
}

/** `return -EINVAL`, `return -1`, `return 1`, `return true`, `return ERR_PTR(...)`-free constants only. */
function nonzeroConst(e: Expr | null): boolean {
  if (!e) return false;
  if (e.k === 'num') return e.value !== 0;
  if (e.k === 'bool') return e.value;
  return e.k === 'unary' && e.op === '-' && (e.arg.k === 'num' || (e.arg.k === 'id' && /^E[A-Z0-9]+$/.test(e.arg.name)));
}

/**
 * For a lock a function holds at some returns only: which return values
 * say it is held. `if (!b) return NULL; lock(&b->lock); return b;` is held
 * when the result is non-zero; `if (bad) return -EINVAL; lock(); return 0;`
 * when it is zero. Undefined when the returns do not tell.
 */
/**
 * When every return passes on the variable whose test decided lock `key`
 * (`ret = down_write_killable(&mm->mmap_lock); if (!ret) ...; return ret;`),
 * or a constant that says "not taken" where the lock is not held: what the
 * variable says.
 */
function decidedWhen(returns: Flow['returns'], key: string): 'nonzero' | 'zero' | undefined {
  let when: 'nonzero' | 'zero' | undefined;
  for (const r of returns) {
    const v = r.term.value;
    const p = v?.k === 'id' ? r.state.pending.get(v.name) : undefined;
    if (p?.decided && p.lock.key === key) {
      if (when && when !== p.when) return undefined;
      when = p.when;
    }
  }
  if (!when) return undefined;
  const ok = returns.every((r) => {
    const v = r.term.value;
    const p = v?.k === 'id' ? r.state.pending.get(v.name) : undefined;
    if (p?.decided && p.lock.key === key) return true;
    const held = (r.state.locks.get(key)?.states ?? E) & H;
    return !held && (when === 'zero' ? nonzeroConst(v) : zeroish(v));
  });
  return ok ? when : undefined;
}

/**
 * Whether every return that holds lock `key` returns a pointer to it
 * (`return ptl;` after `ptl = pmd_lock(mm, pmd)`, or `return &x->lock;`).
 */
function returnsLock(returns: Flow['returns'], key: string, scope: FnScope): boolean {
  const held = returns.filter((r) => (r.state.locks.get(key)?.states ?? E) === H);
  return (
    held.length > 0 &&
    held.every((r) => {
      const v = r.term.value;
      if (!v) return false;
      const via = r.state.locks.get(key)?.via;
      if (via !== undefined && ((v.k === 'id' && via === v.name) || exprText(v) === via)) return true;
      try {
        return lockRef(v, scope, null).key === key;
      } catch {
        return false;
      }
    })
  );
}

function heldWhen(returns: Flow['returns'], key: string): 'nonzero' | 'zero' | undefined {
  const held = returns.filter((r) => (r.state.locks.get(key)?.states ?? E) === H).map((r) => r.term.value);
  const free = returns.filter((r) => !((r.state.locks.get(key)?.states ?? E) & H)).map((r) => r.term.value);
  if (!held.length || !free.length || held.length + free.length !== returns.length) return undefined;
  if (free.every(zeroish) && held.every((v) => v !== null && !zeroish(v))) return 'nonzero';
  if (held.every(zeroish) && free.every(nonzeroConst)) return 'zero';
  return undefined;
}

/**
 * 'nonzero' when every return of a value other than 0/NULL holds the lock
 * and some return of 0/NULL does not: a non-NULL result means held, NULL
 * says nothing (rdtgroup_kn_lock_live(): NULL before locking, and NULL
 * after it when the group was deleted meanwhile).
 */
function heldWhenNonzero(returns: Flow['returns'], key: string): 'nonzero' | undefined {
  const state = (r: Flow['returns'][number]) => r.state.locks.get(key)?.states ?? E;
  if (returns.some((r) => state(r) !== H && state(r) !== E && state(r) !== R)) return undefined;
  const nonzero = returns.filter((r) => r.term.value !== null && r.term.value !== undefined && !zeroish(r.term.value));
  const zero = returns.filter((r) => zeroish(r.term.value ?? null));
  if (!nonzero.length || nonzero.length + zero.length !== returns.length) return undefined;
  return nonzero.every((r) => state(r) === H) && zero.some((r) => state(r) !== H) ? 'nonzero' : undefined;
}

const THIN = new WeakSet<Flow>();

/** A flow without its per-statement states: what a summary needs after it is computed. */
function thin(f: Flow): Flow {
  const t: Flow = { scope: f.scope, before: new Map(), atTerm: new Map(), returns: [], entryHeld: f.entryHeld };
  THIN.add(t);
  return t;
}
