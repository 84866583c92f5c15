/**
 * A length-preserving pre-pass over kernel C: tree-sitter-c misreads many
 * kernel idioms, so before parsing we blank annotations with spaces and
 * rewrite statement-position macros into shapes the grammar knows, keeping
 * every character's row and column. What was blanked or rewritten is
 * recorded so lowering can give it back its meaning.
 *
 * Works on a token stream of the code (strings, character literals,
 * comments and preprocessor lines skipped), so it never edits inside a
 * string, a comment or a #define.
 */
import { collapse, lineStarts, posOf } from './positions.js';
import type { MacroGlobal, MacroSite, PrepassResult, RecordedAnnotation } from './types.js';

/** Annotations without arguments: blanked wherever they appear in code. */
const BARE_ANNOTATIONS = new Set([
  '__rcu', '__iomem', '__user', '__kernel', '__percpu', '__force', '__nocast', '__safe', '__private',
  '__bitwise', '__data_racy', '__init', '__exit', '__initdata', '__initconst', '__exitdata', '__refdata',
  '__refconst', '__ref', '__meminit', '__meminitdata', '__init_or_module', '__net_init', '__net_exit',
  '__net_initdata', '__devinit', '__devexit', '__devinitdata', '__cpuinit', '__maybe_unused',
  '__always_unused', '__unused', '__used', '__always_inline', 'noinline', 'noinline_for_stack',
  '__noinline', '__cold', '__hot', '__pure', '__weak', '__noreturn', '__visible', 'asmlinkage', 'notrace',
  'noinstr', '__kprobes', '__sched', '__lockfunc', '__irq_entry', '__cpuidle', '__packed',
  '__must_check', '__randomize_layout', '__no_randomize_layout', '__designated_init', '__read_mostly',
  '__ro_after_init', '__latent_entropy', '__no_sanitize_address', '__no_kcsan', '__noclone', '__flatten',
  '__malloc', '__deprecated', '__ksym', '__bpf_kfunc', '__nocfi', '__noscs', '__no_stack_protector',
  '__naked', '__nonstring', '____cacheline_aligned', '____cacheline_aligned_in_smp', '__cacheline_aligned',
  '__cacheline_aligned_in_smp', '____cacheline_internodealigned_in_smp', '__page_aligned_data',
  '__page_aligned_bss', '__aligned_largest', '__no_context_analysis', '__context_unsafe',
  '__init_memblock', '__initdata_memblock', '__no_profile', '__attribute_const__', '__always_used',
  '__mustcheck', '__counted_by_ptr', '__tracepoint_string', '__noipa', '__no_sanitize_memory',
  '__no_sanitize_thread', '__no_sanitize_undefined', '__nostackprotector',
]);

/** Annotations with a parenthesised argument list: blanked with their arguments. */
const CALL_ANNOTATIONS = new Set([
  '__must_hold', '__must_hold_shared', '__acquires', '__acquires_shared', '__releases', '__releases_shared',
  '__cond_acquires', '__cond_acquires_shared', '__cond_releases', '__cond_releases_shared', '__free',
  '__cleanup', '__attribute__', '__attribute', '__aligned', '__counted_by', '__counted_by_le',
  '__counted_by_be', '__sized_by', '__guarded_by', '__pt_guarded_by', '__printf', '__scanf', '__section',
  '__alias', '__alloc_size', '__realloc_size', '__assume_aligned', '__diagnose_as', '__no_sanitize_or_inline',
  '__must_be_array_attr', '__nonnull', '__access', '__cond_lock_attr',
]);

/**
 * Macros that define a global (or local) object: `static DEFINE_MUTEX(x);`
 * is rewritten to `static DEFINE_MUTEX x ;` (a declaration of x whose type
 * name is the macro) and recorded with the real type.
 */
export const DEFINE_MACRO_TYPES: Record<string, string> = {
  DEFINE_MUTEX: 'struct mutex',
  DEFINE_SPINLOCK: 'spinlock_t',
  DEFINE_RAW_SPINLOCK: 'raw_spinlock_t',
  DEFINE_RWLOCK: 'rwlock_t',
  DEFINE_SEQLOCK: 'seqlock_t',
  DECLARE_RWSEM: 'struct rw_semaphore',
  DEFINE_SEMAPHORE: 'struct semaphore',
  DECLARE_WORK: 'struct work_struct',
  DECLARE_DELAYED_WORK: 'struct delayed_work',
  DECLARE_DEFERRABLE_WORK: 'struct delayed_work',
  DECLARE_WAIT_QUEUE_HEAD: 'wait_queue_head_t',
  DECLARE_WAIT_QUEUE_HEAD_ONSTACK: 'wait_queue_head_t',
  DECLARE_COMPLETION: 'struct completion',
  DECLARE_COMPLETION_ONSTACK: 'struct completion',
  LIST_HEAD: 'struct list_head',
  HLIST_HEAD: 'struct hlist_head',
  LLIST_HEAD: 'struct llist_head',
  DEFINE_IDA: 'struct ida',
  DEFINE_IDR: 'struct idr',
  DEFINE_XARRAY: 'struct xarray',
  DEFINE_XARRAY_ALLOC: 'struct xarray',
  DEFINE_XARRAY_ALLOC1: 'struct xarray',
  DEFINE_XARRAY_FLAGS: 'struct xarray',
  DEFINE_HASHTABLE: 'struct hlist_head[]',
  DECLARE_HASHTABLE: 'struct hlist_head[]',
  DECLARE_BITMAP: 'unsigned long[]',
  DEFINE_SRCU: 'struct srcu_struct',
  DEFINE_STATIC_SRCU: 'struct srcu_struct',
  DEFINE_STATIC_KEY_FALSE: 'struct static_key_false',
  DEFINE_STATIC_KEY_TRUE: 'struct static_key_true',
  DEFINE_WAIT: 'struct wait_queue_entry',
  DEFINE_WAIT_FUNC: 'struct wait_queue_entry',
  DECLARE_WAITQUEUE: 'struct wait_queue_entry',
  DEFINE_RATELIMIT_STATE: 'struct ratelimit_state',
  DEFINE_TIMER: 'struct timer_list',
  // On-stack iterators of the xarray, maple tree and VMA walks: locals, not globals named xas or mas.
  XA_STATE: 'struct xa_state',
  XA_STATE_ORDER: 'struct xa_state',
  MA_STATE: 'struct ma_state',
  VMA_ITERATOR: 'struct vma_iterator',
  DEFINE_READAHEAD: 'struct readahead_control',
  DECLARE_SWAITQUEUE: 'struct swait_queue',
};

/** File-scope macros whose bodies are code fragments the grammar cannot read: blanked, recorded. */
const BLANKED_DEFINERS = new Set([
  'DEFINE_FREE', 'DEFINE_GUARD', 'DEFINE_GUARD_COND', 'DEFINE_CLASS', 'EXTEND_CLASS', 'DEFINE_LOCK_GUARD_0',
  'DEFINE_LOCK_GUARD_1', 'DEFINE_LOCK_GUARD_1_COND', 'DEFINE_CLASS_IS_GUARD', 'DEFINE_CLASS_IS_COND_GUARD',
  'DEFINE_CLASS_IS_UNCONDITIONAL', 'DECLARE_LOCK_GUARD_0_ATTRS', 'DECLARE_LOCK_GUARD_1_ATTRS',
]);

/** Names whose `(...)` is followed by a statement without being a loop or guard. */
const NOT_STATEMENT_MACROS = new Set([
  'if', 'while', 'for', 'switch', 'return', 'sizeof', 'typeof', '__typeof__', '__typeof', 'typeof_unqual',
  '__typeof_unqual__', 'alignof', '_Alignof', '__alignof__', '_Alignas', 'alignas', '_Generic',
  'asm', '__asm__', '__asm', 'typeof_member', '__unqual_scalar_typeof', 'TYPEOF_UNQUAL', '_Static_assert',
  'static_assert', 'defined', 'case',
]);

/** Iterator-style names: rewritten even when the body is a single statement without braces. */
const ITERATOR_NAME = /for_each|_walk(_safe)?(_rcu)?$|^scoped_(cond_)?guard$|_foreach/;

/** Keyword arguments to these macros are types, so `struct X` there is left alone. */
const TYPE_TAKING = new Set([
  'sizeof', 'typeof', '__typeof__', '__typeof', 'typeof_unqual', '__typeof_unqual__', 'alignof', '_Alignof',
  '__alignof__', '_Alignas', 'alignas', '__builtin_offsetof', 'va_arg', '_Generic',
  '__builtin_types_compatible_p', '_Generic', '__builtin_choose_expr',
]);

/** Words that start a type written as a macro argument (`min_t(unsigned long, a, b)`). */
const TYPE_START = new Set([
  'unsigned', 'signed', 'int', 'long', 'short', 'char', 'bool', '_Bool', 'void', 'float', 'double', 'const',
  'volatile', 'struct', 'union', 'enum',
]);

const TYPEOF_WORDS = new Set(['typeof', '__typeof__', '__typeof', 'typeof_unqual', '__typeof_unqual__', 'typeof_member']);

/** `VISIBLE_IF_KUNIT` and per-driver copies: `static` or nothing, depending on the config. */
const VISIBLE_IF_KUNIT = /^VISIBLE_IF_\w*KUNIT$/;

const STRING_MACRO = /^(?:[A-Z_][A-Z0-9_]*|PRI[a-zA-Z0-9]+)$/;

/**
 * A bit per word list, set at the first character of each of its words:
 * most names are ruled out by one array read instead of hashing a new string.
 */
const FIRST_CHAR = new Uint8Array(128);
const BARE_BIT = 1;
const CALL_BIT = 2;
const TYPEOF_BIT = 4;
const DEFINE_BIT = 8;
/** `name in DEFINE_MACRO_TYPES`, which also answers true for Object.prototype's names. */
const DEFINE_NAMES = new Set([...Object.keys(DEFINE_MACRO_TYPES), ...Object.getOwnPropertyNames(Object.prototype)]);
for (const [words, bit] of [[BARE_ANNOTATIONS, BARE_BIT], [CALL_ANNOTATIONS, CALL_BIT], [TYPEOF_WORDS, TYPEOF_BIT], [DEFINE_NAMES, DEFINE_BIT]] as const) {
  for (const w of words) {
    const c = w.charCodeAt(0);
    if (c < 128) FIRST_CHAR[c]! |= bit;
    else FIRST_CHAR.fill(0xff); // never the case; stay exact if it were
  }
}
function mayBe(v: string, bit: number): boolean {
  const c = v.charCodeAt(0);
  return c >= 128 || (FIRST_CHAR[c]! & bit) !== 0;
}

const enum K {
  Ident,
  Punct,
  Other,
}

interface Tokens {
  kind: Uint8Array;
  start: Int32Array;
  end: Int32Array;
  /** Identifier text or the punctuation character; '' for numbers/strings. */
  value: string[];
  /** For `(`/`[`/`{`: index of the matching closer, -1 when unmatched. */
  match: Int32Array;
  /** Brace depth before each token, with #if/#else branches restored. */
  depth: Int32Array;
  count: number;
  directives: Directive[];
}

interface Directive {
  /** `if`, `ifdef`, `ifndef`, `else`, `elif`, `endif`, ... */
  dir: string;
  /** The rest of the directive line (the condition), trimmed. */
  arg: string;
  start: number;
  end: number;
  /** Index of the first token after the directive. */
  tok: number;
  braceDepth: number;
  parenDepth: number;
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

/** Tokenise the code of a C file, skipping comments, strings, character literals and directives. */
function tokenize(text: string): Tokens {
  const n = text.length;
  let cap = Math.max(64, n >> 2);
  let kind = new Uint8Array(cap);
  let start = new Int32Array(cap);
  let end = new Int32Array(cap);
  let depth = new Int32Array(cap);
  const value: string[] = [];
  let count = 0;
  let braceDepth = 0;
  let parenDepth = 0;
  const directives: Directive[] = [];
  // Brace depth at each open #if, restored at #else/#elif so both branches start alike.
  const ifStack: number[] = [];
  const push = (k: K, s: number, e: number, v: string): void => {
    if (count === cap) {
      cap *= 2;
      const k2 = new Uint8Array(cap); k2.set(kind); kind = k2;
      const s2 = new Int32Array(cap); s2.set(start); start = s2;
      const e2 = new Int32Array(cap); e2.set(end); end = e2;
      const d2 = new Int32Array(cap); d2.set(depth); depth = d2;
    }
    kind[count] = k;
    start[count] = s;
    end[count] = e;
    depth[count] = braceDepth;
    value.push(v);
    count++;
  };
  let i = 0;
  let lineStart = true;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) { lineStart = true; i++; continue; }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) { i++; continue; }
    if (c === 47 && text.charCodeAt(i + 1) === 42) { // /* */
      const e = text.indexOf('*/', i + 2);
      i = e === -1 ? n : e + 2;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 47) { // //
      i = skipLine(text, i);
      continue;
    }
    if (c === 35 && lineStart) { // preprocessor directive
      let j = i + 1;
      while (j < n && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9)) j++;
      let k = j;
      while (k < n && isIdentPart(text.charCodeAt(k))) k++;
      const dir = text.slice(j, k);
      const e = skipDirective(text, i);
      directives.push({ dir, arg: text.slice(k, e).trim(), start: i, end: e, tok: count, braceDepth, parenDepth });
      if (dir === 'if' || dir === 'ifdef' || dir === 'ifndef') ifStack.push(braceDepth);
      else if (dir === 'else' || dir === 'elif' || dir === 'elifdef' || dir === 'elifndef') {
        if (ifStack.length) braceDepth = ifStack[ifStack.length - 1]!;
      } else if (dir === 'endif') ifStack.pop();
      i = e;
      continue;
    }
    lineStart = false;
    if (c === 34 || c === 39) { // string or character literal
      const e = skipQuoted(text, i, c);
      push(K.Other, i, e, '');
      i = e;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      // String prefixes L"x", u8"x" are literals, not identifiers.
      const q = text.charCodeAt(j);
      if ((q === 34 || q === 39) && /^(L|u|U|u8)$/.test(text.slice(i, j))) {
        const e = skipQuoted(text, j, q);
        push(K.Other, i, e, '');
        i = e;
        continue;
      }
      push(K.Ident, i, j, text.slice(i, j));
      i = j;
      continue;
    }
    if (c >= 48 && c <= 57) { // number, including 0x1fUL, 1.5e-3
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (isIdentPart(d) || d === 46) j++;
        else if ((d === 43 || d === 45) && /[eEpP]/.test(text[j - 1]!)) j++;
        else break;
      }
      push(K.Other, i, j, '');
      i = j;
      continue;
    }
    if (c === 46 && text.charCodeAt(i + 1) === 46 && text.charCodeAt(i + 2) === 46) {
      push(K.Punct, i, i + 3, '...');
      i += 3;
      continue;
    }
    const ch = text[i]!;
    if (ch === '{') braceDepth++;
    else if (ch === '(') parenDepth++;
    else if (ch === ')') parenDepth = Math.max(0, parenDepth - 1);
    push(K.Punct, i, i + 1, ch);
    if (ch === '}') {
      braceDepth = Math.max(0, braceDepth - 1);
      depth[count - 1] = braceDepth;
    }
    i++;
  }
  const match = new Int32Array(count).fill(-1);
  const stack: number[] = [];
  for (let t = 0; t < count; t++) {
    if (kind[t] !== K.Punct) continue;
    const v = value[t];
    if (v === '(' || v === '[' || v === '{') stack.push(t);
    else if (v === ')' || v === ']' || v === '}') {
      const open = v === ')' ? '(' : v === ']' ? '[' : '{';
      // Tolerate imbalance from #if branches: pop to the nearest opener of the right kind.
      let s = stack.length - 1;
      while (s >= 0 && value[stack[s]!] !== open && stack.length - s < 64) s--;
      if (s >= 0 && value[stack[s]!] === open) {
        match[stack[s]!] = t;
        match[t] = stack[s]!;
        stack.length = s;
      }
    }
  }
  return { kind, start, end, value, match, depth, count, directives };
}

function skipLine(text: string, i: number): number {
  const e = text.indexOf('\n', i);
  return e === -1 ? text.length : e;
}

function skipQuoted(text: string, i: number, quote: number): number {
  const n = text.length;
  let j = i + 1;
  while (j < n) {
    const d = text.charCodeAt(j);
    if (d === 92) { j += 2; continue; }
    if (d === quote) return j + 1;
    if (d === 10) return j; // unterminated: stop at the line end
    j++;
  }
  return n;
}

/** Skip a directive with its backslash continuations and any comment that spans lines. */
function skipDirective(text: string, i: number): number {
  const n = text.length;
  let j = i;
  while (j < n) {
    const d = text.charCodeAt(j);
    if (d === 10) {
      // A continuation is a backslash before the newline (possibly with \r).
      let b = j - 1;
      if (b >= 0 && text.charCodeAt(b) === 13) b--;
      if (b >= 0 && text.charCodeAt(b) === 92) { j++; continue; }
      return j;
    }
    if (d === 47 && text.charCodeAt(j + 1) === 42) {
      const e = text.indexOf('*/', j + 2);
      j = e === -1 ? n : e + 2;
      continue;
    }
    if (d === 47 && text.charCodeAt(j + 1) === 47) return skipLine(text, j);
    if (d === 34 || d === 39) { j = skipQuoted(text, j, d); continue; }
    j++;
  }
  return n;
}

/** Top-level arguments of the parenthesised list between tokens `open` and `close`. */
function splitArgs(tk: Tokens, text: string, open: number, close: number): { texts: string[]; starts: number[]; tokenRanges: [number, number][] } {
  const texts: string[] = [];
  const starts: number[] = [];
  const tokenRanges: [number, number][] = [];
  let argFirst = open + 1;
  let t = open + 1;
  const flush = (last: number): void => {
    if (argFirst <= last) {
      texts.push(collapse(text.slice(tk.start[argFirst]!, tk.end[last]!)));
      starts.push(tk.start[argFirst]!);
      tokenRanges.push([argFirst, last]);
    } else {
      texts.push('');
      starts.push(tk.start[t]!);
      tokenRanges.push([argFirst, last]);
    }
  };
  while (t < close) {
    const v = tk.value[t];
    if (tk.kind[t] === K.Punct && (v === '(' || v === '[' || v === '{') && tk.match[t]! > t && tk.match[t]! < close) {
      t = tk.match[t]! + 1;
      continue;
    }
    if (tk.kind[t] === K.Punct && v === ',') {
      flush(t - 1);
      argFirst = t + 1;
    }
    t++;
  }
  if (close > open + 1 || texts.length > 0) flush(close - 1);
  return { texts, starts, tokenRanges };
}

/**
 * `#if` groups inside braces that split a construct (an `else` at either
 * end, unbalanced braces or parentheses, the middle of an expression or an
 * initializer) make tree-sitter give up on the whole statement. For those we
 * blank the directive lines, and when there is an `#else` we also blank the
 * other branches: the first branch (the config-enabled code) is what gets
 * parsed. `#if 0` groups without `#else` are blanked whole.
 */
function conditionalBlanks(tk: Tokens): [number, number][] {
  const out: [number, number][] = [];
  interface Group { open: Directive; elses: Directive[] }
  const stack: Group[] = [];
  const isStmtEnd = (t: number): boolean => {
    if (t < 0) return true;
    const v = tk.value[t]!;
    return tk.kind[t] === K.Punct && (v === ';' || v === '{' || v === '}' || v === ':');
  };
  for (const d of tk.directives) {
    // A macro defined inside a function or an initializer: the grammar cannot take it there.
    if ((d.dir === 'define' || d.dir === 'undef') && d.braceDepth > 0) { out.push([d.start, d.end]); continue; }
    if (d.dir === 'if' || d.dir === 'ifdef' || d.dir === 'ifndef') { stack.push({ open: d, elses: [] }); continue; }
    if (d.dir === 'else' || d.dir === 'elif' || d.dir === 'elifdef' || d.dir === 'elifndef') { stack[stack.length - 1]?.elses.push(d); continue; }
    if (d.dir !== 'endif') continue;
    const g = stack.pop();
    if (!g) continue;
    const { open } = g;
    if (open.dir === 'if' && /^0\s*(\/[*/].*)?$/.test(open.arg) && g.elses.length === 0) {
      out.push([open.start, d.end]);
      continue;
    }
    if (open.braceDepth === 0 && open.parenDepth === 0) continue;
    const firstTok = open.tok;
    const endTok = g.elses.length ? g.elses[0]!.tok : d.tok;
    let braces = 0;
    let parens = 0;
    for (let t = firstTok; t < endTok; t++) {
      if (tk.kind[t] !== K.Punct) continue;
      const v = tk.value[t];
      if (v === '{') braces++;
      else if (v === '}') braces--;
      else if (v === '(') parens++;
      else if (v === ')') parens--;
    }
    const empty = endTok <= firstTok;
    const splits =
      open.parenDepth > 0 || braces !== 0 || parens !== 0 ||
      // A group must end a statement: `;` or `}` (a label's `:` needs the statement after #endif).
      (!empty && (tk.value[firstTok] === 'else' || !isStmtEnd(endTok - 1) || tk.value[endTok - 1] === ':')) ||
      // Right after a label, the group would have to be the label's statement.
      !isStmtEnd(firstTok - 1) || tk.value[firstTok - 1] === ':';
    if (!splits) continue;
    out.push([open.start, open.end]);
    if (g.elses.length) out.push([g.elses[0]!.start, d.end]);
    else out.push([d.start, d.end]);
  }
  return out;
}

export function prepass(text: string): PrepassResult {
  const tk = tokenize(text);
  const starts = lineStarts(text);
  const annotations: RecordedAnnotation[] = [];
  const macros = new Map<number, MacroSite>();
  const globals: MacroGlobal[] = [];
  const caseRanges = new Set<number>();
  const labelSites = new Set<number>();
  let inCase = false;
  // Edits as [start, end, replacement] with replacement.length === end - start.
  const edits: [number, number, string][] = [];
  const blank = (s: number, e: number): void => {
    edits.push([s, e, text.slice(s, e).replace(/[^\n\r]/g, ' ')]);
  };
  const replace = (s: number, e: number, word: string): void => {
    // `word` then spaces (newlines kept) up to the original length.
    const orig = text.slice(s, e);
    let out = '';
    for (let i = 0; i < orig.length; i++) {
      const ch = orig[i]!;
      out += ch === '\n' || ch === '\r' ? ch : i < word.length ? word[i] : ' ';
    }
    edits.push([s, e, out]);
  };

  /**
   * Fix one macro argument starting at token `first` so the grammar reads it
   * as an expression: a type (`unsigned long`, `struct x *`) becomes an
   * identifier of underscores; `KERN_INFO DRV_NAME ": x"` (string macros next
   * to literals) becomes adjacent string literals.
   */
  const argumentFixes = (first: number): void => {
    let j = first;
    let strings = 0;
    let idents = 0;
    let stars = 0;
    while (j < tk.count) {
      const k = tk.kind[j];
      if (k === K.Ident) idents++;
      else if (k === K.Punct && tk.value[j] === '*') stars++;
      else if (k === K.Other && text.charCodeAt(tk.start[j]!) === 34) strings++;
      else break;
      j++;
    }
    if (j === first || j >= tk.count || tk.kind[j] !== K.Punct || (tk.value[j] !== ',' && tk.value[j] !== ')')) return;
    const last = j - 1;
    if (strings === 0 && TYPE_START.has(tk.value[first]!)) {
      // `struct X` alone is left to the keyword blanking below, which keeps X readable.
      if (j - first === 2 && stars === 0 && (tk.value[first] === 'struct' || tk.value[first] === 'union' || tk.value[first] === 'enum')) return;
      if (stars > 0 && tk.kind[first] === K.Punct) return;
      // A type has no `*` between two names (that would be a multiplication).
      for (let x = first + 1; x < last; x++) if (tk.value[x] === '*' && tk.kind[x + 1] === K.Ident) return;
      replace(tk.start[first]!, tk.end[last]!, '_'.repeat(tk.end[last]! - tk.start[first]!));
      return;
    }
    if (strings > 0 && idents > 0 && stars === 0) {
      let adjacentIdents = false;
      for (let x = first; x < last; x++) if (tk.kind[x] === K.Ident && tk.kind[x + 1] === K.Ident) adjacentIdents = true;
      if (!adjacentIdents) return; // `IDENT "literal"` alone already parses
      for (let x = first; x <= last; x++) {
        if (tk.kind[x] !== K.Ident) continue;
        const name = tk.value[x]!;
        if (!STRING_MACRO.test(name) || name.length < 2) return;
      }
      for (let x = first; x <= last; x++) {
        if (tk.kind[x] !== K.Ident) continue;
        const len = tk.end[x]! - tk.start[x]!;
        edits.push([tk.start[x]!, tk.end[x]!, '"' + 'x'.repeat(len - 2) + '"']);
      }
    }
  };

  let prev = -1; // index of the previous token that was kept
  const prevValue = (): string => (prev >= 0 ? tk.value[prev]! : ';');
  // Tokens that open a call's argument list: index of `(` -> callee name (for `struct X` arguments).
  const parenStack: number[] = [];

  for (let t = 0; t < tk.count; t++) {
    const kind = tk.kind[t]!;
    const v = tk.value[t]!;
    if (kind === K.Punct) {
      if (v === '...' && inCase) {
        // GNU case range `case 1 ... 5:`: `||` keeps the parse; lowering gives the range back.
        caseRanges.add(tk.start[t]!);
        replace(tk.start[t]!, tk.end[t]!, '||');
      } else if (v === ':' || v === ';' || v === '{') inCase = false;
      if ((v === '(' || v === ',') && tk.depth[t]! > 0) {
        const open = v === '(' ? t : parenStack[parenStack.length - 1] ?? -1;
        const callee = open > 0 && tk.kind[open - 1] === K.Ident ? tk.value[open - 1]! : null;
        if (callee && !TYPE_TAKING.has(callee) && !NOT_STATEMENT_MACROS.has(callee)) argumentFixes(t + 1);
      }
      if (v === '(') parenStack.push(t);
      else if (v === ')') {
        if (parenStack.length && tk.match[parenStack[parenStack.length - 1]!] === t) parenStack.pop();
        else { const i = parenStack.lastIndexOf(tk.match[t]!); if (i >= 0) parenStack.length = i; }
      }
      prev = t;
      continue;
    }
    if (kind !== K.Ident) { prev = t; continue; }
    const next = t + 1 < tk.count ? t + 1 : -1;
    const nextIsParen = next >= 0 && tk.kind[next] === K.Punct && tk.value[next] === '(';
    const close = nextIsParen ? tk.match[next]! : -1;

    if ((mayBe(v, BARE_BIT) && BARE_ANNOTATIONS.has(v)) || (v.charCodeAt(0) === 86 && VISIBLE_IF_KUNIT.test(v))) {
      annotations.push({ name: v, args: '', start: tk.start[t]!, end: tk.end[t]!, pos: posOf(starts, tk.start[t]!, tk.end[t]!) });
      blank(tk.start[t]!, tk.end[t]!);
      continue;
    }
    if (close > next && mayBe(v, CALL_BIT) && CALL_ANNOTATIONS.has(v)) {
      const s = tk.start[t]!;
      const e = tk.end[close]!;
      annotations.push({
        name: v,
        args: collapse(text.slice(tk.end[next]!, tk.start[close]!)),
        start: s,
        end: e,
        pos: posOf(starts, s, e),
      });
      blank(s, e);
      t = close;
      continue;
    }

    const depth = tk.depth[t]!;
    const pv = prevValue();
    // After `;` `{` `}` `:` `)` `else` `do` `static`, or at the start of the file (names not hashed).
    const atStatement = prev < 0 || (tk.kind[prev] === K.Punct
      ? pv === ';' || pv === '{' || pv === '}' || pv === ':' || pv === ')'
      : pv === 'else' || pv === 'do' || pv === 'static');

    if (v === 'case') inCase = true;
    // `out:` right before `}` (allowed since C23): `out;` parses, and lowering knows it was a label.
    if (atStatement && v !== 'default' && depth > 0 && next >= 0 && tk.value[next] === ':' && tk.kind[next] === K.Punct &&
        next + 1 < tk.count && tk.value[next + 1] === '}' && !inCase) {
      labelSites.add(tk.start[t]!);
      replace(tk.start[next]!, tk.end[next]!, ';');
      prev = next;
      t = next;
      continue;
    }
    // `(typeof(*p)){ ... }` and `(typeof(x))y`: a type in a cast.
    if (close > next && mayBe(v, TYPEOF_BIT) && TYPEOF_WORDS.has(v) && depth > 0 && pv === '(' && close + 1 < tk.count && tk.value[close + 1] === ')') {
      replace(tk.start[t]!, tk.end[close]!, '_'.repeat(tk.end[close]! - tk.start[t]!));
      prev = close;
      t = close;
      continue;
    }
    // offsetof(T, a.b[2]): the grammar only takes a field name; as a plain call it parses.
    if (v === 'offsetof' && nextIsParen && depth > 0) {
      replace(tk.start[t]!, tk.end[t]!, 'Offsetof');
      prev = t;
      continue;
    }
    // `typeof(x) y = ...;` declarations: the type becomes an identifier of underscores.
    if (close > next && mayBe(v, TYPEOF_BIT) && TYPEOF_WORDS.has(v) && depth > 0 && (atStatement || pv === 'const' || pv === 'volatile')) {
      const fk = close + 1 < tk.count ? tk.kind[close + 1] : -1;
      const fv = close + 1 < tk.count ? tk.value[close + 1] : '';
      if (fk === K.Ident || (fk === K.Punct && fv === '*')) {
        replace(tk.start[t]!, tk.end[close]!, '_'.repeat(tk.end[close]! - tk.start[t]!));
        prev = close;
        t = close;
        continue;
      }
    }

    // `static DEFINE_MUTEX(x);` -> `static DEFINE_MUTEX x ;`
    if (close > next && atStatement && mayBe(v, DEFINE_BIT) && DEFINE_NAMES.has(v)) {
      const after = close + 1 < tk.count ? tk.value[close + 1] : '';
      const args = splitArgs(tk, text, next, close);
      const first = args.tokenRanges[0];
      if ((after === ';' || after === '=') && first && first[0] === first[1] && tk.kind[first[0]] === K.Ident) {
        replace(tk.start[next]!, tk.end[next]!, ' ');
        if (first[1] + 1 < close) blank(tk.start[first[1] + 1]!, tk.start[close]!);
        replace(tk.start[close]!, tk.end[close]!, ' ');
        if (depth === 0) {
          globals.push({
            macro: v,
            name: args.texts[0]!,
            type: DEFINE_MACRO_TYPES[v]!,
            args: args.texts.slice(1),
            isStatic: pv === 'static',
            pos: posOf(starts, tk.start[t]!, tk.end[close]!),
          });
        }
        prev = t;
        t = close;
        continue;
      }
    }

    // SYSCALL_DEFINE3(open, const char __user *, filename, int, flags, umode_t, mode) {
    //   -> long __do_sys_open(const char __user * filename, int  flags, umode_t  mode) {
    const sys = close > next && depth === 0 && atStatement ? /^(COMPAT_)?SYSCALL_DEFINE\d$/.exec(v) : null;
    if (sys && close + 1 < tk.count && tk.value[close + 1] === '{') {
      const args = splitArgs(tk, text, next, close);
      const [nameFirst, nameLast] = args.tokenRanges[0] ?? [0, -1];
      if (nameFirst === nameLast && tk.kind[nameFirst] === K.Ident && args.tokenRanges.length % 2 === 1) {
        const head = `long ${sys[1] ? '__do_compat_sys_' : '__do_sys_'}${tk.value[nameFirst]}(`;
        const afterName = args.tokenRanges.length > 1 ? tk.end[nameLast + 1]! : tk.end[nameLast]!;
        if (head.length <= afterName - tk.start[t]! && !text.slice(tk.start[t]!, afterName).includes('\n')) {
          replace(tk.start[t]!, afterName, head);
          // the comma between each type and its name becomes a space
          for (let a = 1; a + 1 < args.tokenRanges.length; a += 2) {
            const comma = args.tokenRanges[a]![1] + 1;
            if (tk.value[comma] === ',') replace(tk.start[comma]!, tk.end[comma]!, ' ');
          }
          // The argument tokens are still visited (for `__user` and friends).
          prev = t;
          continue;
        }
      }
    }

    // File-scope class/guard definers: blank the whole thing, keep the record.
    if (close > next && depth === 0 && BLANKED_DEFINERS.has(v) && atStatement) {
      const args = splitArgs(tk, text, next, close);
      let e = tk.end[close]!;
      if (close + 1 < tk.count && tk.value[close + 1] === ';') e = tk.end[close + 1]!;
      globals.push({
        macro: v,
        name: args.texts[0] ?? '',
        type: '',
        args: args.texts.slice(1),
        isStatic: true,
        pos: posOf(starts, tk.start[t]!, e),
      });
      blank(tk.start[t]!, e);
      t = close + (e > tk.end[close]! ? 1 : 0);
      continue;
    }

    // Statement-position loop and guard macros: `name(args) {` -> `while(args) {`.
    if (close > next && depth > 0 && atStatement && !NOT_STATEMENT_MACROS.has(v)) {
      const follow = close + 1 < tk.count ? close + 1 : -1;
      const fk = follow >= 0 ? tk.kind[follow] : -1;
      const fv = follow >= 0 ? tk.value[follow] : '';
      const iterator = ITERATOR_NAME.test(v);
      const opensBlock = fk === K.Punct && fv === '{';
      const startsStatement = fk === K.Ident || (fk === K.Punct && (fv === '(' || fv === '*' ||
        ((fv === '+' || fv === '-') && close + 2 < tk.count && tk.value[close + 2] === fv)));
      if ((opensBlock || (iterator && startsStatement)) && v.length >= 2) {
        const args = splitArgs(tk, text, next, close);
        const s = tk.start[t]!;
        const kindOf: MacroSite['kind'] =
          v === 'scoped_guard' ? 'scoped_guard' : v === 'scoped_cond_guard' ? 'scoped_cond_guard' : 'foreach';
        macros.set(s, {
          macro: v,
          kind: kindOf,
          args: args.texts,
          argStarts: args.starts,
          argEnds: args.tokenRanges.map(([a, b], i) => (a <= b ? tk.end[b]! : args.starts[i]!)),
          start: s,
          end: tk.end[close]!,
          pos: posOf(starts, s, tk.end[close]!),
        });
        replace(s, tk.end[t]!, v.length >= 5 ? 'while' : 'if');
        if (kindOf === 'scoped_cond_guard' && args.tokenRanges.length >= 2) {
          // The second argument is a statement (`return -EINTR`): not an expression.
          const [a, b] = args.tokenRanges[1]!;
          if (a <= b) replace(tk.start[a]!, tk.end[b]!, '0');
          prev = t;
          parenStack.push(next);
          // Continue after the fail statement so nothing inside it is rewritten.
          t = b >= a ? b : next;
          continue;
        }
        prev = t;
        continue;
      }
    }

    // `container_of(p, struct X, m)`: the grammar wants an expression, so blank the keyword.
    if ((v === 'struct' || v === 'union' || v === 'enum') && depth > 0 && parenStack.length) {
      const open = parenStack[parenStack.length - 1]!;
      const callee = open > 0 && tk.kind[open - 1] === K.Ident ? tk.value[open - 1]! : null;
      const pk = prev >= 0 ? tk.value[prev] : '';
      if (
        callee && !TYPE_TAKING.has(callee) && !NOT_STATEMENT_MACROS.has(callee) &&
        (pk === '(' || pk === ',') && prev >= open &&
        next >= 0 && tk.kind[next] === K.Ident && t + 2 < tk.count &&
        tk.kind[t + 2] === K.Punct && (tk.value[t + 2] === ',' || tk.value[t + 2] === ')')
      ) {
        blank(tk.start[t]!, tk.end[t]!);
        prev = t;
        continue;
      }
    }
    prev = t;
  }

  for (const [a, b] of conditionalBlanks(tk)) blank(a, b);
  if (edits.length === 0) return { text, annotations, macros, globals, caseRanges, labelSites };
  edits.sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  let at = 0;
  for (const [s, e, r] of edits) {
    if (s < at) continue; // overlapping edit: keep the first
    parts.push(text.slice(at, s), r);
    at = e;
  }
  parts.push(text.slice(at));
  return { text: parts.join(''), annotations, macros, globals, caseRanges, labelSites };
}
