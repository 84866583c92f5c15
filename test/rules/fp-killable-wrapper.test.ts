/**
 * Modelled on mmap_write_lock_killable(): the wrapper tests the result of
 * down_write_killable() itself and then returns it. Its callers
 * (`if (mmap_write_lock_killable(mm)) return -EINTR;`) hold the lock on the
 * zero path; before, the wrapper's summary said "maybe held" with no
 * condition, and every later assert of mmap_lock was reported (43 findings
 * through mmap_write_unlock() in the whole-tree run).
 */
import { describe, expect, it } from 'vitest';
import { lint } from './helpers.js';

const MM = `
struct rw_semaphore { int x; };
struct mm { struct rw_semaphore mmap_lock; int seq; int map; };

static inline int mm_wlock_killable(struct mm *mm)
{
	int ret;

	ret = down_write_killable(&mm->mmap_lock);
	if (!ret)
		mm->seq++;
	trace_acquire(mm, ret == 0);
	return ret;
}

static inline void mm_wunlock(struct mm *mm)
{
	lockdep_assert_held_write(&mm->mmap_lock);
	up_write(&mm->mmap_lock);
}
`;

describe('a lock wrapper that tests its own result and returns it', () => {
  it('holds the lock on the path where the result says so', () => {
    const f = lint(MM + `
int setup_pages(struct mm *mm)
{
	if (mm_wlock_killable(mm))
		return -4;
	mm->map = 1;
	mm_wunlock(mm);
	return 0;
}
`);
    expect(f.filter((x) => x.rule === 'assert-held-caller' || x.rule === 'lock-imbalance')).toEqual([]);
  });

  it('ignoring the result still leaves the lock maybe held', () => {
    const f = lint(MM + `
int setup_pages(struct mm *mm)
{
	mm_wlock_killable(mm);
	mm->map = 1;
	mm_wunlock(mm);
	return 0;
}
`, { rule: 'assert-held-caller' });
    expect(f.map((x) => [x.function, x.lock])).toEqual([['setup_pages', 'mm->mmap_lock']]);
  });
});
