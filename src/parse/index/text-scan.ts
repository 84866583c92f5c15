/**
 * Cheap checks on a file's text before deciding to parse it. They walk the
 * occurrences of a name with indexOf rather than a regular expression with
 * `.*` in it, so a hostile file (one 4 MB line) costs linear time.
 */

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** Offsets where `name` occurs as a whole word. */
export function* wordOccurrences(text: string, name: string): Generator<number> {
  if (!name) return;
  for (let i = text.indexOf(name); i !== -1; i = text.indexOf(name, i + 1)) {
    if (i > 0 && isWordChar(text.charCodeAt(i - 1))) continue;
    const end = i + name.length;
    if (end < text.length && isWordChar(text.charCodeAt(end))) continue;
    yield i;
  }
}

/** Past this many candidate sites a file counts as a match: the parse decides (bounded work on hostile text). */
const MAX_SITES = 1000;

/**
 * Occurrences of `name` on lines that start at column 0 with something other
 * than whitespace or a preprocessor directive. Line starts are tracked while
 * scanning forward, so a file that is one long line costs linear time.
 */
function* fileScopeOccurrences(text: string, name: string): Generator<number> {
  let lineStart = 0;
  let scanned = 0;
  for (const i of wordOccurrences(text, name)) {
    for (let nl = text.indexOf('\n', scanned); nl !== -1 && nl < i; nl = text.indexOf('\n', nl + 1)) {
      lineStart = nl + 1;
      scanned = nl + 1;
    }
    if (scanned < i) scanned = i;
    const c = text.charCodeAt(lineStart);
    if (c !== 32 && c !== 9 && c !== 35 /* # */ && c !== 10 && c !== 13) yield i;
  }
}

/**
 * Whether `name(...)` on a line starting at column 0 is followed by a body
 * `{` (annotations such as `__must_hold(x)` may come between): where kernel
 * style puts a function definition. Calls are indented; prototypes end in `;`.
 */
export function mayDefineFunction(text: string, name: string): boolean {
  let sites = 0;
  for (const i of fileScopeOccurrences(text, name)) {
    if (++sites > MAX_SITES) return true;
    let j = skipSpace(text, i + name.length);
    if (text[j] !== '(') continue;
    j = skipParens(text, j);
    if (j < 0) continue;
    // Annotations after the parameter list: identifiers, optionally with (...).
    for (let guard = 0; guard < 16; guard++) {
      j = skipSpace(text, j);
      const m = /^[A-Za-z_]\w*/.exec(text.slice(j, j + 80));
      if (!m) break;
      j = skipSpace(text, j + m[0].length);
      if (text[j] === '(') {
        j = skipParens(text, j);
        if (j < 0) break;
      }
    }
    if (j >= 0 && text[skipSpace(text, j)] === '{') return true;
  }
  return false;
}

function skipSpace(text: string, off: number): number {
  let i = off;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text.startsWith('/*', i)) {
      const e = text.indexOf('*/', i + 2);
      if (e < 0) return text.length;
      i = e + 2;
    } else if (text.startsWith('//', i)) {
      const e = text.indexOf('\n', i);
      if (e < 0) return text.length;
      i = e + 1;
    } else {
      return i;
    }
  }
}

/** Offset just past the `)` matching the `(` at `open`, or -1 (unbalanced within 8000 characters). */
function skipParens(text: string, open: number): number {
  let depth = 0;
  const end = Math.min(text.length, open + 8000);
  for (let i = open; i < end; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return i + 1;
    } else if (c === ';' || c === '{' || c === '}') {
      return -1;
    }
  }
  return -1;
}

/** Whether `name` appears on a column-0 line: a global's definition or declaration. */
export function mayDeclareGlobal(text: string, name: string): boolean {
  for (const _ of fileScopeOccurrences(text, name)) return true;
  return false;
}

/** Whether `name` may be a typedef name here: `typedef ... name;`, `} name;`, `(*name)(`. */
export function mayDefineTypedef(text: string, name: string): boolean {
  if (!text.includes('typedef')) return false;
  let sites = 0;
  for (const i of wordOccurrences(text, name)) {
    if (++sites > MAX_SITES) return true;
    const next = nextNonSpace(text, i + name.length);
    if (next === ';' || next === ')' || next === ',') return true;
  }
  return false;
}

function nextNonSpace(text: string, off: number): string {
  return text[skipSpace(text, off)] ?? '';
}

/**
 * The names a line starting at column 0 declares: the last identifier before
 * its first `(`, `=`, `;`, `[` or `{` (a function, a global, a struct tag),
 * or after a closing `}` (a typedef). The same shape `git grep -P` is asked
 * for in files.ts, so both agree on what a declaration line is.
 */
export const DECL_LINE_PCRE = '^(?:[A-Za-z_]|\\}[ \\t]*[A-Za-z_])[^(=;{\\[]{0,200}(?=[(=;{\\[]|$)';
const DECL_LINE_JS = /^(?:[A-Za-z_]|\}[ \t]*[A-Za-z_])[^(=;{[\n]{0,200}(?=[(=;{[]|$)/gm;
const KEYWORDS = new Set([
  'static', 'inline', 'const', 'struct', 'union', 'enum', 'int', 'void', 'char', 'long', 'short', 'unsigned', 'signed',
  'bool', 'extern', 'typedef', 'return', 'if', 'else', 'for', 'while', 'do', 'switch', 'case', 'default', 'goto', 'sizeof',
]);

/** The identifier a declaration-line match names, or null. */
export function declaredName(match: string): string | null {
  // A backward scan: this runs on every declaration line of the tree.
  let end = match.length;
  while (end > 0 && isSpace(match.charCodeAt(end - 1))) end--;
  let start = end;
  while (start > 0 && isWordChar(match.charCodeAt(start - 1))) start--;
  if (start === end) return null;
  const c = match.charCodeAt(start);
  if (c >= 48 && c <= 57) return null;
  const name = match.slice(start, end);
  return KEYWORDS.has(name) ? null : name;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10 || c === 11 || c === 12;
}

/** Every name declared on a column-0 line of `text`. */
export function declaredNames(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(DECL_LINE_JS)) {
    const n = declaredName(m[0]);
    if (n) out.add(n);
  }
  return out;
}

/**
 * Lines that can bind a callback (src/parse/index/extract.ts has the list of
 * binders): the work, timer, hrtimer and kthread initialisers and calls, and
 * `.function =` / `->function =` assignments. A test keeps the two in step.
 */
export const BINDER_LINE_PCRE =
  '\\b(?:INIT_(?:DELAYED_|DEFERRABLE_|RCU_)?WORK\\w*|DECLARE_(?:DELAYED_|DEFERRABLE_)?WORK|__(?:DELAYED_)?WORK_INITIALIZER|' +
  '__TIMER_INITIALIZER|DEFINE_TIMER|timer_setup\\w*|setup_\\w*timer|__init_timer|init_timer\\w*|hrtimer_setup\\w*|hrtimer_init\\w*|' +
  'kthread_(?:run|create|init_)\\w*)\\b|[.>]\\s*function\\s*=';
const BINDER_LINE_JS = new RegExp(BINDER_LINE_PCRE);
/** Binder calls whose callback sits this many lines below (a call split over lines). */
export const BINDER_AFTER = 2;
const IDENT = /[A-Za-z_]\w*/g;

/** Every identifier of `line`. */
export function wordsOfLine(line: string, add: (w: string) => void): void {
  for (const m of line.matchAll(IDENT)) add(m[0]);
}

/** The words on binder lines of `text`, and on the BINDER_AFTER lines after each. */
export function binderWords(text: string): Set<string> {
  const out = new Set<string>();
  // Cheap reject first: most files bind nothing.
  if (!BINDER_LINE_JS.test(text)) return out;
  const lines = text.split('\n');
  let until = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length < 4096 && BINDER_LINE_JS.test(line)) until = i + BINDER_AFTER;
    if (i <= until) wordsOfLine(line.length > 4096 ? line.slice(0, 4096) : line, (w) => out.add(w));
  }
  return out;
}
