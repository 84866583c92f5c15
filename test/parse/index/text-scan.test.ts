import { CALL_BINDERS } from '../../../src/parse/index/extract.js';
import { describe, expect, it } from 'vitest';
import { BINDER_LINE_PCRE, binderWords, declaredNames, mayDeclareGlobal, mayDefineFunction, mayDefineTypedef } from '../../../src/parse/index/text-scan.js';

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

describe('binder lines', () => {
  const line = new RegExp(BINDER_LINE_PCRE);

  it('covers every binder the fact extractor knows', () => {
    const names = [...Object.keys(CALL_BINDERS), 'DECLARE_WORK', 'DECLARE_DELAYED_WORK', 'DECLARE_DEFERRABLE_WORK', 'DEFINE_TIMER',
      '__WORK_INITIALIZER', '__DELAYED_WORK_INITIALIZER', '__TIMER_INITIALIZER', 'hrtimer_init', 'hrtimer_init_on_stack', 'init_timer_key'];
    for (const n of names) expect(line.test(`\t${n}(&priv->w, priv_cb);`), n).toBe(true);
    expect(line.test('\tt->function = cb;')).toBe(true);
    expect(line.test('\t.function = cb,')).toBe(true);
  });

  it('does not take plain calls or prose for binders', () => {
    expect(line.test('\tqueue_work(wq, &priv->work);')).toBe(false);
    expect(line.test(' * this function must be called with the lock held')).toBe(false);
    expect(line.test('\tkthread_should_stop();')).toBe(false);
  });

  it('collects the words of a split binder call', () => {
    const w = binderWords('void f(struct p *p)\n{\n\tINIT_WORK(&p->work,\n\t\t  p_work_fn);\n\tother_call(p);\n\tlast(p);\n}\n');
    expect(w.has('p_work_fn')).toBe(true);
    expect(w.has('other_call')).toBe(true);
    expect(w.has('last')).toBe(false);
    expect(binderWords('int x;\n').size).toBe(0);
  });
});
