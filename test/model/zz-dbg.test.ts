import { test } from 'vitest';
import { confirmFinding } from '../../src/model/confirm.js';
import { finding, fixture, lineOf, memIndex } from './helpers.js';
test('dbg', () => {
  const IOMMU = fixture('iommu-like.c');
  const F = 'drivers/iommu/iommu-like.c';
  const index = memIndex({ [F]: IOMMU });
  const line = lineOf(IOMMU, 'gdev_free(group, gdev);', 'grp_remove_device_bad');
  const c = confirmFinding(finding({ rule: 'sync-under-lock', file: F, line, function: 'grp_remove_device_bad', lock: 'group->mutex' }), index, { states: 30, timeMs: 3000 });
  console.log(c.status, c.summary);
  console.log(c.trace.map((t) => `${t.thread} ${t.line}: ${t.step}`).join('\n'));
});
