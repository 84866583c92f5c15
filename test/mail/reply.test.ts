import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractReviewComments } from '../../src/mail/reply.js';

const SEED = '/work/shared/seed/000_4a6824e4c53be9c0.txt';

describe('extractReviewComments', () => {
  it('reads the seed reply as two comments under the quoted comment block', () => {
    const comments = extractReviewComments(readFileSync(SEED, 'utf8'));
    expect(comments).toHaveLength(2);
    for (const c of comments) {
      expect(c.file).toBe('drivers/iommu/iommu.c');
      expect(c.hunkHeader).toBe('@@ -627,6 +627,19 @@ static struct iommu_domain *pasid_array_entry_to_domain(void *entry)');
      expect(c.quoted[c.quoted.length - 1]).toBe('+\t */');
      expect(c.quoted).toContain('+static void __iommu_group_empty_assert_owner_cnt(struct iommu_group *group)');
      expect(c.quoted.some((l) => l.includes('WARN_ON'))).toBe(false);
    }
    expect(comments[0].text).toMatch(/^Nit: this comment doesn't quite match the following code\./);
    expect(comments[0].text).toMatch(/group->default_domain must be NULL\?$/);
    expect(comments[1].text).toMatch(/^Furthermore, if a device is currently quarantined/);
    expect(comments[1].text).toMatch(/will this WARN_ON trigger\nunnecessarily\?$/);
    expect(comments.map((c) => c.text).join('\n')).not.toMatch(/Thanks|baolu|More information/);
  });
});

describe('extractReviewComments on mail replies', () => {
  const reply = [
    'Hi Ada,',
    '',
    'On Tue, Apr 14, 2026 at 10:00:00AM +0000, Ada Example wrote:',
    '> The list needs the lock.',
    '>',
    '> Signed-off-by: Ada Example <ada@example.org>',
    '> ---',
    '>  demo/demo.c | 3 +++',
    '>',
    '> diff --git a/demo/demo.c b/demo/demo.c',
    '> index 1111111..2222222 100644',
    '> --- a/demo/demo.c',
    '> +++ b/demo/demo.c',
    '> @@ -10,7 +10,10 @@ static void demo_add(struct demo *demo, struct item *it)',
    '>  {',
    '>  \tif (!it)',
    '>  \t\treturn;',
    '> +\tmutex_lock(&demo->lock);',
    '',
    'Why not guard(mutex)? Something like:',
    '',
    '\tguard(mutex)(&demo->lock);',
    '',
    '>  \tlist_add(&it->node, &demo->items);',
    '> +\tmutex_unlock(&demo->lock);',
    '',
    '[...]',
    '',
    '> @@ -40,3 +43,4 @@ static void demo_del(struct demo *demo, struct item *it)',
    '>  \tlist_del(&it->node);',
    '> +\tkfree(it);',
    '',
    'Use after free: the caller still uses it.',
    '',
    '> > older discussion quoted twice',
    '',
    'And this one has no diff context.',
    '',
    'With that fixed:',
    'Reviewed-by: Bo Reviewer <bo@example.org>',
    '',
    'Reviewed-by: Bo Reviewer <bo@example.org>',
    '',
    'Cheers,',
    'Bo',
    '-- ',
    'Bo Reviewer, Example Corp',
    '',
  ].join('\n');

  it('gives each comment its own quoted lines, file and hunk; skips greeting, trims, trailers and sign-off', () => {
    const c = extractReviewComments(reply);
    expect(c.map((x) => x.text)).toEqual([
      'Why not guard(mutex)? Something like:\n\n\tguard(mutex)(&demo->lock);',
      'Use after free: the caller still uses it.',
      'And this one has no diff context.',
      'With that fixed:\nReviewed-by: Bo Reviewer <bo@example.org>',
    ]);
    expect(c[0]).toMatchObject({
      file: 'demo/demo.c',
      hunkHeader: '@@ -10,7 +10,10 @@ static void demo_add(struct demo *demo, struct item *it)',
      quoted: [' {', ' \tif (!it)', ' \t\treturn;', '+\tmutex_lock(&demo->lock);'],
    });
    expect(c[1]).toMatchObject({
      file: 'demo/demo.c',
      hunkHeader: '@@ -40,3 +43,4 @@ static void demo_del(struct demo *demo, struct item *it)',
      quoted: [' \tlist_del(&it->node);', '+\tkfree(it);'],
    });
    expect(c[2].quoted).toEqual(['> older discussion quoted twice']);
  });

  it('finds nothing in a reply with no quote and in an empty body', () => {
    expect(extractReviewComments('Applied, thanks.\n')).toEqual([]);
    expect(extractReviewComments('')).toEqual([]);
  });
});
