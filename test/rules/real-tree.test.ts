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
import { createIndex } from '../../src/parse/index/index.js';
import { Finding } from '../../src/report/schema.js';
import { defaultConfig } from '../../src/rules/config.js';
import { runRules } from '../../src/rules/engine.js';

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
