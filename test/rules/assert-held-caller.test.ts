import { describe, expect, it } from 'vitest';
import { lint, PRELUDE } from './helpers.js';

const rule = 'assert-held-caller';
const ASSERTS = `
static void grp_set(struct grp *g, int v)
{
	lockdep_assert_held(&g->mutex);
	g->count = v;
}
`;

describe('assert-held-caller', () => {
  it('finds a call made after the lock was released', () => {
    const f = lint(PRELUDE + ASSERTS + `
void after_unlock(struct grp *g)
{
	mutex_lock(&g->mutex);
	g->count++;
	mutex_unlock(&g->mutex);
	grp_set(g, 1);
}
`, { rule });
    expect(f.map((x) => [x.function, x.lock])).toEqual([['after_unlock', 'g->mutex']]);
    expect(f[0]!.message).toMatch(/grp_set\(\) asserts g->mutex is held .*released before this call/);
    expect(f[0]!.related[0]!.message).toMatch(/lockdep_assert_held/);
  });

  it('does not report a call on an iterator or looked-up object the function never locks (its caller may hold it)', () => {
    const f = lint(PRELUDE + ASSERTS + `
struct grp *grp_find(int id);
void lookup(int id)
{
	struct grp *g = grp_find(id);

	grp_set(g, 2);
}
`, { rule });
    expect(f).toEqual([]);
  });

  it('does not report when every caller holds the lock, when a helper takes it, or inside guard()', () => {
    expect(lint(PRELUDE + ASSERTS + `
static void grp_lock(struct grp *g)
{
	mutex_lock(&g->mutex);
}
void locked(struct grp *g)
{
	mutex_lock(&g->mutex);
	grp_set(g, 1);
	mutex_unlock(&g->mutex);
}
void via_helper(struct grp *g)
{
	grp_lock(g);
	grp_set(g, 2);
	mutex_unlock(&g->mutex);
}
void guarded(struct item *it)
{
	guard(mutex)(&it->grp->mutex);
	grp_set(it->grp, 3);
}
void passes_on(struct grp *g)
{
	grp_set(g, 4);
}
int cond_scoped(struct grp *g)
{
	scoped_cond_guard(mutex_intr, return -4, &g->mutex) {
		grp_set(g, 7);
	}
	scoped_guard(mutex, &g->mutex)
		grp_set(g, 8);
	return 0;
}
`, { rule })).toEqual([]);
  });

  it('finds a call after a guard() scope ended', () => {
    const f = lint(PRELUDE + ASSERTS + `
void scope_over(struct grp *g)
{
	{
		guard(mutex)(&g->mutex);
		g->count++;
	}
	grp_set(g, 5);
}
`, { rule });
    expect(f.map((x) => x.function)).toEqual(['scope_over']);
  });

  it('follows the requirement up through a caller that does not take the lock', () => {
    const f = lint(PRELUDE + ASSERTS + `
static void middle(struct grp *g)
{
	grp_set(g, 6);
}
void top(struct grp *g)
{
	mutex_lock(&g->mutex);
	mutex_unlock(&g->mutex);
	middle(g);
}
`, { rule });
    expect(f.map((x) => x.function)).toEqual(['top']);
    expect(f[0]!.message).toMatch(/through middle\(\)/);
  });

  it('knows configured assert wrappers (iommu_group_mutex_assert by default)', () => {
    const src = `
struct mutex { int x; };
struct iommu_group { struct mutex mutex; };
struct device { struct iommu_group *iommu_group; };
static void drv_attach(struct device *dev)
{
	iommu_group_mutex_assert(dev);
}
void bad(struct device *dev)
{
	mutex_lock(&dev->iommu_group->mutex);
	mutex_unlock(&dev->iommu_group->mutex);
	drv_attach(dev);
}
void good(struct device *dev)
{
	mutex_lock(&dev->iommu_group->mutex);
	drv_attach(dev);
	mutex_unlock(&dev->iommu_group->mutex);
}
static void other_assert(struct device *dev)
{
	my_assert(dev);
}
void bad2(struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;

	mutex_lock(&group->mutex);
	mutex_unlock(&group->mutex);
	other_assert(dev);
}
`;
    expect(lint(src, { rule }).map((x) => x.function)).toEqual(['bad']);
    expect(lint(src, { rule, config: { assertWrappers: { my_assert: { lock: 'd->iommu_group->mutex' } } } }).map((x) => x.function)).toEqual(['bad', 'bad2']);
  });
});

describe('assert-held-caller: what moves up to the callers', () => {
  const SETTER = PRELUDE + `
static void grp_set(struct grp *g, int v)
{
	lockdep_assert_held(&g->mutex);
	g->count = v;
}
`;

  it('a lock the callee takes itself on some paths is not asked of its callers', () => {
    // Modelled on slub's alloc_single_from_new_slab(): trylock or lock depending on a flag the dataflow cannot correlate.
    expect(lint(SETTER + `
static int grp_update(struct grp *g, int spin)
{
	if (!spin && !mutex_trylock(&g->mutex))
		return -1;
	else if (spin)
		mutex_lock(&g->mutex);
	grp_set(g, 1);
	mutex_unlock(&g->mutex);
	return 0;
}
void grp_user(struct grp *g)
{
	mutex_lock(&g->mutex);
	g->count = 0;
	mutex_unlock(&g->mutex);
	grp_update(g, g->count);
}
`, { rule }).map((x) => x.function)).not.toContain('grp_user');
  });

  it('a lock the callee leaves to its caller is asked of it', () => {
    const f = lint(SETTER + `
static void grp_update(struct grp *g)
{
	grp_set(g, 1);
}
void grp_user(struct grp *g)
{
	mutex_lock(&g->mutex);
	mutex_unlock(&g->mutex);
	grp_update(g);
}
`, { rule });
    expect(f.map((x) => x.function)).toEqual(['grp_user']);
  });
});

describe('assert-held-caller: a wrapper that returns the lock primitive\'s result', () => {
  const WRAP = PRELUDE + `
static void grp_set(struct grp *g, int v)
{
	lockdep_assert_held(&g->mutex);
	g->count = v;
}
static int grp_lock_intr(struct grp *g)
{
	return mutex_lock_interruptible(&g->mutex);
}
`;

  it('a caller that tests the result holds the lock on the path that goes on', () => {
    expect(lint(WRAP + `
int grp_bump(struct grp *g)
{
	if (grp_lock_intr(g))
		return -EINTR;
	grp_set(g, 1);
	mutex_unlock(&g->mutex);
	return 0;
}
`)).toEqual([]);
  });

  it('a caller that ignores the result may not hold it', () => {
    const f = lint(WRAP + `
void grp_bump(struct grp *g)
{
	grp_lock_intr(g);
	grp_set(g, 1);
	mutex_unlock(&g->mutex);
}
`, { rule });
    expect(f.map((x) => [x.function, x.message.replace(/^.*, but /, '')])).toEqual([['grp_bump', 'g->mutex is not held on every path to this call']]);
  });
});

/** Modelled on RCU's nocb lock: taken only if the rdp is offloaded, and asserted under the same test. */
const NOCB = (assert: string) => `
struct raw_spinlock { int x; };
struct rdp { struct raw_spinlock nocb_lock; int offloaded; int n; };

static void cblist_protected(struct rdp *rdp)
{
${assert}
}

static void advance(struct rdp *rdp)
{
	cblist_protected(rdp);
	rdp->n++;
}

void call_core(struct rdp *rdp)
{
	if (rdp->offloaded)
		raw_spin_lock(&rdp->nocb_lock);
	advance(rdp);
	if (rdp->offloaded)
		raw_spin_unlock(&rdp->nocb_lock);
}
`;

describe('assert-held-caller: an assert made under a condition', () => {
  it('is not reported against a lock held on some paths (most often under the same condition)', () => {
    expect(lint(NOCB('\tif (rdp->offloaded)\n\t\tlockdep_assert_held(&rdp->nocb_lock);'), { rule })).toEqual([]);
  });

  it('an unconditional assert still is', () => {
    const f = lint(NOCB('\tlockdep_assert_held(&rdp->nocb_lock);'), { rule });
    expect(f.map((x) => [x.function, x.lock])).toEqual([['call_core', 'rdp->nocb_lock']]);
  });

  it('and a lock released before the call is reported under a condition too', () => {
    const src = NOCB('\tif (rdp->offloaded)\n\t\tlockdep_assert_held(&rdp->nocb_lock);').replace(
      '\tadvance(rdp);\n\tif (rdp->offloaded)\n\t\traw_spin_unlock(&rdp->nocb_lock);',
      '\traw_spin_unlock(&rdp->nocb_lock);\n\tadvance(rdp);',
    );
    const f = lint(src, { rule });
    expect(f.map((x) => x.message.replace(/^.*, but /, ''))).toEqual([expect.stringMatching(/released/)]);
  });
});
