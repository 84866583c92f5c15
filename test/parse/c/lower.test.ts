import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { extractFunctions, lowerFile, parseC, releaseParsed } from '../../../src/parse/c/api.js';
import type { GuardInstr, ScopeEndInstr } from '../../../src/parse/ir.js';
import { blockWith, calls, instrs, lowerOne, openScopesAtReturns, reachable, show, successors, where } from './helpers.js';

describe('function headers', () => {
  it('gets names right behind annotations, with params, return type and static', () => {
    const src = [
      'static int __init early_setup(void) { return 0; }',
      'static __always_inline struct foo *__must_check get_foo(struct bar *b, unsigned long flags) { return b->foo; }',
      'int __cold noinline other(const char *fmt, ...) { return 1; }',
    ].join('\n');
    const fns = extractFunctions(src, 'drivers/x.c');
    expect(fns.map((f) => f.name)).toEqual(['early_setup', 'get_foo', 'other']);
    expect(fns[0]).toMatchObject({ isStatic: true, returnType: 'int', params: [], file: 'drivers/x.c', parseErrors: 0 });
    expect(fns[1]!.returnType).toBe('struct foo *');
    expect(fns[1]!.params).toEqual([
      { name: 'b', type: 'struct bar *' },
      { name: 'flags', type: 'unsigned long' },
    ]);
    expect(fns[2]!.isStatic).toBe(false);
    expect(fns[2]!.params).toEqual([{ name: 'fmt', type: 'char *' }]);
  });

  it('records lock annotations from the definition and from an earlier prototype', () => {
    const src = [
      'static void drop(struct g *g) __releases(&g->lock);',
      '',
      'static void take(struct g *g)',
      '\t__must_hold(&g->outer) __acquires(&g->lock)',
      '{',
      '\tspin_lock(&g->lock);',
      '}',
      'static void drop(struct g *g)',
      '{',
      '\tspin_unlock(&g->lock);',
      '}',
    ].join('\n');
    const [take, drop] = extractFunctions(src, 'a.c');
    expect(take!.annotations).toEqual({ mustHold: ['&g->outer'], acquires: ['&g->lock'], releases: [] });
    expect(drop!.annotations).toEqual({ mustHold: [], acquires: [], releases: ['&g->lock'] });
    expect(take!.parseErrors).toBe(0);
  });

  it('keeps the kernel-doc comment or the plain comment directly above', () => {
    const src = [
      '/**',
      ' * first() - does one thing',
      ' * Context: caller must hold dev->lock.',
      ' */',
      'int first(void) { return 0; }',
      '',
      '/* plain */',
      'int second(void) { return 0; }',
      '/* far away */',
      '',
      'int third(void) { return 0; }',
    ].join('\n');
    const [a, b, c] = extractFunctions(src, 'a.c');
    expect(a!.docComment!.text).toContain('caller must hold dev->lock');
    expect(a!.docComment!.pos).toMatchObject({ line: 1, column: 1, endLine: 4 });
    expect(b!.docComment!.text).toBe('/* plain */');
    expect(c!.docComment).toBeNull();
  });
});

describe('positions after the pre-pass', () => {
  it('reports calls at their place in the original file', () => {
    const src = [
      'static int __init f(struct g *g)',
      '\t__must_hold(&g->lock)',
      '{',
      '\tstruct x *p __free(kfree) = kzalloc(sizeof(*p), GFP_KERNEL);',
      '\tscoped_guard(mutex,',
      '\t\t     &g->mutex) {',
      '\t\tdo_thing(g, p);',
      '\t}',
      '\treturn helper(g);',
      '}',
    ].join('\n');
    const f = lowerOne(src);
    const kz = calls(f, 'kzalloc')[0]!;
    expect(kz.pos).toMatchObject(where(src, 'kzalloc('));
    expect(kz.text).toBe('kzalloc(sizeof(*p), GFP_KERNEL)');
    expect(show(kz.result)).toBe('p');
    const dt = calls(f, 'do_thing')[0]!;
    expect(dt.pos).toMatchObject(where(src, 'do_thing('));
    expect(dt.pos.endColumn).toBe(where(src, 'do_thing(').column + 'do_thing(g, p)'.length);
    expect(dt.text).toBe('do_thing(g, p)');
    const g = instrs(f).find((i): i is GuardInstr => i.op === 'guard')!;
    expect(g.pos).toMatchObject({ ...where(src, 'scoped_guard'), endLine: 6 });
    expect(g.text).toBe('scoped_guard(mutex, &g->mutex)');
    expect(calls(f, 'helper')[0]!.pos).toMatchObject(where(src, 'helper('));
  });
});

describe('control flow', () => {
  it('lowers if/else, loops, break and continue', () => {
    const f = lowerOne(`int f(int n) {
      int i, s = 0;
      for (i = 0; i < n; i++) {
        if (i == 3) continue;
        if (i == 7) break;
        s += i;
      }
      while (s > 10) s--;
      do { s++; } while (s < 5);
      return s;
    }`);
    const heads = f.blocks.filter((b) => b.loopHead);
    expect(heads.length).toBe(3);
    expect(instrs(f).filter((i) => i.op === 'assign').map((i) => i.op === 'assign' && `${show(i.target)}=${show(i.value)}`).sort()).toEqual([
      's=0', 'i=0', 's=(s + i)', 'i=(i + 1)', 's=(s - 1)', 's=(s + 1)',
    ].sort());
    const rets = f.blocks.filter((b) => b.term.op === 'return');
    expect(rets.length).toBe(1);
    expect(reachable(f).has(rets[0]!.id)).toBe(true);
  });

  it('keeps switch fall-through and a default that goes to the exit', () => {
    const f = lowerOne(`int f(int n) {
      int r = 0;
      switch (n) {
      case 1:
        r = 1;
      case 2:
        r += 2;
        break;
      case 3 ... 4:
        return -1;
      }
      return r;
    }`);
    const sw = f.blocks.find((b) => b.term.op === 'switch')!.term;
    if (sw.op !== 'switch') throw new Error();
    expect(sw.cases.map((c) => (c.values === 'default' ? 'default' : c.values.map(show).join()))).toEqual(['1', '2', '(3 ... 4)', 'default']);
    const case1 = f.blocks[sw.cases[0]!.to]!;
    const case2 = sw.cases[1]!.to;
    expect(case1.term).toEqual({ op: 'jump', to: case2 }); // fall-through
    const exit = sw.cases[3]!.to;
    expect(f.blocks[exit]!.term.op).toBe('return');
  });

  it('lowers goto and labels', () => {
    const f = lowerOne(`int f(struct d *d) {
      int ret = setup(d);
      if (ret)
        goto out;
      ret = more(d);
    out:
      cleanup(d);
      return ret;
    }`);
    const out = f.blocks.find((b) => b.labels.includes('out'))!;
    expect(out.instrs.map((i) => i.op === 'call' && i.callee)).toEqual(['cleanup']);
    const preds = f.blocks.filter((b) => successors(b.term).includes(out.id));
    expect(preds.length).toBe(2);
  });

  it('a label right before the closing brace is still a goto target', () => {
    const f = lowerOne(`void f(int a) { if (a) goto out; g(); out:\n}`);
    const out = f.blocks.find((b) => b.labels.includes('out'))!;
    expect(out.term.op).toBe('return');
    expect(f.blocks.filter((b) => successors(b.term).includes(out.id)).length).toBe(2);
    expect(f.parseErrors).toBe(0);
  });

  it('BUG() ends the path; panic() is a call that does not return', () => {
    const f = lowerOne(`void f(int x) { if (x) BUG(); if (x > 2) panic("bad %d", x); g(); }`);
    const un = f.blocks.filter((b) => b.term.op === 'unreachable');
    expect(un.map((b) => b.term.op === 'unreachable' && b.term.text)).toEqual(['BUG()', 'panic("bad %d", x)']);
    expect(calls(f, 'BUG')).toEqual([]);
    expect(calls(f, 'panic')[0]!.args.map(show)).toEqual(['"bad %d"', 'x']);
  });
});

describe('calls inside expressions', () => {
  it('hoists calls left to right into temporaries and targets', () => {
    const f = lowerOne(`int f(struct g *g) {
      int x = a(b(1), c(2)) + d(3);
      g->val = e(x);
      return x;
    }`);
    const cs = calls(f);
    expect(cs.map((c) => c.callee)).toEqual(['b', 'c', 'a', 'd', 'e']);
    expect(show(cs[2]!.args[0]!)).toBe(show(cs[0]!.result));
    expect(show(cs[4]!.result)).toBe('g->val');
    const assignX = instrs(f).find((i) => i.op === 'assign' && show(i.target) === 'x');
    expect(assignX && assignX.op === 'assign' && show(assignX.value)).toMatch(/^\(\$t\d+ \+ \$t\d+\)$/);
  });

  it('keeps short-circuit: the trylock result is a branch condition on its own', () => {
    const f = lowerOne(`int f(struct g *g) {
      if (g->ready && mutex_trylock(&g->lock)) {
        work(g);
        mutex_unlock(&g->lock);
      }
      return 0;
    }`);
    const entry = f.blocks[0]!;
    expect(entry.term.op).toBe('branch');
    if (entry.term.op !== 'branch') throw new Error();
    expect(show(entry.term.cond)).toBe('g->ready');
    expect(entry.instrs.some((i) => i.op === 'call')).toBe(false); // trylock not called when !ready
    const tryBlock = f.blocks[entry.term.then]!;
    const tl = tryBlock.instrs.find((i) => i.op === 'call')!;
    expect(tl.op === 'call' && tl.callee).toBe('mutex_trylock');
    expect(tryBlock.term.op === 'branch' && show(tryBlock.term.cond)).toBe(tl.op === 'call' && show(tl.result));
    if (tryBlock.term.op !== 'branch') throw new Error();
    const held = f.blocks[tryBlock.term.then]!;
    expect(held.instrs.map((i) => i.op === 'call' && i.callee)).toEqual(['work', 'mutex_unlock']);
    expect(tryBlock.term.else).toBe(entry.term.else);
  });

  it('negated trylock and || branch the right way round', () => {
    const f = lowerOne(`int f(struct g *g) { if (!spin_trylock(&g->l) || g->busy) return -EBUSY; spin_unlock(&g->l); return 0; }`);
    const b = blockWith(f, (i) => i.op === 'call' && i.callee === 'spin_trylock');
    if (b.term.op !== 'branch') throw new Error();
    // trylock failed -> return -EBUSY
    expect(f.blocks[b.term.else]!.term).toMatchObject({ op: 'return', text: 'return -EBUSY;' });
    const next = f.blocks[b.term.then]!;
    expect(next.term.op === 'branch' && show(next.term.cond)).toBe('g->busy');
  });

  it('lowers ?: with calls into branches and keeps simple ones as expressions', () => {
    const f = lowerOne(`int f(int a) { int x = a ? g(1) : 2; int y = a ? 3 : 4; return x + y; }`);
    expect(f.blocks[0]!.term.op).toBe('branch');
    const y = instrs(f).find((i) => i.op === 'assign' && show(i.target) === 'y')!;
    expect(y.op === 'assign' && show(y.value)).toBe('(a ? 3 : 4)');
  });

  it('turns x++, x += n, WRITE_ONCE into assignments and unwraps READ_ONCE/likely', () => {
    const f = lowerOne(`void f(struct s *s) { s->n++; s->m += 4; WRITE_ONCE(s->flag, 1); if (likely(READ_ONCE(s->flag))) s->n--; }`);
    expect(instrs(f).map((i) => i.op === 'assign' && `${show(i.target)}=${show(i.value)}`)).toEqual([
      's->n=(s->n + 1)', 's->m=(s->m + 4)', 's->flag=1', 's->n=(s->n - 1)',
    ]);
    expect(calls(f)).toEqual([]);
    const t = f.blocks[0]!.term;
    expect(t.op === 'branch' && show(t.cond)).toBe('s->flag');
  });

  it('WARN_ON is a call with the condition as args[0]; its result drives an if', () => {
    const f = lowerOne(`int f(struct g *g) {
      WARN_ON(g->domain != g->default_domain);
      WARN(g->n > 3, "too many %d", g->n);
      if (WARN_ON_ONCE(!g->owner))
        return -EINVAL;
      BUG_ON(!g);
      return 0;
    }`);
    const w = calls(f, 'WARN_ON')[0]!;
    expect(show(w.args[0]!)).toBe('(g->domain != g->default_domain)');
    expect(w.result).toBeNull();
    expect(w.text).toBe('WARN_ON(g->domain != g->default_domain)');
    expect(calls(f, 'WARN')[0]!.args.map(show)).toEqual(['(g->n > 3)', '"too many %d"', 'g->n']);
    const once = calls(f, 'WARN_ON_ONCE')[0]!;
    expect(show(once.args[0]!)).toBe('!g->owner');
    const b = blockWith(f, (i) => i === once);
    expect(b.term.op === 'branch' && show(b.term.cond)).toBe(show(once.result));
    expect(show(calls(f, 'BUG_ON')[0]!.args[0]!)).toBe('!g');
  });

  it('keeps container_of (and list_entry) as an expression with its type', () => {
    const f = lowerOne(`static void work_fn(struct work_struct *work) {
      struct group_device *gdev = container_of(work, struct group_device, work);
      struct item *it = list_first_entry(&gdev->items, struct item, node);
      use(gdev, it);
    }`);
    const a = instrs(f).filter((i) => i.op === 'assign');
    expect(a.map((i) => i.op === 'assign' && show(i.value))).toEqual([
      'container_of(work, struct group_device, work)',
      'container_of(&gdev->items->next, struct item, node)',
    ]);
    expect(f.parseErrors).toBe(0);
    expect(f.locals).toMatchObject({ gdev: 'struct group_device *', it: 'struct item *' });
  });

  it('lowers statement expressions in place and keeps calls inside initializers', () => {
    const f = lowerOne(`int f(int a) {
      int x = ({ int t = g(a); t + 1; });
      struct s v = { .a = h(a), .b = { k(a) } };
      asm volatile("nop");
      return x + v.a;
    }`);
    expect(calls(f).map((c) => c.callee)).toEqual(['g', 'h', 'k']);
    const x = instrs(f).find((i) => i.op === 'assign' && show(i.target) === 'x')!;
    expect(x.op === 'assign' && show(x.value)).toBe('(t + 1)');
    const v = instrs(f).find((i) => i.op === 'assign' && show(i.target) === 'v')!;
    expect(v.op === 'assign' && v.value.k).toBe('unknown');
  });
});

describe('guards and cleanups', () => {
  it('guard() scope ends at the closing brace and on every return and goto leaving it', () => {
    const src = `int f(struct g *g, int n) {
	int ret = 0;
	if (n) {
		guard(mutex)(&g->mutex);
		if (n > 2)
			return -EINVAL;
		if (n > 1)
			goto out;
		g->n = n;
	}
	ret = other(g);
out:
	return ret;
}`;
    const f = lowerOne(src);
    const g = instrs(f).find((i): i is GuardInstr => i.op === 'guard')!;
    expect(g).toMatchObject({ class: 'mutex', conditional: false, text: 'guard(mutex)(&g->mutex)' });
    expect(g.args.map(show)).toEqual(['&g->mutex']);
    expect(openScopesAtReturns(f).every((r) => r.open.length === 0)).toBe(true);
    const ends = instrs(f).filter((i): i is ScopeEndInstr => i.op === 'scope_end');
    expect(ends.map((e) => e.text).sort()).toEqual(['goto out;', 'return -EINVAL;', '}']);
    expect(ends.every((e) => e.kind === 'guard' && e.class === 'mutex' && show(e.args[0]!) === '&g->mutex')).toBe(true);
    expect(ends.find((e) => e.text === '}')!.pos).toMatchObject({ line: 10, column: 2 });
    // other() runs after the guard's scope ended
    const otherBlock = blockWith(f, (i) => i.op === 'call' && i.callee === 'other');
    expect(otherBlock.instrs.some((i) => i.op === 'scope_end')).toBe(false);
  });

  it('scoped_guard: guard, body, scope_end; break leaves it; returns inside end it first', () => {
    const f = lowerOne(`int f(struct g *g) {
	scoped_guard(spinlock_irqsave, &g->lock) {
		if (!g->ok)
			return -EIO;
		if (g->skip)
			break;
		g->count++;
	}
	return finish(g);
}`);
    const g = instrs(f).find((i): i is GuardInstr => i.op === 'guard')!;
    expect(g).toMatchObject({ class: 'spinlock_irqsave', conditional: false });
    expect(g.args.map(show)).toEqual(['&g->lock']);
    expect(openScopesAtReturns(f).every((r) => r.open.length === 0)).toBe(true);
    const ends = instrs(f).filter((i): i is ScopeEndInstr => i.op === 'scope_end');
    expect(ends.map((e) => e.text).sort()).toEqual(['break;', 'return -EIO;', '}']);
    const fin = blockWith(f, (i) => i.op === 'call' && i.callee === 'finish');
    expect(fin.instrs.some((i) => i.op === 'scope_end')).toBe(false);
  });

  it('scoped_cond_guard: guard only on the success path, the fail statement on the other', () => {
    const src = `int f(struct g *g) {
	scoped_cond_guard(mutex_intr, return -EINTR, &g->mutex) {
		g->n = 1;
	}
	return 0;
}`;
    const f = lowerOne(src);
    const entry = f.blocks[0]!;
    if (entry.term.op !== 'branch') throw new Error('expected branch');
    expect(entry.term.cond.k).toBe('unknown');
    const ok = f.blocks[entry.term.then]!;
    expect(ok.instrs[0]).toMatchObject({ op: 'guard', class: 'mutex_intr', conditional: true });
    expect((ok.instrs[0] as GuardInstr).args.map(show)).toEqual(['&g->mutex']);
    const fail = f.blocks[entry.term.else]!;
    expect(fail.term).toMatchObject({ op: 'return', text: 'return -EINTR' });
    if (fail.term.op !== 'return') throw new Error();
    expect(show(fail.term.value)).toBe('-EINTR');
    expect(fail.term.pos).toMatchObject(where(src, 'return -EINTR'));
    expect(openScopesAtReturns(f).every((r) => r.open.length === 0)).toBe(true);
  });

  it('__free(): the declaration carries the cleanup and every exit ends it', () => {
    const f = lowerOne(`int f(struct g *g) {
	struct buf *b __free(kfree) = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	fill(b);
	return 0;
}`);
    const d = instrs(f).find((i) => i.op === 'decl')!;
    expect(d).toMatchObject({ op: 'decl', name: 'b', type: 'struct buf *', cleanup: 'kfree' });
    expect(show(calls(f, 'kzalloc')[0]!.result)).toBe('b');
    const rets = openScopesAtReturns(f);
    expect(rets.length).toBe(2);
    expect(rets.every((r) => r.open.length === 0)).toBe(true);
    const ends = instrs(f).filter((i): i is ScopeEndInstr => i.op === 'scope_end');
    expect(ends.map((e) => `${e.kind}:${e.class}:${show(e.args[0]!)}`)).toEqual(['cleanup:kfree:b', 'cleanup:kfree:b']);
  });
});

describe('more kernel idioms', () => {
  it('CLASS(fd, f)(n) declares f with a destructor that runs at scope end', () => {
    const f = lowerOne(`int f(int n) { CLASS(fd, file)(n); if (!file.file) return -EBADF; return use(&file); }`);
    const d = instrs(f).find((i) => i.op === 'decl')!;
    expect(d).toMatchObject({ name: 'file', cleanup: 'class_fd_destructor' });
    expect(calls(f, 'class_fd_constructor')[0]!.args.map(show)).toEqual(['n']);
    expect(openScopesAtReturns(f).every((r) => r.open.length === 0)).toBe(true);
  });

  it('ACQUIRE(cls, var)(lock) is a conditional guard scoped to the block', () => {
    const f = lowerOne(`int f(struct s *s) { ACQUIRE(mutex_intr, lock)(&s->m); int ret = ACQUIRE_ERR(mutex_intr, &lock); if (ret) return ret; s->n = 1; return 0; }`);
    const g = instrs(f).find((i): i is GuardInstr => i.op === 'guard')!;
    expect(g).toMatchObject({ class: 'mutex_intr', conditional: true });
    expect(g.args.map(show)).toEqual(['&s->m']);
    expect(openScopesAtReturns(f).every((r) => r.open.length === 0)).toBe(true);
  });

  it('SYSCALL_DEFINEn becomes a function named like the kernel symbol, with typed params', () => {
    const f = lowerOne(`SYSCALL_DEFINE3(open, const char __user *, filename, int, flags, umode_t, mode)
{
	return do_sys_open(AT_FDCWD, filename, flags, mode);
}`);
    expect(f.name).toBe('__do_sys_open');
    expect(f.params.map((p) => p.name)).toEqual(['filename', 'flags', 'mode']);
    expect(f.parseErrors).toBe(0);
  });

  it('an #ifdef block inside a body is a branch either way, on its directive', () => {
    const f = lowerOne(`void f(struct g *g) {
	mutex_lock(&g->lock);
#ifdef CONFIG_DEBUG
	check(g);
#endif
	mutex_unlock(&g->lock);
}`);
    const b = f.blocks[0]!;
    expect(b.term).toMatchObject({ op: 'branch', cond: { k: 'unknown', text: '#ifdef CONFIG_DEBUG' } });
    expect(calls(f).map((c) => c.callee).sort()).toEqual(['check', 'mutex_lock', 'mutex_unlock']);
    if (b.term.op !== 'branch') throw new Error();
    expect(f.blocks[b.term.else]!.instrs.map((i) => i.op === 'call' && i.callee)).toEqual(['mutex_unlock']);
  });

  it('static DEFINE_MUTEX and local LIST_HEAD give typed names', () => {
    const fns = extractFunctions(`static DEFINE_MUTEX(lock);\nvoid f(void) { LIST_HEAD(tmp); mutex_lock(&lock); splice(&tmp); }`, 'a.c');
    expect(fns.map((x) => x.name)).toEqual(['f']);
    expect(fns[0]!.locals).toEqual({ tmp: 'struct list_head' });
    expect(fns[0]!.parseErrors).toBe(0);
  });

  it('XA_STATE and MA_STATE declare locals (so `xas.xa->xa_lock` is not a global lock)', () => {
    const fns = extractFunctions(`int f(struct address_space *m, unsigned long i)\n{\n\tXA_STATE(xas, &m->i_pages, i);\n\tMA_STATE(mas, &m->mt, i, i);\n\txas_lock_irq(&xas);\n\txas_unlock_irq(&xas);\n\treturn 0;\n}\n`, 'a.c');
    expect(fns[0]!.locals).toEqual({ xas: 'struct xa_state', mas: 'struct ma_state' });
    expect(fns[0]!.parseErrors).toBe(0);
  });
});

describe('iterator macros', () => {
  it('list_for_each_entry with a block becomes a foreach terminator with macro and args', () => {
    const src = `void f(struct g *g) {
	struct dev *d;
	list_for_each_entry(d, &g->devices,
			    list) {
		if (d->bad)
			continue;
		kick(d);
	}
	done(g);
}`;
    const f = lowerOne(src);
    const head = f.blocks.find((b) => b.term.op === 'foreach')!;
    expect(head.loopHead).toBe(true);
    if (head.term.op !== 'foreach') throw new Error();
    expect(head.term.macro).toBe('list_for_each_entry');
    expect(head.term.args.map(show)).toEqual(['d', '&g->devices', 'list']);
    expect(head.term.text).toBe('list_for_each_entry(d, &g->devices, list)');
    expect(head.term.pos).toMatchObject({ ...where(src, 'list_for_each_entry'), endLine: 4 });
    // the body is attached: kick() is inside, done() after the exit
    const body = reachable(f, head.term.body);
    expect(body.has(blockWith(f, (i) => i.op === 'call' && i.callee === 'kick').id)).toBe(true);
    expect(blockWith(f, (i) => i.op === 'call' && i.callee === 'done').id).toBe(head.term.exit);
    expect(f.parseErrors).toBe(0);
  });

  it('a brace-less for_each_* body is the single statement that follows', () => {
    const f = lowerOne(`void f(unsigned long mask) {
	int bit;
	for_each_set_bit(bit, &mask, BITS_PER_LONG)
		clear(bit);
	after();
}`);
    const head = f.blocks.find((b) => b.term.op === 'foreach')!;
    if (head.term.op !== 'foreach') throw new Error();
    expect(head.term.macro).toBe('for_each_set_bit');
    expect(head.term.args.map(show)).toEqual(['bit', '&mask', 'BITS_PER_LONG']);
    expect(f.blocks[head.term.body]!.instrs.map((i) => i.op === 'call' && i.callee)).toEqual(['clear']);
    expect(f.blocks[head.term.exit]!.instrs.map((i) => i.op === 'call' && i.callee)).toEqual(['after']);
  });
});

describe('comments', () => {
  it('attaches the comments directly above a statement to its first instruction or terminator', () => {
    const src = `void f(struct g *g) {
	/* first */
	a(g); /* trailing, belongs to nobody */
	// second
	// more
	b(g);
	/*
	 * The domain must be NULL or the default domain.
	 */
	if (g->domain != g->default_domain)
		return;
	c(g);
}`;
    const f = lowerOne(src);
    const text = (name: string): string[] => calls(f, name)[0]!.comments.map((c) => c.text);
    expect(text('a')).toEqual(['/* first */']);
    expect(text('b')).toEqual(['// second', '// more']);
    expect(text('c')).toEqual([]);
    const br = f.blocks[0]!.term;
    expect(br.op).toBe('branch');
    expect(br.op === 'branch' && br.comments?.[0]?.text).toContain('NULL or the default domain');
    expect(br.op === 'branch' && br.comments?.[0]?.pos.line).toBe(7);
  });
});

describe('robustness', () => {
  it('never throws on random token soup or truncated code', () => {
    const sample = `static int __init f(struct g *g) __must_hold(&g->l) { scoped_guard(mutex, &g->m) { list_for_each_entry(d, &g->l, n) { if (a && trylock(&x)) goto out; } } out: return container_of(p, struct x, m)->y ? g(1) : 0; }`;
    for (let i = 0; i <= sample.length; i += 3) {
      expect(() => extractFunctions(sample.slice(0, i), 't.c')).not.toThrow();
    }
    const tok = fc.constantFrom('if', '(', ')', '{', '}', ';', 'x', 'f(', '&&', '||', '?', ':', 'goto', 'l:', 'return', 'switch', 'case 1:',
      'break', 'scoped_guard(m, x)', 'guard(m)(x)', 'for_each_x(a)', '"s"', '/*c*/', '\n#if X\n', '\n#endif\n', 'int', '=', ',', 'while', 'do');
    fc.assert(
      fc.property(fc.array(tok, { maxLength: 80 }), (parts) => {
        const src = `int f(void) { ${parts.join(' ')} }`;
        const fns = extractFunctions(src, 't.c');
        for (const fn of fns) for (const b of fn.blocks) for (const s of successors(b.term)) expect(fn.blocks[s]).toBeDefined();
      }),
      { numRuns: 200 },
    );
  });

  it('degrades deep nesting to unknown instead of overflowing', () => {
    const deep = 'int f(int a) { return ' + '('.repeat(3000) + 'g(a)' + ')'.repeat(3000) + '; }';
    expect(() => extractFunctions(deep, 't.c')).not.toThrow();
    const ifs = 'void f(int a) {' + 'if (a) {'.repeat(2000) + 'g();' + '}'.repeat(2000) + '}';
    expect(() => extractFunctions(ifs, 't.c')).not.toThrow();
    const chain = 'void f(int a) {' + Array.from({ length: 3000 }, (_, i) => `if (a == ${i}) g(${i}); else `).join('') + 'h(); }';
    const f = extractFunctions(chain, 't.c')[0]!;
    expect(calls(f, 'g').length).toBe(3000);
  });

  it('handles a long function and counts parse errors per function', () => {
    const body = Array.from({ length: 20000 }, (_, i) => `\tx = g${i}(x);`).join('\n');
    const t0 = Date.now();
    const f = extractFunctions(`int f(int x) {\n${body}\n\treturn x;\n}\nint broken(void) { a = ; }`, 't.c');
    expect(Date.now() - t0).toBeLessThan(10000);
    expect(calls(f[0]!).length).toBe(20000);
    expect(f[0]!.parseErrors).toBe(0);
    expect(f[1]!.parseErrors).toBeGreaterThan(0);
  });

  it('parseC keeps both texts, the tree, and can release the tree', () => {
    const src = 'static DEFINE_MUTEX(m);\nvoid f(void) { mutex_lock(&m); }\n';
    const p = parseC(src, 'a.c');
    expect(p.original).toBe(src);
    expect(p.text.length).toBe(src.length);
    expect(p.globals[0]).toMatchObject({ name: 'm', type: 'struct mutex' });
    expect(lowerFile(p).map((f) => f.name)).toEqual(['f']);
    releaseParsed(p);
    expect(p.tree).toBeNull();
    expect(lowerFile(p)).toEqual([]);
  });
});
