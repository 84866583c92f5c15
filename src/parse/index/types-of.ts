/**
 * Types of access paths inside one function (`gdev->work` is a
 * `struct work_struct`) and the (struct, field) key that names the object a
 * path reaches. Work/timer bindings, cancel/flush targets and lock classes
 * all use the same key, so a binding made as `INIT_WORK(&gdev->work, f)` in
 * one function matches `cancel_work_sync(&dev->work)` in another when both
 * roots are `struct group_device *`.
 */
import { exprText } from '../expr-text.js';
import type { Expr, IrFunction } from '../ir.js';
import type { GlobalDef, StructDef } from './types.js';
import { derefType, normType, pointerTo, structNameOf } from './ctype.js';

/** What type resolution needs from an index; TreeIndex satisfies it, and so does one file's facts. */
export interface TypeLookup {
  struct(name: string, fromFile?: string): StructDef | null;
  global(name: string, fromFile?: string): GlobalDef | null;
  resolve(name: string, fromFile: string): IrFunction | null;
  typedef?(name: string, fromFile?: string): string | null;
}

/** Helpers whose result type the index cannot read from a definition (they are macros). */
const MACRO_RESULT: Record<string, string> = {
  to_delayed_work: 'struct delayed_work *',
  to_rcu_work: 'struct rcu_work *',
  to_kthread_work: 'struct kthread_work *',
  current: 'struct task_struct *',
  get_current: 'struct task_struct *',
};

/** Macros that expand to `container_of(ptr, typeof(*var), field)`: the result has var's type. */
const CONTAINER_OF_VAR = new Set(['from_timer', 'timer_container_of', 'from_tasklet', 'from_work', 'hrtimer_container_of']);

/**
 * The normalised C type of `e` evaluated in `fn`: `struct work_struct` for
 * `gdev->work`, `struct work_struct *` for `&gdev->work`. Null when any
 * step is unknown (an untyped macro, a struct the index cannot find).
 */
export function typeOfExpr(fn: IrFunction, e: Expr, index: TypeLookup, depth = 0): string | null {
  if (depth > 32) return null;
  switch (e.k) {
    case 'id':
      return typeOfName(fn, e.name, index, depth);
    case 'field': {
      const bt = typeOfExpr(fn, e.base, index, depth + 1);
      if (!bt) return null;
      const st = e.arrow ? derefType(bt) : bt;
      if (!st) return null;
      return fieldType(st, e.name, index, fn.file);
    }
    case 'index': {
      const bt = typeOfExpr(fn, e.base, index, depth + 1);
      return bt ? derefType(bt) : null;
    }
    case 'unary': {
      if (e.op === '&') {
        const t = typeOfExpr(fn, e.arg, index, depth + 1);
        return t ? pointerTo(t) : null;
      }
      if (e.op === '*') {
        const t = typeOfExpr(fn, e.arg, index, depth + 1);
        return t ? derefType(t) : null;
      }
      return null;
    }
    case 'cast':
      return normType(e.type);
    case 'container_of':
      return pointerTo(normType(e.type));
    case 'cond':
      return typeOfExpr(fn, e.then, index, depth + 1) ?? typeOfExpr(fn, e.else, index, depth + 1);
    default:
      return null;
  }
}

function typeOfName(fn: IrFunction, name: string, index: TypeLookup, depth: number): string | null {
  const p = fn.params.find((x) => x.name === name);
  if (p) return normType(p.type);
  const local = Object.prototype.hasOwnProperty.call(fn.locals, name) ? fn.locals[name] : undefined;
  if (local !== undefined) return normType(local);
  if (name.startsWith('$')) return typeOfTemp(fn, name, index, depth);
  const g = index.global(name, fn.file);
  return g ? normType(g.type) : null;
}

/** A temporary holds a call's result: its type is the callee's return type. */
function typeOfTemp(fn: IrFunction, name: string, index: TypeLookup, depth: number): string | null {
  for (const b of fn.blocks) {
    for (const ins of b.instrs) {
      if (ins.op === 'call' && ins.result?.k === 'id' && ins.result.name === name) {
        const callee = ins.callee;
        if (!callee) return null;
        if (MACRO_RESULT[callee]) return MACRO_RESULT[callee]!;
        if (CONTAINER_OF_VAR.has(callee) && ins.args[0]) return typeOfExpr(fn, ins.args[0], index, depth + 1);
        const def = index.resolve(callee, fn.file);
        return def ? normType(def.returnType) : null;
      }
      if (ins.op === 'assign' && ins.target.k === 'id' && ins.target.name === name) {
        return typeOfExpr(fn, ins.value, index, depth + 1);
      }
    }
  }
  return null;
}

/** The struct a (non-pointer) type names, through typedefs. */
export function structOfType(type: string, index: TypeLookup, fromFile?: string): string | null {
  let t = type;
  for (let hops = 0; hops < 8; hops++) {
    const s = structNameOf(t);
    if (!s) return null;
    if (!s.typedefName) return s.name;
    const next = index.typedef?.(s.name, fromFile) ?? null;
    if (next === null) {
      // A typedef of an anonymous struct is indexed under the typedef's name.
      return index.struct(s.name, fromFile) ? s.name : null;
    }
    t = normType(next);
  }
  return null;
}

export function fieldType(structType: string, field: string, index: TypeLookup, fromFile?: string): string | null {
  const sname = structOfType(structType, index, fromFile);
  if (!sname) return null;
  const def = index.struct(sname, fromFile);
  const f = def?.fields.find((x) => x.name === field);
  return f ? normType(f.type) : null;
}

/**
 * The object an access path reaches, as (struct owning the last field reached
 * through a pointer, field path from there). `&gdev->work` ->
 * (`group_device`, `work`); `&priv->dwork.work` -> (`priv_type`, `dwork.work`);
 * `&a->b->t` -> (type of `a->b`, `t`); a global `&g.w` -> (null, `g.w`); a
 * global `gw` -> (null, `gw`). When the owner's type cannot be found the
 * struct is null and the field is the path as written with `->`
 * (`x->work`), which never equals a global's key.
 */
export function accessKey(
  fn: IrFunction | null,
  e: Expr,
  index: TypeLookup,
): { struct: string | null; field: string; resolved: boolean } | null {
  let cur = stripAddr(e);
  const steps: { name: string; arrow: boolean; base: Expr }[] = [];
  for (;;) {
    if (cur.k === 'field') {
      steps.unshift({ name: cur.name, arrow: cur.arrow, base: cur.base });
      cur = cur.base;
    } else if (cur.k === 'index') {
      // `works[i]`: an element of an array field; which element does not matter for identity.
      const inner = cur.base;
      if (inner.k === 'field') {
        steps.unshift({ name: `${inner.name}[]`, arrow: inner.arrow, base: inner.base });
        cur = inner.base;
      } else {
        cur = inner;
      }
    } else if (cur.k === 'cast') {
      cur = cur.arg;
    } else if (cur.k === 'unary' && cur.op === '*' && steps.length > 0 && !steps[0]!.arrow) {
      // `(*p).x` is `p->x`.
      steps[0] = { ...steps[0]!, arrow: true, base: cur.arg };
      cur = cur.arg;
    } else {
      break;
    }
  }
  const root = cur;
  let last = -1;
  for (let i = steps.length - 1; i >= 0; i--) {
    if (steps[i]!.arrow) {
      last = i;
      break;
    }
  }
  if (last >= 0) {
    const path = steps.slice(last).map((s) => s.name).join('.');
    const ownerPtr = fn ? typeOfExpr(fn, steps[last]!.base, index) : null;
    const owner = ownerPtr ? derefType(ownerPtr) : null;
    const sname = owner ? structOfType(owner, index, fn?.file) : null;
    if (sname) return { struct: sname, field: path, resolved: true };
    return { struct: null, field: exprText(stripAddr(e)), resolved: false };
  }
  if (root.k !== 'id') return null;
  const path = steps.map((s) => s.name);
  const isLocal = fn !== null && (fn.params.some((p) => p.name === root.name) || Object.prototype.hasOwnProperty.call(fn.locals, root.name));
  if (isLocal && path.length > 0) {
    const t = typeOfName(fn!, root.name, index, 0);
    const sname = t ? structOfType(t, index, fn!.file) : null;
    if (sname) return { struct: sname, field: path.join('.'), resolved: true };
    return { struct: null, field: exprText(stripAddr(e)), resolved: false };
  }
  // A bare local or parameter (`kthread_stop(t)`, `flush_work(w)`) names no
  // field and no global: it identifies nothing outside this function, and must
  // not match every binding that happens to use the same variable name.
  if (isLocal) return { struct: null, field: root.name, resolved: false };
  return { struct: null, field: [root.name, ...path].join('.'), resolved: true };
}

function stripAddr(e: Expr): Expr {
  let cur = e;
  while ((cur.k === 'unary' && cur.op === '&') || cur.k === 'cast') cur = cur.arg;
  return cur;
}

export { exprText };
