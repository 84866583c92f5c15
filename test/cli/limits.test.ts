/**
 * Resource caps come from the configuration file (`limits`) and reach every
 * command: a capped input is one clear error, not a crash or a hang.
 */
import { mkdtempSync, writeFileSync, cpSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';
import { parseConfig } from '../../src/rules/config.js';

const ROOT = join(import.meta.dirname, '../..');
const FIX = join(ROOT, 'fixtures/iommu');
const tmp = mkdtempSync(join(tmpdir(), 'kreview-limits-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(args: string[]) {
  const io = memoryIo();
  const status = await main(['node', 'kreview', ...args], io);
  return { status, out: io.out, err: io.err };
}

describe('limits', () => {
  it('has defaults and refuses nonsense', () => {
    const c = parseConfig({});
    expect(c.limits.maxMessageBytes).toBe(32 * 1024 * 1024);
    expect(c.limits.model).toEqual({});
    expect(() => parseConfig({ limits: { maxInputBytes: -1 } }, 'k.json')).toThrow(/k\.json: invalid configuration at limits\.maxInputBytes/);
    expect(() => parseConfig({ limits: { model: { bogus: 1 } } }, 'k.json')).toThrow(/limits\.model/);
  });

  it('workerHeapMb: unset by default (check then gives its workers 1536), at least 256 (check.test.ts shows it reach the workers)', () => {
    expect(parseConfig({}).limits.workerHeapMb).toBeUndefined();
    expect(parseConfig({ limits: { workerHeapMb: 512 } }).limits.workerHeapMb).toBe(512);
    expect(() => parseConfig({ limits: { workerHeapMb: 100 } }, 'k.json')).toThrow(/limits\.workerHeapMb/);
  });

  it('lint: an input over maxInputBytes is one error line, exit 2', async () => {
    const cfg = join(tmp, 'small.json');
    writeFileSync(cfg, JSON.stringify({ limits: { maxInputBytes: 1000 } }));
    const r = await run(['lint', join(FIX, 'variant-no-defer.mbox'), '--tree', join(FIX, 'tree'), '--config', cfg, '--no-model']);
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/^kreview: error: .*variant-no-defer\.mbox: larger than .*\n$/);
  });

  it('check: a C file over maxFileBytes is skipped and named', async () => {
    const tree = join(tmp, 'tree');
    cpSync(join(FIX, 'tree'), tree, { recursive: true });
    writeFileSync(join(tree, '.kreview.json'), JSON.stringify({ limits: { maxFileBytes: 2000 } }));
    const r = await run(['check', '--tree', tree, '--no-model', '--fail-on', 'never']);
    expect(r.status).toBe(0);
    expect(r.err).toMatch(/kreview: warning: skipped drivers\/iommu\/iommu\.c: /);
  });

  it('the model bounds reach the model: a one-step bound gives unknown naming it', async () => {
    const cfg = join(tmp, 'model.json');
    writeFileSync(cfg, JSON.stringify({ limits: { model: { steps: 1 } } }));
    const r = await run(['lint', join(FIX, 'variant-no-defer.mbox'), '--tree', join(FIX, 'tree'), '--config', cfg, '--format', 'json']);
    const doc = JSON.parse(r.out);
    const sync = doc.findings.find((f: { rule: string }) => f.rule === 'sync-under-lock');
    expect(sync.confirmation.status).toBe('unknown');
    expect(sync.confirmation.summary).toMatch(/steps \(1\)/);
  });
});
