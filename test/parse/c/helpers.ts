import { extractFunctions } from '../../../src/parse/c/api.js';
import type { Block, CallInstr, Expr, Instr, IrFunction, Terminator } from '../../../src/parse/ir.js';

export function lowerOne(src: string, name?: string): IrFunction {
  const fns = extractFunctions(src, 'test.c');
  const f = name ? fns.find((x) => x.name === name) : fns[0];
  if (!f) throw new Error(`no function ${name ?? ''} in ${fns.map((x) => x.name).join(',')}`);
  return f;
}

export function instrs(f: IrFunction): Instr[] {
  return f.blocks.flatMap((b) => b.instrs);
}

export function calls(f: IrFunction, callee?: string): CallInstr[] {
  return instrs(f).filter((i): i is CallInstr => i.op === 'call' && (callee === undefined || i.callee === callee));
}

export function blockWith(f: IrFunction, pred: (i: Instr) => boolean): Block {
  const b = f.blocks.find((x) => x.instrs.some(pred));
  if (!b) throw new Error('no such block');
  return b;
}

export function successors(t: Terminator): number[] {
  switch (t.op) {
    case 'jump': return [t.to];
    case 'branch': return [t.then, t.else];
    case 'switch': return t.cases.map((c) => c.to);
    case 'foreach': return [t.body, t.exit];
    default: return [];
  }
}

/** Blocks reachable from `from` (inclusive). */
export function reachable(f: IrFunction, from = f.entry): Set<number> {
  const seen = new Set<number>();
  const work = [from];
  while (work.length) {
    const b = work.pop()!;
    if (seen.has(b)) continue;
    seen.add(b);
    work.push(...successors(f.blocks[b]!.term));
  }
  return seen;
}

/** Compact rendering of an expression, for assertions. */
export function show(e: Expr | null): string {
  if (!e) return 'null';
  switch (e.k) {
    case 'id': return e.name;
    case 'num': return e.text;
    case 'str': return JSON.stringify(e.value);
    case 'null': return 'NULL';
    case 'bool': return String(e.value);
    case 'field': return `${show(e.base)}${e.arrow ? '->' : '.'}${e.name}`;
    case 'index': return `${show(e.base)}[${show(e.index)}]`;
    case 'unary': return `${e.op}${show(e.arg)}`;
    case 'binary': return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'cond': return `(${show(e.test)} ? ${show(e.then)} : ${show(e.else)})`;
    case 'cast': return `(${e.type})${show(e.arg)}`;
    case 'sizeof': return e.text;
    case 'container_of': return `container_of(${show(e.ptr)}, ${e.type}, ${e.member})`;
    case 'unknown': return `?{${e.text}}`;
  }
}

/**
 * Walk every path from the entry; at each return, report the guard/cleanup
 * scopes still open (scope_end pops the most recent matching entry).
 */
export function openScopesAtReturns(f: IrFunction): { ret: string; open: string[] }[] {
  const out: { ret: string; open: string[] }[] = [];
  const seen = new Set<string>();
  const work: { b: number; open: string[] }[] = [{ b: f.entry, open: [] }];
  while (work.length) {
    const { b, open } = work.pop()!;
    const key = `${b}|${open.join(',')}`;
    if (seen.has(key) || seen.size > 5000) continue;
    seen.add(key);
    const cur = [...open];
    const block = f.blocks[b]!;
    for (const i of block.instrs) {
      if (i.op === 'guard') cur.push(`guard:${i.class}`);
      else if (i.op === 'decl' && i.cleanup) cur.push(`cleanup:${i.cleanup}`);
      else if (i.op === 'scope_end') {
        const k = `${i.kind}:${i.class}`;
        const at = cur.lastIndexOf(k);
        if (at >= 0) cur.splice(at, 1);
        else cur.push(`EXTRA-END:${k}`);
      }
    }
    if (block.term.op === 'return') out.push({ ret: block.term.text, open: cur });
    for (const s of successors(block.term)) work.push({ b: s, open: cur });
  }
  return out;
}

/** 1-based line and column of the first occurrence of `needle` in `src`. */
export function where(src: string, needle: string, nth = 0): { line: number; column: number } {
  let at = -1;
  for (let i = 0; i <= nth; i++) at = src.indexOf(needle, at + 1);
  if (at < 0) throw new Error(`not found: ${needle}`);
  const before = src.slice(0, at);
  const line = before.split('\n').length;
  const column = at - before.lastIndexOf('\n');
  return { line, column };
}
