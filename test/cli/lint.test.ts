/**
 * `kreview lint` on the fixture series: what a series introduces, pinned to
 * the patch that introduced it, with exit statuses as CONTRACT.md fixes them.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';
import { Report } from '../../src/report/schema.js';

const ROOT = join(import.meta.dirname, '../..');
const FIX = join(ROOT, 'fixtures/iommu');
const TREE = join(FIX, 'tree');
const V3 = join(FIX, 'patches/v3');
const tmp = mkdtempSync(join(tmpdir(), 'kreview-lint-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(args: string[]) {
  const io = memoryIo();
  const status = await main(['node', 'kreview', ...args], io);
  return { status, out: io.out, err: io.err };
}

const json = (out: string) => Report.parse(JSON.parse(out));

describe('kreview lint', () => {
  it('the variant without the defer-free patch: sync-under-lock at the cancel, confirmed as a deadlock, pinned to 3/3', async () => {
    const r = await run(['lint', join(FIX, 'variant-no-defer.mbox'), '--tree', TREE, '--format', 'json']);
    expect(r.status).toBe(1);
    const doc = json(r.out);
    const sync = doc.findings.filter((f) => f.rule === 'sync-under-lock');
    expect(sync).toHaveLength(1);
    const f = sync[0]!;
    expect(f).toMatchObject({ file: 'drivers/iommu/iommu.c', function: '__iommu_group_free_device', lock: 'group->mutex', patch: { index: 3, total: 3 } });
    expect(f.message).toMatch(/cancel_work_sync\(&gdev->work\) waits for iommu_group_device_quarantine_work\(\), which takes group->mutex/);
    expect(f.confirmation.status).toBe('confirmed');
    expect(f.confirmation.summary).toMatch(/waits for group->mutex held by T0/);
    expect(f.confirmation.trace.some((s) => s.step.startsWith('iommu_group_device_quarantine_work('))).toBe(true);
    expect(doc.patches.map((p) => [p.index, p.applied])).toEqual([[1, true], [2, true], [3, true]]);
    expect(doc.patches[2]!.findings).toContain(f.id);
  });

  it('the real series: no sync-under-lock; the seed comment mismatch on 06/11 and the quarantine WARN_ON on 07/11, both confirmed', async () => {
    const r = await run(['lint', join(FIX, 'series-v3.mbox'), '--tree', TREE, '--format', 'json']);
    expect(r.status).toBe(1);
    const doc = json(r.out);
    expect(doc.findings.filter((f) => f.rule === 'sync-under-lock')).toEqual([]);
    const ccm = doc.findings.find((f) => f.rule === 'comment-code-mismatch')!;
    expect(ccm).toMatchObject({ function: '__iommu_group_empty_assert_owner_cnt', patch: { index: 6, total: 11 } });
    expect(ccm.confirmation.status).toBe('confirmed');
    const warn = doc.findings.find((f) => f.rule === 'warn-reachable')!;
    expect(warn).toMatchObject({ function: '__iommu_group_empty_assert_owner_cnt', patch: { index: 7, total: 11 } });
    expect(warn.confirmation.status).toBe('confirmed');
    expect(warn.confirmation.trace.map((s) => s.step).join('\n')).toMatch(/iommu_report_device_broken[\s\S]*iommu_release_device/);
    // Every patch of v3, not v2, and the cover letter's title.
    expect(doc.patches).toHaveLength(11);
    expect(doc.patches[0]!.series).toBe('iommu/arm-smmu-v3: Quarantine device upon ATC invalidation timeout');
  });

  it('--all adds what was already there in the functions the series touches (ownership still claimed at the last removal)', async () => {
    const plain = json((await run(['lint', join(FIX, 'series-v3.mbox'), '--tree', TREE, '--format', 'json', '--no-model'])).out);
    const all = json((await run(['lint', join(FIX, 'series-v3.mbox'), '--tree', TREE, '--format', 'json', '--no-model', '--all'])).out);
    expect(all.findings.length).toBeGreaterThan(plain.findings.length);
    const extra = all.findings.filter((f) => !plain.findings.some((g) => g.id === f.id));
    expect(extra.some((f) => f.rule === 'warn-reachable' && /claim_dma_owner/.test(f.message))).toBe(true);
    expect(extra.every((f) => f.patch === null)).toBe(true);
  });

  it('--fail-on sets the exit status; text output ends with the summary line', async () => {
    const never = await run(['lint', join(FIX, 'variant-no-defer.mbox'), '--tree', TREE, '--no-model', '--fail-on', 'never']);
    expect(never.status).toBe(0);
    expect(never.out.trim().split('\n').at(-1)).toMatch(/^\d+ findings?; model: 0 confirmed, 0 refuted, \d+ unknown$/);
    const error = await run(['lint', join(FIX, 'variant-no-defer.mbox'), '--tree', TREE, '--no-model', '--fail-on', 'error']);
    expect(error.status).toBe(1);
  });

  it('the first patches of a series can be linted on their own; a gap in the middle is an error', async () => {
    const files = readdirSync(V3).sort();
    const first = files.filter((f) => /^v3-000[12]-/.test(f)).map((f) => join(V3, f));
    const ok = await run(['lint', ...first, '--tree', TREE, '--no-model']);
    expect(ok.status).toBe(0);
    expect(ok.err).toMatch(/^kreview: note: the input holds patches 1-2 of 11 /);
    const gap = files.filter((f) => /^v3-000[13]-/.test(f)).map((f) => join(V3, f));
    const bad = await run(['lint', ...gap, '--tree', TREE, '--no-model']);
    expect(bad.status).toBe(2);
    expect(bad.err).toMatch(/^kreview: error: series '.*' v3 is missing patch 2\/11/);
  });

  it('a patch that does not apply: exit 3, one line naming patch, file and hunk; the tree is untouched', async () => {
    const tree = join(tmp, 'shifted');
    cpSync(TREE, tree, { recursive: true });
    const file = join(tree, 'drivers/iommu/iommu.c');
    const { readFileSync } = await import('node:fs');
    const before = readFileSync(file, 'utf8').replace('\t\t__iommu_group_free_device(group, gdev);', '\t\t__iommu_group_free_device(group, gdev); /* edited */');
    writeFileSync(file, before);
    const r = await run(['lint', join(FIX, 'series-v3.mbox'), '--tree', tree, '--no-model']);
    expect(r.status).toBe(3);
    expect(r.err).toMatch(/^kreview: error: patch 5\/11 ".*": drivers\/iommu\/iommu\.c: hunk \d+ \(@@ [^)]*@@\) does not apply: context does not match/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('bad input: empty, not mail, missing --tree', async () => {
    const empty = join(tmp, 'empty.mbox');
    writeFileSync(empty, '');
    const a = await run(['lint', empty, '--tree', TREE]);
    expect([a.status, a.err]).toEqual([2, `kreview: error: ${empty}: empty input\n`]);
    const notmail = join(tmp, 'notes.txt');
    writeFileSync(notmail, 'just some notes\nabout nothing\n');
    const b = await run(['lint', notmail, '--tree', TREE]);
    expect([b.status, b.err]).toEqual([2, `kreview: error: ${notmail}: not a mail, an mbox or a diff\n`]);
    const c = await run(['lint', join(FIX, 'variant-no-defer.mbox'), '--tree', join(tmp, 'nope')]);
    expect([c.status, c.err]).toEqual([2, `kreview: error: --tree ${join(tmp, 'nope')}: no such directory\n`]);
  });
});
