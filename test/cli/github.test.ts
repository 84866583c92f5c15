/**
 * `kreview github` end to end against the fake GitHub API of
 * test/github/server.ts: the fixture variant series as a 3-commit pull
 * request (2 commits per page), its base fetched through the API or given
 * with --tree, the review posted once and not again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';
import { buildFixturePull, type FixturePull } from '../github/fixture-pr.js';
import { startFakeGithub, type FakeGithub } from '../github/server.js';

const TOKEN = 'ghp_fixture_token';
const CONFIG_BASE = 'c'.repeat(40);
const BROKEN_BASE = 'b'.repeat(40);
let fx: FixturePull;
let gh: FakeGithub;

beforeAll(async () => {
  fx = buildFixturePull(1);
  // Pulls 2 and 3: the same commits on bases that carry a .kreview.json (valid, then broken).
  const withConfig = new Map([...fx.base, ['.kreview.json', '{ "rules": { "sync-under-lock": "info", "warn-reachable": "error" } }']]);
  const broken = new Map([...fx.base, ['.kreview.json', '{ "rules": ']]);
  gh = await startFakeGithub({
    owner: 'acme',
    repo: 'linux',
    pulls: [fx.pull, { ...fx.pull, number: 2, baseSha: CONFIG_BASE }, { ...fx.pull, number: 3, baseSha: BROKEN_BASE }],
    contents: new Map([
      [fx.pull.baseSha, fx.base],
      [CONFIG_BASE, withConfig],
      [BROKEN_BASE, broken],
    ]),
    maxPerPage: 2,
    token: TOKEN,
  });
});

afterAll(async () => {
  await gh?.close();
  fx?.cleanup();
});

async function run(args: string[], env: Record<string, string> = { GITHUB_TOKEN: TOKEN }) {
  const io = memoryIo();
  io.env = env;
  const status = await main(['node', 'kreview', 'github', ...args], io);
  return { status, out: io.out, err: io.err };
}

/** 1-based line of `text` inside function `fn` of the pull request's head version of `file`. */
function headLine(file: string, fn: string, text: string): number {
  const lines = readFileSync(join(fx.dir, file), 'utf8').split('\n');
  const start = lines.findIndex((l) => new RegExp(`^\\S.*\\b${fn}\\(`).test(l));
  const at = lines.findIndex((l, i) => i > start && l.includes(text));
  expect(start).toBeGreaterThanOrEqual(0);
  expect(at).toBeGreaterThan(start);
  return at + 1;
}

/** 1-based line where function `fn` is defined in the pull request's head version of `file`. */
function defLine(file: string, fn: string): number {
  const lines = readFileSync(join(fx.dir, file), 'utf8').split('\n');
  const start = lines.findIndex((l) => new RegExp(`^\\S.*\\b${fn}\\(`).test(l) && !l.trimEnd().endsWith(';'));
  expect(start).toBeGreaterThanOrEqual(0);
  return start + 1;
}

describe('kreview github', () => {
  it('analyses the pull request against its base fetched through the API and posts one review', async () => {
    const before = gh.requests.length;
    const r = await run(['acme/linux#1', '--api-url', gh.url, '--post', '--no-model']);
    expect(r.status).toBe(1);
    const cancelLine = headLine('drivers/iommu/iommu.c', '__iommu_group_free_device', 'cancel_work_sync(&gdev->work);');
    const warnLine = headLine('drivers/iommu/iommu.c', '__iommu_group_free_device', 'WARN_ON(group->owner_cnt');
    const brokenLine = defLine('drivers/iommu/iommu.c', 'iommu_report_device_broken');
    // The deadlock the variant introduces, on the cancel_work_sync() it adds under group->mutex...
    const deadlock = new RegExp(
      `^drivers/iommu/iommu\\.c:${cancelLine}:\\d+: error: cancel_work_sync\\(&gdev->work\\) waits for iommu_group_device_quarantine_work\\(\\).*__iommu_probe_device\\(\\) and __iommu_group_remove_device\\(\\) hold group->mutex.*\\[sync-under-lock\\] \\(patch 3/3\\)$`,
      'gm',
    );
    expect(r.out.match(deadlock)).toHaveLength(1);
    // ...and the WARN_ON in __iommu_group_free_device() that iommu_report_device_broken() makes reachable.
    const warn = new RegExp(
      `^drivers/iommu/iommu\\.c:${warnLine}:\\d+: warning: WARN_ON\\(group->owner_cnt .*fires when iommu_release_device\\(\\) runs after iommu_report_device_broken\\(\\).*\\[warn-reachable\\] \\(patch 3/3\\)$`,
      'gm',
    );
    expect(r.out.match(warn)).toHaveLength(1);
    expect(r.out.match(/^\S.*: (error|warning|info): .*\[[a-z-]+\] \(patch \d+\/\d+\)$/gm)).toHaveLength(2);
    expect(r.out).toContain('2 findings; model: 0 confirmed, 0 refuted, 2 unknown');
    expect(r.err).toMatch(/note: no --tree: analysing against \d+ files of acme\/linux at [0-9a-f]{12}/);

    const reqs = gh.requests.slice(before);
    // Every request carried the token; commits came in two pages through the Link header.
    expect(reqs.every((q) => q.authorization === `token ${TOKEN}`)).toBe(true);
    expect(reqs.some((q) => /\/pulls\/1\/commits\?per_page=2&page=2$/.test(q.path))).toBe(true);
    expect(reqs.filter((q) => /\/commits\/[0-9a-f]{40}$/.test(q.path)).every((q) => q.accept.includes('application/vnd.github.v3.patch'))).toBe(true);
    expect(reqs.filter((q) => /\/commits\/[0-9a-f]{40}$/.test(q.path))).toHaveLength(3);
    expect(reqs.some((q) => q.path.startsWith(`/api/v3/repos/acme/linux/contents/drivers%2Fiommu%2Fiommu.c?ref=${fx.pull.baseSha}`))).toBe(true);

    const reviews = gh.reviews.get(1)!;
    expect(reviews).toHaveLength(1);
    const review = reviews[0]!;
    expect(review.event).toBe('COMMENT');
    expect(review.commit_id).toBe(fx.pull.headSha);
    expect(review.body).toContain('**kreview** found 2 issues');
    // One comment per finding: the deadlock on the cancel_work_sync() the pull request adds to
    // __iommu_group_free_device(); the WARN_ON is on a line outside the diff, so its comment goes on
    // the line of the diff it involves (the new iommu_report_device_broken()) and says where it is.
    expect(review.comments).toHaveLength(2);
    const [c, w] = review.comments as { path: string; line: number; side: string; body: string }[];
    expect(c).toMatchObject({ path: 'drivers/iommu/iommu.c', line: cancelLine, side: 'RIGHT' });
    expect(c!.body).toContain('**error: sync-under-lock** (commit 3/3)');
    expect(c!.body).toContain('cancel_work_sync(&gdev->work) waits for iommu_group_device_quarantine_work()');
    expect(c!.body).not.toContain('warn-reachable');
    expect(c!.body.match(/<!-- kreview:[0-9a-f]{16} -->/g)).toHaveLength(1);
    expect(w).toMatchObject({ path: 'drivers/iommu/iommu.c', line: brokenLine, side: 'RIGHT' });
    expect(w!.body).toContain('**warning: warn-reachable** (commit 3/3)');
    expect(w!.body).toContain(`Reported at \`drivers/iommu/iommu.c:${warnLine}\` in \`__iommu_group_free_device()\`, outside the diff`);
    expect(w!.body).toContain('WARN_ON(group->owner_cnt || group->domain != group->default_domain) fires');
    expect(w!.body).not.toContain('sync-under-lock');
    expect(w!.body.match(/<!-- kreview:[0-9a-f]{16} -->/g)).toHaveLength(1);
    expect(c!.body.match(/kreview:[0-9a-f]{16}/)![0]).not.toBe(w!.body.match(/kreview:[0-9a-f]{16}/)![0]);
    expect(r.err).toMatch(/posted review \d+ on acme\/linux#1: 2 finding\(s\) inline in 2 comment\(s\), 0 in the review body/);
  });

  it('posts nothing on a re-run when every finding is already there', async () => {
    const r = await run(['https://github.com/acme/linux/pull/1', '--api-url', gh.url, '--post', '--no-model']);
    expect(r.status).toBe(1);
    expect(r.out).toContain('[sync-under-lock]');
    expect(r.out).toContain('[warn-reachable]');
    expect(gh.reviews.get(1)).toHaveLength(1);
    expect(gh.comments.get(1)).toHaveLength(2);
    expect(r.err).toContain('nothing new to post on acme/linux#1: 2 finding(s) already posted');
  });

  it('uses --tree instead of fetching the base, and prints JSON', async () => {
    const before = gh.requests.length;
    const r = await run(['acme/linux#1', '--api-url', gh.url, '--tree', 'fixtures/iommu/tree', '--no-model', '--format', 'json']);
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.out);
    expect(doc.patches.map((p: { index: number; total: number; messageId: string }) => [p.index, p.total, p.messageId])).toEqual(
      fx.pull.commits.map((c, i) => [i + 1, 3, c.sha]),
    );
    expect(doc.findings.map((f: { rule: string; file: string; line: number; function: string }) => [f.rule, f.file, f.line, f.function])).toEqual([
      ['sync-under-lock', 'drivers/iommu/iommu.c', headLine('drivers/iommu/iommu.c', '__iommu_group_free_device', 'cancel_work_sync(&gdev->work);'), '__iommu_group_free_device'],
      ['warn-reachable', 'drivers/iommu/iommu.c', headLine('drivers/iommu/iommu.c', '__iommu_group_free_device', 'WARN_ON(group->owner_cnt'), '__iommu_group_free_device'],
    ]);
    expect(doc.findings.map((f: { confirmation: { status: string } }) => f.confirmation.status)).toEqual(['unknown', 'unknown']);
    expect(doc.findings.every((f: { patch: { index: number } }) => f.patch.index === 3)).toBe(true);
    expect(gh.requests.slice(before).some((q) => q.path.includes('/contents/'))).toBe(false);
    expect(r.err).toBe('');
  });

  it('prints SARIF with --format sarif', async () => {
    const r = await run(['acme/linux#1', '--api-url', gh.url, '--tree', 'fixtures/iommu/tree', '--no-model', '--format', 'sarif']);
    const doc = JSON.parse(r.out);
    expect(doc.runs[0].results.map((x: { ruleId: string }) => x.ruleId)).toEqual(['sync-under-lock', 'warn-reachable']);
    expect(doc.runs[0].results.map((x: { level: string }) => x.level)).toEqual(['error', 'warning']);
  });

  it("reads .kreview.json from the pull request's base when there is no --tree", async () => {
    const r = await run(['acme/linux#2', '--api-url', gh.url, '--no-model', '--format', 'json']);
    expect(r.status).toBe(1);
    // The defaults are error / warning (pull 1); the base's .kreview.json swaps them to info / error.
    expect(JSON.parse(r.out).findings.map((f: { rule: string; severity: string }) => [f.rule, f.severity])).toEqual([
      ['sync-under-lock', 'info'],
      ['warn-reachable', 'error'],
    ]);
    const bad = await run(['acme/linux#3', '--api-url', gh.url, '--no-model']);
    expect(bad.status).toBe(2);
    expect(bad.err).toMatch(/^kreview: error: acme\/linux#3: \.kreview\.json at bbbbbbbbbbbb: not valid JSON: /m);
  });

  it('exits 3 when the commits do not apply to --tree, and says which base they need', async () => {
    const r = await run(['acme/linux#1', '--api-url', gh.url, '--tree', 'fixtures/rules', '--no-model']);
    expect(r.status).toBe(3);
    expect(r.out).toBe('');
    expect(r.err.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.err).toMatch(/^kreview: error: .*drivers\/iommu\/iommu\.c.*\(is --tree at the pull request's base, main @ [0-9a-f]{12}\?\)$/m);
  });

  describe('errors: one line on stderr, exit 2', () => {
    const expectOneLine = (r: { status: number; out: string; err: string }, re: RegExp) => {
      expect(r.status).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.split('\n').filter(Boolean)).toHaveLength(1);
      expect(r.err).toMatch(/^kreview: error: /);
      expect(r.err).toMatch(re);
    };

    it('404: no such pull request', async () => {
      expectOneLine(await run(['acme/linux#9', '--api-url', gh.url]), /acme\/linux#9: no such pull request \(404\)/);
    });

    it('401: a bad token', async () => {
      expectOneLine(
        await run(['acme/linux#1', '--api-url', gh.url], { GITHUB_TOKEN: 'wrong' }),
        /acme\/linux#1: GitHub rejected the credentials \(401 Bad credentials\) while reading the pull request: check GITHUB_TOKEN/,
      );
    });

    it('403 with the rate limit exhausted', async () => {
      gh.failWith = (q) =>
        q.path.includes('/commits?')
          ? { status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1800000000' }, body: { message: 'API rate limit exceeded for 127.0.0.1.' } }
          : null;
      try {
        expectOneLine(
          await run(['acme/linux#1', '--api-url', gh.url]),
          /acme\/linux#1: GitHub API rate limit exceeded while listing its commits; it resets at 2027-01-15T08:00:00.000Z$/m,
        );
      } finally {
        gh.failWith = null;
      }
    });

    it('500 from the server', async () => {
      gh.failWith = (q) => (/\/commits\/[0-9a-f]{40}$/.test(q.path) ? { status: 500, body: { message: 'Server Error' } } : null);
      try {
        expectOneLine(
          await run(['acme/linux#1', '--api-url', gh.url]),
          /acme\/linux#1: the GitHub API failed \(500 Server Error\) while reading commit [0-9a-f]{12}; try again later/,
        );
      } finally {
        gh.failWith = null;
      }
    });

    it('no server listening', async () => {
      expectOneLine(
        await run(['acme/linux#1', '--api-url', 'http://127.0.0.1:9/api/v3']),
        /acme\/linux#1: cannot reach the GitHub API at http:\/\/127\.0\.0\.1:9\/api\/v3 while reading the pull request: /,
      );
    });

    it('a malformed reference', async () => {
      expectOneLine(await run(['acme/linux', '--api-url', gh.url]), /not a pull request: expected owner\/repo#N/);
    });
  });
});
