/** Runs only with KREVIEW_KERNEL_TREE set to a kernel checkout. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractFunctions } from '../../../src/parse/c/api.js';

const tree = process.env.KREVIEW_KERNEL_TREE;

describe.skipIf(!tree)('real kernel code (KREVIEW_KERNEL_TREE)', () => {
  it('lowers drivers/iommu/*.c without throwing, with right names and few parse errors', () => {
    const dir = join(tree!, 'drivers/iommu');
    const files = readdirSync(dir).filter((f) => f.endsWith('.c'));
    expect(files.length).toBeGreaterThan(5);
    let total = 0;
    let withErrors = 0;
    const names = new Set<string>();
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      const fns = extractFunctions(text, `drivers/iommu/${f}`);
      for (const fn of fns) {
        total++;
        if (fn.parseErrors > 0) withErrors++;
        names.add(fn.name);
        expect(fn.name).toMatch(/^[A-Za-z_]\w*$/);
        expect(['__init', '__exit', '__must_check', 'static', 'inline', '__always_inline']).not.toContain(fn.name);
        expect(fn.blocks.length).toBeGreaterThan(0);
        expect(fn.pos.line).toBeGreaterThan(0);
      }
    }
    expect(total).toBeGreaterThan(500);
    expect(withErrors / total).toBeLessThan(0.05);
    for (const n of ['__iommu_group_remove_device', 'iommu_subsys_init', 'iommu_group_mutex_assert', 'iommu_init']) {
      expect(names.has(n)).toBe(true);
    }
  }, 120_000);

  it('finds the iommu.c idioms: guard scopes, list iteration, WARN_ON, a lockdep assert', () => {
    const text = readFileSync(join(tree!, 'drivers/iommu/iommu.c'), 'utf8');
    const fns = extractFunctions(text, 'drivers/iommu/iommu.c');
    const all = fns.flatMap((f) => f.blocks.flatMap((b) => b.instrs));
    expect(all.some((i) => i.op === 'guard' && i.class === 'mutex')).toBe(true);
    expect(all.some((i) => i.op === 'scope_end' && i.kind === 'guard')).toBe(true);
    expect(all.some((i) => i.op === 'call' && i.callee === 'WARN_ON')).toBe(true);
    expect(all.some((i) => i.op === 'call' && i.callee === 'lockdep_assert_held')).toBe(true);
    const terms = fns.flatMap((f) => f.blocks.map((b) => b.term));
    expect(terms.some((t) => t.op === 'foreach' && t.macro === 'for_each_group_device')).toBe(true);
    // Every position points at the text it claims to be.
    const lines = text.split('\n');
    for (const i of all.slice(0, 2000)) {
      if (i.op !== 'call') continue;
      const line = lines[i.pos.line - 1]!;
      const name = i.callee ?? '';
      if (name && i.text.startsWith(name)) expect(line.slice(i.pos.column - 1).startsWith(name)).toBe(true);
    }
  }, 60_000);
});
