/**
 * What one model run asked of the tree, each answer kept as a fingerprint
 * that leaves positions (and comments) out. A run whose every question has
 * the same answer in another view of the tree (the tree after a patch) runs
 * the same way there, only with its lines shifted: the series analysis
 * explores such a run once and reuses it in every view (the scenario moves
 * its trace lines with replayShift()).
 */
import { fileConstant } from '../parse/index/macro-values.js';
import { createHash } from 'node:crypto';
import type { IrFunction } from '../parse/ir.js';
import type { Binding, GlobalDef, StructDef, TreeIndex } from '../parse/index/types.js';
import type { TreeView } from '../parse/tree.js';

const noPos = (k: string, v: unknown) => (k === 'pos' || k === 'comments' || k === 'docComment' ? undefined : v);
const hash = (s: string) => createHash('sha1').update(s).digest('base64');

const prints = new WeakMap<IrFunction, string>();

/** A function's IR without positions or comments: equal prints run the same way in the model. */
export function fnPrint(fn: IrFunction | null | undefined): string {
  if (!fn) return '-';
  let p = prints.get(fn);
  if (p === undefined) {
    p = hash(JSON.stringify(fn, noPos));
    prints.set(fn, p);
  }
  return p;
}

const plain = (v: StructDef | GlobalDef | Binding[] | string | string[] | null | undefined) => (v === null || v === undefined ? '-' : JSON.stringify(v, noPos));

type Kind = 'resolve' | 'functions' | 'functionsIn' | 'callers' | 'struct' | 'global' | 'typedef' | 'bindingsOf' | 'bindingsFor' | 'mentions' | 'constant' | 'define' | 'macro';

/** Text questions answered by the model itself from a file's text (a `#define`): recomputed from the other view's text. */
export type TextQuery = (text: string | null) => string;

export class Deps {
  /** `kind\0args` -> fingerprint of the answer. */
  readonly answers = new Map<string, { kind: Kind; args: (string | null)[]; print: string; text?: TextQuery }>();
  /** Positions of the functions met, by print: the lines to shift a trace by in another view. */
  readonly where = new Map<string, { file: string; line: number; endLine: number }>();

  note(kind: Kind, args: (string | null)[], print: string, text?: TextQuery): void {
    const key = `${kind}\0${args.join('\0')}`;
    if (!this.answers.has(key)) this.answers.set(key, { kind, args, print, ...(text ? { text } : {}) });
  }

  fns(fns: readonly (IrFunction | null)[]): string {
    return fns
      .map((f) => {
        if (!f) return '-';
        const p = fnPrint(f);
        if (!this.where.has(p)) this.where.set(p, { file: f.file, line: f.pos.line, endLine: f.pos.endLine });
        return p;
      })
      .join(',');
  }
}

function readText(index: TreeIndex, file: string): string | null {
  try {
    return index.view.read(file);
  } catch {
    return null;
  }
}

/** Answers a question as the index does, and its fingerprint ('!' when it throws). */
function ask(index: TreeIndex, kind: Kind, args: (string | null)[], d: Deps | null, text?: TextQuery): { value: unknown; print: string; threw?: unknown } {
  const fns = (x: readonly (IrFunction | null)[]) => (d ? d.fns(x) : x.map((f) => fnPrint(f)).join(','));
  const a = args as string[];
  try {
    switch (kind) {
      case 'resolve': {
        const v = index.resolve(a[0]!, a[1]!);
        return { value: v, print: fns([v]) };
      }
      case 'functions': {
        const v = index.functions(a[0]!);
        return { value: v, print: fns(v) };
      }
      case 'functionsIn': {
        const v = index.functionsIn(a[0]!);
        return { value: v, print: fns(v) };
      }
      case 'callers': {
        const v = index.callers(a[0]!);
        return { value: v, print: fns(v) };
      }
      case 'struct': {
        const v = index.struct(a[0]!, args[1] ?? undefined);
        return { value: v, print: plain(v) };
      }
      case 'global': {
        const v = index.global(a[0]!, args[1] ?? undefined);
        return { value: v, print: plain(v) };
      }
      case 'typedef': {
        const v = index.typedef ? index.typedef(a[0]!, args[1] ?? undefined) : null;
        return { value: v, print: plain(v) };
      }
      case 'bindingsOf': {
        const v = index.bindingsOf(a[0]!);
        return { value: v, print: plain(v) };
      }
      case 'bindingsFor': {
        const v = index.bindingsFor(args[0] ?? null, a[1]!);
        return { value: v, print: plain(v) };
      }
      case 'mentions': {
        const v = index.mentions ? index.mentions(a[0]!) : [];
        return { value: v, print: plain(v) };
      }
      case 'constant': {
        // An index without an include graph (tests' in-memory trees): the file's own #defines.
        const v = index.constant ? index.constant(a[0]!, a[1]!) : fileConstant(readText(index, a[1]!), a[0]!);
        return { value: v, print: String(v) };
      }
      case 'define':
      case 'macro': {
        let t: string | null = null;
        try {
          t = index.view.read(a[0]!);
        } catch {
          t = null;
        }
        return { value: null, print: text!(t) };
      }
    }
  } catch (e) {
    return { value: null, print: '!', threw: e };
  }
}

/** The index as the model sees it, writing down every question and its answer. */
export class RecordingIndex implements TreeIndex {
  constructor(
    readonly inner: TreeIndex,
    readonly deps: Deps,
  ) {}
  get view(): TreeView {
    return this.inner.view;
  }
  private q<T>(kind: Kind, args: (string | null)[]): T {
    const r = ask(this.inner, kind, args, this.deps);
    this.deps.note(kind, args, r.print);
    if (r.threw !== undefined) throw r.threw;
    return r.value as T;
  }
  functions(name: string): IrFunction[] {
    return this.q('functions', [name]);
  }
  resolve(name: string, fromFile: string): IrFunction | null {
    return this.q('resolve', [name, fromFile]);
  }
  functionsIn(file: string): IrFunction[] {
    return this.q('functionsIn', [file]);
  }
  callers(name: string): IrFunction[] {
    return this.q('callers', [name]);
  }
  mentions(name: string): string[] {
    return this.q('mentions', [name]);
  }
  struct(name: string, fromFile?: string): StructDef | null {
    return this.q('struct', [name, fromFile ?? null]);
  }
  global(name: string, fromFile?: string): GlobalDef | null {
    return this.q('global', [name, fromFile ?? null]);
  }
  typedef(name: string, fromFile?: string): string | null {
    return this.q('typedef', [name, fromFile ?? null]);
  }
  constant(name: string, fromFile: string): number | null {
    return this.q('constant', [name, fromFile]);
  }
  bindingsOf(callback: string): Binding[] {
    return this.q('bindingsOf', [callback]);
  }
  bindingsFor(struct: string | null, field: string): Binding[] {
    return this.q('bindingsFor', [struct, field]);
  }
  skipped(): { file: string; reason: string }[] {
    return this.inner.skipped();
  }
  prefetchCallers(names: string[]): void {
    this.inner.prefetchCallers?.(names);
  }
  prefetch(names: string[]): void {
    this.inner.prefetch?.(names);
  }
}

/** Notes a question the model answered from a file's text (recorded only when the index is recording). */
export function noteText(index: TreeIndex, kind: 'define' | 'macro', file: string, name: string, print: string, text: TextQuery): void {
  if (index instanceof RecordingIndex) index.deps.note(kind, [file, name], print, text);
}

/**
 * Asks every recorded question of `index`: null when an answer differs, else
 * how to move a line of the recorded run to the same line in this view
 * (functions whose text shifted). `given`: the functions the run was handed
 * (recorded with `d.fns()` when it ran), in this view.
 */
export function replayShift(d: Deps, index: TreeIndex, given: readonly IrFunction[] = []): ((file: string, line: number) => number) | null {
  const now = new Deps();
  // The functions the run was handed rather than asked for (its entry points): their lines move too.
  now.fns(given);
  for (const a of d.answers.values()) {
    const r = ask(index, a.kind, a.args, now, a.text);
    if (r.print !== a.print) return null;
  }
  return shiftBetween(d, now);
}

/** Line mapping from the functions of `from` to the same functions (same print) of `to`. */
export function shiftBetween(from: Deps, to: Deps): (file: string, line: number) => number {
  const byFile = new Map<string, { line: number; endLine: number; delta: number }[]>();
  for (const [p, a] of from.where) {
    const b = to.where.get(p);
    if (!b || b.line === a.line) continue;
    let l = byFile.get(a.file);
    if (!l) byFile.set(a.file, (l = []));
    l.push({ line: a.line, endLine: a.endLine, delta: b.line - a.line });
  }
  return (file, line) => {
    const l = byFile.get(file);
    if (!l) return line;
    for (const r of l) if (r.line <= line && line <= r.endLine) return line + r.delta;
    return line;
  };
}
