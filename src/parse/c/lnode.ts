/**
 * A plain-JS copy of a tree-sitter subtree, made with one cursor walk.
 * Every property read on a native node crosses into C++ and allocates; the
 * lowering reads each node several times, so copying the function once is
 * several times faster than walking the native nodes. Offers the subset of
 * the SyntaxNode API that lowering uses.
 */
import type Parser from 'tree-sitter';

export class LNode {
  readonly children: LNode[] = [];
  /** Field name of each child, parallel to `children` (null when none). */
  readonly fields: (string | null)[] = [];
  parent: LNode | null = null;
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
    if (!this.named) this.named = this.children.filter((c) => c.isNamed);
    return this.named;
  }

  get firstChild(): LNode | null {
    return this.children[0] ?? null;
  }

  get lastChild(): LNode | null {
    return this.children[this.children.length - 1] ?? null;
  }

  childForFieldName(name: string): LNode | null {
    const i = this.fields.indexOf(name);
    return i < 0 ? null : this.children[i]!;
  }

  childrenForFieldName(name: string): LNode[] {
    const out: LNode[] = [];
    for (let i = 0; i < this.fields.length; i++) if (this.fields[i] === name) out.push(this.children[i]!);
    return out;
  }

  fieldNameForChild(i: number): string | null {
    return this.fields[i] ?? null;
  }
}

// Names by numeric id, filled as met: reading a number from the cursor is
// cheaper than having it build a new string for every node.
const typeNames: string[] = [];
const typeNamed: boolean[] = [];
const fieldNames: (string | null)[] = [];

/** Copy `root`'s subtree; `source` is the text the tree was parsed from. */
export function copyTree(root: Parser.SyntaxNode, source: string): LNode {
  const c = root.walk();
  const make = (): LNode => {
    const id = c.nodeTypeId;
    let type = typeNames[id];
    if (type === undefined) {
      type = typeNames[id] = c.nodeType;
      typeNamed[id] = c.nodeIsNamed;
    }
    const s = c.startIndex;
    const e = c.endIndex;
    // MISSING nodes are zero-width: ask only then.
    return new LNode(type, typeNamed[id]!, s === e && c.nodeIsMissing, s, e, source);
  };
  const field = (): string | null => {
    const id = c.currentFieldId;
    if (!id) return null;
    let name = fieldNames[id];
    if (name === undefined) name = fieldNames[id] = c.currentFieldName ?? null;
    return name;
  };
  const top = make();
  let errors = top.hasError ? 1 : 0;
  let node = top;
  const leave = (n: LNode): void => {
    if (n.hasError && n.parent) n.parent.hasError = true;
  };
  for (;;) {
    if (c.gotoFirstChild()) {
      const child = make();
      if (child.hasError) errors++;
      child.parent = node;
      node.children.push(child);
      node.fields.push(field());
      node = child;
      continue;
    }
    for (;;) {
      if (node === top) {
        top.errorCount = errors;
        return top;
      }
      leave(node);
      const parent = node.parent!;
      if (c.gotoNextSibling()) {
        const sib = make();
        if (sib.hasError) errors++;
        sib.parent = parent;
        parent.children.push(sib);
        parent.fields.push(field());
        node = sib;
        break;
      }
      c.gotoParent();
      node = parent;
    }
  }
}
