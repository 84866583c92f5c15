/**
 * The C-like text of an IR expression, for lock names, lookup keys and
 * messages: one definition, so a lock path written by the rules and a key
 * computed by the index always agree.
 */
import type { Expr } from './ir.js';

/** The source-like text of an expression. */
export function exprText(e: Expr): string {
  switch (e.k) {
    case 'id':
      return e.name;
    case 'num':
      return e.text;
    case 'str':
      return JSON.stringify(e.value);
    case 'null':
      return 'NULL';
    case 'bool':
      return String(e.value);
    case 'field':
      return `${wrap(e.base)}${e.arrow ? '->' : '.'}${e.name}`;
    case 'index':
      return `${wrap(e.base)}[${exprText(e.index)}]`;
    case 'unary':
      return `${e.op}${wrap(e.arg)}`;
    case 'binary':
      return `${exprText(e.left)} ${e.op} ${exprText(e.right)}`;
    case 'cond':
      return `${exprText(e.test)} ? ${exprText(e.then)} : ${exprText(e.else)}`;
    case 'cast':
      return `(${e.type})${wrap(e.arg)}`;
    case 'sizeof':
      return `sizeof(${e.text})`;
    case 'container_of':
      return `container_of(${exprText(e.ptr)}, ${e.type}, ${e.member})`;
    case 'unknown':
      return e.text;
  }
}

/** Bases and operands that are not primary expressions keep their parentheses. */
function wrap(e: Expr): string {
  const s = exprText(e);
  return e.k === 'id' || e.k === 'field' || e.k === 'index' || e.k === 'num' || e.k === 'container_of' ? s : `(${s})`;
}
