/**
 * Locks as access paths. A lock is named by the expression that reaches it
 * from the function's parameters (`group->mutex`), a global's name, or,
 * failing that, a local's. Paths are mapped through call arguments into
 * callees and back; the lockdep-like class (`struct iommu_group::mutex`)
 * is the fall-back identity when two paths cannot be matched.
 */
import type { CallInstr, Expr, IrFunction } from '../parse/ir.js';
import { exprText } from '../parse/expr-text.js';

export { exprText };
import type { TreeIndex } from '../parse/index/types.js';
import type { Config } from './config.js';
import { isPrimitive, type LockKind } from './primitives.js';
import { typeOfExpr, structOfType } from '../parse/index/types-of.js';
import { derefType } from '../parse/index/ctype.js';

export type RootKind = 'param' | 'global' | 'local' | 'unknown';

export interface LockRef {
  /** Identity: the path with single-assignment locals expanded (`dev->iommu_group->mutex`). */
  key: string;
  /** As written in the function (`group->mutex`): what findings show. */
  path: string;
  /** The canonical expression, for mapping through calls. */
  expr: Expr;
  /** `struct iommu_group::mutex`, a global's name, or null when the type is unknown. */
  cls: string | null;
  kind: LockKind | null;
  root: RootKind;
}

/** What a function's locks are interpreted against. */
export interface FnScope {
  fn: IrFunction;
  index: TreeIndex;
  config: Config;
  /** Locals assigned exactly once from a path-like expression. */
  aliases: Map<string, Expr>;
}

export function makeScope(fn: IrFunction, index: TreeIndex, config: Config): FnScope {
  const aliases = computeAliases(fn);
  // A local set once from a helper that returns an object of its arguments names that object.
  for (const [name, call] of singleCalls(fn)) {
    const v = returnedObject(call, fn, index);
    if (v) aliases.set(name, v);
  }
  return { fn, index, config, aliases };
}

/** Results that mean "no object": the error returns of a helper that otherwise returns one. */
const ERROR_RESULT = /^(ERR_PTR|ERR_CAST|ERR_PTR_PCPU|IOMEM_ERR_PTR)$/;

const returnedMemo = new WeakMap<IrFunction, Expr | null>();

/**
 * The object `fn` returns in terms of its parameters, when every return
 * that is not an error (NULL, a number, an ERR_PTR) returns the same path
 * (`return tl;` with `tl = ce->timeline`): `ce->timeline`.
 */
export function returnedPath(fn: IrFunction): Expr | null {
  if (returnedMemo.has(fn)) return returnedMemo.get(fn)!;
  let out: Expr | null = null;
  const aliases = computeAliases(fn);
  const calls = new Map<string, CallInstr>();
  for (const b of fn.blocks) for (const i of b.instrs) if (i.op === 'call' && i.result?.k === 'id') calls.set(i.result.name, i);
  const params = new Set(fn.params.map((p) => p.name));
  let text: string | null = null;
  let ok = true;
  for (const b of fn.blocks) {
    const t = b.term;
    if (t.op !== 'return' || !t.value) continue;
    const v = normalize(t.value);
    if (v.k === 'null' || v.k === 'num') continue;
    const c = v.k === 'id' ? calls.get(v.name) : undefined;
    if (c?.callee && ERROR_RESULT.test(c.callee)) continue;
    const e = canonical(v, aliases);
    const ids = freeIds(e, new Set());
    if (!isPathLike(e) || !ids.size || [...ids].some((id) => !params.has(id)) || (text !== null && exprText(e) !== text)) {
      ok = false;
      break;
    }
    text = exprText(e);
    out = e;
  }
  if (!ok) out = null;
  returnedMemo.set(fn, out);
  return out;
}

/**
 * Per index, what each callee (seen from a file) returns, with its parameter
 * names: asked for every call of every scope, so kept here rather than
 * resolved again (a resolve can re-read a file whose facts were evicted).
 */
const returnedByName = new WeakMap<TreeIndex, Map<string, { path: Expr; params: string[] } | null>>();

function returnedOf(name: string, file: string, index: TreeIndex): { path: Expr; params: string[] } | null {
  let memo = returnedByName.get(index);
  if (!memo) returnedByName.set(index, (memo = new Map()));
  const k = `${file}\0${name}`;
  const hit = memo.get(k);
  if (hit !== undefined) return hit;
  let callee: IrFunction | null = null;
  try {
    callee = index.resolve(name, file);
  } catch {
    callee = null;
  }
  const path = callee ? returnedPath(callee) : null;
  const out = callee && path ? { path, params: callee.params.map((p) => p.name) } : null;
  memo.set(k, out);
  return out;
}

function returnedObject(call: CallInstr, fn: IrFunction, index: TreeIndex): Expr | null {
  if (!call.callee || isPrimitive(call.callee)) return null;
  const r = returnedOf(call.callee, fn.file, index);
  if (!r) return null;
  const map = new Map<string, Expr>();
  r.params.forEach((p, i) => {
    const a = call.args[i];
    if (a) map.set(p, a);
  });
  const sub = normalize(substitute(r.path, map));
  return isPathLike(sub) ? sub : null;
}

// ---- expressions -------------------------------------------------------

function isPathLike(e: Expr): boolean {
  switch (e.k) {
    case 'id':
      return true;
    case 'field':
      return isPathLike(e.base);
    case 'index':
      return isPathLike(e.base);
    case 'unary':
      return (e.op === '&' || e.op === '*') && isPathLike(e.arg);
    case 'cast':
      return isPathLike(e.arg);
    case 'container_of':
      return isPathLike(e.ptr);
    case 'unknown':
      return callOf(e) !== null;
    default:
      return false;
  }
}

/**
 * An accessor call's result standing for the object it returns
 * (`to_iio_dev_opaque(indio_dev)`): the `unknown` expression callValue()
 * makes, with the call kept so that its arguments can be substituted and
 * expanded like any path's root.
 */
type CallValue = Expr & { k: 'unknown'; call: { callee: string; args: Expr[] } };

function callOf(e: Expr): CallValue['call'] | null {
  return e.k === 'unknown' && 'call' in e ? (e as CallValue).call : null;
}

/**
 * An accessor's `_rcu` twin reads the same object (`dev_net_rcu(dev)` and
 * `dev_net(dev)`, `read_pnet_rcu()` and `read_pnet()`): rtnl_net_dev_lock()
 * locks `dev_net_rcu(dev)->rtnl_mutex` and rtnl_net_dev_unlock() unlocks
 * `dev_net(dev)->rtnl_mutex`, one mutex (45 lock-imbalance findings on the
 * whole tree, one per caller of unregister_netdev() and kin).
 */
const RCU_TWIN = /^[a-z]\w*[a-z0-9]_rcu$/;

function callValueOf(callee: string, args: Expr[]): CallValue {
  const name = RCU_TWIN.test(callee) ? callee.slice(0, -4) : callee;
  return { k: 'unknown', text: `${name}(${args.map((a) => exprText(a)).join(', ')})`, call: { callee: name, args } };
}

/** The call value at the bottom of a path (`f(x)` in `f(x)->a.b`), or null. */
function baseCall(e: Expr): CallValue['call'] | null {
  return callOf(pathBottom(e));
}

/** Rebuilds the call value at the bottom of a path with its arguments mapped. */
function mapBaseCall(e: Expr, f: (a: Expr) => Expr): Expr {
  switch (e.k) {
    case 'field':
    case 'index':
      return { ...e, base: mapBaseCall(e.base, f) };
    case 'unary':
    case 'cast':
      return { ...e, arg: mapBaseCall(e.arg, f) };
    case 'container_of':
      return { ...e, ptr: mapBaseCall(e.ptr, f) };
    default: {
      const c = callOf(e);
      return c ? callValueOf(c.callee, c.args.map(f)) : e;
    }
  }
}

/** Drops casts, `&*`, `*&`, and turns `(&E)->f` into `E.f`. */
export function normalize(e: Expr): Expr {
  switch (e.k) {
    case 'cast':
      return normalize(e.arg);
    case 'unary': {
      const a = normalize(e.arg);
      if (e.op === '&' && a.k === 'unary' && a.op === '*') return a.arg;
      if (e.op === '*' && a.k === 'unary' && a.op === '&') return a.arg;
      return a === e.arg ? e : { ...e, arg: a };
    }
    case 'field': {
      const b = normalize(e.base);
      if (e.arrow && b.k === 'unary' && b.op === '&') return { k: 'field', base: b.arg, name: e.name, arrow: false };
      if (e.arrow && b.k === 'container_of') {
        // container_of(&X->m, T, m)->f is X->f's sibling: keep it as is.
      }
      return b === e.base ? e : { ...e, base: b };
    }
    case 'index': {
      const b = normalize(e.base);
      return b === e.base ? e : { ...e, base: b };
    }
    case 'container_of': {
      const p = normalize(e.ptr);
      // container_of(&X.m, T, m) and container_of(&X->m, ...) are X itself (as a pointer).
      if (p.k === 'unary' && p.op === '&' && p.arg.k === 'field' && p.arg.name === e.member) {
        const base = p.arg.base;
        return p.arg.arrow ? base : normalize({ k: 'unary', op: '&', arg: base });
      }
      return p === e.ptr ? e : { ...e, ptr: p };
    }
    default:
      return e;
  }
}


/** What a path starts from: below its fields, indexes, `&`/`*`, casts and container_of(). */
function pathBottom(e: Expr): Expr {
  switch (e.k) {
    case 'field':
    case 'index':
      return pathBottom(e.base);
    case 'unary':
    case 'cast':
      return pathBottom(e.arg);
    case 'container_of':
      return pathBottom(e.ptr);
    default:
      return e;
  }
}

export function rootName(e: Expr): string | null {
  const b = pathBottom(e);
  return b.k === 'id' ? b.name : null;
}

/** Replaces identifiers by expressions (callee parameters by caller arguments). */
export function substitute(e: Expr, map: ReadonlyMap<string, Expr>): Expr {
  switch (e.k) {
    case 'id':
      return map.get(e.name) ?? e;
    case 'field':
      return { ...e, base: substitute(e.base, map) };
    case 'index':
      return { ...e, base: substitute(e.base, map), index: substitute(e.index, map) };
    case 'unary':
    case 'cast':
      return { ...e, arg: substitute(e.arg, map) };
    case 'container_of':
      return { ...e, ptr: substitute(e.ptr, map) };
    case 'binary':
      return { ...e, left: substitute(e.left, map), right: substitute(e.right, map) };
    case 'cond':
      return { ...e, test: substitute(e.test, map), then: substitute(e.then, map), else: substitute(e.else, map) };
    case 'unknown': {
      const c = callOf(e);
      return c ? callValueOf(c.callee, c.args.map((a) => substitute(a, map))) : e;
    }
    default:
      return e;
  }
}

/** Identifiers an expression reads, other than field names. */
function freeIds(e: Expr, out: Set<string>): Set<string> {
  switch (e.k) {
    case 'id':
      out.add(e.name);
      break;
    case 'field':
      freeIds(e.base, out);
      break;
    case 'index':
      freeIds(e.base, out);
      freeIds(e.index, out);
      break;
    case 'unary':
    case 'cast':
      freeIds(e.arg, out);
      break;
    case 'container_of':
      freeIds(e.ptr, out);
      break;
    case 'binary':
      freeIds(e.left, out);
      freeIds(e.right, out);
      break;
    case 'cond':
      freeIds(e.test, out);
      freeIds(e.then, out);
      freeIds(e.else, out);
      break;
    case 'unknown': {
      const c = callOf(e);
      if (c) for (const a of c.args) freeIds(a, out);
      else out.add('\0');
      break;
    }
    default:
      break;
  }
  return out;
}

/** Parses a configured path such as `dev->iommu_group->mutex` or `&x.lock`. */
export function parsePath(text: string): Expr | null {
  const t = text.trim().replace(/^&\s*/, '');
  const m = /^([A-Za-z_]\w*)((?:\s*(?:->|\.)\s*[A-Za-z_]\w*)*)$/.exec(t);
  if (!m) return null;
  let e: Expr = { k: 'id', name: m[1]! };
  const re = /(->|\.)\s*([A-Za-z_]\w*)/g;
  let f: RegExpExecArray | null;
  while ((f = re.exec(m[2]!))) e = { k: 'field', base: e, name: f[2]!, arrow: f[1] === '->' };
  return e;
}

// ---- aliases -----------------------------------------------------------

/** Locals (and temporaries) assigned exactly once, from a path-like expression. */
export function computeAliases(fn: IrFunction): Map<string, Expr> {
  const out = new Map<string, Expr>();
  for (const [name, v] of singleAssignments(fn)) if (isPathLike(v) || v.k === 'unknown') out.set(name, v);
  return out;
}

const singles = new WeakMap<IrFunction, Map<string, Expr>>();

const singleCallMemo = new WeakMap<IrFunction, Map<string, CallInstr>>();

/** Locals (and temporaries) assigned exactly once, by a call's result. */
function singleCalls(fn: IrFunction): Map<string, CallInstr> {
  let m = singleCallMemo.get(fn);
  if (!m) {
    singleAssignments(fn);
    m = singleCallMemo.get(fn)!;
  }
  return m;
}

/** Locals (and temporaries) assigned exactly once, whatever the value. */
function singleAssignments(fn: IrFunction): Map<string, Expr> {
  const memo = singles.get(fn);
  if (memo) return memo;
  const byCall = new Map<string, CallInstr>();
  const count = new Map<string, number>();
  const value = new Map<string, Expr>();
  const bump = (target: Expr | null, v: Expr | null): void => {
    if (!target || target.k !== 'id') return;
    count.set(target.name, (count.get(target.name) ?? 0) + 1);
    if (v) value.set(target.name, v);
    else value.delete(target.name);
  };
  for (const b of fn.blocks) {
    for (const i of b.instrs) {
      if (i.op === 'assign') bump(i.target, i.value);
      else if (i.op === 'call') {
        bump(i.result, callValue(i));
        if (i.result?.k === 'id') byCall.set(i.result.name, i);
      }
      if (i.op === 'assign' || i.op === 'call') {
        // Taking a local's address lets anything write it: not an alias then.
        const args = i.op === 'call' ? i.args : [i.value];
        for (const a of args) if (a.k === 'unary' && a.op === '&' && a.arg.k === 'id') count.set(a.arg.name, 99);
      }
    }
  }
  const params = new Set(fn.params.map((p) => p.name));
  const out = new Map<string, Expr>();
  for (const [name, n] of count) {
    const v = value.get(name);
    if (n === 1 && v && !params.has(name) && rootName(v) !== name) out.set(name, v);
  }
  const calls = new Map<string, CallInstr>();
  for (const [name, c] of byCall) if (count.get(name) === 1 && !params.has(name)) calls.set(name, c);
  singles.set(fn, out);
  singleCallMemo.set(fn, calls);
  return out;
}

/** Calls whose result is a new or another object each time: never the same lock twice by their text. */
const FRESH = /alloc|create|new|next|prev|pop|dequeue|first|last|get_/;

/**
 * The value of a temporary holding a call's result, as text: lowering hoists
 * each call into its own `$tN`, so `wiphy_lock(to_hw(ar)->wiphy)` and
 * `wiphy_unlock(to_hw(ar)->wiphy)` would name two locks. A call of a
 * function of path-like arguments (an accessor) is taken to give the same
 * object for the same arguments, as a local assigned once is.
 */
function callValue(i: CallInstr): Expr | null {
  if (!i.callee || !i.result || i.result.k !== 'id' || !i.result.name.startsWith('$') || FRESH.test(i.callee)) return null;
  if (!i.args.every((a) => isPathLike(a) || a.k === 'num')) return null;
  return callValueOf(i.callee, i.args);
}

/** Expands aliased locals, a few levels deep. */
export function canonical(e: Expr, aliases: ReadonlyMap<string, Expr>, depth = 0): Expr {
  let cur = normalize(e);
  for (let d = 0; d < 4; d++) {
    const r = rootName(cur);
    if (!r || !aliases.has(r)) break;
    cur = normalize(substitute(cur, new Map([[r, aliases.get(r)!]])));
  }
  // An accessor's arguments are expanded too: `to_x($t2)` with `$t2 = priv->dev` is `to_x(priv->dev)`.
  return depth < 3 && baseCall(cur) ? mapBaseCall(cur, (a) => canonical(a, aliases, depth + 1)) : cur;
}

// ---- types -------------------------------------------------------------

export interface CType {
  /** `struct iommu_group` -> `iommu_group`; a typedef or scalar as written. */
  base: string;
  isStruct: boolean;
  ptr: number;
}

export function parseType(t: string): CType {
  let s = t.replace(/\b(const|volatile|__rcu|__iomem|__user|__percpu|__force|restrict|__restrict)\b/g, ' ');
  let ptr = (s.match(/\*/g) ?? []).length + (s.match(/\[/g) ?? []).length;
  s = s.replace(/\[[^\]]*\]/g, ' ').replace(/\*/g, ' ').replace(/\s+/g, ' ').trim();
  const m = /^(struct|union)\s+(\w+)/.exec(s);
  if (m) return { base: m[2]!, isStruct: true, ptr };
  if (ptr < 0) ptr = 0;
  return { base: s, isStruct: false, ptr };
}

function structOf(index: TreeIndex, name: string) {
  try {
    return index.struct(name);
  } catch {
    return null;
  }
}

function globalOf(index: TreeIndex, name: string) {
  try {
    return index.global(name);
  } catch {
    return null;
  }
}

/** The type of an expression in a function, as far as parameters, locals, globals and struct fields tell. */
export function typeOf(e: Expr, s: FnScope, depth = 0): CType | null {
  if (depth > 8) return null;
  switch (e.k) {
    case 'id': {
      const p = s.fn.params.find((x) => x.name === e.name);
      if (p) return parseType(p.type);
      const l = s.fn.locals[e.name];
      if (l !== undefined) return parseType(l);
      const a = s.aliases.get(e.name);
      if (a) return typeOf(a, s, depth + 1);
      const g = globalOf(s.index, e.name);
      return g ? parseType(g.type) : null;
    }
    case 'field': {
      const bt = typeOf(e.base, s, depth + 1);
      if (!bt || !bt.isStruct) return null;
      const st = structOf(s.index, bt.base);
      const f = st?.fields.find((x) => x.name === e.name);
      return f ? parseType(f.type) : null;
    }
    case 'index': {
      const bt = typeOf(e.base, s, depth + 1);
      return bt ? { ...bt, ptr: Math.max(0, bt.ptr - 1) } : null;
    }
    case 'unary': {
      const t = typeOf(e.arg, s, depth + 1);
      if (!t) return null;
      if (e.op === '&') return { ...t, ptr: t.ptr + 1 };
      if (e.op === '*') return { ...t, ptr: Math.max(0, t.ptr - 1) };
      return t;
    }
    case 'cast':
      return parseType(e.type);
    case 'container_of': {
      const t = parseType(e.type);
      return { ...t, ptr: t.ptr + 1 };
    }
    default:
      return null;
  }
}

/** The struct type that holds the field `e.name` of a field expression. */
export function ownerStruct(e: Expr & { k: 'field' }, s: FnScope): string | null {
  try {
    const t = typeOfExpr(s.fn, e.base, s.index);
    const owner = t ? (e.arrow ? derefType(t) : t) : null;
    const st = owner ? structOfType(owner, s.index, s.fn.file) : null;
    if (st) return st;
  } catch {
    /* fall back to the small resolver below */
  }
  const bt = typeOf(e.base, s);
  return bt && bt.isStruct ? bt.base : null;
}

// ---- locks -------------------------------------------------------------

function rootKind(e: Expr, s: FnScope, depth = 0): RootKind {
  const r = rootName(e);
  const call = r ? null : baseCall(e);
  if (call && depth < 3) {
    // An accessor of parameters (and globals) reaches the same object from the caller's arguments.
    const kinds = call.args.filter((a) => a.k !== 'num').map((a) => rootKind(a, s, depth + 1));
    if (!kinds.length) return 'unknown';
    if (kinds.every((k) => k === 'global')) return 'global';
    if (kinds.every((k) => k === 'global' || k === 'param')) return 'param';
    return kinds.includes('unknown') ? 'unknown' : 'local';
  }
  if (!r) return 'unknown';
  if (s.fn.params.some((p) => p.name === r)) return 'param';
  if (r in s.fn.locals || r.startsWith('$')) return 'local';
  return globalOf(s.index, r) || /^[A-Za-z_]\w*$/.test(r) ? 'global' : 'unknown';
}

/** The class of a lock expression: `struct T::field` or a global's name. */
export function lockClass(e: Expr, s: FnScope): string | null {
  const n = normalize(e);
  if (n.k === 'field') {
    // Like lockdep, the class is where the lock is declared: the struct that immediately holds it.
    const st = ownerStruct(n, s);
    return st ? `struct ${st}::${n.name}` : null;
  }
  if (n.k === 'id') {
    const kind = rootKind(n, s);
    return kind === 'global' ? n.name : null;
  }
  return null;
}

function applyAliases(config: Config, key: string): string {
  return config.lockAliases[key] ?? key;
}

/** A lock from the argument of a lock primitive (`&group->mutex`, or a `struct mutex *`). */
export function lockRef(arg: Expr, s: FnScope, kind: LockKind | null): LockRef {
  // The lock is the object the argument points to: `&g->mutex` -> `g->mutex`, `m` -> `*m`.
  return lockOfObject({ k: 'unary', op: '*', arg: normalize(arg) }, s, kind);
}

/** A lock named by the object itself (`group->mutex`, as in annotations and configured paths). */
export function lockOfObject(obj: Expr, s: FnScope, kind: LockKind | null): LockRef {
  const written = normalize(obj);
  const canon = canonical(written, s.aliases);
  const cls = lockClass(canon, s) ?? lockClass(written, s);
  const root = rootKind(canon, s);
  // Two `static DEFINE_SPINLOCK(pool_lock)` in two .c files are two locks.
  const file = root === 'global' ? staticFileOf(canon, s) : null;
  const own = (t: string): string => (file ? `${file}:${t}` : t);
  return {
    key: own(applyAliases(s.config, exprText(canon))),
    path: shownPath(written, canon, s.fn),
    expr: canon,
    cls: cls ? (cls.startsWith('struct ') ? applyAliases(s.config, cls) : own(applyAliases(s.config, cls))) : null,
    kind,
    root,
  };
}

/**
 * What a finding calls the lock: the path as written, unless it goes through
 * a compiler temporary (`$t1->mlock`), which the user never wrote: then with
 * the temporary's call in its place (`to_opaque(dev)->mlock`), or the
 * expanded path.
 */
function shownPath(written: Expr, canon: Expr, fn: IrFunction): string {
  // `(to_opaque(d))->mlock` reads better without the parentheses around the call.
  const tidy = (t: string): string => t.replace(/\(([A-Za-z_]\w*\([^()]*\))\)(?=->|\.)/g, '$1');
  const w = exprText(written);
  if (!w.includes('$')) return tidy(w);
  const calls = new Map<string, Expr>();
  for (const b of fn.blocks) {
    for (const i of b.instrs) {
      if (i.op === 'call' && i.result?.k === 'id' && i.result.name.startsWith('$')) {
        calls.set(i.result.name, i.callee ? callValueOf(i.callee, i.args) : { k: 'unknown', text: `(${exprText(i.calleeExpr ?? { k: 'unknown', text: '*fn' })})(...)` });
      }
    }
  }
  let e = written;
  for (let d = 0; d < 4 && exprText(e).includes('$'); d++) e = substitute(e, calls);
  const shown = exprText(e);
  const c = exprText(canon);
  return tidy(shown.includes('$') && !c.includes('$') ? c : shown);
}

/** The .c file a lock's root global is private to (`static` there), or null. */
function staticFileOf(e: Expr, s: FnScope): string | null {
  const r = rootName(e);
  if (!r) return null;
  let g: ReturnType<TreeIndex['global']> = null;
  try {
    g = s.index.global(r, s.fn.file);
  } catch {
    g = null;
  }
  return g && g.isStatic && !g.file.endsWith('.h') ? g.file : null;
}


/**
 * A callee's lock seen from the caller: parameters replaced by the call's
 * arguments. Locks rooted in the callee's locals keep only their class.
 */
export function mapToCaller(lock: LockRef, callee: IrFunction, args: readonly Expr[], caller: FnScope): LockRef {
  return callerMapper(callee, args, caller)(lock);
}

/**
 * mapToCaller for many locks of one call: the parameter map is built once,
 * and a lock object met again (a callee's takes share theirs between modes
 * and paths) is mapped once.
 */
export function callerMapper(callee: IrFunction, args: readonly Expr[], caller: FnScope): (lock: LockRef) => LockRef {
  let map: Map<string, Expr> | null = null;
  const memo = new Map<LockRef, LockRef>();
  return (lock) => {
    if (lock.root === 'global') return lock;
    let out = memo.get(lock);
    if (!out) {
      if (!map) {
        map = new Map<string, Expr>();
        callee.params.forEach((p, i) => {
          const a = args[i];
          if (a) map!.set(p.name, a);
        });
      }
      out = mapOne(lock, callee, map, caller);
      memo.set(lock, out);
    }
    return out;
  };
}

function mapOne(lock: LockRef, callee: IrFunction, map: Map<string, Expr>, caller: FnScope): LockRef {
  if (lock.root !== 'param') {
    const viaLocal = lock.root === 'local' ? localValueKey(lock, callee, map) : null;
    return { ...lock, key: viaLocal ?? `${callee.name}():${lock.key}`, root: 'unknown' };
  }
  const sub = normalize(substitute(lock.expr, map));
  if (!isPathLike(sub)) return { ...lock, key: `${callee.name}():${lock.key}`, root: 'unknown' };
  const mapped = lockOfObject(sub, caller, lock.kind);
  // The callee knows its parameter types better than the caller's temporaries do.
  return { ...mapped, cls: lock.cls ?? mapped.cls };
}

/**
 * A lock behind a callee's local pointer set once from the parameters
 * (`struct mutex *m = ps2dev->serio->ps2_cmd_mutex ?: &ps2dev->cmd_mutex;`),
 * named by that value in the caller's terms, so that the helper that takes
 * it and the helper that drops it name the same lock in their caller.
 */
function localValueKey(lock: LockRef, callee: IrFunction, params: ReadonlyMap<string, Expr>): string | null {
  const r = rootName(lock.expr);
  const v = r ? singleAssignments(callee).get(r) : undefined;
  if (!r || !v) return null;
  for (const id of freeIds(v, new Set())) if (id === '\0' || id in callee.locals || id.startsWith('$')) return null;
  const value: Expr = { k: 'unknown', text: `(${exprText(substitute(v, params))})` };
  return exprText(substitute(lock.expr, new Map([[r, value]])));
}

/** Two locks are the same by path, by class only, or not at all. */
export function sameLock(a: LockRef, b: LockRef): 'path' | 'class' | null {
  if (a.key === b.key) return 'path';
  if (a.kind && b.kind && a.kind !== b.kind) return null;
  if (a.cls && b.cls && a.cls === b.cls) return 'class';
  return null;
}
