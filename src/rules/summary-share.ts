/**
 * Summaries handed from one view of a series to the next. The views of a
 * series differ only in the files the series touches, so the summary of a
 * function elsewhere stays right in every view unless something it was
 * built from lives in a touched file: a callee defined there (or a callee
 * name defined there in some view, which a later view could resolve to), or
 * a work/timer binding made there. One view of a 10-patch scan then pays
 * for the callees of the touched files once, not eleven times.
 *
 * Only used when nothing outside the functions of the touched files differs
 * between the views (seriesFocus() is non-null): a changed macro, struct,
 * global or prototype can change any summary.
 */
import type { IrFunction } from '../parse/ir.js';
import type { Binding } from '../parse/index/types.js';

export interface ShareScope {
  /** Files the series touches. */
  touched: ReadonlySet<string>;
  /**
   * Functions of the touched files that are the same text at the same line
   * in every view (`file\0name\0line`): above the first hunk, say. They and
   * their callers can be shared like any other.
   */
  stable: ReadonlySet<string>;
  /** Names of the other functions the touched files define, in any view: a call to one is view-specific. */
  names: ReadonlySet<string>;
  /** Whether the work/timer/kthread bindings of the touched files differ between views (positions aside). */
  bindingsChanged: boolean;
}

export class SummaryShare<S extends object = object> {
  private readonly store = new Map<string, S>();
  private readonly callsTouched = new WeakMap<IrFunction, boolean>();
  readonly stats = { stored: 0, reused: 0 };

  constructor(readonly scope: ShareScope) {}

  private key(fn: IrFunction, consts: string): string {
    return `${fn.file}\0${fn.name}\0${fn.pos.line}\0${consts}`;
  }

  /** A summary an earlier view built for the same function (and constants), or undefined. */
  take(fn: IrFunction, consts: string): S | undefined {
    const s = this.store.get(this.key(fn, consts));
    if (s) this.stats.reused++;
    return s;
  }

  put(fn: IrFunction, consts: string, s: S): void {
    const k = this.key(fn, consts);
    if (this.store.has(k)) return;
    this.store.set(k, s);
    this.stats.stored++;
  }

  /** Whether `fn` itself depends on a touched file: it moves or changes in one, or calls a name that does. */
  ownDependsOnTouched(fn: IrFunction): boolean {
    if (this.scope.touched.has(fn.file) && !this.scope.stable.has(`${fn.file}\0${fn.name}\0${fn.pos.line}`)) return true;
    const hit = this.callsTouched.get(fn);
    if (hit !== undefined) return hit;
    let out = false;
    for (const b of fn.blocks) {
      for (const i of b.instrs) {
        if (i.op === 'call' && i.callee && this.scope.names.has(i.callee)) {
          out = true;
          break;
        }
      }
      if (out) break;
    }
    this.callsTouched.set(fn, out);
    return out;
  }

  /** Whether the callbacks a wait lookup found (or could find in another view) depend on a touched file. */
  targetsDependOnTouched(bindings: readonly Binding[]): boolean {
    return this.scope.bindingsChanged || bindings.some((b) => this.scope.touched.has(b.file));
  }
}

export interface ViewFunction {
  file: string;
  name: string;
  line: number;
  text: string;
}

/** The share scope of a series from what each view's touched files define and bind. */
export function shareScope(touched: Iterable<string>, perView: { functions: readonly ViewFunction[]; bindings: readonly Binding[] }[]): ShareScope {
  // Stable: present in every view, with the same text at the same line.
  const seen = new Map<string, { text: string; views: number; same: boolean }>();
  perView.forEach((v, vi) => {
    for (const f of v.functions) {
      const k = `${f.file}\0${f.name}\0${f.line}`;
      const e = seen.get(k);
      if (!e) seen.set(k, { text: f.text, views: 1, same: vi === 0 });
      else {
        e.same &&= e.text === f.text && e.views === vi;
        e.views++;
      }
    }
  });
  const stable = new Set<string>();
  for (const [k, e] of seen) if (e.same && e.views === perView.length) stable.add(k);
  const names = new Set<string>();
  for (const v of perView) for (const f of v.functions) if (!stable.has(`${f.file}\0${f.name}\0${f.line}`)) names.add(f.name);
  const prints = perView.map((v) =>
    v.bindings
      .map((b) => JSON.stringify([b.kind, b.callback, b.via, b.struct, b.field, b.file, b.function]))
      .sort()
      .join('\n'),
  );
  return { touched: new Set(touched), stable, names, bindingsChanged: prints.some((p) => p !== prints[0]) };
}
