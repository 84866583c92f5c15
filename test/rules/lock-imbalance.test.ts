import { describe, expect, it } from 'vitest';
import { lint, PRELUDE } from './helpers.js';

const rule = 'lock-imbalance';

describe('lock-imbalance', () => {
  it('finds an error path that returns with the lock held', () => {
    const f = lint(PRELUDE + `
int grp_update(struct grp *g, int v)
{
	mutex_lock(&g->mutex);
	if (v < 0)
		return -22;
	g->count = v;
	mutex_unlock(&g->mutex);
	return 0;
}
`, { rule });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ function: 'grp_update', lock: 'g->mutex', line: 18 });
    expect(f[0]!.message).toMatch(/returns here with g->mutex held/);
  });

  it('does not report goto error paths that drop the lock, nor a trylock that failed', () => {
    expect(lint(PRELUDE + `
int grp_update(struct grp *g, int v)
{
	int ret = 0;

	mutex_lock(&g->mutex);
	if (v < 0) {
		ret = -22;
		goto out_unlock;
	}
	if (v > 100) {
		ret = -34;
		goto out_unlock;
	}
	g->count = v;
out_unlock:
	mutex_unlock(&g->mutex);
	return ret;
}
int grp_try(struct grp *g)
{
	if (!mutex_trylock(&g->mutex))
		return -16;
	g->count++;
	mutex_unlock(&g->mutex);
	return 0;
}
int grp_scoped(struct grp *g, int v)
{
	guard(mutex)(&g->mutex);
	if (v < 0)
		return -22;
	g->count = v;
	return 0;
}
`, { rule })).toEqual([]);
  });

  it('does not report helpers that take the lock for their caller, or annotated functions', () => {
    expect(lint(PRELUDE + `
void grp_enter(struct grp *g)
{
	mutex_lock(&g->mutex);
}
int grp_maybe_enter(struct grp *g, int v) __acquires(&g->mutex)
{
	if (!v)
		return 0;
	mutex_lock(&g->mutex);
	return 1;
}
`, { rule })).toEqual([]);
  });

  it('reports "returns 0 with the lock held" as info, and does not blame its caller', () => {
    const f = lint(PRELUDE + `
int grp_take_all(struct grp *g)
{
	int rc;

	mutex_lock(&g->mutex);
	rc = grp_prepare(g);
	if (rc) {
		mutex_unlock(&g->mutex);
		return rc;
	}
	return 0;
}
int grp_user(struct grp *g)
{
	int rc = grp_take_all(g);

	if (rc)
		return rc;
	g->count++;
	mutex_unlock(&g->mutex);
	return 0;
}
`, { rule });
    expect(f.map((x) => [x.function, x.severity])).toEqual([['grp_take_all', 'info']]);
    expect(f[0]!.message).toMatch(/__cond_acquires/);
  });

  it('reports "returns true with the lock held" as info too (drm_master_internal_acquire)', () => {
    const take = (busy: string) => `
bool grp_try_take(struct grp *g)
{
	mutex_lock(&g->mutex);
	if (g->count) {
		mutex_unlock(&g->mutex);
		return ${busy};
	}
	return true;
}
`;
    const f = lint(PRELUDE + take('false'), { rule });
    expect(f.map((x) => [x.function, x.severity])).toEqual([['grp_try_take', 'info']]);
    expect(f[0]!.message).toMatch(/returns true only with the lock held/);
    // Both returns say "true": no convention tells the caller which one holds the lock.
    const g = lint(PRELUDE + take('true'), { rule });
    expect(g.map((x) => [x.function, x.severity])).toEqual([['grp_try_take', 'warning']]);
  });
});

describe('lock-imbalance through accessor calls', () => {
  const ACCESSOR = `
struct mutex { int x; };
struct wiphy { struct mutex mtx; };
struct hw { struct wiphy *wiphy; };
struct radio { struct hw *hw; int busy; };
static inline void wiphy_lock(struct wiphy *w) { mutex_lock(&w->mtx); }
static inline void wiphy_unlock(struct wiphy *w) { mutex_unlock(&w->mtx); }
struct hw *radio_to_hw(struct radio *r);
int radio_wait(struct radio *r);
`;

  it('sees one lock in wiphy_lock(to_hw(r)->wiphy) and wiphy_unlock(to_hw(r)->wiphy)', () => {
    expect(lint(ACCESSOR + `
int radio_suspend(struct radio *r)
{
	int ret;

	wiphy_lock(radio_to_hw(r)->wiphy);
	ret = radio_wait(r);
	if (ret) {
		wiphy_unlock(radio_to_hw(r)->wiphy);
		return ret;
	}
	wiphy_unlock(radio_to_hw(r)->wiphy);
	return 0;
}
`, { rule })).toEqual([]);
  });

  it('still finds the path that forgets the unlock', () => {
    const f = lint(ACCESSOR + `
int radio_suspend(struct radio *r)
{
	int ret;

	wiphy_lock(radio_to_hw(r)->wiphy);
	ret = radio_wait(r);
	if (ret)
		return ret;
	wiphy_unlock(radio_to_hw(r)->wiphy);
	return 0;
}
`, { rule });
    expect(f).toHaveLength(1);
    expect(f[0]!.function).toBe('radio_suspend');
  });
});

describe('lock-imbalance when the locked object is handed over', () => {
  const LEAF = PRELUDE + `
struct leaf { struct mutex lock; int n; };
struct path { struct leaf *nodes[8]; int slots[8]; };
struct leaf *read_leaf(struct path *p, int slot);
`;

  it('does not report a function that stores the locked object where its caller finds it (valid)', () => {
    const f = lint(LEAF + `
int push_right(struct path *p, int slot)
{
	struct leaf *right = read_leaf(p, slot + 1);

	if (!right)
		return 1;
	mutex_lock(&right->lock);
	if (right->n > 4) {
		mutex_unlock(&right->lock);
		return 1;
	}
	p->nodes[0] = right;
	return 0;
}
`, { rule });
    expect(f).toEqual([]);
  });

  it('still reports one that keeps the object to itself (invalid)', () => {
    const f = lint(LEAF + `
int push_right(struct path *p, int slot)
{
	struct leaf *right = read_leaf(p, slot + 1);
	struct leaf *mine;

	if (!right)
		return 1;
	mutex_lock(&right->lock);
	if (right->n > 4) {
		mutex_unlock(&right->lock);
		return 1;
	}
	mine = right;
	mine->n++;
	return 0;
}
`, { rule });
    expect(f.map((x) => [x.function, x.lock])).toEqual([['push_right', 'right->lock']]);
  });
});
