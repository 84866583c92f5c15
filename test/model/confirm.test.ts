import { describe, expect, test } from 'vitest';
import { confirmAll } from '../../src/model/confirm.js';
import { Finding } from '../../src/report/schema.js';
import { finding, fixture, lineOf, memIndex } from './helpers.js';

describe('confirmAll', () => {
  test('fills every finding with a confirmation that matches the report schema', () => {
    const F = 'drivers/net/ethernet/nic.c';
    const T = fixture('netdrv.c');
    const index = memIndex({ [F]: T });
    const fs = [
      finding({ rule: 'sync-under-lock', file: F, line: lineOf(T, 'cancel_delayed_work_sync', 'nic_stop_bad('), function: 'nic_stop_bad', lock: 'priv->lock' }),
      finding({ rule: 'sync-under-lock', file: F, line: lineOf(T, 'cancel_delayed_work_sync', 'nic_stop_good('), function: 'nic_stop_good', lock: 'priv->lock' }),
      finding({ rule: 'lock-imbalance', file: F, line: lineOf(T, 'return 0;', 'nic_stop_good('), function: 'nic_stop_good', lock: 'priv->lock' }),
    ];
    const out = confirmAll(fs, index);
    expect(out.map((f) => f.confirmation.status)).toEqual(['confirmed', 'refuted', 'refuted']);
    for (const f of out) expect(() => Finding.parse(f)).not.toThrow();
    // Trace steps carry thread, file and line of the tree.
    expect(out[0]!.confirmation.trace.every((s) => s.file === F && s.line > 0 && /^T\d+$/.test(s.thread))).toBe(true);
  });

  test('a time budget of zero ends every search with unknown naming the time bound', () => {
    const F = 'drivers/iommu/iommu-like.c';
    const T = fixture('iommu-like.c');
    const index = memIndex({ [F]: T });
    const f = finding({ rule: 'sync-under-lock', file: F, line: lineOf(T, 'gdev_free(group, found);'), function: 'grp_remove_device_good', lock: 'group->mutex' });
    const [out] = confirmAll([f], index, { timeMs: 0 });
    expect(out!.confirmation.status).toBe('unknown');
    expect(out!.confirmation.summary).toMatch(/time \(0 ms\)/);
  });
});
