import { describe, expect, it } from 'vitest';
import { declaredNames, mayDeclareGlobal, mayDefineFunction, mayDefineTypedef } from '../../../src/parse/index/text-scan.js';

describe('text pre-checks', () => {
  it('tells a definition from a prototype and a call', () => {
    expect(mayDefineFunction('int f(int x);\n', 'f')).toBe(false);
    expect(mayDefineFunction('void g(void)\n{\n\tf(1);\n}\n', 'f')).toBe(false);
    expect(mayDefineFunction('static int\nf(struct a *b,\n  int c)\n{\n}\n', 'f')).toBe(true);
    expect(mayDefineFunction('void f(struct g *g) __must_hold(&g->lock) /* x */\n{\n}\n', 'f')).toBe(true);
    expect(mayDefineFunction('void ff(void)\n{\n}\n', 'f')).toBe(false);
  });

  it('finds globals and typedefs on column-0 lines only', () => {
    expect(mayDeclareGlobal('static struct ops o = {\n};\n', 'o')).toBe(true);
    expect(mayDeclareGlobal('void f(void)\n{\n\tint o;\n}\n', 'o')).toBe(false);
    expect(mayDefineTypedef('typedef struct {\n\tint a;\n} foo_t;\n', 'foo_t')).toBe(true);
    expect(mayDefineTypedef('foo_t x;\n', 'foo_t')).toBe(false);
  });

  it('lists what column-0 lines declare', () => {
    const names = declaredNames('static int\nfoo(void)\n{\n}\nstruct bar {\n} baz;\nEXPORT_SYMBOL(foo);\n\tint inner(void);\n#define X(a) a\n');
    expect([...names].sort()).toEqual(['EXPORT_SYMBOL', 'bar', 'baz', 'foo']);
  });

  it('stays linear on a hostile single-line file', () => {
    const text = `int ${'a '.repeat(500_000)}`;
    const t0 = performance.now();
    mayDefineFunction(text, 'a');
    mayDeclareGlobal(text, 'zz');
    declaredNames(text);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
