/**
 * Lowering: each tree-sitter function_definition becomes an IrFunction
 * (src/parse/ir.ts). Calls are hoisted out of expressions into call
 * instructions in evaluation order; `&&`/`||`/`?:` that contain calls become
 * branches so short-circuiting is kept; guard()/scoped_guard()/__free scopes
 * get scope_end instructions on every edge that leaves them.
 *
 * Nothing here may throw on odd trees: unknown shapes become `unknown`
 * expressions, and recursion is bounded (deeper nesting degrades to
 * `unknown` rather than overflowing the stack).
 *
 * Functions are read through the plain-JS copy of lnode.ts, which leaves out
 * nodes this file does not read (most anonymous tokens, the insides of types,
 * strings and sizeof): reading more here means keeping more there.
 */
import type Parser from 'tree-sitter';
import type {
  Annotations,
  Block,
  Comment,
  Expr,
  Instr,
  IrFunction,
  Param,
  Pos,
  Terminator,
} from '../ir.js';
import { charExpr, isUnaryOp, numberExpr, simpleExpr, stringValue } from './expr.js';
import { parseText } from './parser.js';
import { collapse, lineStarts, posOf } from './positions.js';
import { copyTree, LNode } from './lnode.js';
import { DEFINE_MACRO_TYPES } from './prepass.js';
import type { MacroSite, ParsedFile, RecordedAnnotation } from './types.js';

type N = LNode;

/** What describeDeclarator needs: satisfied by both native and copied nodes. */
interface NodeLike {
  type: string;
  text: string;
  childForFieldName(name: string): NodeLike | null;
  namedChildren: NodeLike[];
}

const CALL_RE = /(?:\b(?!(?:sizeof|typeof|__typeof__|__typeof|_Alignof|alignof|__alignof__|offsetof|__builtin_offsetof|defined)\b)[A-Za-z_]\w*|[)\]])\s*\(/;

/** Beyond this nesting, statements and expressions degrade to `unknown`. */
const MAX_DEPTH = 400;

/** Calls after which control does not continue. `BUG()` and friends emit no call. */
const NO_CALL_NORETURN = new Set(['BUG', 'unreachable', '__builtin_unreachable', '__builtin_trap']);
const NORETURN_CALLS = new Set(['panic', 'do_exit', 'kthread_exit', 'kthread_complete_and_exit', 'make_task_dead', 'machine_halt', 'emergency_restart']);

/** Wrappers whose value is their argument. */
const TRANSPARENT = new Set(['likely', 'unlikely', 'READ_ONCE', 'data_race', 'ACCESS_ONCE', 'smp_load_acquire', 'rcu_access_pointer']);
/** `WRITE_ONCE(x, v)` and kin: an assignment. */
const STORES = new Set(['WRITE_ONCE', 'smp_store_release', 'smp_store_mb']);
const CONTAINER_OF = new Set(['container_of', 'container_of_const', 'list_entry', 'hlist_entry', 'rb_entry', 'llist_entry']);

const STATEMENT_TYPES = new Set([
  'compound_statement', 'expression_statement', 'declaration', 'if_statement', 'while_statement', 'do_statement',
  'for_statement', 'switch_statement', 'case_statement', 'break_statement', 'continue_statement', 'return_statement',
  'goto_statement', 'labeled_statement', 'preproc_if', 'preproc_ifdef', 'attributed_statement',
]);

interface BBlock {
  id: number;
  instrs: Instr[];
  term: Terminator | null;
  labels: string[];
  loopHead: boolean;
  preds: number;
}

interface ScopeEntry {
  kind: 'guard' | 'cleanup';
  class: string;
  args: Expr[];
}

interface Scope {
  id: number;
  entries: ScopeEntry[];
}

interface LoopTarget {
  brk: number | null;
  cont: number | null;
  /** Scopes at or above this index are left by break/continue. */
  depth: number;
}

interface SwitchCtx {
  cases: { values: Expr[] | 'default'; to: number }[];
}

interface PendingGoto {
  block: number;
  label: string;
  scopes: Scope[];
  pos: Pos;
  text: string;
}

/** What every function of one file shares. */
class FileContext {
  readonly starts: number[];
  readonly annotations: RecordedAnnotation[];
  /** Lock annotations on prototypes in this file, by function name. */
  readonly protoAnnotations = new Map<string, Annotations>();

  constructor(readonly parsed: ParsedFile) {
    this.starts = lineStarts(parsed.original);
    this.annotations = [...parsed.annotations].sort((a, b) => a.start - b.start);
  }

  /** Recorded annotations starting in [from, to). */
  annotationsIn(from: number, to: number): RecordedAnnotation[] {
    const a = this.annotations;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid]!.start < from) lo = mid + 1;
      else hi = mid;
    }
    const out: RecordedAnnotation[] = [];
    for (let i = lo; i < a.length && a[i]!.start < to; i++) out.push(a[i]!);
    return out;
  }
}

function lockAnnotations(list: RecordedAnnotation[]): Annotations {
  const ann: Annotations = { mustHold: [], acquires: [], releases: [] };
  for (const a of list) {
    if (a.name === '__must_hold' || a.name === '__must_hold_shared') ann.mustHold.push(...splitTop(a.args));
    else if (a.name === '__acquires' || a.name === '__acquires_shared') ann.acquires.push(...splitTop(a.args));
    else if (a.name === '__releases' || a.name === '__releases_shared') ann.releases.push(...splitTop(a.args));
  }
  return ann;
}

/** Split `a, f(b, c)` at top-level commas. */
function splitTop(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    if (ch === ',' && depth === 0) { out.push(cur.trim()); cur = ''; continue; }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** Follow a declarator down to its name, noting pointer/array levels and the function declarator. */
function describeDeclarator<T extends NodeLike>(d: T | null): { name: string | null; suffix: string; fn: T | null; pointers: number } {
  let suffix = '';
  let fn: T | null = null;
  let pointers = 0;
  let guard = 0;
  while (d && guard++ < 200) {
    switch (d.type) {
      case 'identifier':
      case 'field_identifier':
      case 'type_identifier':
        return { name: d.text, suffix, fn, pointers };
      case 'pointer_declarator':
      case 'abstract_pointer_declarator':
        pointers++;
        suffix = '*' + suffix;
        break;
      case 'array_declarator':
      case 'abstract_array_declarator':
        suffix += '[]';
        break;
      case 'function_declarator':
      case 'abstract_function_declarator':
        fn = d;
        break;
      case 'init_declarator':
      case 'parenthesized_declarator':
      case 'abstract_parenthesized_declarator':
      case 'attributed_declarator':
        break;
      default:
        return { name: null, suffix, fn, pointers };
    }
    const next = (d.childForFieldName('declarator') ?? d.namedChildren.find((c) => c.type.endsWith('declarator') || c.type === 'identifier') ?? null) as T | null;
    if (next === d) break;
    d = next;
  }
  return { name: null, suffix, fn, pointers };
}

function typeString(base: string, suffix: string): string {
  if (!suffix) return base;
  return suffix.startsWith('*') ? `${base} ${suffix}` : `${base}${suffix}`;
}

class FunctionLowering {
  private blocks: BBlock[] = [];
  private cur = -1;
  private temps = 0;
  private scopes: Scope[] = [];
  private scopeIds = 0;
  private loops: LoopTarget[] = [];
  private switches: SwitchCtx[] = [];
  private labels = new Map<string, { block: number; scopeIds: Set<number> }>();
  private gotos: PendingGoto[] = [];
  private pending: Comment[] = [];
  private depth = 0;
  /** Offset added to node offsets (non-zero only while lowering a re-parsed macro argument). */
  private delta = 0;
  readonly locals: Record<string, string> = {};
  parseErrors = 0;

  constructor(private readonly fc: FileContext) {}

  private get src(): string {
    return this.fc.parsed.original;
  }

  /** End of the re-parsed fragment in the original text: the wrapper's `;}` must not leak into texts. */
  private limit = Infinity;

  private end(n: N): number {
    return Math.min(n.endIndex + this.delta, this.limit);
  }

  text(n: N): string {
    return collapse(this.src.slice(n.startIndex + this.delta, this.end(n)));
  }

  /** Text from the pre-passed source (annotations blanked): used for types. */
  typeText(n: N): string {
    if (this.delta !== 0) return this.text(n);
    const t = collapse(this.fc.parsed.text.slice(n.startIndex, n.endIndex));
    // A `typeof(...)` the pre-pass turned into underscores: show what was written.
    return /^_+$/.test(t) ? this.text(n) : t;
  }

  private row(offset: number): number {
    return posOf(this.fc.starts, offset + this.delta, offset + this.delta).line;
  }

  pos(n: N): Pos {
    return posOf(this.fc.starts, n.startIndex + this.delta, this.end(n));
  }

  // ---------- blocks ----------

  newBlock(loopHead = false): number {
    const id = this.blocks.length;
    this.blocks.push({ id, instrs: [], term: null, labels: [], loopHead, preds: 0 });
    return id;
  }

  private ensure(): BBlock {
    if (this.cur < 0) this.cur = this.newBlock();
    return this.blocks[this.cur]!;
  }

  private takeComments(): Comment[] {
    if (!this.pending.length) return [];
    const c = this.pending;
    this.pending = [];
    return c;
  }

  emit(instr: Instr): void {
    const b = this.ensure();
    if (this.pending.length) instr.comments = this.takeComments();
    b.instrs.push(instr);
  }

  private terminate(term: Terminator): void {
    const b = this.ensure();
    if (this.pending.length && term.op !== 'jump') (term as { comments?: Comment[] }).comments = this.takeComments();
    b.term = term;
    const targets =
      term.op === 'jump' ? [term.to]
        : term.op === 'branch' ? [term.then, term.else]
          : term.op === 'switch' ? term.cases.map((c) => c.to)
            : term.op === 'foreach' ? [term.body, term.exit]
              : [];
    for (const t of targets) this.blocks[t]!.preds++;
    this.cur = -1;
  }

  jump(to: number): void {
    this.terminate({ op: 'jump', to });
  }

  /** Jump to `to` if the current point is reachable. */
  private flowInto(to: number): void {
    if (this.cur >= 0) this.jump(to);
  }

  /** Continue at `b`; if nothing reaches it, the code after is dead. */
  private continueAt(b: number): void {
    this.cur = b;
  }

  private temp(): Expr {
    return { k: 'id', name: `$t${++this.temps}` };
  }

  // ---------- scopes ----------

  private pushScope(): Scope {
    const s = { id: ++this.scopeIds, entries: [] };
    this.scopes.push(s);
    return s;
  }

  private emitScopeEnds(scopes: Scope[], pos: Pos, text: string): void {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const entries = scopes[i]!.entries;
      for (let j = entries.length - 1; j >= 0; j--) {
        const e = entries[j]!;
        this.emit({ op: 'scope_end', kind: e.kind, class: e.class, args: e.args, pos, text, comments: [] });
      }
    }
  }

  /** Close the innermost scope on the fall-through edge. */
  private popScope(closer: N | null, fallbackPos: Pos): void {
    const s = this.scopes.pop();
    if (s && s.entries.length && this.cur >= 0) {
      this.emitScopeEnds([s], closer ? this.pos(closer) : fallbackPos, closer ? this.text(closer) : '}');
    }
  }

  // ---------- functions ----------

  lowerFunction(fn: N, body: N): void {
    this.parseErrors = fn.errorCount;
    this.cur = this.newBlock();
    this.lowerCompound(body);
    if (this.cur >= 0) {
      const closer = body.lastChild;
      const p = closer && closer.type === '}' ? this.pos(closer) : this.pos(body);
      this.terminate({ op: 'return', value: null, pos: p, text: '}' });
    }
    this.resolveGotos();
  }

  /** One walk over the function: count ERROR/MISSING nodes and mark nodes that contain a call. */
  /**
   * Whether an expression contains a call, judged from its text: a name or a
   * closing bracket followed by `(`, other than sizeof/typeof and kin. A
   * cast followed by a parenthesis counts too; that only costs an
   * unnecessary (still correct) split into branches.
   */
  private hasCall(n: N): boolean {
    const base = this.delta ? this.src : this.fc.parsed.text;
    const t = base.slice(n.startIndex + this.delta, n.endIndex + this.delta);
    CALL_RE.lastIndex = 0;
    return CALL_RE.test(t);
  }

  private resolveGotos(): void {
    for (const g of this.gotos) {
      this.cur = g.block;
      const label = this.labels.get(g.label);
      if (!label) {
        this.terminate({ op: 'unreachable', pos: g.pos, text: g.text });
        continue;
      }
      const left = g.scopes.filter((s) => !label.scopeIds.has(s.id));
      this.emitScopeEnds(left, g.pos, g.text);
      this.jump(label.block);
    }
  }

  finish(): Block[] {
    return this.blocks.map((b) => ({
      id: b.id,
      instrs: b.instrs,
      term: b.term ?? { op: 'unreachable', pos: { line: 0, column: 0, endLine: 0, endColumn: 0 }, text: '' },
      labels: b.labels,
      loopHead: b.loopHead,
    }));
  }

  // ---------- statements ----------

  /** Lower a run of sibling statements, attaching preceding comments. */
  private lowerList(children: N[]): void {
    let lastEndRow = -1;
    for (const c of children) {
      if (c.type === 'comment') {
        // A comment on the line where the previous statement ended trails it.
        if (this.row(c.startIndex) !== lastEndRow) this.pending.push({ text: this.src.slice(c.startIndex + this.delta, c.endIndex + this.delta), pos: this.pos(c) });
        continue;
      }
      if (!c.isNamed) continue;
      this.lowerStmt(c);
      this.pending = [];
      lastEndRow = this.row(c.endIndex);
    }
  }

  private lowerCompound(n: N): void {
    const scope = this.pushScope();
    const inner = n.children.filter((c) => c.type !== '{' && c.type !== '}');
    this.lowerList(inner);
    const closer = n.lastChild && n.lastChild.type === '}' ? n.lastChild : null;
    if (this.scopes[this.scopes.length - 1] === scope) this.popScope(closer, this.pos(n));
  }

  lowerStmt(n: N): void {
    if (++this.depth > MAX_DEPTH) {
      this.depth--;
      return;
    }
    try {
      this.lowerStmtInner(n);
    } finally {
      this.depth--;
    }
  }

  private lowerStmtInner(n: N): void {
    switch (n.type) {
      case 'compound_statement':
        return this.lowerCompound(n);
      case 'expression_statement': {
        if (this.delta === 0 && this.fc.parsed.labelSites?.has(n.startIndex)) return this.lowerBareLabel(n);
        const e = n.namedChildren.find((c) => c.type !== 'comment');
        if (e) this.lowerExprStatement(e, n);
        return;
      }
      case 'declaration':
        return this.lowerDecl(n);
      case 'if_statement':
        return this.lowerIf(n);
      case 'while_statement': {
        const site = this.fc.parsed.macros?.get(n.startIndex + this.delta);
        if (site && this.delta === 0) return this.lowerMacroLoop(n, site);
        return this.lowerWhile(n);
      }
      case 'do_statement':
        return this.lowerDo(n);
      case 'for_statement':
        return this.lowerFor(n);
      case 'switch_statement':
        return this.lowerSwitch(n);
      case 'case_statement':
        return this.lowerCase(n);
      case 'break_statement':
      case 'continue_statement':
        return this.lowerBreak(n, n.type === 'break_statement');
      case 'return_statement':
        return this.lowerReturn(n);
      case 'goto_statement':
        return this.lowerGoto(n);
      case 'labeled_statement':
        return this.lowerLabel(n);
      case 'preproc_if':
      case 'preproc_ifdef':
        return this.lowerPreproc(n);
      case 'attributed_statement': {
        const inner = n.namedChildren.filter((c) => c.type !== 'attribute_declaration' && c.type !== 'comment');
        return this.lowerList(inner);
      }
      case 'ERROR':
        return this.lowerError(n);
      case 'comment':
      case 'preproc_def':
      case 'preproc_function_def':
      case 'preproc_call':
      case 'preproc_include':
      case 'type_definition':
      case 'function_definition':
      case 'struct_specifier':
      case 'union_specifier':
      case 'enum_specifier':
        return;
      default:
        if (n.type.endsWith('_expression') || n.type === 'identifier') this.lowerExprStatement(n, n);
    }
  }

  /** Best effort inside an ERROR node: keep the statements and calls it still holds. */
  private lowerError(n: N): void {
    for (const c of n.namedChildren) {
      if (c.type === 'comment') continue;
      if (STATEMENT_TYPES.has(c.type) || c.type === 'ERROR') this.lowerStmt(c);
      else if (c.type.endsWith('_expression')) this.lowerExprStatement(c, c);
    }
  }

  private lowerExprStatement(e: N, stmt: N): void {
    // guard(class)(args);  CLASS(class, var)(args);
    if (e.type === 'call_expression') {
      const f = e.childForFieldName('function');
      if (f && f.type === 'call_expression') {
        const inner = f.childForFieldName('function');
        const innerName = inner && inner.type === 'identifier' ? inner.text : null;
        if (innerName === 'guard' || innerName === 'CLASS' || innerName === 'ACQUIRE') return this.lowerGuardCall(e, f, innerName, stmt);
      }
    }
    this.lowerExpr(e, true);
  }

  private lowerGuardCall(outer: N, inner: N, kind: string, stmt: N): void {
    const innerArgs = this.argNodes(inner);
    const args = this.argNodes(outer).map((a) => this.lowerExpr(a));
    const cls = innerArgs[0] ? this.text(innerArgs[0]) : '';
    const scope = this.scopes[this.scopes.length - 1];
    if (kind === 'guard') {
      this.emit({ op: 'guard', class: cls, args, conditional: false, pos: this.pos(stmt), text: this.text(outer), comments: [] });
      scope?.entries.push({ kind: 'guard', class: cls, args });
      return;
    }
    const varName = innerArgs[1] ? this.text(innerArgs[1]) : '';
    const v: Expr = { k: 'id', name: varName };
    if (kind === 'ACQUIRE') {
      // ACQUIRE(mutex_intr, lock)(&x): a guard that may fail; ACQUIRE_ERR(mutex_intr, &lock) tells.
      this.emit({ op: 'decl', name: varName, type: `class_${cls}_t`, cleanup: null, pos: this.pos(stmt), text: this.text(stmt), comments: [] });
      this.setLocal(varName, `class_${cls}_t`);
      this.emit({ op: 'guard', class: cls, args, conditional: true, pos: this.pos(stmt), text: this.text(outer), comments: [] });
      scope?.entries.push({ kind: 'guard', class: cls, args });
      return;
    }
    this.emit({ op: 'decl', name: varName, type: `class_${cls}_t`, cleanup: `class_${cls}_destructor`, pos: this.pos(stmt), text: this.text(stmt), comments: [] });
    this.setLocal(varName, `class_${cls}_t`);
    this.emit({ op: 'call', callee: `class_${cls}_constructor`, calleeExpr: null, args, result: v, pos: this.pos(outer), text: this.text(outer), comments: [] });
    scope?.entries.push({ kind: 'cleanup', class: `class_${cls}_destructor`, args: [v] });
  }

  private setLocal(name: string, type: string): void {
    if (name && name !== '__proto__') this.locals[name] = type;
  }

  private lowerDecl(n: N): void {
    const typeNode = n.childForFieldName('type');
    let base = typeNode ? this.typeText(typeNode) : '';
    if (typeNode && typeNode.type === 'type_identifier' && DEFINE_MACRO_TYPES[typeNode.text]) {
      base = DEFINE_MACRO_TYPES[typeNode.text]!;
    }
    const decls = n.childrenForFieldName('declarator');
    for (let i = 0; i < decls.length; i++) {
      const d = decls[i]!;
      const isInit = d.type === 'init_declarator';
      const target = isInit ? d.childForFieldName('declarator') : d;
      const info = describeDeclarator(target);
      if (!info.name || (info.fn && info.pointers === 0)) continue; // a prototype, not a variable
      const type = typeString(base, info.suffix);
      const from = d.startIndex + this.delta;
      const to = i + 1 < decls.length ? decls[i + 1]!.startIndex + this.delta : n.endIndex + this.delta;
      const cleanup = this.cleanupIn(from, to);
      const single = decls.length === 1;
      this.emit({
        op: 'decl',
        name: info.name,
        type,
        cleanup,
        pos: single ? this.pos(n) : this.pos(d),
        text: single ? this.text(n) : this.text(d),
        comments: [],
      });
      this.setLocal(info.name, type);
      const value = isInit ? d.childForFieldName('value') : null;
      if (value) {
        const target: Expr = { k: 'id', name: info.name };
        if (value.type === 'initializer_list') {
          this.initializerEffects(value);
          this.emit({ op: 'assign', target, value: { k: 'unknown', text: this.text(value) }, pos: this.pos(d), text: this.text(d), comments: [] });
        } else if (value.type === 'call_expression' && this.plainCall(value)) {
          this.lowerCall(value, false, target, d);
        } else {
          const v = this.lowerExpr(value);
          this.emit({ op: 'assign', target, value: v, pos: this.pos(d), text: this.text(d), comments: [] });
        }
      }
      if (cleanup) this.scopes[this.scopes.length - 1]?.entries.push({ kind: 'cleanup', class: cleanup, args: [{ k: 'id', name: info.name }] });
    }
  }

  private cleanupIn(from: number, to: number): string | null {
    for (const a of this.fc.annotationsIn(from, to)) {
      if (a.name === '__free') return a.args.trim();
      if (a.name === '__cleanup') return a.args.trim();
      if (a.name === '__attribute__' || a.name === '__attribute') {
        const m = /\b(?:__)?cleanup(?:__)?\s*\(\s*([A-Za-z_]\w*)/.exec(a.args);
        if (m) return m[1]!;
      }
    }
    return null;
  }

  private lowerIf(first: N): void {
    const join = this.newBlock();
    let n: N = first;
    for (let guard = 0; guard < 100000; guard++) {
      const thenB = this.newBlock();
      const elseB = this.newBlock();
      const cond = n.childForFieldName('condition');
      if (cond) this.lowerCond(cond, thenB, elseB);
      else this.jump(thenB);
      this.cur = thenB;
      const cons = n.childForFieldName('consequence');
      if (cons) this.lowerStmt(cons);
      this.flowInto(join);
      this.cur = elseB;
      const alt = n.childForFieldName('alternative');
      const altStmt = alt ? (alt.type === 'else_clause' ? alt.namedChildren.find((c) => c.type !== 'comment') ?? null : alt) : null;
      if (altStmt && altStmt.type === 'if_statement') {
        n = altStmt;
        continue;
      }
      if (altStmt) this.lowerStmt(altStmt);
      this.flowInto(join);
      break;
    }
    this.continueAt(join);
  }

  private constTruth(n: N): boolean | null {
    let e: N | null = n;
    while (e && e.type === 'parenthesized_expression') e = e.namedChildren.find((c) => c.type !== 'comment') ?? null;
    if (!e) return null;
    if (e.type === 'number_literal') return numberExpr(e.text).k === 'num' && (numberExpr(e.text) as { value: number }).value !== 0;
    if (e.type === 'true') return true;
    if (e.type === 'false') return false;
    return null;
  }

  private lowerWhile(n: N): void {
    const head = this.newBlock(true);
    this.flowInto(head);
    this.cur = head;
    const body = this.newBlock();
    const exit = this.newBlock();
    const cond = n.childForFieldName('condition');
    const truth = cond ? this.constTruth(cond) : true;
    if (truth === true) this.jump(body);
    else if (truth === false) this.jump(exit);
    else this.lowerCond(cond!, body, exit);
    this.loops.push({ brk: exit, cont: head, depth: this.scopes.length });
    this.cur = body;
    const b = n.childForFieldName('body');
    if (b) this.lowerStmt(b);
    this.flowInto(head);
    this.loops.pop();
    this.continueAt(exit);
  }

  private lowerDo(n: N): void {
    const cond = n.childForFieldName('condition');
    const truth = cond ? this.constTruth(cond) : false;
    const body = this.newBlock(truth !== false);
    this.flowInto(body);
    const condB = this.newBlock();
    const exit = this.newBlock();
    this.loops.push({ brk: exit, cont: condB, depth: this.scopes.length });
    this.cur = body;
    const b = n.childForFieldName('body');
    if (b) this.lowerStmt(b);
    this.flowInto(condB);
    this.loops.pop();
    this.cur = condB;
    if (truth === false) this.jump(exit);
    else if (truth === true) this.jump(body);
    else this.lowerCond(cond!, body, exit);
    this.continueAt(exit);
  }

  private lowerFor(n: N): void {
    const scope = this.pushScope();
    const init = n.childForFieldName('initializer');
    if (init) {
      if (init.type === 'declaration') this.lowerDecl(init);
      else this.lowerExpr(init, true);
    }
    const head = this.newBlock(true);
    this.flowInto(head);
    this.cur = head;
    const body = this.newBlock();
    const update = this.newBlock();
    const exit = this.newBlock();
    const cond = n.childForFieldName('condition');
    const truth = cond ? this.constTruth(cond) : true;
    if (truth === true) this.jump(body);
    else if (truth === false) this.jump(exit);
    else this.lowerCond(cond!, body, exit);
    this.loops.push({ brk: exit, cont: update, depth: this.scopes.length });
    this.cur = body;
    const b = n.childForFieldName('body');
    if (b) this.lowerStmt(b);
    this.flowInto(update);
    this.loops.pop();
    this.cur = update;
    const upd = n.childForFieldName('update');
    if (upd) this.lowerExpr(upd, true);
    this.flowInto(head);
    this.cur = exit;
    if (this.scopes[this.scopes.length - 1] === scope) this.popScope(null, this.pos(n));
  }

  /** Top-level elements of a comma expression. */
  private flattenComma(n: N | null): N[] {
    const out: N[] = [];
    let e: N | null = n;
    while (e && e.type === 'parenthesized_expression') e = e.namedChildren.find((c) => c.type !== 'comment') ?? null;
    let guard = 0;
    while (e && guard++ < 1000) {
      if (e.type === 'comma_expression') {
        const l = e.childForFieldName('left');
        if (l) out.push(l);
        e = e.childForFieldName('right');
      } else {
        out.push(e);
        break;
      }
    }
    return out;
  }

  private macroArgs(n: N, site: MacroSite): { nodes: (N | null)[]; exprs: (i: number) => Expr } {
    const cond = n.childForFieldName('condition');
    const flat = this.flattenComma(cond);
    const nodes: (N | null)[] = flat.length === site.args.length ? flat : site.args.map(() => null);
    return {
      nodes,
      exprs: (i: number) => {
        const node = nodes[i];
        if (node && !node.hasError) return this.lowerExpr(node);
        return simpleExpr(site.args[i] ?? '');
      },
    };
  }

  private lowerMacroLoop(n: N, site: MacroSite): void {
    const text = collapse(this.src.slice(site.start, site.end));
    const { exprs } = this.macroArgs(n, site);
    const body = n.childForFieldName('body');
    if (site.kind === 'foreach') {
      const head = this.newBlock(true);
      this.flowInto(head);
      this.cur = head;
      const args = site.args.map((_, i) => exprs(i));
      const bodyB = this.newBlock();
      const exit = this.newBlock();
      this.terminate({ op: 'foreach', macro: site.macro, args, body: bodyB, exit, pos: site.pos, text });
      this.loops.push({ brk: exit, cont: head, depth: this.scopes.length });
      this.cur = bodyB;
      if (body) this.lowerStmt(body);
      this.flowInto(head);
      this.loops.pop();
      this.continueAt(exit);
      return;
    }
    const cls = site.args[0] ?? '';
    const conditional = site.kind === 'scoped_cond_guard';
    const exit = this.newBlock();
    if (conditional) {
      const ok = this.newBlock();
      const fail = this.newBlock();
      this.terminate({ op: 'branch', cond: { k: 'unknown', text }, then: ok, else: fail, pos: site.pos, text });
      this.cur = fail;
      this.lowerFailStatement(site);
      this.flowInto(exit);
      this.cur = ok;
    }
    const first = conditional ? 2 : 1;
    const args: Expr[] = [];
    for (let i = first; i < site.args.length; i++) args.push(exprs(i));
    this.emit({ op: 'guard', class: cls, args, conditional, pos: site.pos, text, comments: [] });
    const scope = this.pushScope();
    scope.entries.push({ kind: 'guard', class: cls, args });
    // scoped_guard is a for loop in the kernel: break and continue leave it.
    this.loops.push({ brk: exit, cont: exit, depth: this.scopes.length - 1 });
    if (body) this.lowerStmt(body);
    this.loops.pop();
    const closer = body && body.type === 'compound_statement' && body.lastChild?.type === '}' ? body.lastChild : body;
    if (this.scopes[this.scopes.length - 1] === scope) this.popScope(closer, site.pos);
    this.flowInto(exit);
    this.continueAt(exit);
  }

  /** The fail statement of scoped_cond_guard (`return -EINTR`), re-parsed on its own. */
  private lowerFailStatement(site: MacroSite): void {
    const s = site.argStarts[1];
    const e = site.argEnds[1];
    if (s === undefined || e === undefined || e <= s) return;
    const raw = this.src.slice(s, e);
    const prefix = 'void __kreview_fail(void){';
    const wrapper = prefix + raw + ';}';
    const tree = parseText(wrapper);
    const fnNode = tree.rootNode.namedChildren.find((c) => c.type === 'function_definition');
    const fnBody = fnNode ? copyTree(fnNode, wrapper).childForFieldName('body') : null;
    if (!fnBody) return;
    const saved = this.delta;
    this.delta = s - prefix.length;
    this.limit = e;
    try {
      this.lowerList(fnBody.children.filter((c) => c.type !== '{' && c.type !== '}' && c.endIndex <= prefix.length + raw.length + 1));
    } finally {
      this.delta = saved;
      this.limit = Infinity;
    }
  }

  private lowerSwitch(n: N): void {
    const cond = n.childForFieldName('condition');
    const value = cond ? this.lowerExpr(cond) : ({ k: 'unknown', text: '' } as Expr);
    const exit = this.newBlock();
    const ctx: SwitchCtx = { cases: [] };
    const headBlock = this.ensure();
    const condText = cond ? this.text(cond) : '';
    this.cur = -1;
    this.switches.push(ctx);
    const cont = [...this.loops].reverse().find((l) => l.cont !== null)?.cont ?? null;
    this.loops.push({ brk: exit, cont, depth: this.scopes.length });
    const body = n.childForFieldName('body');
    if (body) this.lowerStmt(body);
    this.flowInto(exit);
    this.loops.pop();
    this.switches.pop();
    if (!ctx.cases.some((c) => c.values === 'default')) ctx.cases.push({ values: 'default', to: exit });
    // The head's terminator is set now that the cases are known.
    const saved = this.cur;
    this.cur = headBlock.id;
    this.terminate({ op: 'switch', value, cases: ctx.cases, pos: this.pos(n), text: `switch ${condText}` });
    this.cur = saved;
    this.continueAt(exit);
  }

  private lowerCase(n: N): void {
    const ctx = this.switches[this.switches.length - 1];
    const b = this.newBlock();
    this.flowInto(b);
    const valueNode = n.childForFieldName('value');
    if (ctx) {
      if (valueNode) {
        const saved = this.cur;
        this.cur = -1;
        let v = this.lowerExprNoEmit(valueNode);
        const op = valueNode.type === 'binary_expression' ? valueNode.childForFieldName('operator') : null;
        if (op && v.k === 'binary' && this.fc.parsed.caseRanges?.has(op.startIndex + this.delta)) v = { ...v, op: '...' };
        this.cur = saved;
        ctx.cases.push({ values: [v], to: b });
      } else ctx.cases.push({ values: 'default', to: b });
      this.blocks[b]!.preds++;
    }
    this.cur = b;
    const stmts: N[] = [];
    let afterColon = false;
    for (const c of n.children) {
      if (!afterColon) {
        if (c.type === ':') afterColon = true;
        continue;
      }
      stmts.push(c);
    }
    this.lowerList(stmts);
  }

  /** Case labels are constants: lower without emitting (a call there would be invalid C). */
  private lowerExprNoEmit(n: N): Expr {
    if (this.hasCall(n)) return { k: 'unknown', text: this.text(n) };
    return this.lowerExpr(n);
  }

  private lowerBreak(n: N, isBreak: boolean): void {
    let target: LoopTarget | undefined;
    for (let i = this.loops.length - 1; i >= 0; i--) {
      const l = this.loops[i]!;
      if (isBreak ? l.brk !== null : l.cont !== null) { target = l; break; }
    }
    if (!target) {
      this.terminate({ op: 'unreachable', pos: this.pos(n), text: this.text(n) });
      return;
    }
    this.emitScopeEnds(this.scopes.slice(target.depth), this.pos(n), this.text(n));
    this.jump((isBreak ? target.brk : target.cont)!);
  }

  private lowerReturn(n: N): void {
    const v = n.namedChildren.find((c) => c.type !== 'comment');
    let value: Expr | null = null;
    if (v) value = this.lowerExpr(v);
    this.emitScopeEnds(this.scopes, this.pos(n), this.text(n));
    this.terminate({ op: 'return', value, pos: this.pos(n), text: this.text(n) });
  }

  private lowerGoto(n: N): void {
    const label = n.childForFieldName('label');
    const b = this.ensure();
    // A goto becomes a plain jump, which carries no comments.
    this.pending = [];
    this.gotos.push({
      block: b.id,
      label: label ? label.text : '',
      scopes: this.scopes.map((s) => ({ id: s.id, entries: [...s.entries] })),
      pos: this.pos(n),
      text: this.text(n),
    });
    this.cur = -1;
  }

  private lowerLabel(n: N): void {
    const label = n.childForFieldName('label');
    const b = this.newBlock();
    this.flowInto(b);
    const name = label ? label.text : '';
    this.blocks[b]!.labels.push(name);
    this.labels.set(name, { block: b, scopeIds: new Set(this.scopes.map((s) => s.id)) });
    this.blocks[b]!.preds++;
    this.cur = b;
    const inner = n.namedChildren.filter((c) => c.type !== 'statement_identifier' && c !== label);
    this.lowerList(inner);
  }

  /** `out:` right before `}`: the pre-pass made it `out;`. */
  private lowerBareLabel(n: N): void {
    const id = n.namedChildren.find((c) => c.type === 'identifier');
    const b = this.newBlock();
    this.flowInto(b);
    const name = id ? id.text : '';
    this.blocks[b]!.labels.push(name);
    this.labels.set(name, { block: b, scopeIds: new Set(this.scopes.map((s) => s.id)) });
    this.cur = b;
  }

  /** `#ifdef X ... #else ... #endif` inside a body: either branch may be compiled in. */
  private lowerPreproc(n: N): void {
    const join = this.newBlock();
    let node: N | null = n;
    let guard = 0;
    while (node && guard++ < 1000) {
      const alt: N | null = node.childForFieldName('alternative');
      const stmts = node.children.filter((c, i) => {
        const f = node!.fieldNameForChild(i);
        return c.isNamed && f !== 'condition' && f !== 'name' && f !== 'alternative';
      });
      const header = this.headerText(node);
      if (alt) {
        const yes = this.newBlock();
        const no = this.newBlock();
        const p = this.pos(node);
        this.terminate({ op: 'branch', cond: { k: 'unknown', text: header }, then: yes, else: no, pos: p, text: header });
        this.cur = yes;
        this.lowerList(stmts);
        this.flowInto(join);
        this.cur = no;
        node = alt.type === 'preproc_else' ? null : alt;
        if (alt.type === 'preproc_else') {
          const elseStmts = alt.children.filter((c) => c.isNamed);
          this.lowerList(elseStmts);
        }
        if (!node) this.flowInto(join);
      } else {
        if (/^#\s*if\s+0\s*$/.test(header)) {
          this.flowInto(join);
        } else {
          const yes = this.newBlock();
          this.terminate({ op: 'branch', cond: { k: 'unknown', text: header }, then: yes, else: join, pos: this.pos(node), text: header });
          this.cur = yes;
          this.lowerList(stmts);
          this.flowInto(join);
        }
        node = null;
      }
    }
    this.continueAt(join);
  }

  private headerText(n: N): string {
    const s = n.startIndex + this.delta;
    const nl = this.src.indexOf('\n', s);
    return collapse(this.src.slice(s, nl === -1 ? n.endIndex + this.delta : Math.min(nl, n.endIndex + this.delta)));
  }

  // ---------- conditions ----------

  /** Branch to `t` when `n` is true, `f` otherwise, keeping short-circuit order for calls. */
  lowerCond(n: N, t: number, f: number): void {
    if (++this.depth > MAX_DEPTH) {
      this.depth--;
      this.terminate({ op: 'branch', cond: { k: 'unknown', text: this.text(n) }, then: t, else: f, pos: this.pos(n), text: this.text(n) });
      return;
    }
    try {
      this.lowerCondInner(n, t, f);
    } finally {
      this.depth--;
    }
  }

  private lowerCondInner(n: N, t: number, f: number): void {
    switch (n.type) {
      case 'parenthesized_expression': {
        const inner = n.namedChildren.filter((c) => c.type !== 'comment');
        if (inner.length === 1 && inner[0]!.type !== 'compound_statement') return this.lowerCond(inner[0]!, t, f);
        break;
      }
      case 'unary_expression': {
        const op = n.childForFieldName('operator')?.type;
        const arg = n.childForFieldName('argument');
        if (op === '!' && arg && this.hasCall(arg)) return this.lowerCond(arg, f, t);
        break;
      }
      case 'binary_expression': {
        const op = n.childForFieldName('operator')?.type;
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        if ((op === '&&' || op === '||') && l && r && this.hasCall(n)) {
          const mid = this.newBlock();
          if (op === '&&') this.lowerCond(l, mid, f);
          else this.lowerCond(l, t, mid);
          this.cur = mid;
          return this.lowerCond(r, t, f);
        }
        break;
      }
      case 'conditional_expression': {
        const c = n.childForFieldName('condition');
        const a = n.childForFieldName('consequence');
        const b = n.childForFieldName('alternative');
        if (c && a && b && (this.hasCall(a) || this.hasCall(b))) {
          const ba = this.newBlock();
          const bb = this.newBlock();
          this.lowerCond(c, ba, bb);
          this.cur = ba;
          this.lowerCond(a, t, f);
          this.cur = bb;
          return this.lowerCond(b, t, f);
        }
        break;
      }
      case 'comma_expression': {
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        if (l && r) {
          this.lowerExpr(l, true);
          return this.lowerCond(r, t, f);
        }
        break;
      }
      case 'call_expression': {
        const fn = n.childForFieldName('function');
        const args = this.argNodes(n);
        if (fn && fn.type === 'identifier' && (fn.text === 'likely' || fn.text === 'unlikely') && args.length === 1) {
          return this.lowerCond(args[0]!, t, f);
        }
        break;
      }
    }
    const cond = this.lowerExpr(n);
    this.terminate({ op: 'branch', cond, then: t, else: f, pos: this.pos(n), text: this.text(n) });
  }

  // ---------- expressions ----------

  private argNodes(call: N): N[] {
    const al = call.childForFieldName('arguments');
    if (!al) return [];
    return al.namedChildren.filter((c) => c.type !== 'comment');
  }

  private plainCall(n: N): boolean {
    const f = n.childForFieldName('function');
    if (!f || f.type !== 'identifier') return true;
    const name = this.text(f);
    if (name === 'offsetof') return false;
    return !TRANSPARENT.has(name) && !STORES.has(name) && !CONTAINER_OF.has(name) && !NO_CALL_NORETURN.has(name) &&
      name !== 'list_first_entry' && name !== 'list_last_entry';
  }

  lowerExpr(n: N, discard = false): Expr {
    if (++this.depth > MAX_DEPTH) {
      this.depth--;
      return { k: 'unknown', text: this.text(n) };
    }
    try {
      return this.lowerExprInner(n, discard);
    } finally {
      this.depth--;
    }
  }

  private unknown(n: N): Expr {
    return { k: 'unknown', text: this.text(n) };
  }

  private lowerExprInner(n: N, discard: boolean): Expr {
    switch (n.type) {
      case 'identifier': {
        const name = n.text;
        if (name === 'NULL') return { k: 'null' };
        if (name === 'true' || name === 'false') return { k: 'bool', value: name === 'true' };
        // A type argument the pre-pass turned into underscores (`min_t(unsigned long, ...)`).
        if (/^_+$/.test(name) && name.length > 1) return { k: 'unknown', text: this.text(n) };
        return { k: 'id', name };
      }
      case 'null':
        return { k: 'null' };
      case 'true':
        return { k: 'bool', value: true };
      case 'false':
        return { k: 'bool', value: false };
      case 'number_literal':
        return numberExpr(n.text);
      case 'char_literal':
        return charExpr(this.text(n));
      case 'string_literal':
      case 'concatenated_string':
      case 'raw_string_literal':
        return { k: 'str', value: stringValue(n, (x) => this.src.slice(x.startIndex + this.delta, x.endIndex + this.delta)) };
      case 'parenthesized_expression': {
        const inner = n.namedChildren.filter((c) => c.type !== 'comment');
        if (inner.length === 1 && inner[0]!.type === 'compound_statement') return this.statementExpression(inner[0]!, n);
        if (inner.length !== 1) return this.unknown(n);
        return this.lowerExpr(inner[0]!, discard);
      }
      case 'compound_literal_expression': {
        const value = n.childForFieldName('value');
        if (value && value.type === 'initializer_list') this.initializerEffects(value);
        return this.unknown(n);
      }
      case 'field_expression': {
        const arg = n.childForFieldName('argument');
        const field = n.childForFieldName('field');
        const op = n.childForFieldName('operator');
        if (!arg || !field) return this.unknown(n);
        return { k: 'field', base: this.lowerExpr(arg), name: field.text, arrow: (op?.type ?? '->') === '->' };
      }
      case 'subscript_expression': {
        const arg = n.childForFieldName('argument');
        const index = n.childForFieldName('index');
        if (!arg || !index) return this.unknown(n);
        return { k: 'index', base: this.lowerExpr(arg), index: this.lowerExpr(index) };
      }
      case 'pointer_expression':
      case 'unary_expression': {
        const op = n.childForFieldName('operator')?.type ?? '';
        const arg = n.childForFieldName('argument');
        if (!arg || !isUnaryOp(op)) return this.unknown(n);
        return { k: 'unary', op, arg: this.lowerExpr(arg) };
      }
      case 'binary_expression': {
        const op = n.childForFieldName('operator')?.type ?? '';
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        if (!l || !r) return this.unknown(n);
        if ((op === '&&' || op === '||') && this.hasCall(r)) return this.valueFromCond(n, discard);
        return { k: 'binary', op, left: this.lowerExpr(l), right: this.lowerExpr(r) };
      }
      case 'conditional_expression': {
        const c = n.childForFieldName('condition');
        const a = n.childForFieldName('consequence');
        const b = n.childForFieldName('alternative');
        if (!c || !b) return this.unknown(n);
        if ((a && this.hasCall(a)) || this.hasCall(b)) return this.valueFromTernary(n, c, a, b, discard);
        const test = this.lowerExpr(c);
        return { k: 'cond', test, then: a ? this.lowerExpr(a) : test, else: this.lowerExpr(b) };
      }
      case 'assignment_expression':
        return this.lowerAssign(n);
      case 'update_expression': {
        const arg = n.childForFieldName('argument');
        const op = n.childForFieldName('operator')?.type ?? '++';
        if (!arg) return this.unknown(n);
        const target = this.lowerExpr(arg);
        const prefix = n.firstChild?.type === '++' || n.firstChild?.type === '--';
        let old: Expr = target;
        if (!discard && !prefix) {
          old = this.temp();
          this.emit({ op: 'assign', target: old, value: target, pos: this.pos(n), text: this.text(n), comments: [] });
        }
        this.emit({
          op: 'assign',
          target,
          value: { k: 'binary', op: op === '--' ? '-' : '+', left: target, right: { k: 'num', value: 1, text: '1' } },
          pos: this.pos(n),
          text: this.text(n),
          comments: [],
        });
        return old;
      }
      case 'cast_expression': {
        const type = n.childForFieldName('type');
        const value = n.childForFieldName('value');
        if (!value) return this.unknown(n);
        return { k: 'cast', type: type ? this.typeText(type) : '', arg: this.lowerExpr(value, discard) };
      }
      case 'sizeof_expression':
      case 'alignof_expression':
        return { k: 'sizeof', text: this.text(n) };
      case 'call_expression':
        return this.lowerCall(n, discard, null, n);
      case 'comma_expression': {
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        if (l) this.lowerExpr(l, true);
        return r ? this.lowerExpr(r, discard) : this.unknown(n);
      }
      default:
        return this.unknown(n);
    }
  }

  /** Calls inside `{ .a = f(x), ... }` still happen, in order; the value itself stays unknown. */
  private initializerEffects(list: N): void {
    if (!this.hasCall(list)) return;
    for (const c of list.namedChildren) {
      if (c.type === 'comment') continue;
      const v = c.type === 'initializer_pair' ? c.childForFieldName('value') : c;
      if (!v) continue;
      if (v.type === 'initializer_list') this.initializerEffects(v);
      else if (this.hasCall(v)) this.lowerExpr(v, true);
    }
  }

  /**
   * GNU `({ stmt; ...; expr; })`: the statements are lowered in place, the
   * value is the last expression's. Falls back to `unknown` for a value when
   * the last statement is not an expression.
   */
  private statementExpression(body: N, whole: N): Expr {
    const items = body.children.filter((c) => c.type !== '{' && c.type !== '}');
    let lastIdx = -1;
    for (let i = items.length - 1; i >= 0; i--) if (items[i]!.type !== 'comment') { lastIdx = i; break; }
    const last = lastIdx >= 0 ? items[lastIdx]! : null;
    const scope = this.pushScope();
    const saved = this.pending;
    this.pending = [];
    this.lowerList(last && last.type === 'expression_statement' ? items.slice(0, lastIdx) : items);
    let value: Expr = this.unknown(whole);
    if (last && last.type === 'expression_statement') {
      const e = last.namedChildren.find((c) => c.type !== 'comment');
      if (e) value = this.lowerExpr(e);
      if (value.k === 'id' && !value.name.startsWith('$t')) {
        // The block's locals go out of scope: keep the value in a temporary.
        const t = this.temp();
        this.emit({ op: 'assign', target: t, value, pos: this.pos(last), text: this.text(last), comments: [] });
        value = t;
      }
    }
    this.pending = saved;
    if (this.scopes[this.scopes.length - 1] === scope) this.popScope(body.lastChild?.type === '}' ? body.lastChild : null, this.pos(body));
    return value;
  }

  private lowerAssign(n: N): Expr {
    const left = n.childForFieldName('left');
    const right = n.childForFieldName('right');
    const op = n.childForFieldName('operator')?.type ?? '=';
    if (!left || !right) return this.unknown(n);
    const target = this.lowerExpr(left);
    if (op === '=' && right.type === 'call_expression' && this.plainCall(right)) {
      this.lowerCall(right, false, target, n);
      return target;
    }
    const value = this.lowerExpr(right);
    const v: Expr = op === '=' ? value : { k: 'binary', op: op.slice(0, -1), left: target, right: value };
    this.emit({ op: 'assign', target, value: v, pos: this.pos(n), text: this.text(n), comments: [] });
    return target;
  }

  /** `a && f(x)` used as a value: branches that set a temporary. */
  private valueFromCond(n: N, discard: boolean): Expr {
    const t = this.temp();
    const yes = this.newBlock();
    const no = this.newBlock();
    const join = this.newBlock();
    this.lowerCond(n, yes, no);
    const p = this.pos(n);
    const text = this.text(n);
    this.cur = yes;
    if (!discard) this.emit({ op: 'assign', target: t, value: { k: 'num', value: 1, text: '1' }, pos: p, text, comments: [] });
    this.jump(join);
    this.cur = no;
    if (!discard) this.emit({ op: 'assign', target: t, value: { k: 'num', value: 0, text: '0' }, pos: p, text, comments: [] });
    this.jump(join);
    this.cur = join;
    return t;
  }

  private valueFromTernary(n: N, c: N, a: N | null, b: N, discard: boolean): Expr {
    const t = this.temp();
    const p = this.pos(n);
    const text = this.text(n);
    const join = this.newBlock();
    if (!a) {
      // GNU `c ?: b`: the test's value when true.
      const test = this.lowerExpr(c);
      const no = this.newBlock();
      const yes = this.newBlock();
      this.terminate({ op: 'branch', cond: test, then: yes, else: no, pos: this.pos(c), text: this.text(c) });
      this.cur = yes;
      if (!discard) this.emit({ op: 'assign', target: t, value: test, pos: p, text, comments: [] });
      this.jump(join);
      this.cur = no;
      const vb = this.lowerExpr(b, discard);
      if (!discard) this.emit({ op: 'assign', target: t, value: vb, pos: p, text, comments: [] });
      this.jump(join);
      this.cur = join;
      return t;
    }
    const ba = this.newBlock();
    const bb = this.newBlock();
    this.lowerCond(c, ba, bb);
    this.cur = ba;
    const va = this.lowerExpr(a, discard);
    if (!discard) this.emit({ op: 'assign', target: t, value: va, pos: p, text, comments: [] });
    this.flowInto(join);
    this.cur = bb;
    const vb = this.lowerExpr(b, discard);
    if (!discard) this.emit({ op: 'assign', target: t, value: vb, pos: p, text, comments: [] });
    this.flowInto(join);
    this.cur = join;
    return t;
  }

  /**
   * A call: callee, then arguments left to right (calls inside hoisted
   * first), then the call instruction. `result` is where the value goes
   * (a temporary unless given or discarded).
   */
  lowerCall(n: N, discard: boolean, result: Expr | null, textNode: N): Expr {
    const fn = n.childForFieldName('function');
    const argNodes = this.argNodes(n);
    const name = fn && fn.type === 'identifier' ? this.text(fn) : null;
    if (name === 'offsetof') return { k: 'unknown', text: this.text(n) };
    if (name) {
      if (TRANSPARENT.has(name) && argNodes.length === 1) {
        const v = this.lowerExpr(argNodes[0]!, discard);
        if (result) this.emit({ op: 'assign', target: result, value: v, pos: this.pos(textNode), text: this.text(textNode), comments: [] });
        return result ?? v;
      }
      if (STORES.has(name) && argNodes.length === 2) {
        const target = this.lowerExpr(argNodes[0]!);
        const value = this.lowerExpr(argNodes[1]!);
        this.emit({ op: 'assign', target, value, pos: this.pos(n), text: this.text(n), comments: [] });
        return target;
      }
      if (CONTAINER_OF.has(name) || name === 'list_first_entry' || name === 'list_last_entry') {
        const e = this.containerOf(n, name, argNodes);
        if (result) this.emit({ op: 'assign', target: result, value: e, pos: this.pos(textNode), text: this.text(textNode), comments: [] });
        return result ?? e;
      }
      if (NO_CALL_NORETURN.has(name)) {
        this.terminate({ op: 'unreachable', pos: this.pos(n), text: this.text(n) });
        return { k: 'unknown', text: this.text(n) };
      }
    }
    const calleeExpr = name ? null : fn ? this.lowerExpr(fn) : ({ k: 'unknown', text: '' } as Expr);
    const args = argNodes.map((a) => this.lowerExpr(a));
    const res = result ?? (discard ? null : this.temp());
    const textOf = n;
    this.emit({
      op: 'call',
      callee: name,
      calleeExpr,
      args,
      result: res,
      pos: this.pos(textOf),
      text: this.text(textOf),
      comments: [],
    });
    if (name && NORETURN_CALLS.has(name)) {
      this.terminate({ op: 'unreachable', pos: this.pos(n), text: this.text(n) });
    }
    return res ?? { k: 'unknown', text: this.text(n) };
  }

  /** container_of(ptr, struct T, member); the type is read from the original text (`struct` was blanked). */
  private containerOf(n: N, name: string, argNodes: N[]): Expr {
    const al = n.childForFieldName('arguments');
    const rawArgs = al ? splitTop(this.src.slice(al.startIndex + this.delta + 1, al.endIndex + this.delta - 1)) : [];
    if (rawArgs.length !== 3) return this.unknown(n);
    const type = collapse(rawArgs[1]!);
    const member = collapse(rawArgs[2]!);
    let ptr: Expr;
    if (argNodes.length === 3 && !argNodes[0]!.hasError) ptr = this.lowerExpr(argNodes[0]!);
    else ptr = simpleExpr(rawArgs[0]!);
    if (name === 'list_first_entry' || name === 'list_last_entry') {
      ptr = { k: 'field', base: ptr, name: name === 'list_first_entry' ? 'next' : 'prev', arrow: true };
    }
    return { k: 'container_of', ptr, type, member };
  }
}

function functionName(fn: N): { name: string | null; declarator: N | null; params: N | null; pointers: number } {
  const d = fn.childForFieldName('declarator');
  const info = describeDeclarator(d);
  const params = info.fn ? info.fn.childForFieldName('parameters') : null;
  return { name: info.name, declarator: d, params, pointers: info.pointers };
}

function lowerParams(params: N | null, typeText: (n: N) => string): Param[] {
  if (!params) return [];
  const out: Param[] = [];
  for (const p of params.namedChildren) {
    if (p.type !== 'parameter_declaration') continue;
    const t = p.childForFieldName('type');
    const base = t ? typeText(t) : '';
    const d = p.childForFieldName('declarator');
    if (!d) {
      if (base === 'void') continue;
      out.push({ name: '', type: base });
      continue;
    }
    const info = describeDeclarator(d);
    const suffix = info.fn ? `${info.suffix}()` : info.suffix;
    out.push({ name: info.name ?? '', type: typeString(base, suffix) });
  }
  return out;
}

function docComment(fn: Parser.SyntaxNode, fnStart: number, fc: FileContext): Comment | null {
  const prev = fn.previousSibling;
  if (!prev || prev.type !== 'comment') return null;
  const start = prev.startIndex;
  const end = prev.endIndex;
  // Rows from the line table (the same newlines tree-sitter counts): fewer native calls.
  const pos = posOf(fc.starts, start, end);
  if (pos.endLine < posOf(fc.starts, fnStart, fnStart).line - 1) return null;
  return { text: fc.parsed.original.slice(start, end), pos };
}

function lowerOne(raw: Parser.SyntaxNode, fc: FileContext): IrFunction | null {
  const fn = copyTree(raw, fc.parsed.text);
  const body = fn.childForFieldName('body');
  if (!body) return null;
  const { name, params } = functionName(fn);
  if (!name) return null;
  const typeNode = fn.childForFieldName('type');
  const tt = (n: N): string => collapse(fc.parsed.text.slice(n.startIndex, n.endIndex));
  const d = describeDeclarator(fn.childForFieldName('declarator'));
  const returnType = typeString(typeNode ? tt(typeNode) : 'int', d.suffix.replace(/\(\)|\[\]/g, ''));
  const isStatic = fn.children.some((c) => c.type === 'storage_class_specifier' && c.text === 'static');
  const annotationsHere = fc.annotationsIn(fn.startIndex, body.startIndex);
  const annotations = lockAnnotations(annotationsHere);
  const proto = fc.protoAnnotations.get(name);
  if (proto) {
    for (const k of ['mustHold', 'acquires', 'releases'] as const) {
      for (const a of proto[k]) if (!annotations[k].includes(a)) annotations[k].push(a);
    }
  }
  const fl = new FunctionLowering(fc);
  fl.lowerFunction(fn, body);
  const ps = lowerParams(params, tt);
  return {
    name,
    file: fc.parsed.file,
    isStatic,
    returnType,
    params: ps,
    locals: fl.locals,
    blocks: fl.finish(),
    entry: 0,
    annotations,
    docComment: docComment(raw, fn.startIndex, fc),
    pos: posOf(fc.starts, fn.startIndex, fn.endIndex),
    parseErrors: fl.parseErrors,
  };
}

/** Node type names by id, for collect(). */
const collectTypeNames: string[] = [];

/**
 * Walk the tree (iteratively) for function definitions and for declarations
 * that carry a lock annotation (`annotated(start, end)`): only those are
 * turned into nodes, which costs native calls.
 */
function collect(
  root: Parser.SyntaxNode,
  annotated: (start: number, end: number) => boolean,
): { defs: Parser.SyntaxNode[]; protos: Parser.SyntaxNode[] } {
  const defs: Parser.SyntaxNode[] = [];
  const protos: Parser.SyntaxNode[] = [];
  const cursor = root.walk();
  let depth = 0;
  for (;;) {
    // A number from the cursor is cheaper than a new string for every node.
    const id = cursor.nodeTypeId;
    const type = collectTypeNames[id] ?? (collectTypeNames[id] = cursor.nodeType);
    let descend = true;
    if (type === 'function_definition') {
      defs.push(cursor.currentNode);
      descend = false;
    } else if (type === 'declaration' && depth <= 3) {
      if (annotated(cursor.startIndex, cursor.endIndex)) protos.push(cursor.currentNode);
      descend = false;
    } else if (type === 'compound_statement' || type.endsWith('_expression') || type === 'struct_specifier') {
      // Function definitions do not nest inside these (except inside ERROR recovery, handled below).
      descend = type === 'compound_statement' && cursor.currentNode.parent?.type === 'ERROR';
    } else if (type === 'preproc_def' || type === 'preproc_function_def' || type === 'preproc_include') {
      // One directive line: only tokens and parameter names inside.
      descend = false;
    }
    if (descend && cursor.gotoFirstChild()) {
      depth++;
      continue;
    }
    let moved = false;
    while (!moved) {
      if (cursor.gotoNextSibling()) moved = true;
      else if (depth > 0 && cursor.gotoParent()) depth--;
      else break;
    }
    if (!moved) break;
  }
  return { defs, protos };
}

export function lowerParsed(parsed: ParsedFile): IrFunction[] {
  if (!parsed.tree) return [];
  const fc = new FileContext(parsed);
  const lockAnn = (start: number, end: number): Annotations => lockAnnotations(fc.annotationsIn(start, end));
  const hasLockAnn = (a: Annotations): boolean => a.mustHold.length > 0 || a.acquires.length > 0 || a.releases.length > 0;
  const { defs, protos } = collect(parsed.tree.rootNode, (s, e) => hasLockAnn(lockAnn(s, e)));
  for (const p of protos) {
    const decl = p.childForFieldName('declarator');
    const info = describeDeclarator(decl);
    if (!info.name || !info.fn) continue;
    const ann = lockAnn(p.startIndex, p.endIndex);
    if (!hasLockAnn(ann)) continue;
    fc.protoAnnotations.set(info.name, ann);
  }
  const out: IrFunction[] = [];
  for (const fn of defs) {
    try {
      const f = lowerOne(fn, fc);
      if (f) out.push(f);
    } catch {
      // A function the lowering cannot handle is skipped, never fatal for the file.
    }
  }
  return out;
}
