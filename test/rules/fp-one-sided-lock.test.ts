/**
 * Modelled on rdtgroup_kn_lock_live(): it returns NULL before taking the
 * lock (no group) and also after taking it (the group was deleted while it
 * waited), and the group, with the lock held, otherwise. A caller that
 * tests the result and bails out on NULL holds the lock after the test.
 * Before, it was "maybe held" there, and every assert of the lock below was
 * reported (36 findings in fs/resctrl in the whole-tree run).
 */
import { describe, expect, it } from 'vitest';
import { lint } from './helpers.js';

const LIVE = `
struct mutex { int x; };
struct rdtgroup { int flags; int mode; };
struct kn { struct rdtgroup *priv; };

static DEFINE_MUTEX(rdtgroup_mutex);

static struct rdtgroup *kn_to_rdtgroup(struct kn *kn)
{
	return kn->priv;
}

struct rdtgroup *rdt_kn_lock_live(struct kn *kn)
{
	struct rdtgroup *rdtgrp = kn_to_rdtgroup(kn);

	if (!rdtgrp)
		return NULL;
	mutex_lock(&rdtgroup_mutex);
	if (rdtgrp->flags & 1)
		return NULL;
	return rdtgrp;
}

void rdt_kn_unlock(struct kn *kn)
{
	struct rdtgroup *rdtgrp = kn_to_rdtgroup(kn);

	if (!rdtgrp)
		return;
	mutex_unlock(&rdtgroup_mutex);
}

void rdt_last_cmd_clear(void)
{
	lockdep_assert_held(&rdtgroup_mutex);
}
`;

const asserts = (src: string) => lint(LIVE + src, { rule: 'assert-held-caller' }).map((f) => [f.function, f.lock]);

describe('a lock function whose non-NULL result means held, and whose NULL says nothing', () => {
  it('after the NULL test, the lock is held', () => {
    expect(
      asserts(`
int schemata_write(struct kn *kn)
{
	struct rdtgroup *rdtgrp;

	rdtgrp = rdt_kn_lock_live(kn);
	if (!rdtgrp) {
		rdt_kn_unlock(kn);
		return -2;
	}
	rdt_last_cmd_clear();
	rdt_kn_unlock(kn);
	return 0;
}
`),
    ).toEqual([]);
  });

  it('on the NULL path it is still not known to be held', () => {
    expect(
      asserts(`
int schemata_show(struct kn *kn)
{
	struct rdtgroup *rdtgrp;

	rdtgrp = rdt_kn_lock_live(kn);
	if (!rdtgrp) {
		rdt_last_cmd_clear();
		rdt_kn_unlock(kn);
		return -2;
	}
	rdt_kn_unlock(kn);
	return 0;
}
`),
    ).toEqual([['schemata_show', 'rdtgroup_mutex']]);
  });
});
