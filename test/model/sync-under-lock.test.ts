import { describe, expect, test } from 'vitest';
import { confirmFinding, renderLockdepScenario } from '../../src/model/confirm.js';
import { finding, fixture, lineOf, memIndex } from './helpers.js';

const IOMMU = fixture('iommu-like.c');
const F = 'drivers/iommu/iommu-like.c';

describe('sync-under-lock: iommu-like group', () => {
  const index = memIndex({ [F]: IOMMU });

  test('cancel_work_sync in a helper called under group->mutex deadlocks with the worker', () => {
    const line = lineOf(IOMMU, 'gdev_free(group, gdev);', 'grp_remove_device_bad');
    const c = confirmFinding(
      finding({ rule: 'sync-under-lock', file: F, line, function: 'grp_remove_device_bad', lock: 'group->mutex', message: 'cancel_work_sync(&gdev->work) waits for gdev_broken_work()' }),
      index,
    );
    console.log(c.summary);
    console.log(c.trace.map((t) => `${t.thread} ${t.line}: ${t.step}`).join('\n'));
    expect(c.status).toBe('confirmed');
    expect(c.summary).toMatch(/T0 waits for .*work/);
    const table = renderLockdepScenario(c.trace);
    expect(table).toContain('lock(&group->mutex);');
    expect(table).toContain('(work_completion)');
  });
});
