/** Small helpers for turning tree-sitter leaves into IR expressions. */
import type { Expr } from '../ir.js';

/** The parts of a syntax node these helpers read. */
interface N {
  type: string;
  startIndex: number;
  endIndex: number;
  namedChildren: N[];
}

export function numberExpr(text: string): Expr {
  const t = text.replace(/[uUlL]+$/, '');
  let value: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) value = parseInt(t.slice(2), 16);
  else if (/^0[bB][01]+$/.test(t)) value = parseInt(t.slice(2), 2);
  else if (/^0[0-7]+$/.test(t)) value = parseInt(t, 8);
  else value = Number(t.replace(/[fF]$/, ''));
  if (!Number.isFinite(value)) value = 0;
  return { k: 'num', value, text };
}

export function charExpr(text: string): Expr {
  const m = /^[LuU]?'(.*)'$/s.exec(text);
  const body = m ? m[1]! : text;
  const escapes: Record<string, number> = { n: 10, t: 9, r: 13, '0': 0, '\\': 92, "'": 39, '"': 34, a: 7, b: 8, f: 12, v: 11 };
  let value = 0;
  if (body.startsWith('\\')) {
    const rest = body.slice(1);
    if (/^x[0-9a-fA-F]+$/.test(rest)) value = parseInt(rest.slice(1), 16);
    else if (/^[0-7]{1,3}$/.test(rest)) value = parseInt(rest, 8);
    else value = escapes[rest] ?? rest.charCodeAt(0);
  } else value = body.codePointAt(0) ?? 0;
  return { k: 'num', value, text };
}

/** The value of a string literal or of adjacent literals, escapes kept as written. */
export function stringValue(n: N, src: (n: N) => string): string {
  if (n.type === 'concatenated_string') {
    return n.namedChildren.filter((c) => c.type === 'string_literal').map((c) => stringValue(c, src)).join('');
  }
  const t = src(n);
  const m = /^[A-Za-z0-9]*"(.*)"$/s.exec(t);
  return m ? m[1]! : t;
}

const UNARY_OPS = new Set(['&', '*', '!', '-', '~', '+']);
export function isUnaryOp(op: string): op is '&' | '*' | '!' | '-' | '~' | '+' {
  return UNARY_OPS.has(op);
}

/** Call-free expression text for a macro argument, parsed just enough: ids, numbers, `-X`, `&x->y`. */
export function simpleExpr(text: string): Expr {
  const t = text.trim();
  if (/^[A-Za-z_]\w*$/.test(t)) return t === 'NULL' ? { k: 'null' } : { k: 'id', name: t };
  if (/^\d[\w.]*$/.test(t)) return numberExpr(t);
  if (t.startsWith('-') && /^-\s*[A-Za-z_]\w*$/.test(t)) return { k: 'unary', op: '-', arg: { k: 'id', name: t.slice(1).trim() } };
  return { k: 'unknown', text: t };
}
