/**
 * A plain-JS copy of a tree-sitter subtree, made with one cursor walk.
 * Every property read on a native node crosses into C++ and allocates; the
 * lowering reads each node several times, so copying the function once is
 * several times faster than walking the native nodes. Offers the subset of
 * the SyntaxNode API that lowering uses.
 *
 * The copy itself is dominated by native calls (a cursor step or a read
 * costs about as much as tens of JS property reads), so it asks only what
 * the grammar does not already tell (node-kinds.ts), and in error-free
 * subtrees leaves out what lowering never looks at: anonymous tokens other
 * than those in fields (operators), braces, the `:` of a case and `++`/`--`;
 * and the children of OPAQUE nodes. A subtree with ERROR or MISSING nodes is
 * copied whole. Lowering that starts reading more must widen these here.
 */
import type Parser from 'tree-sitter';
import { ASK, childKey, fieldPlan, isToken, type FieldAnswer } from './node-kinds.js';

const NO_CHILDREN: LNode[] = [];

export class LNode {
  /** Shared empty array until the first child is added. */
  children: LNode[] = NO_CHILDREN;
  /** Field name of each child, parallel to `children`; null while no child has one. */
  fields: (string | null)[] | null = null;
  hasError: boolean;
  /** ERROR and MISSING nodes in this subtree (set on the root only). */
  errorCount = 0;
  private named: LNode[] | null = null;

  constructor(
    readonly type: string,
    readonly isNamed: boolean,
    readonly isMissing: boolean,
    readonly startIndex: number,
    readonly endIndex: number,
    private readonly source: string,
  ) {
    this.hasError = type === 'ERROR' || isMissing;
  }

  /** Text of the node in the text that was parsed. */
  get text(): string {
    return this.source.slice(this.startIndex, this.endIndex);
  }

  get namedChildren(): LNode[] {
    if (!this.named) {
      const all = this.children;
      let anon = false;
      for (let i = 0; i < all.length; i++) if (!all[i]!.isNamed) { anon = true; break; }
      this.named = anon ? all.filter((c) => c.isNamed) : all;
    }
    return this.named;
  }

  get firstChild(): LNode | null {
    return this.children[0] ?? null;
  }

  get lastChild(): LNode | null {
    return this.children[this.children.length - 1] ?? null;
  }

  childForFieldName(name: string): LNode | null {
    const f = this.fields;
    if (!f) return null;
    const i = f.indexOf(name);
    return i < 0 ? null : this.children[i]!;
  }

  childrenForFieldName(name: string): LNode[] {
    const out: LNode[] = [];
    const f = this.fields;
    if (!f) return out;
    for (let i = 0; i < f.length; i++) if (f[i] === name) out.push(this.children[i]!);
    return out;
  }

  fieldNameForChild(i: number): string | null {
    return this.fields?.[i] ?? null;
  }

  /** Append a child (copyTree only). */
  add(child: LNode, field: string | null): void {
    if (this.children === NO_CHILDREN) this.children = [];
    const n = this.children.push(child);
    if (field !== null) {
      if (!this.fields) this.fields = new Array<string | null>(n - 1).fill(null);
      this.fields.push(field);
    } else if (this.fields) this.fields.push(null);
  }
}

/** The error-node type id the binding reports. */
const ERROR_ID = 0xffff;

/** Anonymous tokens lowering reads although they are in no field. */
const KEPT_TOKENS = new Set(['{', '}', ':', '++', '--']);

/**
 * Nodes lowering reads only as a whole (type, text, position), never their
 * children: types, strings, sizeof, declarations it ignores. Keep in step
 * with lower.ts.
 */
const OPAQUE = new Set([
  'string_literal', 'char_literal', 'sizeof_expression', 'alignof_expression', 'offsetof_expression',
  'type_descriptor', 'struct_specifier', 'union_specifier', 'enum_specifier', 'sized_type_specifier',
  'macro_type_specifier', 'type_definition', 'preproc_def', 'preproc_function_def', 'preproc_call',
  'preproc_include', 'gnu_asm_expression', 'attribute_specifier', 'attribute_declaration',
  'storage_class_specifier', 'type_qualifier', 'generic_expression', 'extension_expression',
]);

// What is known per numeric type id, filled as met: reading a number from the
// cursor is cheaper than having it build a new string for every node.
const typeNames: string[] = [];
const typeNamed: boolean[] = [];
/** A token: never has children, so gotoFirstChild need not be tried. */
const typeToken: boolean[] = [];
/** Children never read (OPAQUE), so not copied when the subtree has no errors. */
const typeOpaque: boolean[] = [];
/** An anonymous token lowering does not read unless it is in a field. */
const typeDroppable: boolean[] = [];
/** Per parent type id: per child type id, the field answer (undefined: not yet worked out). */
const plansById: ((FieldAnswer | undefined)[] | null)[] = [];
const fieldNames: (string | null)[] = [];

function learn(c: Parser.TreeCursor, id: number): string {
  const type = c.nodeType;
  const named = c.nodeIsNamed;
  typeNames[id] = type;
  typeNamed[id] = named;
  typeToken[id] = id !== ERROR_ID && isToken(type, named);
  typeDroppable[id] = !named && !KEPT_TOKENS.has(type);
  typeOpaque[id] = named && OPAQUE.has(type);
  return type;
}

/** Copy `root`'s subtree; `source` is the text the tree was parsed from. */
export function copyTree(root: Parser.SyntaxNode, source: string): LNode {
  // Without errors there are no MISSING nodes to find among the dropped tokens.
  const whole = root.hasError;
  const c = root.walk();
  const topId = c.nodeTypeId;
  const topType = typeNames[topId] ?? learn(c, topId);
  const ts = c.startIndex;
  const te = c.endIndex;
  const top = new LNode(topType, typeNamed[topId]!, ts === te && c.nodeIsMissing, ts, te, source);
  let errors = top.hasError ? 1 : 0;
  if (typeToken[topId] || !c.gotoFirstChild()) {
    top.errorCount = errors;
    return top;
  }
  const stack: LNode[] = [];
  const idStack: number[] = [];
  const planStack: ((FieldAnswer | undefined)[] | null)[] = [];
  let parent = top;
  let parentId = topId;
  let plan = planFor(topId);
  for (;;) {
    const id = c.nodeTypeId;
    const type = typeNames[id] ?? learn(c, id);
    // The child's field: known from the grammar, or asked.
    let field: FieldAnswer;
    if (plan === null || id === ERROR_ID) field = ASK;
    else {
      const known = plan[id];
      field = known === undefined ? (plan[id] = answerFor(parentId, id)) : known;
    }
    if (field === ASK) {
      const fid = c.currentFieldId;
      if (!fid) field = null;
      else {
        field = fieldNames[fid];
        if (field === undefined) field = fieldNames[fid] = c.currentFieldName ?? null;
      }
    }
    let child: LNode | null = null;
    if (whole || field !== null || !typeDroppable[id]) {
      const s = c.startIndex;
      const e = c.endIndex;
      // MISSING nodes are zero-width: ask only then.
      child = new LNode(type, typeNamed[id]!, whole && s === e && c.nodeIsMissing, s, e, source);
      if (child.hasError) {
        errors++;
        parent.hasError = true;
      }
      parent.add(child, field);
    }
    if (child !== null && !typeToken[id] && (whole || !typeOpaque[id]) && c.gotoFirstChild()) {
      stack.push(parent);
      idStack.push(parentId);
      planStack.push(plan);
      parent = child;
      parentId = id;
      plan = planFor(id);
      continue;
    }
    while (!c.gotoNextSibling()) {
      if (parent === top) {
        top.errorCount = errors;
        return top;
      }
      c.gotoParent();
      const up = stack.pop()!;
      if (parent.hasError) up.hasError = true;
      plan = planStack.pop()!;
      parentId = idStack.pop()!;
      parent = up;
    }
  }
}

function planFor(id: number): (FieldAnswer | undefined)[] | null {
  if (id === ERROR_ID) return null;
  let p = plansById[id];
  if (p === undefined) {
    p = fieldPlan(typeNames[id]!, typeNamed[id]!) ? [] : null;
    plansById[id] = p;
  }
  return p;
}

function answerFor(parentId: number, childId: number): FieldAnswer {
  const plan = fieldPlan(typeNames[parentId]!, typeNamed[parentId]!);
  if (!plan) return ASK;
  const a = plan.get(childKey(typeNames[childId]!, typeNamed[childId]!));
  return a === undefined ? null : a;
}
