/**
 * A lock taken together with setting its object's pointer, and used under a
 * test of that pointer (fs/btrfs/ctree.c balance_level(): `left = NULL;
 * if (pslot) { left = read(...); lock(left); } ... if (left) push(left);`).
 * On the paths where the pointer is NULL the lock does not exist, so under
 * `if (left)` it is held for sure.
 */
import { describe, expect, it } from 'vitest';
import { lint, PRELUDE } from './helpers.js';

const NODE = PRELUDE + `
struct node { struct mutex lock; int n; };
struct node *read_slot(struct grp *g, int slot);
static void push_left(struct node *dst)
{
	lockdep_assert_held(&dst->lock);
	dst->n++;
}
`;

describe('a lock whose pointer is NULL on the paths that did not take it', () => {
  it('is held for sure under a test of the pointer (valid)', () => {
    const f = lint(NODE + `
int balance(struct grp *g, int slot)
{
	struct node *left = NULL;

	if (slot) {
		left = read_slot(g, slot - 1);
		if (!left)
			return -1;
		mutex_lock(&left->lock);
	}
	g->count++;
	if (left) {
		push_left(left);
		mutex_unlock(&left->lock);
	}
	return 0;
}
`);
    expect(f.map((x) => `${x.rule} ${x.message}`)).toEqual([]);
  });

  it('is still reported when a path with the pointer set did not take it (invalid)', () => {
    const f = lint(NODE + `
int balance(struct grp *g, int slot)
{
	struct node *left = NULL;

	if (slot) {
		left = read_slot(g, slot - 1);
		if (!left)
			return -1;
		if (slot > 4)
			mutex_lock(&left->lock);
	}
	if (left)
		push_left(left);
	if (left && slot > 4)
		mutex_unlock(&left->lock);
	return 0;
}
`, { rule: 'assert-held-caller' });
    expect(f.map((x) => [x.function, x.lock])).toEqual([['balance', 'left->lock']]);
    expect(f[0]!.message).toMatch(/not held on every path/);
  });

  it('is not held on the NULL edge: no imbalance between a NULL path and an unlocking one (valid)', () => {
    const f = lint(NODE + `
int drop(struct grp *g, int slot)
{
	struct node *left = NULL;

	if (slot) {
		left = read_slot(g, slot);
		if (!left)
			return -1;
		mutex_lock(&left->lock);
	}
	if (!left)
		return 1;
	left->n++;
	mutex_unlock(&left->lock);
	return 0;
}
`, { rule: 'lock-imbalance' });
    expect(f).toEqual([]);
  });
});
