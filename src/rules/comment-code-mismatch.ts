/**
 * comment-code-mismatch: a comment's claim about the adjacent code disagrees
 * with that code. Three claims are read:
 *  (a) the values a checked expression may take ("must be NULL or the
 *      default domain") against the WARN_ON/BUG_ON condition under it;
 *  (b) the lock callers hold ("Caller must hold X", "called with X held",
 *      kernel-doc "Context: ... X held") against the function's asserts and
 *      its callers;
 *  (c) functions (`foo()`) and fields (`p->field`) the comment names that do
 *      not exist in the tree.
 */
import { execFileSync } from 'node:child_process';
import type { CallInstr, Comment, Expr, IrFunction } from '../parse/ir.js';
import type { Related } from '../report/schema.js';
import { typeOfExpr, structOfType } from '../parse/index/types-of.js';
import { derefType } from '../parse/index/ctype.js';
import { visibleFrom } from '../parse/index/index.js';
import type { StructDef } from '../parse/index/types.js';
import { type RawFinding, type Rule, type RuleContext } from './context.js';
import { E, H, R } from './dataflow.js';
import { heldMatch } from './held.js';
import { exprText, lockOfObject, mapToCaller, normalize, parsePath } from './lockpath.js';
import { isPrimitive } from './primitives.js';

export const commentCodeMismatch: Rule = {
  meta: {
    id: 'comment-code-mismatch',
    severity: 'warning',
    description: "a comment's claim about the adjacent code disagrees with the code",
    docs:
      'Reads three kinds of claims: the values a checked expression may take (a comment above a WARN_ON/BUG_ON that ' +
      'lists them), the lock a caller must hold (Caller must hold X, called with X held, kernel-doc Context:), and ' +
      'names of functions or fields that no longer exist. Either the comment or the code is wrong.',
  },
  wantsCallersOf(fn: IrFunction): boolean {
    // lockClaims() below looks at the callers of functions whose comment claims a lock.
    return commentsOf(fn).some((c) => parseLockClaim(plain(c)) !== null);
  },
  *check(ctx: RuleContext): Iterable<RawFinding> {
    for (const fn of ctx.functions) {
      const comments = commentsOf(fn);
      yield* valueClaims(fn, comments);
      yield* lockClaims(ctx, fn, comments);
      yield* staleNames(ctx, fn, comments);
    }
  },
};

function commentsOf(fn: IrFunction): Comment[] {
  const out: Comment[] = [];
  const seen = new Set<string>();
  const add = (c: Comment): void => {
    const k = `${c.pos.line}:${c.pos.column}`;
    if (seen.has(k)) return;
    seen.add(k);
    out.push(c);
  };
  if (fn.docComment) add(fn.docComment);
  for (const b of fn.blocks) for (const i of b.instrs) for (const c of i.comments) add(c);
  return out.sort((a, b) => a.pos.line - b.pos.line);
}

function plain(c: Comment): string {
  return c.text
    .replace(/^\/\*+|\*+\/$/g, '')
    .replace(/^\s*\*+ ?/gm, '')
    .replace(/^\s*\/\/ ?/gm, '')
    .replace(/\s+/g, ' ')
    .trim();
}

// ---- (a) values of a checked expression ---------------------------------

const CHECKS = /^(WARN_ON|WARN_ON_ONCE|WARN|WARN_ONCE|BUG_ON|VM_BUG_ON|VM_WARN_ON|VM_WARN_ON_ONCE|WARN_ON_FUNCTION_MISMATCH)$/;

interface ValueClaim {
  subject: string[];
  values: { text: string; null: boolean; words: string }[];
}

const ARTICLES = /^(the|a|an|its|their|his|her|our|current|currently)$/i;

/** "the current domain must be set back to NULL or the default domain" -> subject [current, domain], values [NULL, default_domain]. */
export function parseValueClaim(text: string): ValueClaim | null {
  const modal = /\b(?:must|should|has to|needs to|is expected to|can only|may only)\s+(?:only\s+)?(?:be|have been|become|remain|equal|point to)\s+(?:set\s+)?(?:back\s+)?(?:to\s+)?(?:either\s+)?/gi;
  for (const m of text.matchAll(modal)) {
    const before = text.slice(0, m.index);
    const clause = before.split(/[,.;:!?]|\b(?:and|then|so|that|which|if|when)\b/i).pop() ?? '';
    const subject = clause
      .trim()
      .split(/\s+/)
      .slice(-3)
      .map((w) => w.replace(/.*->/, '').toLowerCase())
      .filter((w) => w && !ARTICLES.test(w));
    const rest = text.slice(m.index + m[0].length);
    const tail = /^(.+?)(?:[.;:!?](?:\s|$)|$)/.exec(rest)?.[1] ?? '';
    const list = tail.split(/\s*,\s*(?:or\s+)?|\s+or\s+/i).map((v) => v.trim()).filter(Boolean);
    if (list.length < 2 || !subject.length) continue;
    const values = list.map((v) => {
      const words = v
        .replace(/\(.*?\)/g, '')
        .split(/\s+/)
        .filter((w) => w && !ARTICLES.test(w))
        .map((w) => w.toLowerCase())
        .join('_');
      return { text: v, null: /^null$/i.test(v) || /^(a\s+)?null\s+pointer$/i.test(v), words };
    });
    if (values.some((v) => !v.words || v.words.split('_').length > 3)) continue;
    return { subject, values };
  }
  return null;
}

type Admitted = Expr[] | 'all';

function lastName(e: Expr): string | null {
  const n = normalize(e);
  if (n.k === 'field') return n.name;
  if (n.k === 'id') return n.name;
  return null;
}

function isSubject(e: Expr, subject: string[]): boolean {
  const n = lastName(e);
  return !!n && (subject.includes(n.toLowerCase()) || subject.join('_') === n.toLowerCase());
}

/** The values of the subject for which `cond` is false (the check stays quiet). */
function admitted(cond: Expr, subjectOf: (e: Expr) => boolean, temps: Map<string, CallInstr>): { subj: Expr | null; values: Admitted } {
  const c = normalize(cond);
  if (c.k === 'binary' && (c.op === '||' || c.op === '&&')) {
    const a = admitted(c.left, subjectOf, temps);
    const b = admitted(c.right, subjectOf, temps);
    const subj = a.subj ?? b.subj;
    if (c.op === '||') {
      if (a.values === 'all') return { subj, values: b.values };
      if (b.values === 'all') return { subj, values: a.values };
      return { subj, values: a.values.filter((x) => (b.values as Expr[]).some((y) => exprText(y) === exprText(x))) };
    }
    if (a.values === 'all' || b.values === 'all') return { subj, values: 'all' };
    return { subj, values: [...a.values, ...b.values] };
  }
  if (c.k === 'binary' && c.op === '!=') {
    if (subjectOf(c.left)) return { subj: c.left, values: [c.right] };
    if (subjectOf(c.right)) return { subj: c.right, values: [c.left] };
  }
  if (subjectOf(c)) return { subj: c, values: [{ k: 'null' }] };
  return { subj: null, values: 'all' };
}

function valueMatches(v: ValueClaim['values'][number], e: Expr): boolean {
  if (v.null) return e.k === 'null' || (e.k === 'num' && e.value === 0);
  const n = lastName(e)?.toLowerCase();
  if (!n) return exprText(e).toLowerCase() === v.text.toLowerCase();
  return n === v.words || n.endsWith('_' + v.words) || v.words.endsWith('_' + n) || v.words === n.replace(/_/g, '');
}

function* valueClaims(fn: IrFunction, comments: Comment[]): Iterable<RawFinding> {
  const checks: { call: CallInstr; cond: Expr }[] = [];
  const temps = new Map<string, CallInstr>();
  for (const b of fn.blocks) {
    for (const i of b.instrs) {
      if (i.op !== 'call') continue;
      if (i.result?.k === 'id') temps.set(i.result.name, i);
      if (i.callee && CHECKS.test(i.callee) && i.args[0]) checks.push({ call: i, cond: i.args[0] });
    }
  }
  for (let ci = 0; ci < comments.length; ci++) {
    const c = comments[ci]!;
    const claim = parseValueClaim(plain(c));
    if (!claim) continue;
    // The check the comment sits above: the first one about its subject before the next comment.
    const stop = Math.min(c.pos.endLine + 6, comments[ci + 1]?.pos.line ?? Infinity);
    const near = checks
      .filter((k) => k.call.pos.line >= c.pos.endLine && k.call.pos.line <= stop)
      .sort((a, b) => a.call.pos.line - b.call.pos.line);
    for (const k of near) {
      const { subj, values } = admitted(k.cond, (e) => isSubject(e, claim.subject), temps);
      if (!subj || values === 'all') continue;
      const missing = claim.values.filter((v) => !values.some((e) => valueMatches(v, e)));
      if (!missing.length) break;
      const s = exprText(subj);
      const codeSays = values.map(exprText).join(' or ');
      const parts = missing.map((v) => {
        const unless = v.null ? values.filter((e) => e.k === 'field' || e.k === 'id').map((e) => `${exprText(e)} is NULL too`) : [];
        return `the comment allows ${s} to be ${v.text}, but ${k.call.callee}() fires when ${s} is ${v.text}${unless.length ? ` (unless ${unless.join(' or ')})` : ''}`;
      });
      const related: Related[] = [{ file: fn.file, line: k.call.pos.line, function: fn.name, message: `the check: ${k.call.text}` }];
      yield {
        file: fn.file, line: c.pos.line, column: c.pos.column, function: fn.name, lock: null,
        statement: `${plain(c)}\n${k.call.text}`,
        message: `comment and check disagree: ${parts.join('; ')}; the code only accepts ${s} == ${codeSays}`,
        related,
      };
      break;
    }
  }
}

// ---- (b) the lock callers must hold --------------------------------------

const LOCK_CLAIMS = [
  /callers?\s+(?:must|should|needs? to|has to|have to|is expected to)\s+(?:be\s+)?hold(?:ing)?\s+(?:the\s+)?([&\w>.\-]+)/i,
  /(?:called|invoked|entered|run)\s+with\s+(?:the\s+)?([&\w>.\-]+)\s+(?:held|locked|taken|acquired)/i,
  /context:[^.]*?(?:holds?|holding|with|under)\s+(?:the\s+)?([&\w>.\-]+)/i,
  /(?:must|should)\s+be\s+called\s+(?:with|under|holding)\s+(?:the\s+)?([&\w>.\-]+)/i,
  /\b([&\w>.\-]+(?:->|\.)\w+)\s+must\s+be\s+held/i,
];

export function parseLockClaim(text: string): string | null {
  for (const re of LOCK_CLAIMS) {
    const m = re.exec(text);
    if (!m) continue;
    const x = m[1]!.replace(/^&/, '').replace(/[.,;:]+$/, '').replace(/'s$/, '');
    if (/(->|\.)\w/.test(x) || /(_lock|_mutex|_sem|_rwsem|lock|mutex)$/.test(x)) return x;
  }
  return null;
}

function* lockClaims(ctx: RuleContext, fn: IrFunction, comments: Comment[]): Iterable<RawFinding> {
  const firstLine = fn.blocks[0]?.instrs[0]?.pos.line ?? fn.pos.line;
  const candidates = comments.filter((c) => c === fn.docComment || c.pos.line <= firstLine + 2);
  const summary = ctx.summaries.get(fn);
  if (!summary) return;
  const scope = summary.scope;
  for (const c of candidates) {
    const claimed = parseLockClaim(plain(c));
    if (!claimed) continue;
    const expr = parsePath(claimed);
    if (!expr) continue;
    const want = lockOfObject(expr, scope, null);
    const field = lastName(expr);
    const same = (l: { key: string; cls: string | null; path: string }): boolean =>
      l.key === want.key || (!!l.cls && l.cls === want.cls) || (want.cls === null && lastName(parsePath(l.path) ?? expr) === field && rootEq(l.path, claimed));
    const asserts = summary.requires.filter((r) => r.chain.length === 1);
    if (asserts.length && !asserts.some((r) => same(r.lock))) {
      const a = asserts[0]!;
      yield {
        file: fn.file, line: c.pos.line, column: c.pos.column, function: fn.name, lock: claimed,
        statement: plain(c),
        message: `the comment says ${claimed} is held on entry, but ${fn.name}() asserts ${a.lock.path} (${a.chain[0]!.text})`,
        related: [{ file: fn.file, line: a.chain[0]!.line, function: fn.name, message: `asserts ${a.lock.path} here` }],
      };
      continue;
    }
    // Callers are checked by assert-held-caller when the function asserts the lock itself.
    if (asserts.some((r) => same(r.lock)) || want.root !== 'param') continue;
    const bad: Related[] = [];
    let callers: IrFunction[] = [];
    try {
      callers = ctx.index.callers(fn.name).slice(0, 50);
    } catch {
      callers = [];
    }
    for (const caller of callers) {
      if (caller === fn) continue;
      const flow = ctx.flow(caller);
      for (const b of caller.blocks) {
        for (const i of b.instrs) {
          if (i.op !== 'call' || i.callee !== fn.name) continue;
          const st = flow.before.get(i);
          if (!st) continue;
          const lock = mapToCaller(want, fn, i.args, flow.scope);
          const s = st.locks.get(lock.key)?.states ?? E;
          if (s === H || heldMatch(st, lock, { may: false })) continue;
          const local = lock.root === 'local' || lock.root === 'unknown';
          if (s & R || (local && !heldMatch(st, lock, { may: true }))) {
            bad.push({ file: caller.file, line: i.pos.line, function: caller.name, message: `${caller.name}() calls ${fn.name}() without ${lock.path}${s & R ? ' (released before the call)' : ''}` });
          }
        }
      }
    }
    if (bad.length) {
      yield {
        file: fn.file, line: c.pos.line, column: c.pos.column, function: fn.name, lock: claimed,
        statement: plain(c),
        message: `the comment says callers hold ${claimed}, but ${bad[0]!.function}() calls ${fn.name}() without it${bad.length > 1 ? ` (and ${bad.length - 1} more call${bad.length > 2 ? 's' : ''})` : ''}`,
        related: bad,
      };
    }
  }
}

function rootEq(a: string, b: string): boolean {
  return a.split(/->|\./)[0] === b.split(/->|\./)[0];
}

// ---- (c) names that do not exist ----------------------------------------

const GENERIC_PREFIX = new Set(['get', 'set', 'do', 'is', 'has', 'put', 'alloc', 'free', 'init', 'to', 'check', 'update', 'find', 'add', 'remove', 'dev', 'device']);

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
}

const codeCache = new WeakMap<object, Map<string, string>>();

function codeOf(ctx: RuleContext, file: string): string {
  let m = codeCache.get(ctx.index);
  if (!m) {
    m = new Map();
    codeCache.set(ctx.index, m);
  }
  let t = m.get(file);
  if (t === undefined) {
    t = stripComments(ctx.index.view.read(file) ?? '');
    m.set(file, t);
  }
  return t;
}

/** The first `_`-segments that at least three functions of the file start with: the file's namespace. */
function namespaces(ctx: RuleContext, file: string): Set<string> {
  const count = new Map<string, number>();
  let fns: IrFunction[] = [];
  try {
    fns = ctx.index.functionsIn(file);
  } catch {
    fns = [];
  }
  for (const f of fns) {
    const seg = f.name.replace(/^_+/, '').split('_')[0]!;
    if (seg.length > 2 && !GENERIC_PREFIX.has(seg)) count.set(seg, (count.get(seg) ?? 0) + 1);
  }
  return new Set([...count].filter(([, n]) => n >= 3).map(([k]) => k));
}

/** Files under the tree root that mention `word` (git grep; null when the tree is not a git checkout). */
function gitGrepFiles(root: string, word: string): string[] | null {
  try {
    const out = execFileSync('git', ['-C', root, 'grep', '-lw', '-e', word, '--', '*.c', '*.h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 16 << 20, timeout: 120_000, killSignal: 'SIGKILL' });
    return out.split('\n').filter(Boolean);
  } catch (e) {
    const status = (e as { status?: number }).status;
    return status === 1 ? [] : null;
  }
}

/** Whether `name` is used in code (not only in comments) anywhere the tree can tell. */
function usedInCode(ctx: RuleContext, name: string, file: string): boolean {
  const re = new RegExp(`\\b${name}\\b`);
  if (re.test(codeOf(ctx, file))) return true;
  // Shorthand for a longer identifier of the file (`shared_lock()` for `arm_smmu_cmdq_shared_lock()`).
  if (new RegExp(`\\w_${name}\\b`).test(codeOf(ctx, file))) return true;
  try {
    if (ctx.index.functions(name).length > 0 || ctx.index.global(name)) return true;
  } catch {
    return true;
  }
  const view = ctx.index.view;
  // The index's search knows the view's changes and keeps answers per commit; a bare git grep otherwise.
  const files = ctx.index.mentions ? [...ctx.index.mentions(name)] : gitGrepFiles(view.root, name);
  if (files === null) return false;
  for (const [rel, text] of view.changes()) if (text !== null && re.test(text) && !files.includes(rel)) files.push(rel);
  return files.some((f) => re.test(codeOf(ctx, f)));
}

/**
 * The definitions of struct `name` that code in `file` may be using: the
 * file's own, else every one it can see (not tools/, not another
 * architecture's, not another directory's .c file), closest first.
 */
function structCandidates(ctx: RuleContext, name: string, file: string): StructDef[] {
  let all: StructDef[];
  try {
    all = ctx.index.structs?.(name) ?? [];
    const near = ctx.index.struct(name, file);
    if (near && !all.includes(near)) all = [near, ...all];
    else if (near) all = [near, ...all.filter((d) => d !== near)];
  } catch {
    return [];
  }
  const own = all.filter((d) => d.file === file);
  return own.length ? own : all.filter((d) => visibleFrom(d.file, file, true));
}

function* staleNames(ctx: RuleContext, fn: IrFunction, comments: Comment[]): Iterable<RawFinding> {
  const ns = namespaces(ctx, fn.file);
  const scope = ctx.summaries.get(fn)?.scope;
  for (const c of comments) {
    const text = c.text;
    const seen = new Set<string>();
    for (const m of text.matchAll(/(?<![\w>.:*])([A-Za-z]\w{2,})\(\)/g)) {
      const name = m[1]!;
      if (seen.has(name) || isPrimitive(name) || /^[A-Z0-9_]+$/.test(name)) continue;
      seen.add(name);
      if (!ns.has(name.split('_')[0]!)) continue;
      if (usedInCode(ctx, name, fn.file)) continue;
      yield {
        file: fn.file, line: c.pos.line, column: c.pos.column, function: fn.name, lock: null,
        statement: `${name}()`,
        message: `the comment names ${name}(), which is not defined or used anywhere in the tree`,
        related: [],
      };
    }
    if (!scope) continue;
    // Not the tail of a longer path (`oct->droq[q]->stats->x` says nothing about a local `stats`).
    for (const m of text.matchAll(/(?<![\w>.])([A-Za-z_]\w*)->([A-Za-z_]\w*)/g)) {
      const base = m[1]!;
      const field = m[2]!;
      if (seen.has(`${base}->${field}`)) continue;
      seen.add(`${base}->${field}`);
      if (!fn.params.some((p) => p.name === base) && !(base in fn.locals)) continue;
      let st: string | null = null;
      try {
        const t = typeOfExpr(fn, { k: 'id', name: base }, ctx.index);
        const d = t ? derefType(t) : null;
        st = d ? structOfType(d, ctx.index, fn.file) : null;
      } catch {
        st = null;
      }
      const defs = st ? structCandidates(ctx, st, fn.file) : [];
      // A stale name only when no definition the code can see has the field.
      if (!defs.length || defs.some((d) => !d.fields.length || d.fields.some((f) => f.name === field))) continue;
      const def = defs[0]!;
      // A field by another name: `#define d_lock d_lockref.lock` beside struct dentry.
      if (fieldAlias(ctx, field, def.file, fn.file)) continue;
      yield {
        file: fn.file, line: c.pos.line, column: c.pos.column, function: fn.name, lock: null,
        statement: `${base}->${field}`,
        message: `the comment names ${base}->${field}, but struct ${st} has no field ${field}`,
        related: [{ file: def.file, line: def.pos.line, function: null, message: `struct ${st} is defined here` }],
      };
    }
  }
}

function fieldAlias(ctx: RuleContext, field: string, structFile: string, fromFile: string): boolean {
  try {
    return !!(ctx.index.objectMacro?.(field, structFile) ?? ctx.index.objectMacro?.(field, fromFile));
  } catch {
    return false;
  }
}
