import { describe, expect, test } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareComments, formatComparison } from '../../src/report/compare.js';
import { extractReviewComments } from '../../src/mail/reply.js';
import type { ReviewComment } from '../../src/mail/schema.js';
import { FIXTURES } from './reply-fixture.js';

const c = (quoted: string[], text: string, file: string | null = 'a.c'): ReviewComment => ({ file, hunkHeader: '@@ -1 +1 @@', quoted, text });

const bodyOf = (mail: string) => mail.slice(mail.indexOf('\n\n') + 2);
const HUMAN = bodyOf(readFileSync(join(FIXTURES, 'replies/2026-04-23-re-v3-06-review.eml'), 'utf8'));

/** kreview's words for the two points of 06/11, under the same quote as in its draft. */
const KREVIEW = `On Thu, Apr 16, 2026 at 04:28:06PM -0700, Nora Chen wrote:
> diff --git a/drivers/iommu/iommu.c b/drivers/iommu/iommu.c
> --- a/drivers/iommu/iommu.c
> +++ b/drivers/iommu/iommu.c
> @@ -350,6 +350,19 @@ static void iommu_deinit_device(struct device *dev)
> +static void __iommu_group_empty_assert_owner_cnt(struct iommu_group *group)
> +{
> +	lockdep_assert_held(&group->mutex);
> +	/*
> +	 * If the group has become empty then ownership must have been
> +	 * released, and the current domain must be set back to NULL or
> +	 * the default domain.
> +	 */

Nit: this comment doesn't quite match the code below it: the comment
allows group->domain to be NULL, but WARN_ON() fires when group->domain
is NULL.

Also, once patch 07/11 is applied, this WARN_ON() fires when a
quarantined device is removed as the last device of its group, although
nothing is wrong.

> +	if (list_empty(&group->devices))

[ ... ]

Thanks,
Rev
`;

describe('compare', () => {
  test("both of the human reviewer's points on 06/11 are matched, each with its own", () => {
    const r = compareComments(extractReviewComments(KREVIEW), extractReviewComments(HUMAN));
    expect(r.onlyHuman).toEqual([]);
    expect(r.onlyKreview).toEqual([]);
    expect(r.matched.map((m) => [m.human.text.slice(0, 4), m.kreview.text.slice(0, 4), m.how])).toEqual([
      ['Nit:', 'Nit:', 'anchor'],
      ['Also', 'Also', 'anchor'],
    ]);
    expect(formatComparison(r)).toContain('matched: 2\n  drivers/iommu/iommu.c: > +\t */');
  });

  test('a draft with only the first point leaves the second human point unmatched', () => {
    const one = KREVIEW.replace(/\nAlso, once[\s\S]*?nothing is wrong\.\n/, '');
    const r = compareComments(extractReviewComments(one), extractReviewComments(HUMAN));
    expect(r.matched).toHaveLength(1);
    expect(r.onlyHuman.map((h) => h.text.slice(0, 5))).toEqual(['Also,']);
  });

  test('quotes re-indented by a mailer still match; another file does not', () => {
    const k = c(['+\tif (x)', '+\t\tWARN_ON(y);'], 'WARN_ON fires here');
    expect(compareComments([k], [c(['+ if (x)', '+    WARN_ON(y);'], 'can this WARN_ON fire?')]).matched).toHaveLength(1);
    expect(compareComments([k], [c(['+\t\tWARN_ON(y);'], 'x', 'b.c')]).matched).toHaveLength(0);
  });

  test('overlapping quotes match when the last lines differ; trivial lines do not count', () => {
    const k = c(['+\tmutex_lock(&group->mutex);', '+\tcancel_work_sync(&gdev->work);'], 'deadlock');
    const h = c(['+\tcancel_work_sync(&gdev->work);', '+\tmutex_unlock(&group->mutex);'], 'deadlock?');
    expect(compareComments([k], [h]).matched.map((m) => m.how)).toEqual(['overlap']);
    expect(compareComments([c(['+}', '+'], 'a')], [c(['+}', '+', '+x = 1;'], 'b')]).matched).toHaveLength(0);
  });

  const seed = join(import.meta.dirname, '../../../shared/seed/000_4a6824e4c53be9c0.txt');
  test.skipIf(!existsSync(seed))('the seed reply from the list archive (../shared beside the clone)', () => {
    const human = extractReviewComments(readFileSync(seed, 'utf8'));
    expect(human).toHaveLength(2);
    const r = compareComments(extractReviewComments(KREVIEW), human);
    expect(r.onlyHuman).toEqual([]);
  });
});
