/**
 * Small helpers over IR expressions: their source-like text (for traces and
 * lock names) and a tiny parser for the access paths found in annotations
 * (`__must_hold(&x->lock)`) and macro arguments.
 */
import type { Expr } from '../parse/ir.js';

export function exprText(e: Expr): string {
  switch (e.k) {
    case 'id': return e.name;
    case 'num': return e.text;
    case 'str': return JSON.stringify(e.value);
    case 'null': return 'NULL';
    case 'bool': return e.value ? 'true' : 'false';
    case 'field': return `${exprText(e.base)}${e.arrow ? '->' : '.'}${e.name}`;
    case 'index': return `${exprText(e.base)}[${exprText(e.index)}]`;
    case 'unary': return `${e.op}${wrap(e.arg)}`;
    case 'binary': return `${wrap(e.left)} ${e.op} ${wrap(e.right)}`;
    case 'cond': return `${wrap(e.test)} ? ${wrap(e.then)} : ${wrap(e.else)}`;
    case 'cast': return `(${e.type})${wrap(e.arg)}`;
    case 'sizeof': return `sizeof(${e.text})`;
    case 'container_of': return `container_of(${exprText(e.ptr)}, ${e.type}, ${e.member})`;
    case 'unknown': return e.text;
  }
}

function wrap(e: Expr): string {
  return e.k === 'binary' || e.k === 'cond' ? `(${exprText(e)})` : exprText(e);
}

/** A lock's display name from the expression passed to a lock call: `&group->mutex` -> `group->mutex`. */
export function lockName(e: Expr | undefined): string {
  if (!e) return '?';
  if (e.k === 'unary' && e.op === '&') return exprText(e.arg);
  return exprText(e);
}

/** Loose comparison of two lock names (`&(g)->mutex` vs `g->mutex`). */
export function normLockName(s: string): string {
  return s.replace(/\s+/g, '').replace(/^&/, '').replace(/[()]/g, '');
}

/** The member a lock is, the last field of its path (`base_lock` for `ar->ab->base_lock`, `lock` for `q[i].lock`). */
export function lockMember(s: string): string {
  const n = normLockName(s).replace(/\[[^\]]*\]/g, '');
  return n.split(/->|\./).pop() ?? n;
}

/** Whether two lock names may be the same lock class: the same member (liberal, so a refutation never rests on a name mismatch). */
export function sameLockMember(a: string, b: string): boolean {
  return lockMember(a) === lockMember(b);
}

/**
 * Parses an access path: identifiers, `->`, `.`, `&`, `*`, parentheses,
 * integers, `[index]`. Returns null for anything else.
 */
export function parsePath(text: string): Expr | null {
  const toks = text.match(/->|[A-Za-z_]\w*|\d+|[&*().[\]]/g);
  if (!toks || toks.join('') !== text.replace(/\s+/g, '')) return null;
  let i = 0;
  const peek = () => toks[i];
  function primary(): Expr | null {
    const t = toks![i++];
    if (t === undefined) return null;
    if (t === '&' || t === '*') {
      const arg = unary();
      return arg ? { k: 'unary', op: t, arg } : null;
    }
    if (t === '(') {
      const e = unary();
      if (toks![i++] !== ')') return null;
      return e;
    }
    if (/^\d+$/.test(t)) return { k: 'num', value: Number(t), text: t };
    if (/^[A-Za-z_]\w*$/.test(t)) return t === 'NULL' ? { k: 'null' } : { k: 'id', name: t };
    return null;
  }
  function postfix(e: Expr | null): Expr | null {
    while (e) {
      const t = peek();
      if (t === '->' || t === '.') {
        i++;
        const n = toks![i++];
        if (!n || !/^[A-Za-z_]\w*$/.test(n)) return null;
        e = { k: 'field', base: e, name: n, arrow: t === '->' };
      } else if (t === '[') {
        i++;
        const idx = unary();
        if (!idx || toks![i++] !== ']') return null;
        e = { k: 'index', base: e, index: idx };
      } else break;
    }
    return e;
  }
  function unary(): Expr | null {
    const t = peek();
    if (t === '&' || t === '*') {
      i++;
      const arg = unary();
      return arg ? { k: 'unary', op: t, arg } : null;
    }
    return postfix(primary());
  }
  const e = unary();
  return i === toks.length ? e : null;
}
