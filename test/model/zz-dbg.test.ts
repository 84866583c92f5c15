import { test } from 'vitest';
import { readdirSync } from 'node:fs';
import { DiskTree } from '../../src/parse/disk-tree.js';
import { createIndex } from '../../src/parse/index/index.js';
import { runRules } from '../../src/rules/engine.js';
import { loadConfig } from '../../src/rules/config.js';
import { confirmFinding } from '../../src/model/confirm.js';
test('rules+model on the kernel', () => {
  const root = '/tmp/linux';
  const dir = process.env.KDIR ?? 'drivers/iommu';
  const view = new DiskTree(root);
  const files = readdirSync(`${root}/${dir}`).filter((f) => f.endsWith('.c')).map((f) => `${dir}/${f}`);
  const t0 = Date.now();
  const index = createIndex(view, { scope: [dir, 'include'] });
  const findings = runRules({ index, files, config: loadConfig(root, undefined) } as never);
  console.log('rules', findings.length, Date.now() - t0, 'ms');
  const t1 = Date.now();
  const counts: Record<string, number> = {};
  for (const f of findings) {
    const s = Date.now();
    const c = confirmFinding(f, index);
    counts[`${f.rule}:${c.status}`] = (counts[`${f.rule}:${c.status}`] ?? 0) + 1;
    console.log(`${f.rule} ${f.file}:${f.line} ${f.function} [${f.lock}] -> ${c.status} (${Date.now() - s} ms): ${c.summary.split('\n')[0].slice(0, 300)}`);
  }
  console.log('model', Date.now() - t1, 'ms', JSON.stringify(counts));
}, 600000);
