/**
 * On a real kernel tree (KREVIEW_KERNEL_TREE, skipped when unset): every
 * commit of its git history, as `git format-patch` writes it, applied to the
 * files as they were before the commit, must give the files as they are after
 * it. Also times parsing and applying against a large real file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPatch, applyFileDiff } from '../../src/parse/apply.js';
import { parseDiff } from '../../src/parse/diff.js';
import { DiskTree } from '../../src/parse/disk-tree.js';
import type { TreeView } from '../../src/parse/tree.js';

const KERNEL = process.env.KREVIEW_KERNEL_TREE;
const hasGit = !!KERNEL && existsSync(join(KERNEL, '.git')) && spawnSync('git', ['--version']).status === 0;

const git = (...args: string[]) => execFileSync('git', ['-C', KERNEL!, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });

/** The tree as of a commit, read through git. */
class CommitTree implements TreeView {
  constructor(
    readonly root: string,
    private readonly commit: string,
  ) {}
  read(rel: string): string | null {
    const r = spawnSync('git', ['-C', this.root, 'show', `${this.commit}:${rel}`], { encoding: 'utf8', maxBuffer: 1 << 28 });
    return r.status === 0 ? r.stdout : null;
  }
  exists(rel: string): boolean {
    return this.read(rel) !== null;
  }
  changes(): ReadonlyMap<string, string | null> {
    return new Map();
  }
}

describe.skipIf(!hasGit)('on a real kernel tree', () => {
  it('each commit of the history applies exactly to its parent and gives the commit', () => {
    const commits = git('rev-list', '--no-merges', '--max-count=20', 'HEAD').trim().split('\n');
    let checked = 0;
    for (const c of commits) {
      if (spawnSync('git', ['-C', KERNEL!, 'rev-parse', '--verify', '-q', `${c}^`]).status !== 0) continue;
      const text = git('format-patch', '-1', '--stdout', c);
      if (/^GIT binary patch$/m.test(text)) continue;
      const files = parseDiff(text, c);
      const { result, snapshot } = applyPatch(new CommitTree(KERNEL!, `${c}^`), {
        index: 1,
        total: 1,
        subject: c,
        messageId: null,
        source: c,
        files,
      });
      expect(result.errors).toEqual([]);
      expect(result.hunks.filter((h) => h.status !== 'applied')).toEqual([]);
      const after = new CommitTree(KERNEL!, c);
      for (const rel of result.touched) expect(snapshot.read(rel)).toBe(after.read(rel));
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });
});

describe.skipIf(!KERNEL || !existsSync(join(KERNEL ?? '', 'drivers/iommu/iommu.c')))('speed on drivers/iommu/iommu.c', () => {
  it('a 40-hunk diff parses and applies (at an offset) in well under a second', () => {
    const tree = new DiskTree(KERNEL!);
    const orig = tree.read('drivers/iommu/iommu.c')!;
    const lines = orig.split('\n');
    // 40 hunks, each adding a line, built by hand so no tool is needed.
    let diff = '--- a/drivers/iommu/iommu.c\n+++ b/drivers/iommu/iommu.c\n';
    const step = Math.floor((lines.length - 10) / 40);
    for (let k = 0; k < 40; k++) {
      const at = 5 + k * step; // 0-based index of the first context line
      const ctx = lines.slice(at, at + 6);
      diff += `@@ -${at + 1},6 +${at + 1 + k},7 @@\n`;
      diff += ctx.slice(0, 3).map((l) => ' ' + l).join('\n') + '\n';
      diff += `+/* added ${k} */\n`;
      diff += ctx.slice(3).map((l) => ' ' + l).join('\n') + '\n';
    }
    const shifted = '/* shift */\n'.repeat(25) + orig;
    const t0 = performance.now();
    const [fd] = parseDiff(diff, 'gen');
    const r = applyFileDiff(shifted, fd!);
    const ms = performance.now() - t0;
    expect(r.hunks.every((h) => h.status === 'offset' && h.offset === 25)).toBe(true);
    expect(r.text!.split('\n').filter((l) => l.startsWith('/* added ')).length).toBe(40);
    expect(ms).toBeLessThan(1000);
    if (process.env.KREVIEW_VERBOSE) console.log(`parse+apply 40 hunks on iommu.c: ${ms.toFixed(1)} ms`);
  });
});
