/**
 * The abstract heap: typed objects whose fields are created on first read.
 * A field of an object that existed before the scenario is unconstrained
 * (a fresh symbol typed from the struct definition); a field of a kzalloc'd
 * object is zero.
 */
import type { TreeIndex } from '../parse/index/types.js';
import type { Bounds } from './bounds.js';
import { BoundHit } from './signals.js';
import { addObj, mutableObj, type ObjState, type State } from './state.js';
import { NULLV, ZERO, isPointerType, normType, structName, type SymVal, type Value } from './values.js';

export class TypeInfo {
  private cache = new Map<string, Map<string, string> | null>();
  constructor(private readonly index: TreeIndex) {}

  /** Field name -> declared type of a struct, or null when the struct is not in the tree. */
  fields(type: string | null): Map<string, string> | null {
    const name = structName(type);
    if (!name) return null;
    if (this.cache.has(name)) return this.cache.get(name)!;
    let def = null;
    try {
      def = this.index.struct(name);
    } catch {
      def = null;
    }
    const m = def ? new Map(def.fields.map((f) => [f.name, normType(f.type) ?? f.type])) : builtinStruct(name);
    this.cache.set(name, m);
    return m;
  }

  /** Type of the sub-object at `path` inside an object of type `type`. */
  pathType(type: string | null, path: string): string | null {
    if (!path) return normType(type);
    let t = normType(type);
    for (const seg of path.split('.')) {
      if (seg.startsWith('[')) {
        t = t && /\[.*\]$/.test(t) ? t.replace(/\s*\[[^\]]*\]$/, '') : null;
        continue;
      }
      const f = this.fields(t);
      const ft = f?.get(seg) ?? null;
      t = ft ? normType(ft.replace(/\s*\[[^\]]*\]$/, (m) => m)) : null;
      if (!t) return null;
    }
    return t;
  }
}

/** Kernel types that are never in a driver's tree but whose layout the model relies on. */
function builtinStruct(name: string): Map<string, string> | null {
  switch (name) {
    case 'delayed_work':
      return new Map([['work', 'struct work_struct'], ['timer', 'struct timer_list']]);
    case 'rcu_work':
      return new Map([['work', 'struct work_struct']]);
    case 'kref':
      return new Map([['refcount', 'refcount_t']]);
    default:
      return null;
  }
}

export function newObj(s: State, bounds: Bounds, type: string | null, origin: ObjState['origin'], label: string): number {
  if (Object.keys(s.objs).length >= bounds.objects) throw new BoundHit(`objects (${bounds.objects})`);
  const id = s.nextObj++;
  addObj(s, { id, type: normType(type), fields: {}, origin, freed: 0, label });
  return id;
}

export function newSym(s: State, type: string | null, label: string): SymVal {
  return { k: 'sym', id: s.nextSym++, t: normType(type), label };
}

/** Reads a field, creating it on first read. */
export function readField(s: State, types: TypeInfo, objId: number, path: string, label: string): Value {
  const o = s.objs[objId];
  if (!o) return NULLV;
  const v = o.fields[path];
  if (v !== undefined) return v;
  const t = types.pathType(o.type, path);
  let nv: Value;
  if (o.origin === 'zero') nv = isPointerType(t) ? NULLV : ZERO;
  else nv = newSym(s, t, label);
  mutableObj(s, objId)!.fields[path] = nv;
  return nv;
}

export function writeField(s: State, objId: number, path: string, v: Value): void {
  const o = mutableObj(s, objId);
  if (!o) return;
  // Writing a whole struct-typed sub-object resets what was known below it.
  if (path) {
    const prefix = path + '.';
    for (const k of Object.keys(o.fields)) if (k.startsWith(prefix)) delete o.fields[k];
  }
  o.fields[path] = v;
}

export function locKey(obj: number, path: string): string {
  return `o${obj}${path ? '.' + path : ''}`;
}
