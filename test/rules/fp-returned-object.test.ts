/**
 * A helper that locks an object of its argument and returns it
 * (`tl = ctx_timeline_lock(ce)` returns `ce->timeline` with its mutex held,
 * or an ERR_PTR without it); the caller unlocks through the returned
 * pointer. The returned local names the argument's object.
 */
import { describe, expect, it } from 'vitest';
import { lint } from './helpers.js';
import { extractFunctions } from '../../src/parse/c/api.js';
import { exprText, returnedPath } from '../../src/rules/lockpath.js';

const HELPER = `
struct mutex { int x; };
struct timeline { struct mutex mutex; int seq; };
struct ctx { struct timeline *timeline; int flags; };
static inline struct timeline *ctx_timeline_lock(struct ctx *ce)
{
	struct timeline *tl = ce->timeline;
	int err;

	err = mutex_lock_interruptible(&tl->mutex);
	if (err)
		return ERR_PTR(err);
	return tl;
}
static inline void ctx_timeline_unlock(struct timeline *tl)
{
	mutex_unlock(&tl->mutex);
}
void ctx_enter(struct ctx *ce);
`;

describe('locks held through a returned object', () => {
  it('matches the unlock through the returned pointer with the lock of the argument', () => {
    const f = lint(HELPER + `
int pin(struct ctx *ce, int wait)
{
	struct timeline *tl;

	tl = ctx_timeline_lock(ce);
	if (IS_ERR(tl))
		return PTR_ERR(tl);
	ctx_enter(ce);
	ctx_timeline_unlock(tl);
	if (wait) {
		mutex_lock(&ce->timeline->mutex);
		ce->flags = 0;
		mutex_unlock(&ce->timeline->mutex);
		return -4;
	}
	return 0;
}
`, { rule: 'lock-imbalance' });
    expect(f).toEqual([]);
  });

  it('reports a path that keeps the returned object locked', () => {
    // Unconditional here: the dataflow does not split a maybe-held lock on IS_ERR().
    const f = lint(HELPER + `
static struct timeline *ctx_timeline_get_locked(struct ctx *ce)
{
	struct timeline *tl = ce->timeline;

	mutex_lock(&tl->mutex);
	return tl;
}
int pin2(struct ctx *ce, int wait)
{
	struct timeline *tl = ctx_timeline_get_locked(ce);

	if (wait)
		return -4;
	tl->seq++;
	ctx_timeline_unlock(tl);
	return 0;
}
`, { rule: 'lock-imbalance' });
    expect(f.map((x) => x.message)).toEqual([expect.stringMatching(/^pin2\(\) returns here with ce->timeline->mutex held, but releases it/)]);
  });

  it('knows which object a helper returns, and when it returns several', () => {
    const fns = extractFunctions(HELPER + `
static struct timeline *pick(struct ctx *ce, struct ctx *other)
{
	if (ce->flags)
		return other->timeline;
	return ce->timeline;
}
static struct timeline *first(struct ctx *ce)
{
	if (!ce)
		return NULL;
	return ce->timeline;
}
`, 't.c');
    const by = (n: string) => fns.find((f) => f.name === n)!;
    expect(exprText(returnedPath(by('ctx_timeline_lock'))!)).toBe('ce->timeline');
    expect(exprText(returnedPath(by('first'))!)).toBe('ce->timeline');
    expect(returnedPath(by('pick'))).toBeNull();
  });
});
