/**
 * Values of the model. Everything is plain data (no classes, no functions)
 * so a whole machine state can be cloned and hashed as JSON.
 */

/** Integers (booleans are 0/1). */
export interface IntVal { k: 'int'; v: number }
export interface NullVal { k: 'null' }
/** A pointer into object `obj` at field path `path` ('' = the object itself, else `a.b.c`). */
export interface PtrVal { k: 'ptr'; obj: number; path: string }
export interface FnVal { k: 'fn'; name: string }
export interface StrVal { k: 'str'; v: string }
/**
 * An unconstrained value: a parameter, a field never written, the result of a
 * call with no body. `t` is its C type when known. Choices made about it
 * live in the state (`bind`, `facts`), never in the value.
 */
export interface SymVal { k: 'sym'; id: number; t: string | null; label: string }
/** A value computed from unconstrained ones; `key` is canonical source-like text. */
export interface TermVal { k: 'term'; key: string }

export type Value = IntVal | NullVal | PtrVal | FnVal | StrVal | SymVal | TermVal;

export const ZERO: IntVal = { k: 'int', v: 0 };
export const ONE: IntVal = { k: 'int', v: 1 };
export const NULLV: NullVal = { k: 'null' };

export function int(v: number): IntVal {
  return { k: 'int', v };
}
export function bool(b: boolean): IntVal {
  return b ? ONE : ZERO;
}
export function ptr(obj: number, path: string): PtrVal {
  return { k: 'ptr', obj, path };
}
export function joinPath(a: string, b: string): string {
  if (!a) return b;
  if (!b) return a;
  return `${a}.${b}`;
}

const QUALIFIERS = /\b(const|volatile|__rcu|__iomem|__user|__percpu|__force|__private|static|inline|extern|register|__maybe_unused|__always_unused|signed)\b/g;

/** `const struct foo  *` -> `struct foo *`; `struct foo` -> `struct foo`. */
const normCache = new Map<string, string | null>();
export function normType(t: string | null | undefined): string | null {
  if (!t) return null;
  const hit = normCache.get(t);
  if (hit !== undefined) return hit;
  const r = normType0(t);
  if (normCache.size < 100000) normCache.set(t, r);
  return r;
}

function normType0(t: string): string | null {
  let s = t.replace(QUALIFIERS, ' ').replace(/\s+/g, ' ').trim();
  s = s.replace(/\s*\*\s*/g, '*').replace(/^([^*]*[^*\s])\*/, '$1 *');
  return s || null;
}

/** The pointed-to type of a pointer type, or null when `t` is not a pointer. */
export function pointee(t: string | null): string | null {
  const n = normType(t);
  if (!n || !n.endsWith('*')) return null;
  return n.slice(0, -1).trim() || null;
}

export function isPointerType(t: string | null): boolean {
  const n = normType(t);
  return !!n && (n.endsWith('*') || /\[\s*\]$/.test(n));
}

/** `struct foo` / `foo` -> `foo` (the name struct definitions are indexed by). */
export function structName(t: string | null): string | null {
  const n = normType(t);
  if (!n || n.endsWith('*')) return null;
  const m = /^(?:struct|union)\s+([A-Za-z_]\w*)$/.exec(n);
  if (m) return m[1]!;
  if (/^[A-Za-z_]\w*$/.test(n)) return n;
  return null;
}

/** Typedef'd kernel lock and async types that are not written as `struct x`. */
const KNOWN_TYPEDEFS: Record<string, string> = {
  spinlock_t: 'spinlock_t',
  raw_spinlock_t: 'raw_spinlock_t',
  rwlock_t: 'rwlock_t',
  atomic_t: 'atomic_t',
  refcount_t: 'refcount_t',
};
export function isKnownTypedef(name: string): boolean {
  return name in KNOWN_TYPEDEFS;
}

export function sameValue(a: Value, b: Value): boolean {
  switch (a.k) {
    case 'int': return b.k === 'int' && a.v === b.v;
    case 'null': return b.k === 'null' || (b.k === 'int' && b.v === 0);
    case 'ptr': return b.k === 'ptr' && a.obj === b.obj && a.path === b.path;
    case 'fn': return b.k === 'fn' && a.name === b.name;
    case 'str': return b.k === 'str' && a.v === b.v;
    case 'sym': return b.k === 'sym' && a.id === b.id;
    case 'term': return b.k === 'term' && a.key === b.key;
  }
}

/** Canonical text of a value used as a key in facts (`s3`, `(s3 + 1)`, `7`). */
export function valueKey(v: Value): string {
  switch (v.k) {
    case 'int': return String(v.v);
    case 'null': return 'NULL';
    case 'ptr': return `&o${v.obj}${v.path ? '.' + v.path : ''}`;
    case 'fn': return v.name;
    case 'str': return JSON.stringify(v.v);
    case 'sym': return `s${v.id}`;
    case 'term': return v.key;
  }
}
