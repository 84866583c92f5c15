import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { prepass } from '../../../src/parse/c/prepass.js';
import { parseC } from '../../../src/parse/c/api.js';

function sameShape(a: string, b: string): void {
  expect(b.length).toBe(a.length);
  const nl = (s: string): number[] => [...s].flatMap((c, i) => (c === '\n' ? [i] : []));
  expect(nl(b)).toEqual(nl(a));
}

describe('prepass', () => {
  it('blanks annotations with spaces and records their arguments', () => {
    const src = [
      'static int __init probe(struct foo *x)',
      '\t__must_hold(&x->lock) __releases(x->other)',
      '{',
      '\tvoid __iomem *base;',
      '\tstruct bar *b __free(kfree) = NULL;',
      '\treturn 0;',
      '}',
    ].join('\n');
    const r = prepass(src);
    sameShape(src, r.text);
    expect(r.text).not.toMatch(/__must_hold|__init|__iomem|__free|__releases/);
    expect(r.text).toContain(`struct bar *b ${' '.repeat('__free(kfree)'.length)} = NULL;`);
    const byName = Object.fromEntries(r.annotations.map((a) => [a.name, a]));
    expect(byName['__must_hold']!.args).toBe('&x->lock');
    expect(byName['__must_hold']!.pos).toMatchObject({ line: 2, column: 2 });
    expect(byName['__releases']!.args).toBe('x->other');
    expect(byName['__free']!.args).toBe('kfree');
    expect(byName['__init']!.pos.line).toBe(1);
  });

  it('leaves strings, comments and #define bodies alone', () => {
    const src = [
      '#define LOCKED(x) scoped_guard(mutex, x) { \\',
      '\t__rcu_thing(); }',
      'const char *s = "__rcu scoped_guard(a) {";',
      '/* list_for_each_entry(a, b, c) { __iomem */',
      'void f(void) { g(\'"\'); }',
    ].join('\n');
    const r = prepass(src);
    expect(r.text).toBe(src);
    expect(r.macros.size).toBe(0);
    expect(r.annotations).toEqual([]);
  });

  it('rewrites statement-position iterator and guard macros to while, arguments kept in place', () => {
    const src = [
      'void f(struct g *g)',
      '{',
      '\tstruct d *d, *tmp;',
      '\tlist_for_each_entry_safe(d, tmp,',
      '\t\t\t\t &g->devices, list) {',
      '\t\tscoped_guard(spinlock_irqsave, &d->lock)',
      '\t\t\tkick(d);',
      '\t}',
      '\tfor_each_set_bit(i, &mask, 32)',
      '\t\tkick(i);',
      '}',
    ].join('\n');
    const r = prepass(src);
    sameShape(src, r.text);
    expect(r.text).toContain('\twhile                   (d, tmp,\n\t\t\t\t &g->devices, list) {');
    expect(r.text).toContain('\t\twhile       (spinlock_irqsave, &d->lock)');
    expect(r.text).toContain('\twhile           (i, &mask, 32)');
    const sites = [...r.macros.values()];
    expect(sites.map((s) => s.macro)).toEqual(['list_for_each_entry_safe', 'scoped_guard', 'for_each_set_bit']);
    expect(sites[0]!.args).toEqual(['d', 'tmp', '&g->devices', 'list']);
    expect(sites[0]!.pos).toMatchObject({ line: 4, column: 2, endLine: 5 });
    expect(sites[1]!.kind).toBe('scoped_guard');
    const tree = parseC(src, 'f.c').tree!;
    expect(tree.rootNode.hasError).toBe(false);
  });

  it('does not treat a plain call, a declaration or a file-scope definition as a loop', () => {
    const src = [
      'BPF_CALL_1(foo, int, x)',
      '{',
      '\tfoo(x);',
      '\ttypeof(x) y = x;',
      '\tif (bar(x)) baz();',
      '}',
    ].join('\n');
    const r = prepass(src);
    expect(r.macros.size).toBe(0);
    // only the typeof() declaration is touched: its type becomes a same-length identifier
    expect(r.text).toBe(src.replace('typeof(x)', '_________'));
  });

  it('rewrites what the grammar cannot read: case ranges, type arguments, string macros, split #if', () => {
    const src = [
      'void f(int n) {',
      '	switch (n) { case 1 ... 5: break; }',
      '	x = min_t(unsigned long, a, b) + kcalloc_objs(struct foo *, n);',
      '	printk(KERN_INFO DRV_NAME ": hi\\n");',
      '	if (a)',
      '		g();',
      '#ifdef CONFIG_X',
      '	else if (b)',
      '		h();',
      '#endif',
      '	else',
      '		k();',
      '	y = offsetof(struct foo, a.b[2]);',
      '#if 0',
      '	this is not C',
      '#endif',
      '}',
    ].join('\n');
    const r = prepass(src);
    sameShape(src, r.text);
    expect(r.text).toContain('case 1 ||  5:');
    expect(r.caseRanges.size).toBe(1);
    expect(r.text).toContain('min_t(_____________, a, b)');
    expect(r.text).toContain(`kcalloc_objs(${'_'.repeat('struct foo *'.length)}, n)`);
    expect(r.text).toContain('printk("xxxxxxx" "xxxxxx" ": hi');
    expect(r.text).not.toContain('#ifdef CONFIG_X');
    expect(r.text).toContain('\telse if (b)');
    expect(r.text).not.toContain('this is not C');
    expect(parseC(src, 'f.c').tree!.rootNode.hasError).toBe(false);
  });

  it('handles a label right before }, a #define in an initializer, VISIBLE_IF_KUNIT and list_for_each(...) ++i;', () => {
    const src = [
      'VISIBLE_IF_KUNIT',
      'int f(struct s *s) {',
      '\tstruct { int a; int b; } req = {',
      '#define F(x) .x = s->x',
      '\t\tF(a),',
      '#undef F',
      '\t};',
      '\tlist_for_each(item, &s->list)',
      '\t\t++i;',
      '#if defined(__LITTLE_ENDIAN)',
      '\tif (s->bits == 8)',
      '#endif',
      '\t\tswap(s);',
      '\tif (!s->ok)',
      '\t\tgoto out;',
      '\tg(s);',
      'out:',
      '}',
    ].join('\n');
    const r = prepass(src);
    sameShape(src, r.text);
    expect(r.labelSites.size).toBe(1);
    expect(parseC(src, 'f.c').tree!.rootNode.hasError).toBe(false);
  });

  it('keeps the first branch when an #if/#else pair splits a statement', () => {
    const src = [
      'void f(int a) {',
      '#ifdef CONFIG_A',
      '	if (a) {',
      '#else',
      '	if (!a) {',
      '#endif',
      '		g();',
      '	}',
      '}',
    ].join('\n');
    const r = prepass(src);
    sameShape(src, r.text);
    expect(r.text).toContain('\tif (a) {');
    expect(r.text).not.toContain('!a');
    expect(parseC(src, 'f.c').tree!.rootNode.hasError).toBe(false);
  });

  it('turns static DEFINE_MUTEX(x); into a declaration and records the global', () => {
    const src = 'static DEFINE_MUTEX(big_lock);\nDECLARE_WORK(w, work_fn);\nstatic LIST_HEAD(items);\n';
    const r = prepass(src);
    sameShape(src, r.text);
    expect(r.text).toContain('static DEFINE_MUTEX big_lock ;');
    expect(r.globals).toEqual([
      expect.objectContaining({ macro: 'DEFINE_MUTEX', name: 'big_lock', type: 'struct mutex', isStatic: true, args: [] }),
      expect.objectContaining({ macro: 'DECLARE_WORK', name: 'w', type: 'struct work_struct', isStatic: false, args: ['work_fn'] }),
      expect.objectContaining({ macro: 'LIST_HEAD', name: 'items', type: 'struct list_head', isStatic: true }),
    ]);
    const tree = parseC(src, 'f.c').tree!;
    expect(tree.rootNode.hasError).toBe(false);
    const decl = tree.rootNode.namedChildren[0]!;
    expect(decl.type).toBe('declaration');
    expect(decl.childForFieldName('declarator')!.text).toBe('big_lock');
  });

  it('blanks `struct` in a struct-type macro argument so container_of parses', () => {
    const src = 'void f(void *p) { struct x *a = container_of(p, struct x, node); }';
    const r = prepass(src);
    expect(r.text).toContain('container_of(p,        x, node)');
    expect(parseC(src, 'f.c').tree!.rootNode.hasError).toBe(false);
    // sizeof keeps its type
    expect(prepass('void f(void) { g(sizeof(struct x)); }').text).toContain('sizeof(struct x)');
  });

  it('keeps length and line breaks on any input', () => {
    const alphabet = fc.constantFrom(
      'scoped_guard', 'list_for_each_entry', '(', ')', '{', '}', ';', ',', '"', "'", '/*', '*/', '//', '\n', '#',
      '\\', ' ', 'x', '__free', '__must_hold', 'static', 'DEFINE_MUTEX', 'struct', '__rcu', '__attribute__',
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }), (parts) => {
        const src = parts.join('');
        const r = prepass(src);
        expect(r.text.length).toBe(src.length);
        for (let i = 0; i < src.length; i++) if (src[i] === '\n' || r.text[i] === '\n') expect(r.text[i]).toBe(src[i]);
      }),
      { numRuns: 300 },
    );
  });
});
