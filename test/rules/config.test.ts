import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig, parseConfig, ruleSeverity } from '../../src/rules/config.js';
import { InputError } from '../../src/errors.js';

describe('configuration', () => {
  it('has the iommu group assert wrapper by default, and the model on', () => {
    const c = defaultConfig();
    expect(c.assertWrappers.iommu_group_mutex_assert).toEqual({ lock: 'dev->iommu_group->mutex', mode: 'held' });
    expect(c.model).toBe(true);
  });

  it('reads .kreview.json at the tree root and merges the default wrappers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kr-cfg-'));
    writeFileSync(
      join(dir, '.kreview.json'),
      JSON.stringify({
        assertWrappers: { my_assert: { lock: 'p->lock' } },
        waitPrimitives: [{ name: 'my_flush', waitsFor: 'work', arg: 1 }],
        rules: { 'lock-imbalance': 'off', 'double-lock': 'warning' },
        model: false,
      }),
    );
    const c = loadConfig(dir);
    expect(Object.keys(c.assertWrappers).sort()).toEqual(['iommu_group_mutex_assert', 'my_assert']);
    expect(c.waitPrimitives[0]).toEqual({ name: 'my_flush', waitsFor: 'work', arg: 1 });
    expect(ruleSeverity(c, 'lock-imbalance', 'warning')).toBeNull();
    expect(ruleSeverity(c, 'double-lock', 'error')).toBe('warning');
    expect(ruleSeverity(c, 'sync-under-lock', 'error')).toBe('error');
    expect(c.model).toBe(false);
  });

  it('uses defaults when the tree has no .kreview.json', () => {
    expect(loadConfig(mkdtempSync(join(tmpdir(), 'kr-cfg-')))).toEqual(defaultConfig());
  });

  it('names the file and the bad key path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kr-cfg-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ waitPrimitives: [{ name: 'x', waitsFor: 'mutex' }] }));
    expect(() => loadConfig(dir, file)).toThrow(InputError);
    expect(() => loadConfig(dir, file)).toThrow(/bad\.json: invalid configuration at waitPrimitives\.0\.waitsFor/);
    expect(() => parseConfig({ rules: { 'no-such-rule': 'off' } }, 'c.json')).toThrow(/c\.json: invalid configuration at rules/);
    expect(() => parseConfig({ unknownKey: 1 }, 'c.json')).toThrow(/c\.json/);
  });

  it('rejects a file that is not JSON, and a missing --config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kr-cfg-'));
    writeFileSync(join(dir, '.kreview.json'), '{ nope');
    expect(() => loadConfig(dir)).toThrow(/\.kreview\.json: not valid JSON/);
    expect(() => loadConfig(dir, join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read/);
  });
});
