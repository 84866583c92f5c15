import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/report/schema.js';
import { diffLineFor, rightSide, type DiffLines } from '../../src/github/diff-lines.js';
import { commentText, markedIds, marker, planReview, postReview } from '../../src/github/review.js';
import { createClient } from '../../src/github/client.js';
import { startFakeGithub, type FakeGithub } from './server.js';

const PATCH = [
  '@@ -10,4 +10,6 @@ static void f(struct g *g)',
  ' \tmutex_lock(&g->lock);',
  '+\tflush_work(&g->work);',
  '+\tg->n++;',
  ' \tmutex_unlock(&g->lock);',
  '-\told();',
  ' }',
  '@@ -40,2 +42,3 @@',
  ' a',
  '+b',
  ' c',
].join('\n');

function finding(over: Partial<Finding>): Finding {
  return {
    id: 'aaaa000000000001',
    rule: 'sync-under-lock',
    severity: 'error',
    file: 'drivers/x.c',
    line: 11,
    column: 2,
    function: 'f',
    lock: 'g->lock',
    message: 'flush_work(&g->work) waits for g_work(), which takes g->lock, held here',
    patch: { index: 1, total: 1 },
    related: [],
    confirmation: { status: 'confirmed', summary: 'deadlock', trace: [{ thread: 'T0', file: 'drivers/x.c', line: 11, step: 'flush_work(&g->work)' }] },
    ...over,
  };
}

const FILE = ['/* 1 */', ...Array.from({ length: 8 }, (_, i) => `line ${i + 2}`), '\tmutex_lock(&g->lock);', '\tflush_work(&g->work);', '\tg->n++;', '\tmutex_unlock(&g->lock);', '}'];
const lines: DiffLines = new Map([['drivers/x.c', rightSide(PATCH)]]);
const textOf = (file: string, line: number) => (file === 'drivers/x.c' ? FILE[line - 1] ?? null : null);

describe('diff lines', () => {
  it('reads the right side of each hunk: context and added lines, not removed ones', () => {
    expect([...rightSide(PATCH).keys()]).toEqual([10, 11, 12, 13, 14, 42, 43, 44]);
    expect(rightSide(PATCH).get(11)).toBe('\tflush_work(&g->work);');
  });

  it('matches a line by its text, also when the analysed tree is offset from the base', () => {
    expect(diffLineFor(lines, 'drivers/x.c', 11, '\tflush_work(&g->work);')).toBe(11);
    expect(diffLineFor(lines, 'drivers/x.c', 15, '\tflush_work(&g->work);')).toBe(11);
    expect(diffLineFor(lines, 'drivers/x.c', 11, '\tsomething else;')).toBeNull();
    expect(diffLineFor(lines, 'drivers/x.c', 30, null)).toBeNull();
    expect(diffLineFor(lines, 'drivers/y.c', 11, null)).toBeNull();
  });
});

describe('planReview', () => {
  it('comments inline on the finding line, with the witness and the hidden id', () => {
    const f = finding({});
    const plan = planReview([f], lines, textOf, new Set());
    expect(plan.comments).toEqual([{ path: 'drivers/x.c', line: 11, side: 'RIGHT', body: commentText(f, null) }]);
    expect(plan.comments[0]!.body).toContain('```\nT0  drivers/x.c:11: flush_work(&g->work)\n```');
    expect(plan.comments[0]!.body.endsWith(marker(f.id))).toBe(true);
    expect(plan.inline).toEqual([f.id]);
    expect(plan.inBody).toEqual([]);
    expect(plan.body).toBe('**kreview** found 1 issue in this pull request (1 confirmed by the executable model).\n\n1 finding is commented inline.');
  });

  it('falls back to a related line of the diff, then to the review body', () => {
    const viaRelated = finding({
      id: 'bbbb000000000002',
      line: 3,
      function: 'caller',
      related: [
        { file: 'drivers/x.c', line: 5, function: 'caller', message: 'g->lock taken here' },
        { file: 'drivers/x.c', line: 11, function: 'f', message: 'waits here: flush_work(&g->work)' },
      ],
    });
    const outside = finding({ id: 'cccc000000000003', line: 60, severity: 'warning', confirmation: { status: 'unknown', summary: '', trace: [] } });
    const plan = planReview([viaRelated, outside], lines, textOf, new Set());
    expect(plan.comments.map((c) => [c.path, c.line])).toEqual([['drivers/x.c', 11]]);
    expect(plan.comments[0]!.body).toContain('Reported at `drivers/x.c:3` in `caller()`, outside the diff; this line is involved: waits here: flush_work(&g->work).');
    expect(plan.inBody).toEqual([outside.id]);
    expect(plan.body).toContain(`- \`drivers/x.c:60\` **sync-under-lock** (warning, model: unknown): ${outside.message} ${marker(outside.id)}`);
    expect(markedIds(plan.body)).toEqual([outside.id]);
  });

  it('puts the findings of one line in one comment, and skips what was posted before', () => {
    const a = finding({ id: 'aaaa000000000001' });
    const b = finding({ id: 'dddd000000000004', rule: 'double-lock', message: 'other' });
    const both = planReview([a, b], lines, textOf, new Set());
    expect(both.comments).toHaveLength(1);
    expect(markedIds(both.comments[0]!.body)).toEqual([a.id, b.id]);

    const again = planReview([a, b], lines, textOf, new Set([a.id]));
    expect(markedIds(again.comments[0]!.body)).toEqual([b.id]);
    expect(again.alreadyPosted).toEqual([a.id]);
    expect(again.body).toContain('(1 finding already posted in an earlier review is not repeated.)');

    const none = planReview([a, b], lines, textOf, new Set([a.id, b.id]));
    expect(none).toEqual({ body: null, comments: [], inline: [], inBody: [], alreadyPosted: [a.id, b.id] });
    expect(planReview([], lines, textOf, new Set()).body).toBeNull();
  });
});

describe('postReview', () => {
  let gh: FakeGithub;
  const HEAD = '1'.repeat(40);
  beforeAll(async () => {
    gh = await startFakeGithub({
      owner: 'o',
      repo: 'r',
      pulls: [{ number: 4, title: 't', headSha: HEAD, baseSha: '2'.repeat(40), commits: [], files: [{ filename: 'drivers/x.c', status: 'modified', patch: PATCH }] }],
      contents: new Map(),
      maxPerPage: 1,
    });
  });
  afterAll(() => gh?.close());
  const gc = () => createClient({ owner: 'o', repo: 'r', number: 4 }, { apiUrl: gh.url });

  it('posts once, reads earlier comments and reviews through every page, and posts only what is new', async () => {
    const a = finding({ id: 'aaaa000000000001' });
    const out1 = await postReview(gc(), HEAD, [a, finding({ id: 'eeee000000000005', line: 60 })], textOf);
    expect(out1.reviewId).not.toBeNull();
    expect(gh.reviews.get(4)![0]!.commit_id).toBe(HEAD);
    // The one outside the diff is only in the review body; a re-run still sees it there.
    const b = finding({ id: 'ffff000000000006', line: 42, message: 'new one' });
    const textB = (file: string, line: number) => (line === 42 ? 'a' : textOf(file, line));
    const out2 = await postReview(gc(), HEAD, [a, finding({ id: 'eeee000000000005', line: 60 }), b], textB);
    expect(out2.alreadyPosted).toEqual(['aaaa000000000001', 'eeee000000000005']);
    expect(out2.inline).toEqual([b.id]);
    const comments = gh.comments.get(4)!;
    expect(comments.map((c) => [c.line, markedIds(c.body)])).toEqual([
      [11, ['aaaa000000000001']],
      [42, ['ffff000000000006']],
    ]);
    const out3 = await postReview(gc(), HEAD, [a, b], textB);
    expect(out3.reviewId).toBeNull();
    // Two comments and two reviews by then, one per page: the listings followed the Link headers.
    expect(gh.requests.filter((q) => q.path.includes('/pulls/4/comments?per_page=1&page=2'))).toHaveLength(1);
    expect(gh.requests.filter((q) => q.path.includes('/pulls/4/reviews?per_page=1&page=2'))).toHaveLength(1);
    expect(gh.reviews.get(4)).toHaveLength(2);
  });

  it('does not send the review twice when the connection drops while posting', async () => {
    gh.failWith = (q) => (q.method === 'POST' ? { status: 0, drop: true } : null);
    try {
      const before = gh.requests.filter((q) => q.method === 'POST').length;
      await expect(postReview(gc(), HEAD, [finding({ id: '9999000000000009' })], textOf)).rejects.toThrow(
        /^o\/r#4: cannot reach the GitHub API at http:\/\/127\.0\.0\.1:\d+\/api\/v3 while posting the review: /,
      );
      expect(gh.requests.filter((q) => q.method === 'POST').length - before).toBe(1);
    } finally {
      gh.failWith = null;
    }
  });
});
