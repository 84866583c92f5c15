import { test } from 'vitest';
import { DiskTree } from '../../src/parse/disk-tree.js';
import { createIndex } from '../../src/parse/index/index.js';
import { runRules } from '../../src/rules/engine.js';
import { defaultConfig } from '../../src/rules/config.js';
import { warnReachable } from '../../src/rules/warn-reachable.js';
import { confirmAll } from '../../src/model/confirm.js';

test('scratch', () => {
  for (const tree of (process.env.TREES ?? '/tmp/wr-after').split(',')) {
    const view = new DiskTree(tree);
    const files = ['drivers/iommu/iommu.c', 'drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c'];
    const index = createIndex(view, { scope: files });
    const t0 = Date.now();
    const fs = runRules({ index, files, config: defaultConfig(), rules: [warnReachable] });
    const ms = Date.now() - t0;
    const c = confirmAll(fs, index);
    console.log(tree, ms, 'ms');
    for (const f of c) console.log(f.id, f.line, f.function, f.message, '\n  ', f.confirmation.summary, '\n' + f.confirmation.trace.map((t) => `    ${t.thread}: ${t.step}`).join('\n'));
  }
}, 120000);
