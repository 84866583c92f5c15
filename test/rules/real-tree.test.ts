/**
 * The rules over a real kernel directory (KREVIEW_KERNEL_TREE, e.g. /tmp/linux;
 * KREVIEW_RULES_DIR picks the directory, default drivers/iommu). Skipped when
 * the tree is not there. Asserts only that nothing crashes and every finding
 * fits the contract; prints the figures.
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiskTree } from '../../src/parse/disk-tree.js';
import { Overlay } from '../../src/parse/overlay.js';
import { createIndex } from '../../src/parse/index/index.js';
import { Finding } from '../../src/report/schema.js';
import { defaultConfig } from '../../src/rules/config.js';
import { runRules } from '../../src/rules/engine.js';
import { Summaries } from '../../src/rules/summaries.js';

const tree = process.env.KREVIEW_KERNEL_TREE;
const dir = process.env.KREVIEW_RULES_DIR ?? 'drivers/iommu';

function cFiles(root: string, rel: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, rel))) {
    const r = `${rel}/${e}`;
    if (statSync(join(root, r)).isDirectory()) out.push(...cFiles(root, r));
    else if (e.endsWith('.c')) out.push(r);
  }
  return out.sort();
}

describe.skipIf(!tree)('rules on a real kernel tree', () => {
  it(`runs over ${dir} without crashing`, () => {
    const root = tree!;
    const files = cFiles(root, dir);
    const t0 = Date.now();
    const index = createIndex(new DiskTree(root), { scope: files });
    index.loadFiles(files);
    const t1 = Date.now();
    const findings = runRules({ index, files, config: defaultConfig() });
    const t2 = Date.now();
    for (const f of findings) Finding.parse(f);
    const per: Record<string, number> = {};
    for (const f of findings) per[f.rule] = (per[f.rule] ?? 0) + 1;
    const fns = files.flatMap((f) => index.functionsIn(f));
    console.log(JSON.stringify({ files: files.length, functions: fns.length, withErrors: fns.filter((f) => f.parseErrors > 0).length, indexMs: t1 - t0, rulesMs: t2 - t1, per }, null, 1));
    if (process.env.KREVIEW_RULES_OUT) writeFileSync(process.env.KREVIEW_RULES_OUT, JSON.stringify(findings, null, 1));
    expect(new Set(findings.map((f) => f.id)).size).toBe(findings.length);
  }, 1_800_000);
});

describe.skipIf(!tree)('the seed case on the real iommu.c (edited in memory only)', () => {
  it('finds cancel_work_sync() in __iommu_group_free_device() under group->mutex from both callers', () => {
    let t = new DiskTree(tree!).read('drivers/iommu/iommu.c')!;
    // What the series adds: a work item per group_device whose worker takes group->mutex,
    // cancelled in the free path that is still called under the mutex (no defer-free patch).
    t = t.replace('struct group_device {\n\tstruct list_head list;', 'struct group_device {\n\tstruct list_head list; struct work_struct work; struct iommu_group *grp;');
    t = t.replace(/(static void __iommu_group_free_device\(struct iommu_group \*group,\n\t+ *struct group_device \*grp_dev\)\n\{\n)/, '$1\tcancel_work_sync(&grp_dev->work);\n');
    t += `
static void gdev_broken_worker(struct work_struct *work)
{
	struct group_device *gdev = container_of(work, struct group_device, work);
	struct iommu_group *group = gdev->grp;

	mutex_lock(&group->mutex);
	mutex_unlock(&group->mutex);
}
static void gdev_init(struct group_device *gdev)
{
	INIT_WORK(&gdev->work, gdev_broken_worker);
}
`;
    const view = new Overlay(new DiskTree(tree!));
    view.set('drivers/iommu/iommu.c', t);
    const files = ['drivers/iommu/iommu.c'];
    const index = createIndex(view, { scope: files, cache: false });
    const f = runRules({ index, files, config: defaultConfig(), functions: new Set(['__iommu_group_free_device']) }).filter((x) => x.rule === 'sync-under-lock');
    // One finding per wait, naming every holder.
    expect(f.map((x) => [x.function, x.lock, x.severity])).toEqual([['__iommu_group_free_device', 'group->mutex', 'error']]);
    const holders = /; (\w+)\(\) and (\w+)\(\) hold group->mutex when they call/.exec(f[0]!.message);
    expect(holders?.slice(1).sort()).toEqual(['__iommu_group_remove_device', '__iommu_probe_device']);
    expect(f[0]!.message).toMatch(/cancel_work_sync\(&grp_dev->work\) waits for gdev_broken_worker\(\)/);
  }, 300_000);
});

describe.skipIf(!tree)('kernel idioms that gave false positives, on the real code', () => {
  const summaries = () => {
    const index = createIndex(new DiskTree(tree!), {});
    return { index, s: new Summaries(index, defaultConfig()) };
  };
  const keys = (ls: { lock: { key: string } }[]) => ls.map((l) => l.lock.key);

  it("xfs_bmapi_read() requires the ILOCK only: the bits of xfs_assert_ilocked()'s flags are read as numbers", () => {
    const { index, s } = summaries();
    const fn = index.resolve('xfs_bmapi_read', 'fs/xfs/libxfs/xfs_bmap.c')!;
    expect(fn).not.toBeNull();
    // `xfs_assert_ilocked(ip, XFS_ILOCK_SHARED | XFS_ILOCK_EXCL)`: not the IOLOCK (i_rwsem) nor the MMAPLOCK.
    const req = keys(s.get(fn)!.requires);
    expect(req).toContain('ip->i_lock');
    expect(req.filter((k) => /i_rwsem|invalidate_lock/.test(k))).toEqual([]);
  }, 120_000);

  it('qdio_shutdown_irq() takes and drops one lock through get_ccwdev_lock(): no net effect', () => {
    const { index, s } = summaries();
    const fn = index.resolve('qdio_shutdown_irq', 'drivers/s390/cio/qdio_main.c')!;
    const sum = s.get(fn)!;
    expect([sum.acquires.length, sum.maybeAcquires.length, sum.releases.length]).toEqual([0, 0, 0]);
  }, 120_000);

  it('__pmd_trans_huge_lock() returns the lock it may take, held when the result is non-NULL', () => {
    const { index, s } = summaries();
    const fn = index.resolve('__pmd_trans_huge_lock', 'mm/huge_memory.c')!;
    const sum = s.get(fn)!;
    expect(sum.maybeAcquires.map((a) => [a.when, a.returned])).toEqual([['nonzero', true]]);
  }, 120_000);

  const ruleOn = (file: string, fn: string, rule: string) => {
    const index = createIndex(new DiskTree(tree!), {});
    index.loadFiles([file]);
    return runRules({ index, files: [file], config: defaultConfig(), functions: new Set([fn]) }).filter((f) => f.rule === rule);
  };

  it('hfs_find_init() hands its caller the lock under the name hfs_find_exit() releases', () => {
    const { index, s } = summaries();
    const init = s.get(index.resolve('hfs_find_init', 'fs/hfsplus/attributes.c')!)!;
    expect(init.maybeAcquires.map((a) => a.lock.key)).toEqual(['fd->tree->tree_lock']);
    expect(ruleOn('fs/hfsplus/attributes.c', 'hfsplus_attr_exists', 'lock-imbalance')).toEqual([]);
  }, 120_000);

  it("rdtgroup_kn_lock_live()'s non-NULL result means held: no assert below the NULL test is reported", () => {
    const { index, s } = summaries();
    const live = s.get(index.resolve('rdtgroup_kn_lock_live', 'fs/resctrl/ctrlmondata.c')!)!;
    expect(live.maybeAcquires.map((a) => [a.lock.key, a.when, a.oneSided])).toContainEqual(['rdtgroup_mutex', 'nonzero', true]);
    expect(ruleOn('fs/resctrl/ctrlmondata.c', 'rdtgroup_schemata_write', 'assert-held-caller')).toEqual([]);
  }, 120_000);

  it('drm_modeset_lock(lock, NULL) returns 0: the error return after it is not a path (i915 hsw_ips)', () => {
    expect(ruleOn('drivers/gpu/drm/i915/display/hsw_ips.c', 'hsw_ips_debugfs_false_color_set', 'lock-imbalance')).toEqual([]);
  }, 120_000);
});
