import { test } from 'vitest';
import { DiskTree } from '../../src/parse/disk-tree.js';
import { createIndex } from '../../src/parse/index/index.js';
import { warnTargets, planFor, CallGraph } from '../../src/rules/warn-reachable.js';
import { exploreWarn } from '../../src/model/scenarios/warn-reachable.js';
import { DEFAULT_BOUNDS } from '../../src/model/bounds.js';

test('scratch2', () => {
  const view = new DiskTree(process.env.TREE ?? '/tmp/wr-after');
  const files = ['drivers/iommu/iommu.c', 'drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c'];
  const index = createIndex(view, { scope: files });
  const fns = files.flatMap((f) => index.functionsIn(f));
  const fn = fns.find((f) => f.name === (process.env.FN ?? '__iommu_group_empty_assert_owner_cnt'))!;
  const entries = fns.filter((f) => !f.isStatic && f.blocks.length);
  const g = new CallGraph(index);
  for (const { target } of warnTargets(fn)) {
    console.log(target.text, target.struct, target.base, target.fields);
    const plan = planFor(index, g, entries, fns, target)!;
    console.log('setup', plan?.setup.map((f) => f.name), 'mid', plan?.middles.map((m) => m.fn.name + (m.worker ? '/' + m.worker : '')), 'fin', plan?.finals.map((f) => f.name));
    const ex = exploreWarn(index, target, plan, { bounds: { ...DEFAULT_BOUNDS, timeMs: 300 }, budgetMs: 2000, maxLen: 4 });
    for (const f of ex.firing) console.log(f.explanation, '\n', f.confirmation.summary, '\n' + f.confirmation.trace.map((t) => '    ' + t.thread + ': ' + t.step).join('\n'));
    console.log('firing', ex.firing.map((f) => f.entries.join(' ')), 'quiet', ex.quiet, 'cut', ex.cut, 'untried', ex.untried, ex.ms);
  }
}, 120000);
