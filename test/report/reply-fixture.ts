/**
 * The fixture series analysed in-process, as `kreview review` does before
 * drafting (model off: tests set confirmations by hand where they need one).
 */
import { join } from 'node:path';
import { loadPatchSeries } from '../../src/cli/load.js';
import { confirm, configFor, treeRoot } from '../../src/cli/analyse.js';
import { analyseSeries, type SeriesAnalysis } from '../../src/cli/series-analysis.js';
import { memoryIo } from '../../src/cli/io.js';
import { DiskTree } from '../../src/parse/disk-tree.js';
import type { Finding, TraceStep } from '../../src/report/schema.js';

export const FIXTURES = join(import.meta.dirname, '../../fixtures/iommu');
export const TREE = join(FIXTURES, 'tree');
export const IOMMU_C = 'drivers/iommu/iommu.c';

export async function analysed(mbox: string): Promise<{ a: SeriesAnalysis; findings: Finding[] }> {
  const root = treeRoot(TREE);
  const config = configFor(root, undefined);
  const { series, patches } = await loadPatchSeries(memoryIo(), [join(FIXTURES, mbox)], { loreUrl: '' });
  const a = analyseSeries(new DiskTree(root), series, patches, config);
  return { a, findings: confirm(a.introduced, a.after.index, config, false) };
}

/** 1-based line of the first line containing `needle` after the first containing `after`. */
export function lineIn(text: string, needle: string, after: string): number {
  const lines = text.split('\n');
  const from = lines.findIndex((l) => l.includes(after));
  const i = lines.findIndex((l, k) => k >= from && l.includes(needle));
  if (from < 0 || i < 0) throw new Error(`${needle} after ${after}: not found`);
  return i + 1;
}

/** A deadlock witness as the model writes it (see test/model/sync-under-lock.test.ts). */
export function deadlockTrace(file: string): TraceStep[] {
  return [
    { thread: 'T0', file, line: 505, step: 'mutex_lock(&group->mutex)  [acquires group->mutex; T0 holds group->mutex]' },
    { thread: 'T0', file, line: 509, step: 'list_del_rcu(&gdev->list)' },
    { thread: 'T1', file, line: 290, step: 'iommu_group_device_quarantine_work(&gdev->work)  [starts work gdev->work on T1, pending from before]' },
    { thread: 'T0', file, line: 481, step: '[assume iommu_group_device_quarantine_work() is running on gdev->work]' },
    { thread: 'T0', file, line: 481, step: 'cancel_work_sync(&gdev->work)  [waits for gdev->work: iommu_group_device_quarantine_work was already running, on T1; T0 holds group->mutex]' },
    { thread: 'T1', file, line: 296, step: 'guard(mutex)(&group->mutex)  [blocked on group->mutex, held by T0; T1 holds no lock]' },
  ];
}
