/**
 * Everything the index keeps about one file, read from its syntax tree and
 * its lowered functions: struct layouts, global variables (with the
 * `.field = fn` pairs of ops tables), typedefs, and work/timer/kthread
 * bindings with their targets resolved to (struct, field) as far as the file
 * itself allows. The result is plain data so it can be cached on disk.
 */
import type Parser from 'tree-sitter';
import type { CallInstr, Expr, IrFunction, Pos } from '../ir.js';
import type { ParsedFile } from '../c/api.js';
import type { Binding, BindingKind, FieldDef, GlobalDef, StructDef } from './types.js';
import { normType } from './ctype.js';
import { accessKey, typeOfExpr, type TypeLookup } from './types-of.js';

type Node = Parser.SyntaxNode;

export interface FileFacts {
  file: string;
  functions: IrFunction[];
  structs: StructDef[];
  globals: GlobalDef[];
  bindings: Binding[];
  /** typedef name -> the type it stands for (`foo_t` -> `struct foo`). */
  typedefs: Record<string, string>;
}

export function extractFacts(parsed: ParsedFile, functions: IrFunction[]): FileFacts {
  const facts: FileFacts = { file: parsed.file, functions, structs: [], globals: [], bindings: [], typedefs: {} };
  const x = new Extractor(parsed, facts);
  // Macro-defined objects first: the pre-pass leaves `static DEFINE_MUTEX m;` for the parser,
  // which would otherwise read the macro name as the type.
  x.macroGlobals();
  if (parsed.tree) x.topLevel(parsed.tree.rootNode);
  const local = fileLookup(facts);
  for (const fn of functions) facts.bindings.push(...bindingsInFunction(fn, local));
  return facts;
}

/** Type lookups answered from one file's facts only. */
export function fileLookup(facts: FileFacts): TypeLookup {
  return {
    struct: (name) => facts.structs.find((s) => s.name === name) ?? null,
    global: (name) => facts.globals.find((g) => g.name === name) ?? null,
    resolve: (name) => facts.functions.find((f) => f.name === name) ?? null,
    typedef: (name) => facts.typedefs[name] ?? null,
  };
}

export function posOf(n: Node): Pos {
  return {
    line: n.startPosition.row + 1,
    column: n.startPosition.column + 1,
    endLine: n.endPosition.row + 1,
    endColumn: n.endPosition.column + 1,
  };
}

class Extractor {
  private readonly macroNames = new Set<string>();

  constructor(
    private readonly parsed: ParsedFile,
    private readonly facts: FileFacts,
  ) {}

  private text(n: Node): string {
    return this.parsed.text.slice(n.startIndex, n.endIndex);
  }

  /** File-scope items, also inside `#if` blocks; never inside function bodies. */
  topLevel(node: Node): void {
    for (const c of node.namedChildren) {
      switch (c.type) {
        case 'declaration':
          this.declaration(c);
          break;
        case 'type_definition':
          this.typedef(c);
          break;
        case 'struct_specifier':
        case 'union_specifier':
          this.structSpec(c, null);
          break;
        case 'function_definition':
          // Struct definitions in a return type are rare but real (`struct x { } f(void)`).
          this.structsWithin(c.childForFieldName('type'));
          break;
        case 'preproc_if':
        case 'preproc_ifdef':
        case 'preproc_else':
        case 'preproc_elif':
        case 'preproc_elifdef':
        case 'linkage_specification':
        case 'declaration_list':
        case 'ERROR':
          this.topLevel(c);
          break;
        default:
          break;
      }
    }
  }

  private structsWithin(n: Node | null): void {
    if (!n) return;
    if ((n.type === 'struct_specifier' || n.type === 'union_specifier') && n.childForFieldName('body')) {
      this.structSpec(n, null);
    }
  }

  /**
   * A struct or union with a body becomes a StructDef. `synthetic` names an
   * anonymous one (`outer::member`, or the typedef name). Returns the type
   * string that refers to it.
   */
  private structSpec(n: Node, synthetic: string | null): string {
    const keyword = n.type === 'union_specifier' ? 'union' : 'struct';
    const nameNode = n.childForFieldName('name');
    const body = n.childForFieldName('body');
    const name = nameNode ? this.text(nameNode) : synthetic;
    if (!body) return name ? `${keyword} ${name}` : keyword;
    if (!name) return `${keyword} (anonymous)`;
    const def: StructDef = { name, file: this.parsed.file, pos: posOf(n), fields: [] };
    if (keyword === 'union') def.union = true;
    this.facts.structs.push(def);
    this.fields(body, name, '', def.fields, null);
    return `${keyword} ${name}`;
  }

  /**
   * Fields of a body into `out`. Anonymous members are flattened into the
   * owner with `via` saying so; a named member of anonymous type gets its
   * own StructDef (`owner::member`) and its fields also appear flattened as
   * `member.x`.
   */
  private fields(body: Node, owner: string, prefix: string, out: FieldDef[], via: string | null): void {
    for (const c of body.namedChildren) {
      if (c.type === 'field_declaration') {
        this.fieldDecl(c, owner, prefix, out, via);
      } else if (c.type.startsWith('preproc_')) {
        // Fields under #ifdef CONFIG_X count: the analysis does not know the config.
        this.fields(c, owner, prefix, out, via);
      } else if (c.type === 'ERROR') {
        this.fieldsFromText(this.text(c), c, prefix, out, via);
        this.fields(c, owner, prefix, out, via);
      }
    }
  }

  private fieldDecl(c: Node, owner: string, prefix: string, out: FieldDef[], via: string | null): void {
    const typeNode = c.childForFieldName('type');
    const decls = c.childrenForFieldName('declarator');
    const notes = this.annotationsIn(c);
    if (!typeNode) {
      this.fieldsFromText(this.text(c), c, prefix, out, via);
      return;
    }
    const isAggregate = typeNode.type === 'struct_specifier' || typeNode.type === 'union_specifier';
    const kw = typeNode.type === 'union_specifier' ? 'union' : 'struct';
    if (isAggregate && typeNode.childForFieldName('body')) {
      const body = typeNode.childForFieldName('body')!;
      if (decls.length === 0 && !typeNode.childForFieldName('name')) {
        this.fields(body, owner, prefix, out, `anonymous ${kw}`);
        return;
      }
      for (const d of decls) {
        const { name } = declaratorShape(d, '', this.parsed.text);
        if (!name) continue;
        const synthetic = typeNode.childForFieldName('name') ? null : `${owner}::${prefix}${name}`;
        const base = this.structSpec(typeNode, synthetic);
        const { type } = declaratorShape(d, base, this.parsed.text);
        this.push(out, `${prefix}${name}`, type, d, notes, via);
        if (synthetic) this.fields(body, owner, `${prefix}${name}.`, out, via);
      }
      return;
    }
    if (typeNode.type === 'macro_type_specifier' && decls.length === 0) {
      // DECLARE_BITMAP(map, 64); DECLARE_HASHTABLE(h, 4); and friends.
      const macro = this.text(typeNode.childForFieldName('name') ?? typeNode).trim();
      const inner = typeNode.childForFieldName('type');
      const name = inner ? this.text(inner).trim() : '';
      if (/^[A-Za-z_]\w*$/.test(name)) {
        const type = macro === 'DECLARE_BITMAP' ? 'unsigned long []' : macro === 'DECLARE_HASHTABLE' ? 'struct hlist_head []' : macro;
        this.push(out, `${prefix}${name}`, type, typeNode, notes, via);
      }
      return;
    }
    const base = this.baseType(typeNode);
    for (const d of decls) {
      const { name, type } = declaratorShape(d, base, this.parsed.text);
      if (name) this.push(out, `${prefix}${name}`, type, d, notes, via);
    }
  }

  private push(out: FieldDef[], name: string, type: string, n: Node, notes: string[], via: string | null): void {
    const t = normType(type).replace(/^DECLARE_BITMAP\b/, 'unsigned long []').replace(/^DECLARE_HASHTABLE\b/, 'struct hlist_head []');
    const f: FieldDef = { name, type: t, pos: posOf(n) };
    if (notes.length) f.annotations = notes;
    if (via) f.via = via;
    out.push(f);
  }

  /** Last resort for text the parser could not place: `type *name[N];` per statement. */
  private fieldsFromText(text: string, node: Node, prefix: string, out: FieldDef[], via: string | null): void {
    const known = new Set(out.map((f) => f.name));
    for (const stmt of text.split(';')) {
      // Plain string work, no nested quantifiers: this runs on whatever broken text the parser gave up on.
      let s = stmt.replace(/[{}]/g, ' ').trim();
      if (s.length === 0 || s.length > 200 || /[()=]/.test(s)) continue;
      s = s.replace(/:\s*\w+$/, '').trim();
      let arr = '';
      const a = /\[[^\]]*\]$/.exec(s);
      if (a) {
        arr = ` ${a[0]}`;
        s = s.slice(0, a.index).trimEnd();
      }
      const n = /[A-Za-z_]\w*$/.exec(s);
      if (!n) continue;
      let before = s.slice(0, n.index);
      let stars = '';
      while (/[\s*]$/.test(before)) {
        if (before.endsWith('*')) stars += '*';
        before = before.slice(0, -1);
      }
      if (!/^[A-Za-z_][\w ]*$/.test(before.replace(/\s+/g, ' '))) continue;
      const name = `${prefix}${n[0]}`;
      if (known.has(name)) continue;
      this.push(out, name, `${before}${stars ? ` ${stars}` : ''}${arr}`, node, [], via);
      known.add(name);
    }
  }

  /** Annotation names the pre-pass blanked inside a node (`__rcu`, `__iomem`...). */
  private annotationsIn(n: Node): string[] {
    const names: string[] = [];
    for (const a of this.parsed.annotations) {
      if (a.start >= n.startIndex && a.end <= n.endIndex && !names.includes(a.name)) names.push(a.name);
    }
    // Without a pre-pass the annotation is still in the text.
    for (const m of this.text(n).matchAll(/\b(__rcu|__iomem|__percpu|__user)\b/g)) {
      if (!names.includes(m[1]!)) names.push(m[1]!);
    }
    return names;
  }

  private baseType(typeNode: Node): string {
    if (typeNode.type === 'struct_specifier' || typeNode.type === 'union_specifier' || typeNode.type === 'enum_specifier') {
      const kw = typeNode.type.split('_')[0]!;
      const nm = typeNode.childForFieldName('name');
      return nm ? `${kw} ${this.text(nm)}` : `${kw} (anonymous)`;
    }
    return this.text(typeNode);
  }

  private typedef(c: Node): void {
    const typeNode = c.childForFieldName('type');
    if (!typeNode) return;
    const decls = c.childrenForFieldName('declarator');
    let base: string;
    if ((typeNode.type === 'struct_specifier' || typeNode.type === 'union_specifier') && typeNode.childForFieldName('body')) {
      const first = decls.map((d) => declaratorShape(d, '', this.parsed.text).name).find((n) => n) ?? null;
      base = this.structSpec(typeNode, first);
    } else {
      base = this.baseType(typeNode);
    }
    for (const d of decls) {
      const { name, type } = declaratorShape(d, base, this.parsed.text);
      if (name) this.facts.typedefs[name] = normType(type);
    }
  }

  private declaration(c: Node): void {
    const typeNode = c.childForFieldName('type');
    if (!typeNode) return;
    let isStatic = false;
    let isExtern = false;
    for (const k of c.namedChildren) {
      if (k.type !== 'storage_class_specifier') continue;
      const t = this.text(k).trim();
      if (t === 'static') isStatic = true;
      if (t === 'extern') isExtern = true;
    }
    let base: string;
    if ((typeNode.type === 'struct_specifier' || typeNode.type === 'union_specifier') && typeNode.childForFieldName('body')) {
      base = this.structSpec(typeNode, null);
    } else {
      base = this.baseType(typeNode);
    }
    if (typeNode.type === 'macro_type_specifier') return; // `static DECLARE_WORK(x, f);`: see macroGlobals()
    for (const d of c.childrenForFieldName('declarator')) {
      const declarator = d.type === 'init_declarator' ? d.childForFieldName('declarator') : d;
      const value = d.type === 'init_declarator' ? d.childForFieldName('value') : null;
      if (!declarator || isFunctionDeclarator(declarator)) continue;
      const { name, type } = declaratorShape(declarator, base, this.parsed.text);
      if (!name || this.macroNames.has(name)) continue;
      const g: GlobalDef = { name, type: normType(type), file: this.parsed.file, isStatic, pos: posOf(d), initFields: {} };
      if (isExtern) g.isExtern = true;
      if (value?.type === 'initializer_list') this.initializer(value, '', g);
      this.facts.globals.push(g);
    }
  }

  /** `.field = fn` pairs, nested designators as `a.b`; bindings made in the initialiser. */
  private initializer(list: Node, prefix: string, g: GlobalDef): void {
    for (const item of list.namedChildren) {
      if (item.type !== 'initializer_pair') continue;
      const designators = item.childrenForFieldName('designator');
      if (designators.length === 0 || designators.some((d) => d.type !== 'field_designator')) continue;
      const path = prefix + designators.map((d) => this.text(d).replace(/^\s*\.\s*/, '').trim()).join('.');
      const value = item.childForFieldName('value');
      if (!value) continue;
      if (value.type === 'initializer_list') {
        this.initializer(value, `${path}.`, g);
        continue;
      }
      const fn = functionName(value, this.parsed.text);
      if (fn) g.initFields[path] = fn;
      if (value.type === 'call_expression') this.initializerBinding(value, path, g);
    }
  }

  private initializerBinding(call: Node, path: string, g: GlobalDef): void {
    const callee = this.text(call.childForFieldName('function') ?? call).trim();
    const spec = INITIALIZER_BINDERS[callee];
    if (!spec) return;
    const args = (call.childForFieldName('arguments')?.namedChildren ?? []).map((a) => this.text(a).trim());
    const cb = args[spec.callbackArg];
    if (!cb || !/^&?\s*[A-Za-z_]\w*$/.test(cb)) return;
    const field = `${g.name}.${path}`;
    this.facts.bindings.push({
      kind: spec.kind,
      callback: cb.replace(/^&\s*/, ''),
      via: callee,
      target: { k: 'unary', op: '&', arg: pathExpr(field) },
      struct: null,
      field,
      file: this.parsed.file,
      function: null,
      pos: posOf(call),
    });
  }

  /**
   * Objects defined by a macro at file scope (`static DEFINE_MUTEX(m);`,
   * `static DECLARE_WORK(w, fn);`), from the pre-pass's record and from the
   * text itself, so they are found whatever the parser made of them.
   */
  macroGlobals(): void {
    const seen = this.macroNames;
    const add = (macro: string, name: string, args: string[], isStatic: boolean, pos: Pos, type?: string): void => {
      const spec = MACRO_GLOBALS[macro];
      if ((!spec && !type) || seen.has(name)) return;
      seen.add(name);
      this.facts.globals.push({ name, type: normType(type ?? spec!.type), file: this.parsed.file, isStatic, pos, initFields: {} });
      if (!spec) return;
      if (spec.binding && args[0] && /^[A-Za-z_]\w*$/.test(args[0])) {
        this.facts.bindings.push({
          kind: spec.binding,
          callback: args[0],
          via: macro,
          target: { k: 'unary', op: '&', arg: { k: 'id', name } },
          struct: null,
          field: name,
          file: this.parsed.file,
          function: null,
          pos,
        });
      }
    };
    for (const mg of this.parsed.globals) add(mg.macro, mg.name, mg.args, mg.isStatic, mg.pos, mg.type || undefined);
    const src = this.parsed.original;
    const re = new RegExp(`^(static\\s+)?(${Object.keys(MACRO_GLOBALS).join('|')})\\s*\\(\\s*([A-Za-z_]\\w*)\\s*(?:,([^;]*))?\\)\\s*;`, 'gm');
    for (const m of src.matchAll(re)) {
      const start = m.index! + (m[1]?.length ?? 0);
      const args = (m[4] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      add(m[2]!, m[3]!, args, Boolean(m[1]), offsetPos(src, start, m.index! + m[0].length));
    }
  }
}

function isFunctionDeclarator(d: Node): boolean {
  let cur: Node | null = d;
  while (cur) {
    if (cur.type === 'function_declarator') {
      // `void (*fp)(void)` is a pointer variable, `void f(void)` a prototype.
      const inner = cur.childForFieldName('declarator');
      return !(inner && inner.type === 'parenthesized_declarator');
    }
    if (cur.type === 'pointer_declarator' || cur.type === 'attributed_declarator' || cur.type === 'parenthesized_declarator') {
      cur = cur.childForFieldName('declarator') ?? cur.namedChildren[0] ?? null;
    } else {
      return false;
    }
  }
  return false;
}

/** Name and full type of a declarator over a base type. */
export function declaratorShape(d: Node, base: string, src: string): { name: string | null; type: string } {
  let type = base;
  let cur: Node | null = d;
  for (let guard = 0; cur && guard < 64; guard++) {
    switch (cur.type) {
      case 'identifier':
      case 'field_identifier':
      case 'type_identifier':
        return { name: src.slice(cur.startIndex, cur.endIndex), type };
      case 'pointer_declarator':
        type = `${type} *`;
        cur = cur.childForFieldName('declarator');
        break;
      case 'array_declarator': {
        const size = cur.childForFieldName('size');
        type = `${type} [${size ? src.slice(size.startIndex, size.endIndex) : ''}]`;
        cur = cur.childForFieldName('declarator');
        break;
      }
      case 'function_declarator': {
        const params = cur.childForFieldName('parameters');
        const ptext = params ? src.slice(params.startIndex, params.endIndex) : '()';
        const inner = cur.childForFieldName('declarator');
        const name = inner ? innermostName(inner, src) : null;
        return { name, type: `${type} (*)${ptext}` };
      }
      case 'parenthesized_declarator':
      case 'attributed_declarator':
        cur = cur.namedChildren.find((k) => k.type.endsWith('declarator') || k.type.endsWith('identifier')) ?? null;
        break;
      case 'init_declarator':
        cur = cur.childForFieldName('declarator');
        break;
      default:
        return { name: null, type };
    }
  }
  return { name: null, type };
}

function innermostName(n: Node, src: string): string | null {
  if (n.type === 'identifier' || n.type === 'field_identifier' || n.type === 'type_identifier') return src.slice(n.startIndex, n.endIndex);
  for (const k of n.namedChildren) {
    const r = innermostName(k, src);
    if (r) return r;
  }
  return null;
}

/** A function named by an initialiser value: `fn`, `&fn`, `(void *)fn`. Constants (ALL_CAPS, NULL) are not. */
function functionName(v: Node, src: string): string | null {
  const t = src.slice(v.startIndex, v.endIndex).replace(/^\s*\([^()]*\)\s*/, '').replace(/^&\s*/, '').trim();
  if (!/^[A-Za-z_]\w*$/.test(t)) return null;
  if (/^[A-Z0-9_]+$/.test(t) || t === 'true' || t === 'false') return null;
  return t;
}

function pathExpr(path: string): Expr {
  const parts = path.split('.');
  let e: Expr = { k: 'id', name: parts[0]! };
  for (const p of parts.slice(1)) e = { k: 'field', base: e, name: p, arrow: false };
  return e;
}

function offsetPos(src: string, start: number, end: number): Pos {
  const lc = (off: number): [number, number] => {
    let line = 1;
    let last = -1;
    for (let i = src.indexOf('\n'); i !== -1 && i < off; i = src.indexOf('\n', i + 1)) {
      line++;
      last = i;
    }
    return [line, off - last];
  };
  const [line, column] = lc(start);
  const [endLine, endColumn] = lc(end);
  return { line, column, endLine, endColumn };
}

/** Objects a file-scope macro defines, their type, and the callback argument that binds them. */
const MACRO_GLOBALS: Record<string, { type: string; binding?: BindingKind }> = {
  DEFINE_MUTEX: { type: 'struct mutex' },
  DEFINE_SPINLOCK: { type: 'spinlock_t' },
  DEFINE_RAW_SPINLOCK: { type: 'raw_spinlock_t' },
  DEFINE_RWLOCK: { type: 'rwlock_t' },
  DECLARE_RWSEM: { type: 'struct rw_semaphore' },
  DEFINE_SEMAPHORE: { type: 'struct semaphore' },
  DEFINE_STATIC_SRCU: { type: 'struct srcu_struct' },
  DEFINE_SRCU: { type: 'struct srcu_struct' },
  LIST_HEAD: { type: 'struct list_head' },
  DEFINE_IDA: { type: 'struct ida' },
  DEFINE_IDR: { type: 'struct idr' },
  DEFINE_XARRAY: { type: 'struct xarray' },
  DEFINE_XARRAY_ALLOC: { type: 'struct xarray' },
  DECLARE_WAIT_QUEUE_HEAD: { type: 'wait_queue_head_t' },
  DECLARE_COMPLETION: { type: 'struct completion' },
  DECLARE_WORK: { type: 'struct work_struct', binding: 'work' },
  DECLARE_DELAYED_WORK: { type: 'struct delayed_work', binding: 'delayed_work' },
  DECLARE_DEFERRABLE_WORK: { type: 'struct delayed_work', binding: 'delayed_work' },
  DEFINE_TIMER: { type: 'struct timer_list', binding: 'timer' },
};

/** Initialisers used inside a static object's initialiser list. */
const INITIALIZER_BINDERS: Record<string, { kind: BindingKind; callbackArg: number }> = {
  __WORK_INITIALIZER: { kind: 'work', callbackArg: 1 },
  __DELAYED_WORK_INITIALIZER: { kind: 'delayed_work', callbackArg: 1 },
  __TIMER_INITIALIZER: { kind: 'timer', callbackArg: 0 },
};

/** Calls that bind a callback inside a function: which argument is the object, which the callback. */
export const CALL_BINDERS: Record<string, { kind: BindingKind; target: number | null; callback: number }> = {
  INIT_WORK: { kind: 'work', target: 0, callback: 1 },
  INIT_WORK_ONSTACK: { kind: 'work', target: 0, callback: 1 },
  INIT_WORK_ONSTACK_KEY: { kind: 'work', target: 0, callback: 1 },
  INIT_RCU_WORK: { kind: 'work', target: 0, callback: 1 },
  INIT_DELAYED_WORK: { kind: 'delayed_work', target: 0, callback: 1 },
  INIT_DELAYED_WORK_ONSTACK: { kind: 'delayed_work', target: 0, callback: 1 },
  INIT_DEFERRABLE_WORK: { kind: 'delayed_work', target: 0, callback: 1 },
  INIT_DEFERRABLE_WORK_ONSTACK: { kind: 'delayed_work', target: 0, callback: 1 },
  kthread_init_work: { kind: 'work', target: 0, callback: 1 },
  kthread_init_delayed_work: { kind: 'delayed_work', target: 0, callback: 1 },
  timer_setup: { kind: 'timer', target: 0, callback: 1 },
  timer_setup_on_stack: { kind: 'timer', target: 0, callback: 1 },
  setup_timer: { kind: 'timer', target: 0, callback: 1 },
  setup_deferrable_timer: { kind: 'timer', target: 0, callback: 1 },
  __init_timer: { kind: 'timer', target: 0, callback: 1 },
  hrtimer_setup: { kind: 'hrtimer', target: 0, callback: 1 },
  hrtimer_setup_on_stack: { kind: 'hrtimer', target: 0, callback: 1 },
  hrtimer_setup_sleeper_on_stack: { kind: 'hrtimer', target: 0, callback: 1 },
  kthread_run: { kind: 'kthread', target: null, callback: 0 },
  kthread_create: { kind: 'kthread', target: null, callback: 0 },
  kthread_create_on_node: { kind: 'kthread', target: null, callback: 0 },
  kthread_create_on_cpu: { kind: 'kthread', target: null, callback: 0 },
  kthread_run_on_cpu: { kind: 'kthread', target: null, callback: 0 },
  kthread_create_worker_on_cpu: { kind: 'kthread', target: null, callback: 0 },
};

/** Calls whose first argument is a timer that a later `.function =` assignment binds. */
const TIMER_INITS: Record<string, BindingKind> = {
  hrtimer_init: 'hrtimer',
  hrtimer_init_on_stack: 'hrtimer',
  hrtimer_init_sleeper: 'hrtimer',
  init_timer: 'timer',
  init_timer_key: 'timer',
};

function calleeName(e: Expr): string | null {
  let cur = e;
  while ((cur.k === 'unary' && cur.op === '&') || cur.k === 'cast') cur = cur.arg;
  return cur.k === 'id' && !cur.name.startsWith('$') ? cur.name : null;
}

/** Bindings made inside one function, targets resolved with `lookup`. */
export function bindingsInFunction(fn: IrFunction, lookup: TypeLookup): Binding[] {
  const out: Binding[] = [];
  const instrs = fn.blocks.flatMap((b) => b.instrs);
  const timerInits = new Map<string, { kind: BindingKind; via: string }>();
  for (const ins of instrs) {
    if (ins.op === 'call' && ins.callee && TIMER_INITS[ins.callee] && ins.args[0]) {
      timerInits.set(keyText(ins.args[0]), { kind: TIMER_INITS[ins.callee]!, via: ins.callee });
    }
  }
  for (let i = 0; i < instrs.length; i++) {
    const ins = instrs[i]!;
    if (ins.op === 'call' && ins.callee && CALL_BINDERS[ins.callee]) {
      const spec = CALL_BINDERS[ins.callee]!;
      const cbExpr = ins.args[spec.callback];
      const callback = cbExpr ? calleeName(cbExpr) : null;
      if (!callback) continue;
      if (spec.target !== null) {
        const target = ins.args[spec.target];
        if (!target) continue;
        const key = accessKey(fn, target, lookup);
        out.push(binding(spec.kind, callback, ins.callee, target, key, fn, ins));
      } else {
        const stored = kthreadStore(ins, instrs, i);
        const key = stored ? accessKey(fn, stored, lookup) : null;
        out.push(binding(spec.kind, callback, ins.callee, null, key, fn, ins));
      }
    } else if (ins.op === 'assign' && ins.target.k === 'field' && ins.target.name === 'function') {
      const callback = calleeName(ins.value);
      if (!callback) continue;
      const timer = ins.target.base;
      const timerExpr: Expr = ins.target.arrow ? timer : { k: 'unary', op: '&', arg: timer };
      const t = typeOfExpr(fn, timer, lookup);
      const pointee = t ? (ins.target.arrow ? t.replace(/\s*\*$/, '') : t) : null;
      let kind: BindingKind | null = null;
      let via = '.function';
      if (pointee === 'struct hrtimer') kind = 'hrtimer';
      else if (pointee === 'struct timer_list') kind = 'timer';
      const init = timerInits.get(keyText(timerExpr)) ?? timerInits.get(keyText(timer));
      if (init) {
        kind ??= init.kind;
        via = `${init.via} + .function`;
      }
      if (!kind) continue;
      out.push(binding(kind, callback, via, timerExpr, accessKey(fn, timerExpr, lookup), fn, ins));
    }
  }
  return out;
}

/** Where a kthread's task_struct pointer is stored: the call's result, or the variable a temporary is copied into. */
function kthreadStore(call: CallInstr, instrs: readonly import('../ir.js').Instr[], i: number): Expr | null {
  const r = call.result;
  if (!r) return null;
  if (!(r.k === 'id' && r.name.startsWith('$'))) return r;
  for (let j = i + 1; j < instrs.length && j < i + 4; j++) {
    const a = instrs[j]!;
    if (a.op === 'assign' && a.value.k === 'id' && a.value.name === r.name) return a.target;
  }
  return null;
}

function keyText(e: Expr): string {
  let cur = e;
  while ((cur.k === 'unary' && cur.op === '&') || cur.k === 'cast') cur = cur.arg;
  return JSON.stringify(cur);
}

function binding(
  kind: BindingKind,
  callback: string,
  via: string,
  target: Expr | null,
  key: { struct: string | null; field: string } | null,
  fn: IrFunction,
  ins: { pos: Pos },
): Binding {
  return {
    kind,
    callback,
    via,
    target,
    struct: key?.struct ?? null,
    field: key?.field ?? null,
    file: fn.file,
    function: fn.name,
    pos: ins.pos,
  };
}
