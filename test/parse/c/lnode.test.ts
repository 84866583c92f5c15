import { describe, expect, it } from 'vitest';
import type Parser from 'tree-sitter';
import { copyTree, type LNode } from '../../../src/parse/c/lnode.js';
import { parseText } from '../../../src/parse/c/parser.js';

/** Every node of a subtree with the field the tree itself reports: the copy's oracle. */
interface Ref {
  type: string;
  named: boolean;
  start: number;
  end: number;
  field: string | null;
  missing: boolean;
  children: Ref[];
}

function reference(root: Parser.SyntaxNode): Ref {
  const c = root.walk();
  const make = (): Ref => ({
    type: c.nodeType,
    named: c.nodeIsNamed,
    start: c.startIndex,
    end: c.endIndex,
    field: c.currentFieldName ?? null,
    missing: c.nodeIsMissing,
    children: [],
  });
  const top = make();
  top.field = null;
  const stack = [top];
  for (;;) {
    if (c.gotoFirstChild()) {
      const n = make();
      stack[stack.length - 1]!.children.push(n);
      stack.push(n);
      continue;
    }
    for (;;) {
      if (stack.length === 1) return top;
      stack.pop();
      if (c.gotoNextSibling()) {
        const n = make();
        stack[stack.length - 1]!.children.push(n);
        stack.push(n);
        break;
      }
      c.gotoParent();
    }
  }
}

/**
 * The copy keeps a subsequence of each node's children, with the fields the
 * tree reports; `dropped` collects what it left out.
 */
function compare(copy: LNode, ref: Ref, dropped: Ref[], emptied: Ref[]): void {
  expect([copy.type, copy.isNamed, copy.startIndex, copy.endIndex]).toEqual([ref.type, ref.named, ref.start, ref.end]);
  if (copy.children.length === 0 && ref.children.length > 0) {
    emptied.push(ref);
    return;
  }
  let j = 0;
  for (const r of ref.children) {
    const c = copy.children[j];
    if (c && c.startIndex === r.start && c.endIndex === r.end && c.type === r.type) {
      expect(copy.fieldNameForChild(j)).toBe(r.field);
      compare(c, r, dropped, emptied);
      j++;
    } else dropped.push(r);
  }
  expect(j).toBe(copy.children.length);
}

function countErrors(r: Ref): number {
  return (r.type === 'ERROR' || r.missing ? 1 : 0) + r.children.reduce((a, c) => a + countErrors(c), 0);
}

const SOURCE = `
struct item { int a; struct item *next; };
static int table[] = { 1, 2, 3 };
/* leading comment */
static long demo(struct item *it, const char *fmt, int (*cb)(int), unsigned long flags)
{
	struct item local = { .a = 1, .next = NULL }, *p = &local;
	enum { A, B } e = A;
	int i, j = 0, k[4];
	unsigned char c = 'x';
	static const char *s = "one" "two\\n";
	long r = (long)sizeof(*it) + sizeof(struct item);

	for (i = 0; i < 10 && j >= 0; i++, --j) {
		j += it->a * k[i & 3] - p->next->a;
		if (!cb(i) || (flags & 0x10UL)) continue;
		else if (i == 3) break;
		else j <<= 1;
	}
	while (--i > 0) { j = j ? j - 1 : 0; }
	do { r = ({ int t = i; t + 1; }); } while (0);
	switch (c) {
	case 'a':
	case 6:
		r = -r;
		/* fall through */
	default:
		r = ~r, r++;
	}
#ifdef CONFIG_X
	r = __builtin_expect(r, 0);
#else
	r = (struct item){ .a = 2 }.a;
#endif
	asm volatile("nop" ::: "memory");
	if (r < 0)
		goto out;
	p = (struct item *)it;
out:
	return r + c + s[0] + e + table[0] + (p ? p->a : 0);
}
`;

describe('copyTree', () => {
  const tree = parseText(SOURCE);
  const fn = tree.rootNode.namedChildren.find((n) => n.type === 'function_definition')!;

  it('keeps every named node, the fields the tree reports, and the tokens lowering reads', () => {
    expect(fn.hasError).toBe(false);
    const copy = copyTree(fn, SOURCE);
    const dropped: Ref[] = [];
    const emptied: Ref[] = [];
    compare(copy, reference(fn), dropped, emptied);
    // Left out: only anonymous tokens outside fields, and never braces, `:` or `++`/`--`.
    expect(dropped.length).toBeGreaterThan(50);
    for (const d of dropped) {
      expect(d.named).toBe(false);
      expect(d.field).toBeNull();
      expect(['{', '}', ':', '++', '--']).not.toContain(d.type);
    }
    expect(dropped.map((d) => d.type)).toEqual(expect.arrayContaining([';', '(', ')', ',', '=']));
    // Operators are in fields, so kept with their field name.
    const ops: string[] = [];
    const walk = (n: LNode): void => {
      n.children.forEach((c, i) => { if (n.fieldNameForChild(i) === 'operator') ops.push(c.type); walk(c); });
    };
    walk(copy);
    expect(ops).toEqual(expect.arrayContaining(['&&', '+=', '*', '->', '<<=', '!', '||', '--', '++', '~', '-', '==']));
    // Subtrees lowering reads only as text are copied without children.
    expect(emptied.map((e) => e.type)).toEqual(expect.arrayContaining(['string_literal', 'sizeof_expression', 'type_descriptor', 'char_literal']));
    expect(copy.errorCount).toBe(0);
    expect(copy.hasError).toBe(false);
  });

  it('copies a subtree with errors whole and counts its ERROR and MISSING nodes', () => {
    const broken = 'int f(int a)\n{\n\tint b = a +;\n\tif (b) {\n\t\treturn b\n\t}\n\treturn g(a);\n}\n';
    const t = parseText(broken);
    const f = t.rootNode.namedChildren.find((n) => n.type === 'function_definition')!;
    expect(f.hasError).toBe(true);
    const copy = copyTree(f, broken);
    const dropped: Ref[] = [];
    const emptied: Ref[] = [];
    const ref = reference(f);
    compare(copy, ref, dropped, emptied);
    expect(dropped).toEqual([]);
    expect(emptied).toEqual([]);
    expect(copy.hasError).toBe(true);
    expect(copy.errorCount).toBeGreaterThan(0);
    expect(copy.errorCount).toBe(countErrors(ref));
  });
});
