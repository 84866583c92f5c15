/**
 * The diff parser and the applier on hostile patches: only InputErrors or
 * failure results, bounded time, generated diffs apply exactly, and the tree
 * on disk (with symlinks pointing out of it) is never touched.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { applyFileDiff, applySeries, MAX_FAILED_HUNKS } from '../../src/parse/apply.js';
import { parseDiff } from '../../src/parse/diff.js';
import type { FileDiff } from '../../src/parse/diff-schema.js';
import { DiskTree } from '../../src/parse/disk-tree.js';
import { hunkSoup, lfText, lineText, nastyPatches, unifiedDiff } from './diff-cases.js';
import { runs, settle, snapshotDir, timed } from './helpers.js';

let base: string;
let tree: string;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'kreview-robust-tree-'));
  tree = join(base, 'tree');
  mkdirSync(join(tree, 'd'), { recursive: true });
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(base, 'outside', 'victim.c'), 'a\n');
  writeFileSync(join(tree, 'x.c'), 'a\n');
  writeFileSync(join(tree, 'f.c'), 'a\nb\nc\n');
  writeFileSync(join(tree, 'd', 'y.c'), 'a\n');
  symlinkSync(join(base, 'outside'), join(tree, 'out-dir'));
  symlinkSync(join(base, 'outside', 'victim.c'), join(tree, 'out-file.c'));
  symlinkSync(join(base, 'nowhere'), join(tree, 'dangling'));
  symlinkSync('../../outside', join(tree, 'd', 'rel-out'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const patch = (files: FileDiff[]) => [{ index: 1, total: 1, subject: 's', messageId: null, source: 't', files }];

/** Parse, then apply to the disk tree: returns what happened, and checks nothing on disk moved. */
function throughTree(text: string): { parsed: boolean; applied: boolean; errors: string[] } {
  const before = snapshotDir(base);
  const files = settle(() => parseDiff(text, 'nasty'));
  if (!Array.isArray(files)) return { parsed: false, applied: false, errors: [files.message] };
  const r = settle(() => applySeries(new DiskTree(tree), patch(files)));
  expect(snapshotDir(base)).toBe(before);
  if (!('results' in r)) return { parsed: true, applied: false, errors: [r.message] };
  return { parsed: true, applied: r.results[0]!.applied, errors: r.results[0]!.errors };
}

describe('nasty patches', () => {
  for (const [name, text] of Object.entries(nastyPatches())) {
    it(`${name}: parsed and applied within 10 s, no throw but InputError, tree untouched`, () => {
      timed(name, 10_000, () => throughTree(text));
    });
  }

  it('unsafe paths are refused by the parser', () => {
    const n = nastyPatches();
    // `--- /etc/passwd` is stripped like `patch -p1` does, to the tree-relative etc/passwd.
    expect(parseDiff(n['absolute']!, 'abs')[0]!.newPath).toBe('etc/passwd');
    for (const k of ['dotdot', 'etc-passwd', 'absolute-git-header', 'rename-to-outside', 'nul-in-quoted-path', 'nul-raw-path', 'backslash-path']) {
      expect(() => parseDiff(n[k]!, k), k).toThrow(/unsafe path/);
    }
  });

  it('line numbers beyond 2^53 are an InputError; large ones search without spinning (was a hang)', () => {
    expect(() => parseDiff(nastyPatches()['infinite-start']!, 'p')).toThrow(/line number too large/);
    const [fd] = parseDiff('--- a/x\n+++ b/x\n@@ -99999999999,1 +99999999999,1 @@\n-a\n+b\n', 'p');
    const r = timed('apply', 100, () => applyFileDiff('z\na\n', fd!));
    expect(r.text).toBe('z\nb\n');
    expect(r.hunks[0]).toMatchObject({ status: 'offset', offset: 1 - 99999999998 });
  });

  it('a patch of 100,000 hunks that match nothing stops searching after MAX_FAILED_HUNKS (was quadratic)', () => {
    const [fd] = parseDiff(nastyPatches()['hunks-100000']!, 'p');
    const text = Array.from({ length: 100_000 }, (_, i) => `other ${i}`).join('\n') + '\n';
    const r = timed('apply', 5000, () => applyFileDiff(text, fd!));
    expect(r.hunks).toHaveLength(100_000);
    expect(r.hunks.filter((h) => h.reason?.startsWith('not tried'))).toHaveLength(100_000 - MAX_FAILED_HUNKS);
  });

  it('a patch of 100,000 hunks that all apply does apply', () => {
    const [fd] = parseDiff(nastyPatches()['hunks-100000']!, 'p');
    const text = Array.from({ length: 300_000 }, (_, i) => (i % 3 === 0 ? `l${i / 3}` : `k${i}`)).join('\n') + '\n';
    const r = timed('apply', 5000, () => applyFileDiff(text, fd!));
    expect(r.error).toBeNull();
    expect(r.hunks.every((h) => h.status === 'applied')).toBe(true);
    expect(r.text!.startsWith('m0\nk1\nk2\nm1\n')).toBe(true);
  });

  it('symlinks out of the tree: reading, patching and creating through them all fail, nothing is written', () => {
    const mod = (p: string) => `--- a/${p}\n+++ b/${p}\n@@ -1 +1 @@\n-a\n+b\n`;
    const add = (p: string) => `--- /dev/null\n+++ b/${p}\n@@ -0,0 +1 @@\n+b\n`;
    for (const text of [mod('out-dir/victim.c'), mod('out-file.c'), add('out-dir/new.c'), add('dangling/new.c'), add('dangling'), mod('d/rel-out/victim.c')]) {
      const r = throughTree(text);
      expect(r.applied, text).toBe(false);
      expect(r.errors.join(' '), text).toMatch(/symlink/);
    }
  });
});

describe('diff properties', () => {
  it('hunk soup: parseDiff returns or throws InputError; applying what parses never throws', () => {
    fc.assert(
      fc.property(hunkSoup, lineText, (text, old) => {
        const files = settle(() => parseDiff(text, 'soup'));
        if (!Array.isArray(files)) return;
        for (const fd of files) timed('apply', 2000, () => applyFileDiff(fd.status === 'added' ? null : old, fd));
        throughTree(text);
      }),
      { numRuns: runs(150, 5000) },
    );
  });

  it('diff -u of two random texts, applied to the old text, gives the new text (also when shifted down)', () => {
    fc.assert(
      fc.property(lfText, lfText, fc.integer({ min: 0, max: 3 }), fc.array(fc.constantFrom('p', 'q'), { maxLength: 5 }), (a, b, ctx, pad) => {
        const d = unifiedDiff(a, b, ctx);
        if (d === '') return;
        const files = parseDiff(d, 'gen');
        expect(files).toHaveLength(1);
        expect(applyFileDiff(a, files[0]!, { maxFuzz: 0 }).text).toBe(b);
        // Lines added above: the hunks land at an offset and still give the new text below them.
        const prefix = pad.map((p) => `${p}\n`).join('');
        if (ctx > 0 && a !== '' && b !== '') {
          const r = applyFileDiff(prefix + a, files[0]!, { maxFuzz: 0 });
          if (r.text !== null) expect(r.text).toBe(prefix + b);
        }
      }),
      { numRuns: runs(60, 1500) },
    );
  });

  it('an unsafe path anywhere in a diff is an InputError, never a result', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('..', '/etc', 'a/../..', '\0', 'C:', '~', 'a//b', './x', 'x\\y'),
        fc.constantFrom('old', 'new', 'rename'),
        (bad, where) => {
          const p = `${bad}/passwd`;
          // `--- /etc/x` (no a/ prefix) is stripped to etc/x like patch -p1 does, so it is given as `a//etc/x`.
          const text =
            where === 'rename'
              ? `diff --git a/f.c b/g.c\nrename from f.c\nrename to ${p}\n`
              : where === 'old'
                ? `--- a/${p}\n+++ b/f.c\n@@ -1 +1 @@\n-a\n+b\n`
                : `--- a/f.c\n+++ b/${p}\n@@ -1 +1 @@\n-a\n+b\n`;
          expect(() => parseDiff(text, 'p')).toThrow(InputError);
        },
      ),
      { numRuns: runs(27, 27) },
    );
  });
});

describe('long paths', () => {
  it('a path longer than PATH_MAX is refused, and messages quote it shortened (error lines stay small)', () => {
    const long = `x.c${' '.repeat(200_000)}x`;
    let msg = '';
    try {
      parseDiff(`--- a/${long}\n+++ b/${long}\n@@ -1 +1 @@\n-a\n+b\n`, 'p');
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      msg = (err as Error).message;
    }
    expect(msg).toMatch(/longer than 4096 characters/);
    expect(msg.length).toBeLessThan(400);
    try {
      parseDiff(`--- a/${long}\n+++ b/${long}\n@@ -1,3 +1 @@\n-a\n+b\n`, 'p');
    } catch (err) {
      expect((err as Error).message.length).toBeLessThan(400);
    }
  });
});
