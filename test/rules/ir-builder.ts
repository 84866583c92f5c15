/** Hand-built IR for dataflow tests that must not depend on the C front end. */
import type { Block, Expr, Instr, IrFunction, Pos, Terminator } from '../../src/parse/ir.js';
import type { TreeIndex } from '../../src/parse/index/types.js';

let line = 1;
export function pos(): Pos {
  const l = line++;
  return { line: l, column: 2, endLine: l, endColumn: 40 };
}
export const id = (name: string): Expr => ({ k: 'id', name });
export const fld = (base: Expr, name: string, arrow = true): Expr => ({ k: 'field', base, name, arrow });
export const addr = (arg: Expr): Expr => ({ k: 'unary', op: '&', arg });
export const not = (arg: Expr): Expr => ({ k: 'unary', op: '!', arg });

export function call(callee: string, args: Expr[], result: string | null = null): Instr {
  return { op: 'call', callee, calleeExpr: null, args, result: result ? id(result) : null, pos: pos(), text: `${callee}(...)`, comments: [] };
}
export function guard(cls: string, arg: Expr): Instr {
  return { op: 'guard', class: cls, args: [arg], conditional: false, pos: pos(), text: `guard(${cls})`, comments: [] };
}
export function scopeEnd(cls: string, arg: Expr): Instr {
  return { op: 'scope_end', kind: 'guard', class: cls, args: [arg], pos: pos(), text: '}', comments: [] };
}
export const jump = (to: number): Terminator => ({ op: 'jump', to });
export const branch = (cond: Expr, then: number, els: number): Terminator => ({ op: 'branch', cond, then, else: els, pos: pos(), text: 'if' });
export const ret = (): Terminator => ({ op: 'return', value: null, pos: pos(), text: 'return' });

export function block(id: number, instrs: Instr[], term: Terminator, loopHead = false): Block {
  return { id, instrs, term, labels: [], loopHead };
}

export function fn(name: string, params: [string, string][], blocks: Block[], locals: Record<string, string> = {}): IrFunction {
  return {
    name, file: 't.c', isStatic: true, returnType: 'void',
    params: params.map(([n, t]) => ({ name: n, type: t })), locals, blocks, entry: 0,
    annotations: { mustHold: [], acquires: [], releases: [] }, docComment: null, pos: pos(), parseErrors: 0,
  };
}

/** An index of hand-built functions and one struct. */
export function handIndex(fns: IrFunction[]): TreeIndex {
  return {
    view: { root: '/', read: () => null, exists: () => false, changes: () => new Map() },
    functions: (n) => fns.filter((f) => f.name === n),
    resolve: (n) => fns.find((f) => f.name === n) ?? null,
    functionsIn: (file) => fns.filter((f) => f.file === file),
    callers: () => [],
    struct: (n) => (n === 'grp' ? { name: 'grp', file: 't.c', pos: pos(), fields: [{ name: 'mutex', type: 'struct mutex', pos: pos() }] } : null),
    global: () => null,
    bindingsOf: () => [],
    bindingsFor: () => [],
    skipped: () => [],
  };
}
