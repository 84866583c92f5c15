/**
 * Every file of fixtures/nasty through the stage it targets, by the CLI
 * where there is a command for it: mail and patches through `series`,
 * `comments` and `apply`, C through the front end.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { extractFunctions } from '../../src/parse/c/api.js';
import { prepass } from '../../src/parse/c/prepass.js';
import { expectCleanFailure, snapshotDir, timed, timedAsync } from './helpers.js';

const NASTY = new URL('../../fixtures/nasty/', import.meta.url).pathname;
const FILES = readdirSync(NASTY).filter((f) => f !== 'README.md').sort();

let dir: string;
let tree: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kreview-nasty-'));
  tree = join(dir, 'tree');
  cpSync(new URL('../../fixtures/iommu/tree', import.meta.url).pathname, tree, { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fixtures/nasty', () => {
  it('holds cases of every kind', () => {
    for (const ext of ['.eml', '.mbox', '.patch', '.c']) expect(FILES.some((f) => f.endsWith(ext)), ext).toBe(true);
  });

  for (const f of FILES.filter((x) => !x.endsWith('.c'))) {
    for (const cmd of ['series', 'comments', 'apply']) {
      it(`${cmd} ${f}: exit 0, or 2/3 with one error line; nothing written but --out`, async () => {
        const out = join(dir, `out-${cmd}-${f}`);
        const before = snapshotDir(dir);
        const io = memoryIo();
        const args = cmd === 'apply' ? ['apply', join(NASTY, f), '--tree', tree, '--out', out] : [cmd, join(NASTY, f)];
        const status = await timedAsync(f, 10_000, () => main(['node', 'kreview', ...args], io));
        if (status !== 0) expectCleanFailure(status, io.err);
        rmSync(out, { recursive: true, force: true });
        expect(snapshotDir(dir)).toBe(before);
      });
    }
  }

  for (const f of FILES.filter((x) => x.endsWith('.c'))) {
    it(`${f}: pre-pass keeps the length, lowering does not throw`, () => {
      const text = readFileSync(join(NASTY, f), 'utf8');
      expect(prepass(text).text.length).toBe(text.length);
      timed(f, 5000, () => extractFunctions(text, f));
    });
  }

  it('the unsafe patches are refused with exit 2 naming the path', async () => {
    for (const f of ['dotdot.patch', 'etc-passwd.patch', 'absolute.patch', 'nul-path.patch', 'rename-out.patch']) {
      const io = memoryIo();
      const status = await main(['node', 'kreview', 'apply', join(NASTY, f), '--tree', tree, '--out', join(dir, 'o')], io);
      expect(status, f).toBe(2);
      expect(io.err, f).toMatch(/^kreview: error: .*unsafe path/);
    }
  });
});

describe('fixtures/nasty through the analysing commands (--no-model)', () => {
  for (const f of FILES.filter((x) => !x.endsWith('.c'))) {
    for (const cmd of ['lint', 'scan']) {
      it(`${cmd} ${f}: exit 0/1, or 2/3 with one error line; the tree untouched`, async () => {
        const before = snapshotDir(dir);
        const io = memoryIo();
        const args = [cmd, join(NASTY, f), '--tree', tree, '--no-model', '--format', 'json', ...(cmd === 'scan' ? ['--jobs', '1'] : [])];
        const status = await timedAsync(f, 15_000, () => main(['node', 'kreview', ...args], io));
        // scan reports a series that did not apply in its summary (exit 3), not as an error line.
        if (status === 2 || (status === 3 && cmd === 'lint')) expectCleanFailure(status, io.err);
        expect([0, 1, 2, 3]).toContain(status);
        expect(io.err).not.toMatch(/internal error|^\s+at /m);
        expect(snapshotDir(dir)).toBe(before);
      });
    }
  }

  it('check over a tree holding the nasty C files: no crash, findings or none', async () => {
    const t = join(dir, 'ctree');
    cpSync(tree, t, { recursive: true });
    for (const f of FILES.filter((x) => x.endsWith('.c'))) cpSync(join(NASTY, f), join(t, 'drivers', f));
    const before = snapshotDir(t);
    const io = memoryIo();
    const status = await timedAsync('check', 20_000, () => main(['node', 'kreview', 'check', '--tree', t, '--no-model'], io));
    expect([0, 1]).toContain(status);
    expect(io.err).not.toMatch(/kreview: error|^\s+at /m);
    expect(snapshotDir(t)).toBe(before);
  });
});
