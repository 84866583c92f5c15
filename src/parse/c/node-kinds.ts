/**
 * What the grammar tells us about node types before we ask the tree, so the
 * copy in lnode.ts can skip native calls whose answer is known: whether a
 * node can have children, and which field (if any) a child of a given type
 * sits in under a given parent. Built from tree-sitter-c's node-types.json;
 * without it every question is asked of the tree, as before.
 */
import C from 'tree-sitter-c';

interface TypeRef {
  type: string;
  named: boolean;
}

interface NodeTypeInfo extends TypeRef {
  subtypes?: TypeRef[];
  fields?: Record<string, { types: TypeRef[] }>;
  children?: { types: TypeRef[] };
}

/**
 * Named node types that are tokens in tree-sitter-c 0.23 (PATTERN/TOKEN
 * rules, or aliases of one), so never have children. Anonymous nodes are
 * all tokens in this grammar (every anonymous alias is of a pattern).
 * `null`, `storage_class_specifier` and `type_qualifier` look like leaves
 * in node-types.json but are rules with an anonymous child: not listed.
 */
const NAMED_TOKENS = new Set([
  'identifier', 'type_identifier', 'field_identifier', 'statement_identifier', 'number_literal', 'primitive_type',
  'comment', 'escape_sequence', 'string_content', 'character', 'system_lib_string', 'preproc_arg',
  'preproc_directive', 'true', 'false',
]);

export function isToken(type: string, named: boolean): boolean {
  return !named || NAMED_TOKENS.has(type);
}

/** The field of a child: a name, none, or "ask the tree". */
export const ASK = 1;
export type FieldAnswer = string | null | typeof ASK;

const key = (type: string, named: boolean): string => (named ? type : '"' + type);

/** Parent type -> child type key -> field answer; a missing key means "no field". */
let plans: Map<string, Map<string, FieldAnswer>> | null = null;

function build(): Map<string, Map<string, FieldAnswer>> {
  const out = new Map<string, Map<string, FieldAnswer>>();
  const info = (C as unknown as { nodeTypeInfo?: NodeTypeInfo[] }).nodeTypeInfo;
  if (!Array.isArray(info)) return out;
  const subtypes = new Map<string, TypeRef[]>();
  for (const t of info) if (t.subtypes) subtypes.set(key(t.type, t.named), t.subtypes);
  const expand = (refs: TypeRef[], into: Set<string>, depth = 0): void => {
    for (const r of refs) {
      const k = key(r.type, r.named);
      const sub = subtypes.get(k);
      if (sub && depth < 20) expand(sub, into, depth + 1);
      else into.add(k);
    }
  };
  for (const t of info) {
    if (!t.named || t.subtypes) continue;
    const plan = new Map<string, FieldAnswer>();
    const listed = new Set<string>();
    if (t.children) expand(t.children.types, listed);
    for (const [name, f] of Object.entries(t.fields ?? {})) {
      const types = new Set<string>();
      expand(f.types, types);
      for (const k of types) {
        // Anonymous tokens may also sit outside the field in another production
        // (node-types.json does not list those), and a type in two fields or
        // also among the plain children is ambiguous: ask.
        const seen = plan.get(k);
        plan.set(k, seen !== undefined || listed.has(k) || k.startsWith('"') ? ASK : name);
      }
    }
    out.set(t.type, plan);
  }
  return out;
}

/**
 * The field plan for children of `parentType`, or null when every child's
 * field must be asked (ERROR nodes, types the node-types file does not know).
 */
export function fieldPlan(parentType: string, parentNamed: boolean): Map<string, FieldAnswer> | null {
  if (!parentNamed || parentType === 'ERROR') return null;
  plans ??= build();
  return plans.get(parentType) ?? null;
}

export function childKey(type: string, named: boolean): string {
  return key(type, named);
}
