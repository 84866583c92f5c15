/**
 * Locks made re-entrant by an owner-tracking wrapper. The clk framework's
 * `clk_prepare_lock()` tries the mutex, and when that fails and
 * `prepare_owner == current`, bumps a count and returns without taking it:
 * the lock is still held, by this task. `clk_prepare_unlock()` drops it only
 * when the count reaches zero. Read literally, the wrapper "maybe acquires"
 * the lock and the unlock "maybe releases" it, and every caller of an
 * asserting clk function is reported. A lock whose trylock is followed by
 * an owner check against `current` in some function of its file is taken as
 * re-entrant there: its wrappers acquire and release it on every path, and
 * the wrapper's own trylock and lock are not takes a caller can deadlock on.
 */
import type { Expr, IrFunction } from '../parse/ir.js';
import type { TreeIndex } from '../parse/index/types.js';
import { acquirePrim } from './primitives.js';
import { lockRef, type FnScope } from './lockpath.js';

function mentionsCurrent(e: Expr): boolean {
  switch (e.k) {
    case 'id':
      return e.name === 'current';
    case 'binary':
      return (e.op === '==' || e.op === '!=') && (isCurrent(e.left) || isCurrent(e.right));
    case 'unary':
    case 'cast':
      return mentionsCurrent(e.arg);
    default:
      return false;
  }
}

function isCurrent(e: Expr): boolean {
  if (e.k === 'cast') return isCurrent(e.arg);
  return (e.k === 'id' && e.name === 'current') || (e.k === 'unknown' && /^(current|get_current\(\))$/.test(e.text.trim()));
}

/** Keys of the locks `fn` trylocks and then checks the owner of against `current`. */
export function ownerCheckedLocks(fn: IrFunction, scopeOf: (fn: IrFunction) => FnScope): Set<string> {
  const out = new Set<string>();
  let ownerCheck = false;
  for (const b of fn.blocks) {
    if (b.term.op === 'branch' && (mentionsCurrent(b.term.cond) || /[!=]=\s*current\b|\bcurrent\s*[!=]=/.test(b.term.text))) ownerCheck = true;
  }
  if (!ownerCheck) return out;
  const scope = scopeOf(fn);
  for (const b of fn.blocks) {
    for (const i of b.instrs) {
      if (i.op !== 'call' || !i.callee || !i.args[0]) continue;
      const a = acquirePrim(i.callee);
      if (a && a.cond === 'nonzero') out.add(lockRef(i.args[0], scope, a.kind).key);
    }
  }
  return out;
}

/** Re-entrant lock keys per file: those some function of the file owner-checks. */
export class ReentrantLocks {
  private byFile = new Map<string, Set<string>>();

  constructor(
    private readonly index: TreeIndex,
    private readonly scopeOf: (fn: IrFunction) => FnScope,
  ) {}

  inFile(file: string): Set<string> {
    let set = this.byFile.get(file);
    if (set) return set;
    set = new Set();
    this.byFile.set(file, set);
    let fns: IrFunction[] = [];
    try {
      fns = this.index.functionsIn(file);
    } catch {
      fns = [];
    }
    for (const fn of fns) for (const k of ownerCheckedLocks(fn, this.scopeOf)) set.add(k);
    return set;
  }
}
