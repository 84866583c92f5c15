/**
 * Values of object-like macros: `#define XFS_ILOCK_EXCL (1u << 2)`,
 * `#define CMD_ASYNC BIT(0)`, `#define XFS_LOCK_MASK (XFS_IOLOCK_EXCL |
 * ...)`. A helper that asserts or takes one lock per flag bit
 * (`xfs_assert_ilocked(ip, XFS_ILOCK_EXCL)` tests `lock_flags &
 * XFS_ILOCK_SHARED`, then `& XFS_ILOCK_EXCL`) is only read right when the
 * bits are numbers: two different names say nothing about each other.
 *
 * The evaluator knows integer literals, the operators of flag arithmetic,
 * casts to integer types and the kernel's bit macros (BIT, BIT_ULL, _BITUL,
 * GENMASK); a name is looked up through the caller, so that macros defined
 * in terms of others resolve where they are used, as in C. Anything else
 * (sizeof, a function-like macro, a string) makes the value unknown: null.
 */

const OBJECT_DEFINE_RE = /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(?![\w(])[ \t]*((?:[^\n\\]|\\[^\n]|\\\n)*)/gm;

/** Object-like macro bodies of a file by name (up to 400 characters), the first definition of each (as functionMacros, usually the config-on one). */
export function objectMacros(text: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!text.includes('#')) return out;
  for (const m of text.matchAll(OBJECT_DEFINE_RE)) {
    const name = m[1]!;
    if (out.has(name)) continue;
    const body = m[2]!
      .replace(/\\\n/g, ' ')
      .replace(/\/\*[\s\S]*?\*\//g, ' ')
      .replace(/\/\*.*$/, '')
      .replace(/\/\/.*$/, '')
      .trim();
    // Field aliases (`#define d_lock d_lockref.lock`) are kept too; evalConstant() refuses what is not a number.
    if (body && body.length <= 400) out.set(name, body);
  }
  return out;
}

type Lookup = (name: string) => number | null;

const TOKEN_RE = /\s*(?:(0[xX][0-9a-fA-F]+|\d+)[uUlL]*|([A-Za-z_]\w*)|(<<|>>|[|&^~()+\-*/%!,]))/y;

/** Integer types a parenthesised cast may name: `(u32)`, `(unsigned long)`, `(__force gfp_t)`. */
const TYPE_WORD = /^(?:unsigned|signed|int|long|short|char|bool|__force|(?:__)?[us](?:8|16|32|64)|__(?:le|be)(?:16|32|64)|\w+_t|uint|ulong)$/;

const MAX = 1n << 64n;

/** The value of a constant expression, or null when it is not one this evaluator knows. */
export function evalConstant(body: string, lookup: Lookup): number | null {
  const toks: string[] = [];
  TOKEN_RE.lastIndex = 0;
  let pos = 0;
  while (pos < body.length) {
    TOKEN_RE.lastIndex = pos;
    const m = TOKEN_RE.exec(body);
    if (!m) {
      if (/^\s*$/.test(body.slice(pos))) break;
      return null;
    }
    toks.push(m[1] !== undefined ? `#${BigInt(/^0[0-7]+$/.test(m[1]) ? `0o${m[1].slice(1)}` : m[1])}` : (m[2] ?? m[3])!);
    pos = TOKEN_RE.lastIndex;
  }
  const p = new Parser(toks, lookup);
  try {
    const v = p.expr(0);
    if (v === null || p.at < toks.length) return null;
    const n = BigInt.asIntN(64, v);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : null;
  } catch {
    return null;
  }
}

const BINARY: Record<string, number> = { '|': 1, '^': 2, '&': 3, '<<': 5, '>>': 5, '+': 6, '-': 6, '*': 7, '/': 7, '%': 7 };

class Parser {
  at = 0;
  constructor(
    private readonly toks: string[],
    private readonly lookup: Lookup,
  ) {}

  expr(min: number): bigint | null {
    let left = this.unary();
    for (;;) {
      const op = this.toks[this.at];
      const prec = op !== undefined ? BINARY[op] : undefined;
      if (left === null || prec === undefined || prec < min) return left;
      this.at++;
      const right = this.expr(prec + 1);
      if (right === null) return null;
      left = binary(op!, left, right);
    }
  }

  private unary(): bigint | null {
    const t = this.toks[this.at];
    if (t === '~' || t === '-' || t === '!' || t === '+') {
      this.at++;
      const v = this.unary();
      if (v === null) return null;
      return t === '~' ? BigInt.asUintN(64, ~v) : t === '-' ? -v : t === '!' ? (v === 0n ? 1n : 0n) : v;
    }
    return this.primary();
  }

  private primary(): bigint | null {
    const t = this.toks[this.at++];
    if (t === undefined) return null;
    if (t.startsWith('#')) return BigInt(t.slice(1));
    if (t === '(') {
      // A cast: words that name an integer type, then `)`.
      let j = this.at;
      while (j < this.toks.length && TYPE_WORD.test(this.toks[j]!)) j++;
      if (j > this.at && this.toks[j] === ')') {
        this.at = j + 1;
        return this.unary();
      }
      const v = this.expr(0);
      return this.toks[this.at++] === ')' ? v : null;
    }
    if (!/^[A-Za-z_]/.test(t)) return null;
    if (this.toks[this.at] === '(') return this.bitMacro(t);
    // `#define CAN_NOT_SLEEP false` (stdbool's true and false are 1 and 0).
    if (t === 'true' || t === 'false') return t === 'true' ? 1n : 0n;
    const v = this.lookup(t);
    return v === null ? null : BigInt(v);
  }

  /** BIT(n), BIT_ULL(n), _BITUL(n), GENMASK(h, l): the bit macros flags are built with. */
  private bitMacro(name: string): bigint | null {
    this.at++;
    const args: bigint[] = [];
    for (;;) {
      const v = this.expr(0);
      if (v === null) return null;
      args.push(v);
      const sep = this.toks[this.at++];
      if (sep === ')') break;
      if (sep !== ',') return null;
    }
    const [a, b] = args;
    if ((name === 'BIT' || name === 'BIT_ULL' || name === '_BITUL' || name === '_BITULL' || name === 'BIT_U32') && args.length === 1 && a! >= 0n && a! < 64n) return 1n << a!;
    if ((name === 'GENMASK' || name === 'GENMASK_ULL') && args.length === 2 && b! >= 0n && a! >= b! && a! < 64n) return ((1n << (a! - b! + 1n)) - 1n) << b!;
    return null;
  }
}

function binary(op: string, a: bigint, b: bigint): bigint | null {
  switch (op) {
    case '|':
      return a | b;
    case '^':
      return a ^ b;
    case '&':
      return a & b;
    case '<<':
      return b >= 0n && b < 64n ? (a << b) % MAX : null;
    case '>>':
      return b >= 0n && b < 64n ? a >> b : null;
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return b === 0n ? null : a / b;
    case '%':
      return b === 0n ? null : a % b;
    default:
      return null;
  }
}

/**
 * A macro's value as defined in one file's text, names in it looked up in
 * the same text: for callers without an include graph (the model's own
 * fallback, and tests).
 */
export function fileConstant(text: string | null, name: string): number | null {
  if (!text) return null;
  const macros = objectMacros(text);
  const visiting = new Set<string>();
  const value = (n: string): number | null => {
    const body = macros.get(n);
    if (body === undefined || visiting.has(n) || visiting.size > 16) return null;
    visiting.add(n);
    try {
      return evalConstant(body, value);
    } finally {
      visiting.delete(n);
    }
  };
  return value(name);
}
