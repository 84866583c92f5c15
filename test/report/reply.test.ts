import { beforeAll, describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { draftReplies, type DraftMail } from '../../src/report/reply.js';
import { extractReviewComments } from '../../src/mail/reply.js';
import { compareComments } from '../../src/report/compare.js';
import type { SeriesAnalysis } from '../../src/cli/series-analysis.js';
import type { Finding } from '../../src/report/schema.js';
import { analysed, deadlockTrace, FIXTURES, IOMMU_C, lineIn, TREE } from './reply-fixture.js';
import { confirm, configFor, treeRoot } from '../../src/cli/analyse.js';

const FROM = 'Rev Iewer <rev@example.org>';
const DATE = new Date('2026-04-24T09:00:00Z');

/** Header value, unfolded. */
function header(m: DraftMail, name: string): string | null {
  const re = new RegExp(`^${name}: (.*(?:\\n[ \\t].*)*)`, 'mi');
  return re.exec(m.headers)?.[1]!.replace(/\n[ \t]+/g, ' ') ?? null;
}

/** The reviewer's own lines: not quoted, not the attribution. */
function ownLines(body: string): string[] {
  return body.split('\n').slice(1).filter((l) => !l.startsWith('>'));
}

function checkStyle(m: DraftMail): void {
  for (const l of ownLines(m.body)) {
    // Prose is wrapped; indented blocks (tables, traces) are not prose.
    if (!/^\s/.test(l)) expect(l.length, l).toBeLessThanOrEqual(72);
    expect(l, 'no line numbers in prose').not.toMatch(/\bline \d+|\.[ch]:\d+/);
  }
  expect(m.headers.split('\n').every((l) => l.length <= 78)).toBe(true);
  expect(m.body.endsWith('\nThanks,\nRev Iewer\n')).toBe(true);
  expect(m.text).toBe(`${m.headers}\n\n${m.body}`);
}

describe('drafted replies on the v3 series', () => {
  let a: SeriesAnalysis;
  let findings: Finding[];
  let mails: DraftMail[];
  beforeAll(async () => {
    ({ a, findings } = await analysed('series-v3.mbox'));
    mails = draftReplies(a, findings, { from: FROM, date: DATE });
  });

  test('one reply, to 06/11, threaded and addressed like the original', () => {
    expect(mails.map((m) => m.fileName)).toEqual(['06-iommu-defer-iommu_group_free_device-to-be-outside.eml']);
    const m = mails[0]!;
    expect(header(m, 'From')).toBe(FROM);
    expect(header(m, 'To')).toBe('Nora Chen <nchen@example.com>');
    expect(header(m, 'Cc')).toBe(
      'Jo Rader <jrader@example.org>, Wendell Dean <wdean@example.org>, Wei Tan <wei.tan@example.org>, ' +
        'Kevin Marsh <kmarsh@example.net>, iommu@lists.example.org, linux-arm-kernel@lists.example.org',
    );
    expect(header(m, 'Subject')).toBe('Re: [PATCH v3 06/11] iommu: Defer __iommu_group_free_device() to be outside group->mutex');
    expect(header(m, 'In-Reply-To')).toBe('<06-of-11.1776381841.git.nchen@example.com>');
    expect(header(m, 'References')).toBe('<cover.1776381841.git.nchen@example.com> <06-of-11.1776381841.git.nchen@example.com>');
    expect(header(m, 'Date')).toBe('Fri, 24 Apr 2026 09:00:00 +0000');
    expect(header(m, 'Message-ID')).toMatch(/^<kreview-[0-9a-f]{20}@example\.org>$/);
    expect(header(m, 'Content-Type')).toBe('text/plain; charset=UTF-8');
    expect(header(m, 'MIME-Version')).toBe('1.0');
    checkStyle(m);
  });

  test('attribution, whole short commit message, only the hunk with the finding', () => {
    const body = mails[0]!.body;
    expect(body.split('\n')[0]).toBe('On Thu, Apr 16, 2026 at 04:28:06PM -0700, Nora Chen wrote:');
    expect(body).toContain('> This is a preparatory refactor with no functional change.\n>\n> Signed-off-by: Nora Chen <nchen@example.com>\n\n[ ... ]\n\n> diff --git a/drivers/iommu/iommu.c');
    expect(body).toContain('> @@ -350,6 +350,19 @@ static void iommu_deinit_device(struct device *dev)');
    // The other three hunks carry nothing and are not quoted.
    expect(body).not.toContain('@@ -391,7');
    expect(body).not.toContain('mutex_unlock(&group->mutex);');
  });

  test('the comment/code mismatch sits right under the comment block, the check quoted after it', () => {
    const body = mails[0]!.body;
    expect(body).toMatch(/> \+\t \*\/\n\nNit: this comment doesn't quite match the code below it: the comment\nallows group->domain to be NULL/);
    // The WARN_ON point right below the comment is made at the same spot, before the check is quoted.
    expect(body).toMatch(/Should the comment or\nthe check change\?\n\nAlso, once patch 07\/11 [\s\S]*?nothing is wrong\?\n\n> \+\tif \(list_empty\(&group->devices\)\)\n> \+\t\tWARN_ON\(group->owner_cnt \|\|\n/);
    const comments = extractReviewComments(body);
    expect(comments.map((c) => c.text.split(' ')[0])).toEqual(['Nit:', 'Also,']);
    for (const c of comments) {
      expect(c.file).toBe(IOMMU_C);
      expect(c.quoted.at(-1)).toBe('+\t */');
    }
  });

  test('a warn-reachable finding that 07/11 makes possible is raised on 06/11, under the same spot, naming 07/11', () => {
    const after = a.after.index.view.read(IOMMU_C)!;
    const warns = findings.filter((f) => f.rule === 'warn-reachable');
    expect(warns).toHaveLength(1);
    const w = warns[0]!;
    expect(w.line).toBe(lineIn(after, 'WARN_ON(group->owner_cnt ||', '__iommu_group_empty_assert_owner_cnt(struct'));
    expect(w.function).toBe('__iommu_group_empty_assert_owner_cnt');
    expect(w.patch).toEqual({ index: 7, total: 11 });
    expect(w.related.map((r) => r.function)).toContain('iommu_report_device_broken');

    // Not confirmed (the model is off here): asked, under the comment, before the check is quoted.
    const body = mails[0]!.body;
    expect(mails[0]!.findings.map((f) => f.rule).sort()).toEqual(['comment-code-mismatch', 'warn-reachable']);
    expect(body).toContain(
      '\n\nAlso, once patch 07/11 ("iommu: Add iommu_report_device_broken() to\n' +
        'quarantine a broken device") is applied, can this WARN_ON() fire when\n' +
        'iommu_release_device() runs after iommu_report_device_broken() (and the\n' +
        'work it queues, iommu_group_device_quarantine_work()), with\n' +
        'group->owner_cnt = 0, group->domain = group->blocking_domain, although\n' +
        'nothing is wrong?\n\n> +\tif (list_empty(&group->devices))\n',
    );
    expect(body.match(/can this WARN_ON\(\) fire/g)).toHaveLength(1);

    // Confirmed (as the model reports it): stated, with the witness indented under it.
    const trace = [
      { thread: 'T0', file: IOMMU_C, line: 1, step: 'iommu_probe_device(dev)  [group->domain = default_domain]' },
      { thread: 'T0', file: IOMMU_C, line: 1, step: 'iommu_report_device_broken(dev)' },
      { thread: 'T1', file: IOMMU_C, line: 1, step: 'iommu_group_device_quarantine_work()  [group->domain = blocking_domain]' },
      { thread: 'T0', file: IOMMU_C, line: 1, step: 'iommu_release_device(dev)  [WARN_ON fires: group->domain (blocking_domain) != group->default_domain]' },
    ];
    const confirmed = findings.map((f) =>
      f.id === w.id ? { ...f, confirmation: { status: 'confirmed' as const, summary: 'WARN_ON fires', trace } } : f,
    );
    const out = draftReplies(a, confirmed, { from: FROM, date: DATE });
    expect(out.map((m) => m.position)).toEqual([6]);
    const cbody = out[0]!.body;
    checkStyle(out[0]!);
    expect(cbody).toContain(
      '\n\nAlso, once patch 07/11 ("iommu: Add iommu_report_device_broken() to\n' +
        'quarantine a broken device") is applied, this WARN_ON() fires when\n',
    );
    expect(cbody).toContain(
      'nothing is wrong:\n\n' +
        '    T0: iommu_probe_device(dev)  [group->domain = default_domain]\n' +
        '    T0: iommu_report_device_broken(dev)\n' +
        '    T1: iommu_group_device_quarantine_work()  [group->domain = blocking_domain]\n' +
        '    T0: iommu_release_device(dev)  [WARN_ON fires: group->domain (blocking_domain) != group->default_domain]\n' +
        '\n> +\tif (list_empty(&group->devices))\n',
    );
    expect(cbody).not.toContain('can this WARN_ON() fire');
    expect(cbody.indexOf('Also, once patch 07/11')).toBeGreaterThan(cbody.indexOf('Nit: this comment'));

    // Both of the human reviewer's points are matched by where they sit, and nothing else is said.
    const human = readFileSync(join(FIXTURES, 'replies/2026-04-23-re-v3-06-review.eml'), 'utf8');
    for (const b of [body, cbody]) {
      const c = compareComments(extractReviewComments(b), extractReviewComments(human.slice(human.indexOf('\n\n') + 2)));
      expect(c.onlyHuman).toEqual([]);
      expect(c.onlyKreview).toEqual([]);
      expect(c.matched.map((m) => m.human.text.split(' ')[0])).toEqual(['Nit:', 'Also,']);
      expect(c.matched[1]!.kreview.text).toMatch(/^Also, once patch 07\/11/);
    }
  });

  test('--summary: a reply to the cover letter that lists every patch', () => {
    const out = draftReplies(a, findings, { from: FROM, date: DATE, summary: true });
    expect(out.map((m) => m.position)).toEqual([0, 6]);
    const s = out[0]!;
    expect(s.fileName).toBe('00-iommu-arm-smmu-v3-quarantine-device-upon-atc.eml');
    expect(header(s, 'In-Reply-To')).toBe('<cover.1776381841.git.nchen@example.com>');
    expect(header(s, 'Subject')).toBe('Re: [PATCH v3 00/11] iommu/arm-smmu-v3: Quarantine device upon ATC invalidation timeout');
    expect(s.body).toContain(' 06/11 iommu: Defer __iommu_group_free_device() to be outside group->mutex\n  - comment-code-mismatch in __iommu_group_empty_assert_owner_cnt():');
    expect(s.body).toContain(' 07/11 iommu: Add iommu_report_device_broken() to quarantine a broken device\n  - nothing found');
    checkStyle(s);
  });

  test('refuted findings are never drafted; --show-refuted lists them in the summary', () => {
    const refuted = findings.map((f) => ({ ...f, confirmation: { status: 'refuted' as const, summary: 'cannot happen', trace: [] } }));
    expect(draftReplies(a, refuted, { from: FROM, date: DATE })).toEqual([]);
    const out = draftReplies(a, refuted, { from: FROM, date: DATE, summary: true, showRefuted: true });
    expect(out.map((m) => m.position)).toEqual([0]);
    expect(out[0]!.body).toMatch(/ 06\/11 .*\n  - comment-code-mismatch in __iommu_group_empty_assert_owner_cnt\(\):[\s\S]*?\[refuted: the\s+model showed it cannot happen\]/);
  });

  test('non-ASCII sender: encoded in From, UTF-8 in the sign-off', () => {
    const out = draftReplies(a, findings, { from: 'Zoë Tan <zoe@example.org>', date: DATE });
    expect(header(out[0]!, 'From')).toBe('=?UTF-8?Q?Zo=C3=AB_Tan?= <zoe@example.org>');
    expect(out[0]!.body.endsWith('Thanks,\nZoë Tan\n')).toBe(true);
    expect(() => draftReplies(a, findings, { from: 'nobody', date: DATE })).toThrow(/--from "nobody": not an address/);
  });
});

describe('drafted replies on the variant without the defer patch', () => {
  let a: SeriesAnalysis;
  let findings: Finding[];
  beforeAll(async () => {
    ({ a, findings } = await analysed('variant-no-defer.mbox'));
  });

  test('the deadlock is raised on 3/3 under the cancel_work_sync() it adds, one comment for both callers', () => {
    const sync = findings.filter((f) => f.rule === 'sync-under-lock');
    expect(sync.length).toBeGreaterThanOrEqual(1);
    const mails = draftReplies(a, findings, { from: FROM, date: DATE });
    expect(mails.map((m) => m.fileName)).toEqual(['03-iommu-quarantine-a-device-reported-broken-by-its.eml']);
    const body = mails[0]!.body;
    checkStyle(mails[0]!);
    expect(body).toMatch(/> \+\tcancel_work_sync\(&gdev->work\);\n\ncancel_work_sync\(\) waits for iommu_group_device_quarantine_work\(\), which\ntakes group->mutex\./);
    expect(body).toContain('__iommu_group_remove_device()');
    // Not confirmed: asked, not stated, and no table.
    expect(body).toContain("won't this deadlock?");
    expect(body).not.toContain('Possible unsafe locking scenario');
    expect(body.match(/waits for iommu_group_device_quarantine_work/g)).toHaveLength(1);
  });

  test('the WARN_ON that the new entry point makes reachable is raised under it, naming the function of the WARN_ON', () => {
    const warns = findings.filter((f) => f.rule === 'warn-reachable');
    expect(warns).toHaveLength(1);
    expect(warns[0]!.function).toBe('__iommu_group_free_device');
    const m = draftReplies(a, findings, { from: FROM, date: DATE })[0]!;
    checkStyle(m);
    expect(m.findings.map((f) => f.rule).sort()).toEqual(['sync-under-lock', 'warn-reachable']);
    // The function that 3/3 adds is quoted; the WARN_ON is not in the patch, so it is named, not "this".
    expect(m.body).toContain(
      '> +void iommu_report_device_broken(struct device *dev)\n\n' +
        'Also, can the WARN_ON() in __iommu_group_free_device() fire when\n' +
        'iommu_release_device() runs after iommu_report_device_broken() (and the\n' +
        'work it queues, iommu_group_device_quarantine_work()), with\n' +
        'group->owner_cnt = 0, group->domain = group->blocking_domain, although\n' +
        'nothing is wrong?\n\n[ ... ]\n\nThanks,',
    );
    expect(m.body).not.toContain('this WARN_ON()');
    expect(m.body.indexOf('Also, can the WARN_ON()')).toBeGreaterThan(m.body.indexOf("won't this deadlock?"));
  });

  test('a confirmed deadlock is stated, with the CPU0/CPU1 table under the comment', () => {
    const confirmed = findings.map((f) =>
      f.rule === 'sync-under-lock'
        ? { ...f, confirmation: { status: 'confirmed' as const, summary: 'deadlock', trace: deadlockTrace(IOMMU_C) } }
        : f,
    );
    const m = draftReplies(a, confirmed, { from: FROM, date: DATE })[0]!;
    checkStyle(m);
    const body = m.body;
    expect(body).toMatch(/, so if the work is already running\sat that\spoint, this deadlocks:\n\n Possible unsafe locking scenario:\n\n/);
    expect(body).toContain('       CPU0                    CPU1\n       ----                    ----\n  lock(&group->mutex);\n');
    expect(body).toContain('  lock((work_completion)(&gdev->work));\n\n *** DEADLOCK ***\n\n[ ... ]\n');
    expect(body).not.toContain("won't this deadlock?");
    // The WARN_ON point is still made, after the deadlock.
    expect(body.indexOf('Also, can the WARN_ON() in __iommu_group_free_device() fire')).toBeGreaterThan(body.indexOf('*** DEADLOCK ***'));
  });

  test('with the model on, both points are confirmed and stated: the lockdep table, then the WARN_ON with its witness', () => {
    const config = configFor(treeRoot(TREE), undefined);
    const real = confirm(a.introduced, a.after.index, config, true);
    const sync = real.find((f) => f.rule === 'sync-under-lock')!;
    const warn = real.find((f) => f.rule === 'warn-reachable')!;
    expect(sync.confirmation.status).toBe('confirmed');
    expect(sync.confirmation.summary).toMatch(/^deadlock .*T0 waits for gdev->work held by T1; T1 waits for group->mutex held by T0/);
    expect(sync.confirmation.summary).toContain('Possible unsafe locking scenario:');
    expect(warn.confirmation.status).toBe('confirmed');
    const m = draftReplies(a, real, { from: FROM, date: DATE })[0]!;
    checkStyle(m);
    const body = m.body;
    expect(body).toMatch(/, so if the work is already running\sat that\spoint, this deadlocks:\n\n Possible unsafe locking scenario:\n\n       CPU0                    CPU1\n/);
    expect(body).toContain('  lock((work_completion)(&gdev->work));\n\n *** DEADLOCK ***\n\n[ ... ]\n');
    expect(body).toContain(
      '> +void iommu_report_device_broken(struct device *dev)\n\n' +
        'Also, the WARN_ON() in __iommu_group_free_device() fires when\n',
    );
    expect(body).toMatch(/although\snothing is wrong:\n\n    T0: iommu_probe_device\(dev\)\n[\s\S]*\n    T1: iommu_group_device_quarantine_work\(&gdev->work\)  \[work gdev->work runs on the worker T1\]\n[\s\S]*\n    T0: WARN_ON\(group->owner_cnt \|\| group->domain != group->default_domain\)  \[fires: [^\n]*\]\n\n\[ \.\.\. \]\n\nThanks,/);
    expect(body).not.toMatch(/won't this deadlock\?|can the WARN_ON\(\)/);
  });

  test('a finding on a line the patch does not show is discussed after the quote, by function', () => {
    const after = a.after.index.view.read(IOMMU_C)!;
    const line = lineIn(after, 'mutex_unlock(&group->mutex);', 'static void __iommu_group_remove_device(');
    const f: Finding = {
      id: 'x', rule: 'lock-imbalance', severity: 'warning', file: IOMMU_C, line, column: 2,
      function: '__iommu_group_remove_device', lock: 'group->mutex',
      message: '__iommu_group_remove_device() returns with group->mutex held on one path (see iommu.c:510)',
      patch: { index: 3, total: 3 }, related: [],
      confirmation: { status: 'unknown', summary: '', trace: [] },
    };
    const m = draftReplies(a, [f], { from: FROM, date: DATE })[0]!;
    checkStyle(m);
    expect(m.position).toBe(3);
    expect(m.body).toContain('[ ... ]\n\nIn __iommu_group_remove_device(), which this patch does not show (at\n"mutex_unlock(&group->mutex);"): __iommu_group_remove_device() returns\nwith group->mutex held on one path (see iommu.c).');
  });
});
