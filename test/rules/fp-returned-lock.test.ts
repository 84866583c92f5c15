/**
 * A function that takes a lock and returns a pointer to it, as mm's
 * pmd_lock() and pmd_trans_huge_lock() do: the caller releases it through
 * the pointer it got back (`spin_unlock(ptl)`), a name the callee's
 * summary does not know. Whole-tree runs gave two lock-imbalance findings
 * per such caller (mm/huge_memory.c, fs/proc/task_mmu.c): "returns with
 * *(ptlock_ptr(...)) held" and "*ptl released, held on entry".
 */
import { describe, expect, it } from 'vitest';
import { lint } from './helpers.js';

const MM = `
struct spinlock { int x; };
struct mm { struct spinlock ptl; };
struct spinlock *pmd_lockptr(struct mm *mm, int *pmd);

static inline struct spinlock *pmd_lock(struct mm *mm, int *pmd)
{
	struct spinlock *ptl = pmd_lockptr(mm, pmd);

	spin_lock(ptl);
	return ptl;
}

struct spinlock *trans_huge_lock(int *pmd, struct mm *mm)
{
	struct spinlock *ptl;

	ptl = pmd_lock(mm, pmd);
	if (*pmd & 1)
		return ptl;
	spin_unlock(ptl);
	return NULL;
}
`;

const caller = (inside: string) => MM + `
int clear_refs(int *pmd, struct mm *mm)
{
	struct spinlock *ptl;

	ptl = trans_huge_lock(pmd, mm);
	if (ptl) {
${inside}
		*pmd = 0;
		spin_unlock(ptl);
		return 0;
	}
	return 1;
}
`;

describe('a lock released through the pointer the function that took it returned', () => {
  it('is the lock the callee took: no imbalance in the helpers or the caller', () => {
    expect(lint(caller(''), { rule: 'lock-imbalance' })).toEqual([]);
  });

  it('a path that returns before the unlock is still reported, once', () => {
    const f = lint(caller('\t\tif (*pmd == 2)\n\t\t\treturn 2;'), { rule: 'lock-imbalance' });
    expect(f.map((x) => x.function)).toEqual(['clear_refs']);
    expect(f[0]!.message).toMatch(/returns here with .* held, but releases it on other paths/);
  });

  it('kept in a field (`vmf->ptl = pmd_lock(...)`), released through the field', () => {
    const src = MM + `
struct fault { struct spinlock *ptl; int *pmd; struct mm *mm; };
int huge_fault(struct fault *vmf)
{
	vmf->ptl = pmd_lock(vmf->mm, vmf->pmd);
	if (*vmf->pmd) {
		spin_unlock(vmf->ptl);
		return 1;
	}
	*vmf->pmd = 1;
	spin_unlock(vmf->ptl);
	return 0;
}
`;
    expect(lint(src, { rule: 'lock-imbalance' })).toEqual([]);
  });

  it('the pointer overwritten before the unlock names another lock', () => {
    const f = lint(caller('\t\tptl = pmd_lockptr(mm, pmd);'), { rule: 'lock-imbalance' });
    expect(f.map((x) => x.function)).toContain('clear_refs');
  });
});
