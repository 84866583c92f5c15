import { it } from 'vitest';
import { DiskTree } from '../../src/parse/disk-tree.js';
import { createIndex } from '../../src/parse/index/index.js';
import { defaultConfig } from '../../src/rules/config.js';
import { runRules } from '../../src/rules/engine.js';
import { RULES } from '../../src/rules/registry.js';
it('prof', () => {
  const files = (process.env.FILES ?? 'drivers/iommu/iommu.c').split(',');
  const index = createIndex(new DiskTree('/tmp/linux'), { scope: files });
  index.loadFiles(files);
  const stats: Record<string, { n: number; ms: number }> = {};
  const wrapped = new Proxy(index, {
    get(t, p) {
      const v = (t as any)[p];
      if (typeof v !== 'function') return v;
      return (...a: unknown[]) => {
        const t0 = performance.now();
        const r = v.apply(t, a);
        const s = (stats[String(p)] ??= { n: 0, ms: 0 });
        s.n++;
        s.ms += performance.now() - t0;
        return r;
      };
    },
  });
  for (const rule of RULES) {
    const t0 = Date.now();
    const f = runRules({ index: wrapped, files, config: defaultConfig(), rules: [rule] });
    console.log(rule.meta.id, f.length, Date.now() - t0, 'ms');
  }
  console.log(JSON.stringify(stats), JSON.stringify(index.stats()));
}, 900_000);
