/**
 * Forward lock-set dataflow over one function's IR blocks. For every lock
 * the function touches it tracks the set of states it may be in on the
 * paths reaching a point: E (as the caller had it), H (held), R (released).
 * "Held for sure" is {H}; "maybe held" contains H. Trylock-like results are
 * pending until a branch on their value tells which edge holds the lock.
 */
import type { Block, CallInstr, Expr, Instr, IrFunction, Pos, Terminator } from '../parse/ir.js';
import {
  acquirePrim,
  assertPrim,
  ASSERT_COND,
  guardPrim,
  IS_HELD,
  isDowngrade,
  releasePrim,
  type AcquirePrim,
  type LockMode,
} from './primitives.js';
import { lockOfObject, lockRef, parsePath, type FnScope, type LockRef } from './lockpath.js';
import { evalCond, type Consts } from './consts.js';

export const E = 1;
export const H = 2;
export const R = 4;
/**
 * On these paths the lock's object does not exist: the pointer it hangs
 * off is NULL (`left = NULL` ... `if (pslot) { left = ...; lock(left); }`
 * ... `if (left) use(left)`). A test of the pointer drops these paths on
 * its non-NULL edge, so the lock taken together with the pointer's value
 * is held for sure there, not "on some paths".
 */
export const N = 8;

export interface Site {
  file: string;
  function: string;
  line: number;
  column: number;
  text: string;
}

export interface LockFact {
  lock: LockRef;
  /** Bit set of E | H | R. */
  states: number;
  mode: LockMode;
  /** Where it was last acquired (or asserted) on some path. */
  site: Site | null;
  /** Held because an assert or annotation says so, not because it was taken here. */
  assumed: boolean;
  /**
   * The variable that points at the lock here: the result of a call that
   * returns the lock it took (`ptl = pmd_trans_huge_lock(pmd, vma)` takes
   * the page table lock and returns it). `spin_unlock(ptl)` releases it.
   */
  via?: string;
}

interface Pending {
  lock: LockRef;
  mode: LockMode;
  when: 'nonzero' | 'zero';
  site: Site;
  /** Already maybe-held (a callee's conditional acquire): the other edge clears it. */
  maybe?: boolean;
  /** The other edge says nothing: the lock stays maybe-held there. */
  oneSided?: boolean;
  /**
   * A branch on the variable already set the lock's state on each edge: it
   * is not applied again (the lock may have been released since), but the
   * variable still tells whether the lock was taken, for a function that
   * returns it (`ret = down_write_killable(...); if (!ret) ...; return ret;`).
   */
  decided?: boolean;
}

export interface State {
  locks: Map<string, LockFact>;
  pending: Map<string, Pending>;
  /**
   * Variables 0 or NULL on every path here: assigned NULL, on the NULL edge
   * of a test, or the result of a callee that always returns 0.
   */
  nulls: Set<string>;
}

/** What calling another function does to the caller's locks (from the callee's summary). */
export interface CallEffect {
  /** `returned`: the callee returns a pointer to this lock (the caller names it by the call's result). */
  acquires: { lock: LockRef; mode: LockMode; site: Site; returned?: boolean }[];
  /**
   * Held at some of the callee's returns only (a conditional acquire, e.g. on
   * success); `when` says which return values mean held, where the callee's
   * returns tell (NULL or an error code on the paths that did not lock).
   */
  maybeAcquires?: { lock: LockRef; mode: LockMode; site: Site; when?: 'nonzero' | 'zero'; oneSided?: boolean; returned?: boolean }[];
  releases: LockRef[];
  /** Released on some of the callee's paths only (a helper that picks its lock by a condition). */
  maybeReleases?: LockRef[];
  /** The callee returns 0 (or NULL) on every path: a test of the result never takes the non-zero edge. */
  returnsZero?: boolean;
}

export interface FlowHooks {
  /** The effect of a call to a non-primitive; null when unknown. */
  callEffect?(call: CallInstr, scope: FnScope): CallEffect | null;
}

export interface ReturnState {
  term: Terminator & { op: 'return' };
  state: State;
}

export interface Flow {
  scope: FnScope;
  /** The state just before an instruction (reachable instructions only). */
  before: Map<Instr, State>;
  /** The state before each branch terminator, keyed by block id. */
  atTerm: Map<number, State>;
  returns: ReturnState[];
  /** Locks the function treats as held on entry: annotations, asserts, released before taken. */
  entryHeld: Set<string>;
}

export function siteOf(scope: FnScope, pos: Pos, text: string): Site {
  return { file: scope.fn.file, function: scope.fn.name, line: pos.line, column: pos.column, text };
}

/** Most states know no NULL pointer: they share this one (a state is copied before every instruction). */
const NO_NULLS: ReadonlySet<string> = new Set();

function emptyState(): State {
  return { locks: new Map(), pending: new Map(), nulls: NO_NULLS as Set<string> };
}

function clone(s: State): State {
  return { locks: new Map([...s.locks].map(([k, v]) => [k, { ...v }])), pending: new Map(s.pending), nulls: s.nulls.size ? new Set(s.nulls) : (NO_NULLS as Set<string>) };
}

function isOwnVariable(fn: IrFunction, v: string): boolean {
  return v in fn.locals || fn.params.some((p) => p.name === v) || v.startsWith('$');
}

function addNull(s: State, v: string): void {
  if (s.nulls === NO_NULLS) s.nulls = new Set();
  s.nulls.add(v);
}

/** Whether a lock hangs off pointer variable `v` (`v->lock`, `v->dev.mutex`). */
function rootedAt(key: string, v: string): boolean {
  return key.length > v.length && key.startsWith(v) && (key.startsWith('->', v.length) || key[v.length] === '.');
}

/** Whether a lock hangs off one of the pointer variables `vars`. */
export function hangsOffAny(key: string, vars: ReadonlySet<string>): boolean {
  if (!vars.size) return false;
  for (const v of vars) if (rootedAt(key, v)) return true;
  return false;
}

function join(a: State | undefined, b: State): { state: State; changed: boolean } {
  if (!a) return { state: clone(b), changed: true };
  let changed = false;
  const out = clone(a);
  for (const v of a.nulls) {
    if (b.nulls.has(v)) continue;
    out.nulls.delete(v);
    changed = true;
  }
  const keys = new Set([...a.locks.keys(), ...b.locks.keys()]);
  for (const k of keys) {
    const x = out.locks.get(k);
    const y = b.locks.get(k);
    if (x && y) {
      const st = x.states | y.states;
      if (st !== x.states) changed = true;
      x.states = st;
      x.site = x.site ?? y.site;
      x.assumed = x.assumed && y.assumed;
      if (x.via !== y.via && x.via !== undefined) {
        x.via = undefined;
        changed = true;
      }
    } else if (y) {
      // Untouched on a's paths: as the caller had it, or no object at all where its pointer is NULL.
      out.locks.set(k, { ...y, states: y.states | (hangsOffAny(k, a.nulls) ? N : E) });
      changed = true;
    } else if (x) {
      const bit = hangsOffAny(k, b.nulls) ? N : E;
      if (!(x.states & bit)) {
        x.states |= bit;
        changed = true;
      }
    }
  }
  for (const [k, p] of b.pending) {
    if (!out.pending.has(k)) {
      out.pending.set(k, p);
      changed = true;
    }
  }
  return { state: out, changed };
}

function set(s: State, lock: LockRef, states: number, mode: LockMode, site: Site | null, assumed = false): void {
  const cur = s.locks.get(lock.key);
  const fact: LockFact = { lock: cur?.lock ?? lock, states, mode, site: site ?? cur?.site ?? null, assumed };
  if (cur?.via !== undefined) fact.via = cur.via;
  s.locks.set(lock.key, fact);
}

/** `v` (a variable or a field path) no longer points at the lock it did (assigned, or its address handed to a call). */
function forgetVia(s: State, v: string): void {
  for (const f of s.locks.values()) if (f.via !== undefined && (f.via === v || f.via.startsWith(`${v}->`) || f.via.startsWith(`${v}.`))) f.via = undefined;
}

/** The text a pointer is known by, for `via`: a variable or a field path (`vmf->ptl`); null for anything else. */
function pointerText(e: Expr): string | null {
  const n = e.k === 'cast' ? e.arg : e;
  if (n.k === 'id') return n.name;
  if (n.k === 'field') {
    const b = pointerText(n.base);
    return b === null ? null : `${b}${n.arrow ? '->' : '.'}${n.name}`;
  }
  return null;
}

/**
 * `spin_unlock(ptl)` where nothing is held by the name `*ptl`, but `ptl`
 * is the result of a call that returned the lock it took: release that
 * lock, under the name the callee's summary gave it.
 */
function releaseVia(s: State, lock: LockRef): boolean {
  const e = lock.expr;
  const v = e.k === 'unary' && e.op === '*' ? pointerText(e.arg) : null;
  if (!v) return false;
  for (const f of s.locks.values()) {
    if (f.via !== v || !(f.states & H)) continue;
    set(s, f.lock, R, f.mode, null);
    return true;
  }
  return false;
}

/**
 * A function that returns with a lock held that its caller cannot name
 * (`base = lock_timer_base(timer, &flags)` takes `base->lock` of a local
 * of its own) is followed by an unlock of that lock under the caller's
 * name for it. Nothing held by that name: release the held lock of
 * unknown root and the same class instead, rather than leave it held
 * for ever and report it in every caller up the tree.
 */
function releaseReturned(s: State, lock: LockRef): boolean {
  if (!lock.cls || (lock.root !== 'local' && lock.root !== 'unknown')) return false;
  let done = false;
  for (const f of s.locks.values()) {
    // Unknown root, or an element of an array picked by an index the holder computed.
    const unnamed = f.lock.root === 'unknown' || f.lock.key.includes('[');
    if (!unnamed || f.lock.cls !== lock.cls || !(f.states & H)) continue;
    if (f.lock.kind && lock.kind && f.lock.kind !== lock.kind) continue;
    set(s, f.lock, R, f.mode, null);
    done = true;
  }
  return done;
}

/** Locks an assert-like call claims are held: `lockdep_assert_held(&x)`, `lockdep_assert(lockdep_is_held(&x))`. */
export function assertedLocks(call: CallInstr, scope: FnScope, calls: Map<string, CallInstr>): { expr: Expr; mode: 'held' | 'not_held' }[] {
  const name = call.callee;
  if (!name) return [];
  const a = assertPrim(name);
  if (a && call.args[0]) return [{ expr: call.args[0], mode: a }];
  if (ASSERT_COND.has(name) && call.args[0]) {
    const out: { expr: Expr; mode: 'held' | 'not_held' }[] = [];
    const visit = (e: Expr, neg: boolean): void => {
      if (e.k === 'unary' && e.op === '!') return visit(e.arg, !neg);
      if (e.k === 'binary' && e.op === '&&') {
        visit(e.left, neg);
        visit(e.right, neg);
        return;
      }
      if (e.k === 'id') {
        const c = calls.get(e.name);
        if (c?.callee && IS_HELD.has(c.callee) && c.args[0]) out.push({ expr: c.args[0], mode: neg ? 'not_held' : 'held' });
        return;
      }
      if (e.k === 'unknown') {
        const m = /lockdep_is_held\(\s*([^()]+?)\s*\)/.exec(e.text);
        const p = m ? parsePath(m[1]!) : null;
        if (p) out.push({ expr: { k: 'unary', op: '&', arg: p }, mode: neg ? 'not_held' : 'held' });
      }
    };
    visit(call.args[0], false);
    return out;
  }
  const w = scope.config.assertWrappers[name];
  if (w) {
    const path = parsePath(w.lock);
    if (!path) return [];
    // The wrapper's lock is written in terms of its first parameter (or of the parameter it names).
    return [{ expr: { k: 'unary', op: '&', arg: bindWrapperPath(path, call) }, mode: w.mode }];
  }
  return [];
}

function bindWrapperPath(path: Expr, call: CallInstr): Expr {
  const arg = call.args[0];
  if (!arg) return path;
  const swap = (e: Expr): Expr => {
    if (e.k === 'id') return arg;
    if (e.k === 'field') return { ...e, base: swap(e.base) };
    return e;
  };
  return swap(path);
}

/** Temporaries holding call results, for `lockdep_assert(lockdep_is_held(x))` after hoisting. */
export function resultCalls(blocks: Block[]): Map<string, CallInstr> {
  const m = new Map<string, CallInstr>();
  for (const b of blocks) for (const i of b.instrs) if (i.op === 'call' && i.result?.k === 'id') m.set(i.result.name, i);
  return m;
}

function lockOfArgs(args: Expr[], scope: FnScope, kind: AcquirePrim['kind'] | null): LockRef | null {
  const a = args[0];
  if (!a) return null;
  return lockRef(a, scope, kind);
}

function transfer(s: State, ins: Instr, scope: FnScope, hooks: FlowHooks, calls: Map<string, CallInstr>, entryHeld: Set<string>): void {
  if (ins.op === 'guard') {
    const g = guardPrim(ins.class);
    if (!g) return;
    const lock = lockOfArgs(ins.args, scope, g.kind);
    if (lock) set(s, lock, H, g.mode, siteOf(scope, ins.pos, ins.text));
    return;
  }
  if (ins.op === 'scope_end') {
    if (ins.kind !== 'guard') return;
    const g = guardPrim(ins.class);
    if (!g) return;
    const lock = lockOfArgs(ins.args, scope, g.kind);
    if (lock) set(s, lock, R, g.mode, null);
    return;
  }
  if (ins.op === 'assign') {
    // A pending trylock result copied into a variable stays pending under the new name.
    if (ins.target.k === 'id' && ins.value.k === 'id' && s.pending.has(ins.value.name)) {
      s.pending.set(ins.target.name, s.pending.get(ins.value.name)!);
    } else if (ins.target.k === 'id') s.pending.delete(ins.target.name);
    if (ins.target.k === 'id') {
      // `locked = 0;` as `p = NULL;`: the edge of a later `if (locked)` that needs it non-zero is not taken.
      if (ins.value.k === 'null' || (ins.value.k === 'num' && ins.value.value === 0)) addNull(s, ins.target.name);
      else s.nulls.delete(ins.target.name);
    }
    // `p = &x;`: x may change through p from now on.
    if (ins.value.k === 'unary' && ins.value.op === '&' && ins.value.arg.k === 'id') s.nulls.delete(ins.value.arg.name);
    const to = pointerText(ins.target);
    if (to !== null) {
      forgetVia(s, to);
      // `ptl = $t1`, `vmf->ptl = $t1`: the lock the call returned is now pointed at from there.
      const from = pointerText(ins.value);
      if (from !== null) for (const f of s.locks.values()) if (f.via === from) f.via = to;
    }
    return;
  }
  if (ins.op !== 'call') return;
  const name = ins.callee;
  if (ins.result?.k === 'id') {
    s.pending.delete(ins.result.name);
    s.nulls.delete(ins.result.name);
  }
  // A callee may set any global (a `done` flag): only the function's own variables stay known 0.
  for (const v of s.nulls) if (!isOwnVariable(scope.fn, v)) s.nulls.delete(v);
  const resultText = ins.result ? pointerText(ins.result) : null;
  if (resultText !== null) forgetVia(s, resultText);
  // `btrfs_cow_block(..., &left)` may set the pointer.
  for (const a of ins.args) {
    if (a.k !== 'unary' || a.op !== '&') continue;
    if (a.arg.k === 'id') s.nulls.delete(a.arg.name);
    const t = pointerText(a.arg);
    if (t !== null) forgetVia(s, t);
  }
  if (!name) return;
  const acq = acquirePrim(name);
  if (acq) {
    const lock = lockOfArgs(ins.args, scope, acq.kind);
    if (!lock) return;
    const site = siteOf(scope, ins.pos, ins.text);
    if (acq.cond === 'none' || !ins.result) {
      if (acq.cond !== 'nonzero') set(s, lock, H, acq.mode, site);
    } else if (ins.result.k === 'id') {
      s.pending.set(ins.result.name, { lock, mode: acq.mode, when: acq.cond, site });
    }
    return;
  }
  const relp = releasePrim(name);
  if (relp) {
    const lock = lockOfArgs(ins.args, scope, relp.kind);
    if (!lock) return;
    const cur = s.locks.get(lock.key);
    if ((!cur || cur.states === E) && (releaseVia(s, lock) || releaseReturned(s, lock))) return;
    if (!cur || cur.states === E) entryHeld.add(lock.key);
    set(s, lock, R, cur?.mode ?? 'excl', null);
    return;
  }
  if (isDowngrade(name)) {
    const lock = lockOfArgs(ins.args, scope, 'rwsem');
    const cur = lock && s.locks.get(lock.key);
    if (cur) cur.mode = 'shared';
    return;
  }
  const asserted = assertedLocks(ins, scope, calls);
  if (asserted.length) {
    for (const a of asserted) {
      if (a.mode !== 'held') continue;
      const lock = lockRef(a.expr, scope, null);
      const cur = s.locks.get(lock.key);
      if (!cur || cur.states & E) entryHeld.add(lock.key);
      if (!cur || cur.states !== H) set(s, lock, H, cur?.mode ?? 'excl', siteOf(scope, ins.pos, ins.text), true);
    }
    return;
  }
  const eff = hooks.callEffect?.(ins, scope);
  if (eff) {
    for (const r of eff.releases) {
      const cur = s.locks.get(r.key);
      if ((!cur || cur.states === E) && (releaseVia(s, r) || releaseReturned(s, r))) continue;
      if (!cur || cur.states === E) entryHeld.add(r.key);
      set(s, r, R, cur?.mode ?? 'excl', null);
    }
    for (const r of eff.maybeReleases ?? []) {
      const cur = s.locks.get(r.key);
      if (!cur || !(cur.states & H)) continue;
      // Maybe held (taken by the lock half of the same conditional pair, under the same
      // condition): back to as the caller had it. Surely held: maybe released now.
      if (cur.states !== H) set(s, r, cur.states & ~H || E, cur.mode, null);
      else set(s, r, H | R, cur.mode, null);
    }
    const result = ins.result?.k === 'id' ? ins.result.name : null;
    if (eff.returnsZero && result) addNull(s, result);
    for (const a of eff.acquires) {
      set(s, a.lock, H, a.mode, a.site);
      if (a.returned && resultText !== null) s.locks.get(a.lock.key)!.via = resultText;
    }
    for (const a of eff.maybeAcquires ?? []) {
      const cur = s.locks.get(a.lock.key);
      set(s, a.lock, (cur?.states ?? E) | H, a.mode, a.site);
      if (a.returned && resultText !== null) s.locks.get(a.lock.key)!.via = resultText;
      if (a.when && result) s.pending.set(result, { lock: a.lock, mode: a.mode, when: a.when, site: a.site, maybe: true, ...(a.oneSided ? { oneSided: true } : {}) });
    }
  }
}

/** Which variable a condition tests, and on which edge it is non-zero. */
function testedVar(cond: Expr): { name: string; thenNonzero: boolean } | null {
  if (cond.k === 'id') return { name: cond.name, thenNonzero: true };
  if (cond.k === 'unary' && cond.op === '!') {
    const t = testedVar(cond.arg);
    return t ? { name: t.name, thenNonzero: !t.thenNonzero } : null;
  }
  if (cond.k === 'cast') return testedVar(cond.arg);
  if (cond.k === 'binary' && cond.left.k === 'id' && ((cond.right.k === 'num' && cond.right.value === 0) || cond.right.k === 'null')) {
    if (cond.op === '!=' || cond.op === '<') return { name: cond.left.name, thenNonzero: true };
    if (cond.op === '==') return { name: cond.left.name, thenNonzero: false };
  }
  return null;
}

function successors(t: Terminator): number[] {
  switch (t.op) {
    case 'jump':
      return [t.to];
    case 'branch':
      return [t.then, t.else];
    case 'switch':
      return t.cases.map((c) => c.to);
    case 'foreach':
      return [t.body, t.exit];
    default:
      return [];
  }
}

/**
 * The state on the edge from a terminator to one successor: a test of a
 * pending trylock's result says whether it holds the lock; a test of a
 * pointer says whether the locks hanging off it exist. Null when the edge
 * cannot be taken: the pointer is NULL on every path here.
 */
function edgeState(s: State, t: Terminator, which: number): State | null {
  if (t.op !== 'branch') return s;
  const tv = testedVar(t.cond);
  if (!tv) return s;
  if (t.then === t.else) {
    if (!s.pending.has(tv.name)) return s;
    const out = clone(s);
    out.pending.delete(tv.name);
    return out;
  }
  const nonzero = which === 0 ? tv.thenNonzero : !tv.thenNonzero;
  if (nonzero && s.nulls.has(tv.name)) return null;
  return pendingEdge(pointerEdge(s, tv.name, nonzero), t, tv, nonzero);
}

function pointerEdge(s: State, v: string, nonzero: boolean): State {
  const hanging = [...s.locks.keys()].filter((k) => rootedAt(k, v) && s.locks.get(k)!.lock.root !== 'global');
  if (!hanging.length && (nonzero ? !s.nulls.has(v) : s.nulls.has(v))) return s;
  const out = clone(s);
  if (nonzero) out.nulls.delete(v);
  else addNull(out, v);
  for (const k of hanging) {
    const f = out.locks.get(k)!;
    // Non-NULL: the NULL paths are not these. NULL: no object, nothing held or released.
    f.states = nonzero ? f.states & ~N || E : N;
  }
  return out;
}

function pendingEdge(s: State, t: Terminator & { op: 'branch' }, tv: { name: string }, nonzero: boolean): State {
  const p = s.pending.get(tv.name);
  if (!p || p.decided) return s;
  const out = clone(s);
  out.pending.set(tv.name, { ...p, decided: true });
  const acquired = p.when === 'nonzero' ? nonzero : !nonzero;
  if (acquired) set(out, p.lock, H, p.mode, p.site);
  else if (p.maybe && !p.oneSided) set(out, p.lock, E, p.mode, null);
  return out;
}

/** Initial state: locks the prototype says are held (`__must_hold`). */
function entryState(scope: FnScope, entryHeld: Set<string>): State {
  const s = emptyState();
  // `__acquires(x) __releases(x)` together says "takes and drops x": nothing held on entry.
  const balanced = new Set(scope.fn.annotations.acquires.map((a) => a.replace(/\s/g, '')));
  const releasedOnly = scope.fn.annotations.releases.filter((r) => !balanced.has(r.replace(/\s/g, '')));
  for (const text of [...scope.fn.annotations.mustHold, ...releasedOnly]) {
    const p = parsePath(text);
    if (!p) continue;
    const lock = lockOfObject(p, scope, null);
    entryHeld.add(lock.key);
    set(s, lock, H, 'excl', siteOf(scope, scope.fn.pos, `__must_hold(${text})`), true);
  }
  return s;
}

export function analyseFunction(scope: FnScope, hooks: FlowHooks = {}, consts?: Consts): Flow {
  const fn = scope.fn;
  const blocks = new Map(fn.blocks.map((b) => [b.id, b]));
  const calls = resultCalls(fn.blocks);
  const entryHeld = new Set<string>();
  const inState = new Map<number, State>();
  inState.set(fn.entry, entryState(scope, entryHeld));
  const work: number[] = [fn.entry];
  const queued = new Set<number>(work);
  let steps = 0;
  const limit = fn.blocks.length * 50 + 1000;
  const valueOf = consts && scope.index.constant ? (name: string) => scope.index.constant!(name, fn.file) : undefined;
  while (work.length && steps++ < limit) {
    const id = work.shift()!;
    queued.delete(id);
    const b = blocks.get(id);
    const st0 = inState.get(id);
    if (!b || !st0) continue;
    const s = clone(st0);
    for (const ins of b.instrs) transfer(s, ins, scope, hooks, calls, entryHeld);
    // A branch the caller's constant arguments decide has one edge only.
    const decided = consts && b.term.op === 'branch' && b.term.then !== b.term.else ? evalCond(b.term.cond, consts, fn.blocks, valueOf) : null;
    successors(b.term).forEach((to, which) => {
      if (decided !== null && (which === 0) !== decided) return;
      const es = edgeState(s, b.term, which);
      if (!es) return;
      const j = join(inState.get(to), es);
      if (j.changed) {
        inState.set(to, j.state);
        if (!queued.has(to)) {
          queued.add(to);
          work.push(to);
        }
      }
    });
  }
  // Final pass: record the state before every instruction and at every return.
  const before = new Map<Instr, State>();
  const atTerm = new Map<number, State>();
  const returns: ReturnState[] = [];
  for (const b of fn.blocks) {
    const st0 = inState.get(b.id);
    if (!st0) continue;
    const s = clone(st0);
    for (const ins of b.instrs) {
      before.set(ins, clone(s));
      transfer(s, ins, scope, hooks, calls, entryHeld);
    }
    atTerm.set(b.id, s);
    if (b.term.op === 'return') returns.push({ term: b.term, state: s });
  }
  return { scope, before, atTerm, returns, entryHeld };
}

export function mustHeld(s: State): LockFact[] {
  return [...s.locks.values()].filter((f) => f.states === H);
}

export function mayHeld(s: State): LockFact[] {
  return [...s.locks.values()].filter((f) => (f.states & H) !== 0);
}
