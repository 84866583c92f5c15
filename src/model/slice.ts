/**
 * Which calls can matter to a question about one lock. A single-thread lock
 * scenario (is L held here? taken twice? released on every path?) only needs
 * the calls that can take or release a lock of L's member; every other call
 * is run as an external call (unconstrained result, no effects), as a call
 * with no body already is. On real code this turns a search through whole
 * subsystems (an init function calling dozens of helpers) into one through
 * the function's own branches and the few helpers that touch the lock.
 *
 * The slice follows direct calls (indirect ones are external to the model
 * unless an ops table names them, and are not followed here), kref_put's
 * release function, and stops being sure at a depth: deeper than that, a
 * callee is assumed to touch the lock.
 */
import type { Expr, IrFunction } from '../parse/ir.js';
import type { TreeIndex } from '../parse/index/types.js';
import { accessKey, type TypeLookup } from '../parse/index/types-of.js';
import { exprText, lockMember } from './exprtext.js';
import type { Machine } from './machine.js';
import { PRIMITIVES, guardLockMode } from './primitives.js';
import { inScope } from './scope.js';

const MAX_DEPTH = 8;
const RELEASERS: Record<string, number> = { kref_put: 1, kref_put_mutex: 1, kref_put_lock: 1 };

/** The lock's class as the index can tell it: the struct whose member it is, and the member. */
export interface LockClass {
  struct: string;
  field: string;
}

function lookupOf(index: TreeIndex): TypeLookup {
  return {
    struct: (n, from) => index.struct(n, from),
    global: (n, from) => index.global(n, from),
    resolve: (n, from) => index.resolve(n, from),
    typedef: index.typedef ? (n, from) => index.typedef!(n, from) : undefined,
  };
}

/** The class of the lock `e` in `fn`, when the index can type the access path (and it is a plain member: `s->lock`). */
export function lockClassOf(index: TreeIndex, fn: IrFunction | null, e: Expr): LockClass | null {
  try {
    const k = accessKey(fn, e, lookupOf(index));
    if (!k || !k.resolved || !k.struct || k.field.includes('.') || k.field.includes('[')) return null;
    return { struct: k.struct, field: k.field };
  } catch {
    return null;
  }
}

export class LockSlice {
  private memo = new Map<string, boolean>();
  /**
   * With a class, a lock op whose access path types to another struct's
   * member of the same name (`pages->mutex` for `ioas->mutex`) is not the
   * lock; without one (or when the path cannot be typed) the member name decides.
   */
  constructor(
    private readonly m: Machine,
    readonly member: string,
    readonly cls: LockClass | null = null,
  ) {}

  /** Whether running `fn` may take or release a lock of the slice's member. */
  touches(fn: IrFunction, depth = 0, open = new Set<string>()): boolean {
    const key = this.m.fnKey(fn);
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    if (depth > MAX_DEPTH) return true;
    if (open.has(key)) return false; // recursion: the other frames decide
    if (fn.annotations.acquires.length || fn.annotations.releases.length) return this.set(key, true, depth);
    open.add(key);
    let r = false;
    outer: for (const b of fn.blocks) {
      for (const i of b.instrs) {
        if ((i.op === 'guard' || (i.op === 'scope_end' && i.kind === 'guard')) && guardLockMode(i.class) !== null) {
          if (this.isLock(fn, i.args[0])) { r = true; break outer; }
          continue;
        }
        if (i.op !== 'call' || !i.callee) continue;
        const p = PRIMITIVES[i.callee];
        if (p?.lock) {
          if (p.lock.member ? p.lock.member === this.member : this.isLock(fn, i.args[0])) { r = true; break outer; }
          continue;
        }
        const rel = RELEASERS[i.callee];
        const target = rel !== undefined ? i.args[rel] : undefined;
        const name = target ? (target.k === 'id' ? target.name : target.k === 'unary' && target.arg.k === 'id' ? target.arg.name : null) : p ? null : i.callee;
        if (!name) continue;
        const callee = this.m.resolve(name, fn.file);
        if (!callee) continue;
        if (this.m.scope && !inScope(this.m.scope, callee) && !this.m.locksItself(callee)) continue;
        if (this.touches(callee, depth + 1, open)) { r = true; break outer; }
      }
    }
    open.delete(key);
    return this.set(key, r, depth);
  }

  private set(key: string, v: boolean, depth: number): boolean {
    // A "no" found under an open recursion may depend on a frame still being decided: keep only sure answers.
    if (v || depth === 0) this.memo.set(key, v);
    return v;
  }

  private isLock(fn: IrFunction, e: Expr | undefined): boolean {
    if (!e) return true;
    if (lockMember(exprText(e)) !== this.member) return false;
    if (!this.cls) return true;
    const c = lockClassOf(this.m.index, fn, e);
    return !c || (c.struct === this.cls.struct && c.field === this.cls.field);
  }
}
