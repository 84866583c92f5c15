import { test } from 'vitest';
import { analysed } from './reply-fixture.js';
test('dump', async () => {
  const { a } = await analysed('variant-no-defer.mbox');
  const idx: any = a.after.index;
  console.log('CALLERS', idx.callers('__iommu_group_free_device').map((f: any) => f.name));
  const fn = idx.functionsIn('drivers/iommu/iommu.c').find((f: any) => f.name === '__iommu_group_remove_device');
  for (const b of fn.blocks) for (const i of b.instrs) if (i.op === 'call') console.log('CALL', i.callee, i.pos.line);
}, 60000);
