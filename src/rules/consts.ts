/**
 * Constant arguments seen through a call. `snp_reclaim_pages(paddr, i,
 * locked)` calls `__sev_do_cmd_locked()` when `locked` and `sev_do_cmd()`
 * (which takes `sev_cmd_mutex`) otherwise; a caller that passes `true` while
 * holding the mutex never reaches the lock. `il_send_add_sta(il, sta,
 * CMD_ASYNC)` returns at `if (flags & CMD_ASYNC)` before the function that
 * takes `sta_lock`. A callee's summary is specialised to the constants its
 * branches test, and the dataflow follows only the edge they decide.
 *
 * Values are numbers (`0`, `true`, `NULL`) or the names of constants the
 * pre-pass does not expand (`CMD_ASYNC`). A name is read as its `#define`
 * value where the callee's file sees one (`XFS_ILOCK_EXCL` is `1u << 2`, so
 * `lock_flags & XFS_ILOCK_SHARED` is false for it). A name without a value
 * used as a mask of itself (`flags & CMD_ASYNC`) is taken to be non-zero,
 * since a zero mask tests nothing; anything else about two names is unknown.
 */
import type { Block, Expr, IrFunction } from '../parse/ir.js';

export type ConstVal = { num: number } | { sym: string };
export type Consts = ReadonlyMap<string, ConstVal>;

const SYMBOL = /^[A-Z][A-Z0-9_]*$/;

/**
 * The constant an argument expression is, or null. A plain name stays a
 * name (the callee reads it as its value where it is); an expression of
 * constants (`XFS_ILOCK_SHARED | XFS_ILOCK_EXCL`) is a number when
 * `valueOf` (names where the call is) knows every name in it.
 */
export function constOf(e: Expr, outer?: Consts, valueOf?: ValueOf): ConstVal | null {
  switch (e.k) {
    case 'num':
      return Number.isFinite(e.value) ? { num: e.value } : null;
    case 'bool':
      return { num: e.value ? 1 : 0 };
    case 'null':
      return { num: 0 };
    case 'cast':
      return constOf(e.arg, outer, valueOf);
    case 'id':
      if (e.name === 'true' || e.name === 'false') return { num: e.name === 'true' ? 1 : 0 };
      if (outer?.has(e.name)) return outer.get(e.name)!;
      return SYMBOL.test(e.name) ? { sym: e.name } : null;
    case 'binary':
    case 'unary': {
      if (!valueOf) return null;
      const v = evalExpr(e, outer ?? new Map(), new Map(), 0, valueOf);
      return typeof v === 'number' ? { num: v } : null;
    }
    default:
      return null;
  }
}

/** For each call of `fn`, which argument positions are a parameter of `fn` passed on as it is. */
export function passedParams(fn: IrFunction): { call: import('../parse/ir.js').CallInstr; at: Map<number, string> }[] {
  const params = new Set(fn.params.map((p) => p.name));
  const out: { call: import('../parse/ir.js').CallInstr; at: Map<number, string> }[] = [];
  for (const b of fn.blocks) {
    for (const i of b.instrs) {
      if (i.op !== 'call' || !i.callee) continue;
      const at = new Map<number, string>();
      i.args.forEach((a, k) => {
        const n = a.k === 'cast' ? a.arg : a;
        if (n.k === 'id' && params.has(n.name)) at.set(k, n.name);
      });
      if (at.size) out.push({ call: i, at });
    }
  }
  return out;
}

/** Key of a set of constants, for memos. */
export function constsKey(c: Consts | undefined): string {
  if (!c || !c.size) return '';
  return [...c].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${'num' in v ? v.num : v.sym}`).join(',');
}

const tested = new WeakMap<IrFunction, Set<string>>();

/** Parameters that some branch of `fn` tests (directly, or through a temporary assigned once). */
export function testedParams(fn: IrFunction): Set<string> {
  let out = tested.get(fn);
  if (out) return out;
  out = new Set();
  const params = new Set(fn.params.map((p) => p.name));
  const temps = tempValues(fn.blocks);
  const visit = (e: Expr, depth: number): void => {
    if (depth > 6) return;
    switch (e.k) {
      case 'id':
        if (params.has(e.name)) out!.add(e.name);
        else if (temps.has(e.name)) visit(temps.get(e.name)!, depth + 1);
        return;
      case 'unary':
      case 'cast':
        return visit(e.arg, depth + 1);
      case 'binary':
        visit(e.left, depth + 1);
        visit(e.right, depth + 1);
        return;
      default:
        return;
    }
  };
  for (const b of fn.blocks) if (b.term.op === 'branch') visit(b.term.cond, 0);
  tested.set(fn, out);
  return out;
}

const tempMemo = new WeakMap<Block[], Map<string, Expr>>();

/** Temporaries and locals assigned exactly once, with their values. */
function tempValues(blocks: Block[]): Map<string, Expr> {
  let m = tempMemo.get(blocks);
  if (m) return m;
  const count = new Map<string, number>();
  const value = new Map<string, Expr>();
  for (const b of blocks) {
    for (const i of b.instrs) {
      const target = i.op === 'assign' ? i.target : i.op === 'call' ? i.result : null;
      if (!target || target.k !== 'id') continue;
      count.set(target.name, (count.get(target.name) ?? 0) + 1);
      if (i.op === 'assign') value.set(target.name, i.value);
    }
  }
  m = new Map([...value].filter(([k]) => count.get(k) === 1));
  tempMemo.set(blocks, m);
  return m;
}

const written = new WeakMap<IrFunction, Set<string>>();

/** Names the function assigns or takes the address of: a parameter among them is not the caller's constant any more. */
export function writtenNames(fn: IrFunction): Set<string> {
  let out = written.get(fn);
  if (out) return out;
  out = new Set();
  for (const b of fn.blocks) {
    for (const i of b.instrs) {
      const target = i.op === 'assign' ? i.target : i.op === 'call' ? i.result : null;
      if (target?.k === 'id') out.add(target.name);
      const args = i.op === 'call' ? i.args : i.op === 'assign' ? [i.value] : [];
      for (const a of args) if (a.k === 'unary' && a.op === '&' && a.arg.k === 'id') out.add(a.arg.name);
    }
  }
  written.set(fn, out);
  return out;
}

/**
 * The callee's parameters bound to constants by a call, restricted to
 * `wanted` (those that decide something: by default, those its own
 * branches test).
 */
export function calleeConsts(callee: IrFunction, args: readonly Expr[], outer?: Consts, wanted: ReadonlySet<string> = testedParams(callee), valueOf?: ValueOf): Consts | undefined {
  if (!wanted.size) return undefined;
  const out = new Map<string, ConstVal>();
  const w = writtenNames(callee);
  callee.params.forEach((p, i) => {
    const a = args[i];
    if (!a || !wanted.has(p.name) || w.has(p.name)) return;
    const v = constOf(a, outer, valueOf);
    if (v) out.set(p.name, v);
  });
  return out.size ? out : undefined;
}

type Tri = number | null;

/** The value of a named constant (`#define`) where the branch is, or null. */
export type ValueOf = (name: string) => number | null;

/** The value of a branch condition under the constants, or null when they do not decide it. */
export function evalCond(cond: Expr, consts: Consts, blocks: Block[], valueOf?: ValueOf): boolean | null {
  const temps = tempValues(blocks);
  const v = evalExpr(cond, consts, temps, 0, valueOf);
  if (v === null) return null;
  if (typeof v === 'number') return v !== 0;
  return null;
}

function evalExpr(e: Expr, c: Consts, temps: Map<string, Expr>, depth: number, valueOf?: ValueOf): Tri | { sym: string } {
  if (depth > 8) return null;
  const named = (sym: string): Tri | { sym: string } => valueOf?.(sym) ?? { sym };
  switch (e.k) {
    case 'num':
      return Number.isFinite(e.value) ? e.value : null;
    case 'bool':
      return e.value ? 1 : 0;
    case 'null':
      return 0;
    case 'cast':
      return evalExpr(e.arg, c, temps, depth + 1, valueOf);
    case 'id': {
      const v = c.get(e.name);
      if (v) return 'num' in v ? v.num : named(v.sym);
      if (temps.has(e.name)) return evalExpr(temps.get(e.name)!, c, temps, depth + 1, valueOf);
      return SYMBOL.test(e.name) ? named(e.name) : null;
    }
    case 'unary': {
      const a = evalExpr(e.arg, c, temps, depth + 1, valueOf);
      if (typeof a !== 'number') return null;
      if (e.op === '!') return a === 0 ? 1 : 0;
      if (e.op === '-') return -a;
      if (e.op === '~' && Number.isInteger(a)) return Number(BigInt.asIntN(64, ~BigInt(a)));
      return null;
    }
    case 'binary': {
      const l = evalExpr(e.left, c, temps, depth + 1, valueOf);
      const r = evalExpr(e.right, c, temps, depth + 1, valueOf);
      if (l === null || r === null) return null;
      if (typeof l === 'number' && typeof r === 'number') return arith(e.op, l, r);
      // Names: only a mask tested against itself, or a name compared with itself, is known.
      if (typeof l === 'object' && typeof r === 'object' && l.sym === r.sym) {
        if (e.op === '&' || e.op === '==') return 1;
        if (e.op === '!=') return 0;
      }
      return null;
    }
    default:
      return null;
  }
}

function arith(op: string, a: number, b: number): Tri {
  if ((op === '&' || op === '|') && !(Number.isInteger(a) && Number.isInteger(b))) return null;
  switch (op) {
    // Flags reach bit 63 (BIT_ULL): JavaScript's own & and | stop at 32 bits.
    case '&':
      return Number(BigInt.asUintN(64, BigInt(a)) & BigInt.asUintN(64, BigInt(b)));
    case '|':
      return Number(BigInt.asIntN(64, BigInt(a) | BigInt(b)));
    case '==':
      return a === b ? 1 : 0;
    case '!=':
      return a !== b ? 1 : 0;
    case '<':
      return a < b ? 1 : 0;
    case '>':
      return a > b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    case '&&':
      return a && b ? 1 : 0;
    case '||':
      return a || b ? 1 : 0;
    default:
      return null;
  }
}
