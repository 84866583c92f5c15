/**
 * The iommu fixture's variant series (no deferral of the free): the finding
 * at cancel_work_sync(&gdev->work) under group->mutex must come back
 * confirmed within the default budget, with the cycle and the lockdep table.
 */
import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPatchSeries } from '../../src/cli/load.js';
import { analyseSeries } from '../../src/cli/series-analysis.js';
import { memoryIo } from '../../src/cli/io.js';
import { confirmFinding } from '../../src/model/confirm.js';
import { DiskTree } from '../../src/parse/disk-tree.js';
import { defaultConfig } from '../../src/rules/config.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '../../fixtures/iommu');

describe('sync-under-lock on the iommu variant series', () => {
  test('cancel_work_sync(&gdev->work) under group->mutex is a confirmed deadlock with the worker', async () => {
    const io = memoryIo();
    const { series, patches } = await loadPatchSeries(io, [join(root, 'variant-no-defer.mbox')], { loreUrl: '' });
    const a = analyseSeries(new DiskTree(join(root, 'tree')), series, patches, defaultConfig());
    const f = a.introduced.find((x) => x.rule === 'sync-under-lock' && x.file === 'drivers/iommu/iommu.c');
    expect(f, a.introduced.map((x) => `${x.rule} ${x.file}:${x.line}`).join('\n')).toBeDefined();
    const t0 = Date.now();
    const c = confirmFinding(f!, a.after.index);
    const ms = Date.now() - t0;
    const show = `${c.status}: ${c.summary}\n${c.trace.map((t) => `  ${t.thread} ${t.line}: ${t.step}`).join('\n')}`;
    expect(c.status, show).toBe('confirmed');
    // The default budget is 4 s; the witness comes well within it.
    expect(ms).toBeLessThan(4000);
    expect(c.summary).toMatch(/T0 waits for gdev->work held by (T\d+); \1 waits for group->mutex held by T0/);
    const worker = /held by (T\d+);/.exec(c.summary)![1]!;
    expect(c.trace.some((s) => s.thread === worker && /^iommu_group_device_quarantine_work\(/.test(s.step))).toBe(true);
    expect(c.trace.some((s) => s.thread === worker && /blocked on group->mutex, held by T0/.test(s.step))).toBe(true);
    expect(c.trace.some((s) => s.thread === 'T0' && s.line === f!.line && /cancel_work_sync\(&gdev->work\).*waits for/.test(s.step))).toBe(true);
    expect(c.summary).toContain('Possible unsafe locking scenario');
    expect(c.summary).toContain('lock(&group->mutex);');
    expect(c.summary).toContain('lock((work_completion)(&gdev->work));');
  });
});
