/**
 * The index on a real kernel tree (KREVIEW_KERNEL_TREE, a git work tree);
 * skipped when it is not set. Uses a fresh cache directory, so this is the
 * cold path.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DiskTree } from '../../../src/parse/disk-tree.js';
import { createIndex } from '../../../src/parse/index/index.js';
import { accessKey } from '../../../src/parse/index/types-of.js';
import { removeTmpDirs, tmpDir } from './fixture.js';

afterAll(removeTmpDirs);

const tree = process.env.KREVIEW_KERNEL_TREE;

describe.skipIf(!tree)('tree index on a kernel tree', () => {
  it('answers the questions the seed case asks', { timeout: 180_000 }, () => {
    const cacheDir = tmpDir('kreview-kernel-');
    const ix = createIndex(new DiskTree(tree!), { cacheDir, env: {} });

    const defs = ix.functions('iommu_group_mutex_assert');
    expect(defs.map((f) => f.file)).toContain('drivers/iommu/iommu.c');
    expect(ix.callers('iommu_group_mutex_assert').length).toBeGreaterThan(0);

    const group = ix.struct('iommu_group', 'drivers/iommu/iommu.c');
    expect(group?.fields.find((f) => f.name === 'mutex')?.type).toBe('struct mutex');
    expect(group?.fields.find((f) => f.name === 'default_domain')?.type).toBe('struct iommu_domain *');

    const timers = ix.bindingsFor('iommu_dma_cookie', 'fq_timer');
    expect(timers.map((b) => [b.kind, b.callback])).toEqual([['timer', 'fq_flush_timeout']]);
    const init = ix.functions(timers[0]!.function!)[0]!;
    const call = init.blocks.flatMap((b) => b.instrs).find((i) => i.op === 'call' && i.callee === 'timer_setup');
    expect(call && call.op === 'call' && accessKey(init, call.args[0]!, ix)).toMatchObject({ struct: 'iommu_dma_cookie', field: 'fq_timer' });

    // Only a handful of files were parsed for all that.
    expect(ix.stats().parsed).toBeLessThan(60);
  });
});
