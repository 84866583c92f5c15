import { describe, expect, it } from 'vitest';
import { lint, PRELUDE } from './helpers.js';

const rule = 'double-lock';

describe('double-lock', () => {
  it('finds a lock taken twice, and one taken again by a callee', () => {
    const f = lint(PRELUDE + `
static void grp_touch(struct grp *g)
{
	mutex_lock(&g->mutex);
	g->count++;
	mutex_unlock(&g->mutex);
}
void twice(struct grp *g)
{
	mutex_lock(&g->mutex);
	mutex_lock(&g->mutex);
	mutex_unlock(&g->mutex);
}
void via_callee(struct item *it)
{
	mutex_lock(&it->grp->mutex);
	grp_touch(it->grp);
	mutex_unlock(&it->grp->mutex);
}
`, { rule });
    expect(f.map((x) => [x.function, x.lock])).toEqual([
      ['twice', 'g->mutex'],
      ['via_callee', 'it->grp->mutex'],
    ]);
    expect(f[1]!.message).toMatch(/through grp_touch\(it->grp\)/);
  });

  it('does not report a lock dropped and retaken, a trylock, a _nested lock, or a guard whose scope ended', () => {
    expect(lint(PRELUDE + `
void retake(struct grp *g)
{
	mutex_lock(&g->mutex);
	mutex_unlock(&g->mutex);
	mutex_lock(&g->mutex);
	mutex_unlock(&g->mutex);
}
void try_again(struct grp *g)
{
	mutex_lock(&g->mutex);
	if (mutex_trylock(&g->mutex))
		mutex_unlock(&g->mutex);
	mutex_unlock(&g->mutex);
}
void nested(struct grp *a, struct grp *b)
{
	mutex_lock(&a->mutex);
	mutex_lock_nested(&b->mutex, 1);
	mutex_unlock(&b->mutex);
	mutex_unlock(&a->mutex);
}
void scoped(struct grp *g)
{
	{
		guard(mutex)(&g->mutex);
		g->count++;
	}
	mutex_lock(&g->mutex);
	mutex_unlock(&g->mutex);
}
`, { rule })).toEqual([]);
  });

  it('does not confuse a spinlock and a mutex of the same name in different structs', () => {
    expect(lint(`
struct mutex { int x; };
struct spinlock { int x; };
struct a { struct mutex lock; };
struct b { struct spinlock lock; };
static void b_poke(struct b *q)
{
	spin_lock(&q->lock);
	spin_unlock(&q->lock);
}
void both(struct a *p, struct b *q)
{
	mutex_lock(&p->lock);
	b_poke(q);
	spin_lock(&q->lock);
	spin_unlock(&q->lock);
	mutex_unlock(&p->lock);
}
`, { rule })).toEqual([]);
  });

  it('finds a guard() taken while the same mutex is held', () => {
    const f = lint(PRELUDE + `
void g2(struct grp *g)
{
	mutex_lock(&g->mutex);
	{
		guard(mutex)(&g->mutex);
		g->count++;
	}
	mutex_unlock(&g->mutex);
}
`, { rule });
    expect(f.map((x) => x.function)).toEqual(['g2']);
  });
});

describe('double-lock through a lock passed by pointer', () => {
  it('maps a callee taking `struct mutex *m` onto the caller\'s &g->mutex', () => {
    const f = lint(PRELUDE + `
static void take(struct mutex *m)
{
	mutex_lock(m);
}
void caller(struct grp *g)
{
	mutex_lock(&g->mutex);
	take(&g->mutex);
	mutex_unlock(&g->mutex);
}
`, { rule: 'double-lock' });
    expect(f.map((x) => [x.function, x.lock])).toEqual([['caller', 'g->mutex']]);
  });
});

describe('double-lock and sparse annotations', () => {
  it('reads __acquires(x) __releases(x) together as "takes and drops x", not as held on entry', () => {
    expect(lint(PRELUDE + `
void rx(struct grp *g)
__acquires(&g->mutex) __releases(&g->mutex)
{
	mutex_lock(&g->mutex);
	g->count++;
	mutex_unlock(&g->mutex);
}
`, { rule: 'double-lock' })).toEqual([]);
  });
});

describe('double-lock: static locks of the same name in two files', () => {
  const other = `
struct spinlock { int x; };
static DEFINE_SPINLOCK(pool_lock);
void pool_put(void *p)
{
	spin_lock(&pool_lock);
	spin_unlock(&pool_lock);
}
`;
  const mine = (decl: string) => `
struct spinlock { int x; };
${decl}
void pool_put(void *p);
void deregister(void *p)
{
	spin_lock(&pool_lock);
	pool_put(p);
	spin_unlock(&pool_lock);
}
`;

  it('are two locks: no finding', () => {
    const f = lint({ 'drivers/a/pri.c': mine('static DEFINE_SPINLOCK(pool_lock);'), 'lib/pool.c': other }, { rule: 'double-lock' });
    expect(f).toEqual([]);
  });

  it('one lock shared through a header is still one lock', () => {
    const shared = `
struct spinlock { int x; };
extern spinlock_t pool_lock;
void pool_put(void *p)
{
	spin_lock(&pool_lock);
	spin_unlock(&pool_lock);
}
`;
    const f = lint({ 'drivers/a/pri.c': mine('extern spinlock_t pool_lock;'), 'lib/pool.c': shared }, { rule: 'double-lock' });
    expect(f.map((x) => x.function)).toEqual(['deregister']);
  });
});
