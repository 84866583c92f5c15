import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Parser from 'tree-sitter';
import C from 'tree-sitter-c';
import { generateSeries, generateTree, MANIFEST_NAME, PLANTED_RULES, type BenchManifest, type GeneratedTree } from '../../bench/generate.js';

const BUGS = { 'assert-held-caller': 3, 'sync-under-lock': 2, 'double-lock': 2, 'lock-imbalance': 4 } as const;

let scratch: string;
let tree: GeneratedTree;

function contents(t: GeneratedTree): Map<string, string> {
  return new Map([...t.files, MANIFEST_NAME].map((f) => [f, readFileSync(join(t.dir, f), 'utf8')]));
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'kreview-bench-test-'));
  tree = generateTree(join(scratch, 'a'), { files: 24, seed: 7, bugs: BUGS });
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('generateTree', () => {
  it('lays out drivers, cores and headers', () => {
    expect(tree.files.filter((f) => f.endsWith('.c'))).toHaveLength(24);
    expect(tree.files.some((f) => /^include\/linux\/\w+\.h$/.test(f))).toBe(true);
    expect(tree.files.some((f) => /^drivers\/\w+\/core\.c$/.test(f))).toBe(true);
    const sizes = tree.files.map((f) => readFileSync(join(tree.dir, f)).length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(tree.bytes);
  });

  it('is deterministic by seed', () => {
    const again = generateTree(join(scratch, 'b'), { files: 24, seed: 7, bugs: BUGS });
    expect(again.files).toEqual(tree.files);
    expect(contents(again)).toEqual(contents(tree));

    const other = generateTree(join(scratch, 'c'), { files: 24, seed: 8, bugs: BUGS });
    const a = contents(tree);
    const b = contents(other);
    const same = [...a].filter(([f, text]) => b.get(f) === text && f.includes('drivers/') && !f.endsWith('core.c'));
    expect(same).toEqual([]);
    expect(b).not.toEqual(a);
  });

  it('writes C that tree-sitter-c parses with no ERROR node', () => {
    const parser = new Parser();
    parser.setLanguage(C as unknown as Parser.Language);
    const errors: string[] = [];
    let functions = 0;
    for (const f of tree.files) {
      const text = readFileSync(join(tree.dir, f), 'utf8');
      const root = parser.parse(text, undefined, { bufferSize: text.length * 2 + 1024 }).rootNode;
      expect(root.endIndex).toBe(text.length);
      const cursor = root.walk();
      // Depth-first over every node.
      let done = false;
      while (!done) {
        if (cursor.nodeType === 'ERROR') errors.push(`${f}:${cursor.startPosition.row + 1}`);
        if (cursor.nodeType === 'function_definition') functions++;
        if (cursor.gotoFirstChild()) continue;
        while (!cursor.gotoNextSibling()) {
          if (!cursor.gotoParent()) {
            done = true;
            break;
          }
        }
      }
    }
    expect(errors).toEqual([]);
    expect(functions).toBeGreaterThan(24 * 8);
  });

  it('lists the planted bugs, each at the line that holds it', () => {
    const manifest = JSON.parse(readFileSync(tree.manifest, 'utf8')) as BenchManifest;
    expect(manifest.counts).toEqual(BUGS);
    for (const rule of PLANTED_RULES) expect(manifest.bugs.filter((b) => b.rule === rule)).toHaveLength(BUGS[rule]);
    for (const bug of manifest.bugs) {
      const lines = readFileSync(join(tree.dir, bug.file), 'utf8').split('\n');
      expect(lines[bug.line - 1]!.trim(), `${bug.file}:${bug.line}`).toBe(bug.statement);
      // The bug sits inside the function it names.
      const start = lines.findIndex((l) => new RegExp(`\\b${bug.function}\\(`).test(l) && !l.startsWith(' *'));
      expect(start, bug.function).toBeGreaterThanOrEqual(0);
      expect(start).toBeLessThan(bug.line);
      expect(lines.slice(start, bug.line).includes('}')).toBe(false);
    }
    const sync = manifest.bugs.find((b) => b.rule === 'sync-under-lock')!;
    expect(sync.statement).toMatch(/^(cancel_work_sync|cancel_delayed_work_sync|flush_work)\(&d->(d?work)\);$/);
  });

  it('gives the default bug count from the file count', () => {
    const t = generateTree(join(scratch, 'd'), { files: 80, seed: 1, meanFileBytes: 4000 });
    const manifest = JSON.parse(readFileSync(t.manifest, 'utf8')) as BenchManifest;
    for (const rule of PLANTED_RULES) expect(manifest.counts[rule]).toBe(2);
    expect(manifest.bugs).toHaveLength(8);
  });
});

describe('generateSeries', () => {
  it('writes a 10-patch format-patch series that applies in order', () => {
    const series = generateSeries(join(scratch, 'series'), tree, 10);
    expect(series.patches).toHaveLength(10);
    const cover = readFileSync(series.cover, 'utf8');
    expect(cover).toMatch(/^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001\n/);
    expect(cover).toContain('Subject: [PATCH v1 00/10] ');
    expect(cover).not.toContain('*** SUBJECT HERE ***');

    const copy = join(scratch, 'applied');
    cpSync(tree.dir, copy, { recursive: true });
    for (const p of series.patches) {
      const mail = readFileSync(p.path, 'utf8');
      expect(mail).toContain(`Subject: [PATCH v1 ${String(p.index).padStart(2, '0')}/10] `);
      expect(mail).toContain(`Message-Id: <${p.messageId}>`);
      expect(mail).toMatch(/^In-Reply-To: <kreview-bench-7-0@kreview\.invalid>$/m);
      expect(mail).toMatch(/^---$/m);
      expect(mail).toMatch(/^diff --git a\//m);
      execFileSync('git', ['apply', '--check', p.path], { cwd: copy });
      execFileSync('git', ['apply', p.path], { cwd: copy });
    }
    // A later patch builds on an earlier one: out of order, the fourth does not apply.
    const fresh = join(scratch, 'unordered');
    cpSync(tree.dir, fresh, { recursive: true });
    expect(() => execFileSync('git', ['apply', '--check', series.patches[3]!.path], { cwd: fresh, stdio: 'pipe' })).toThrow();

    // The mbox is the cover letter and the patches, in order.
    expect(series.mbox.match(/^From [0-9a-f]{40} /gm)).toHaveLength(11);

    // The bug the series plants is where the manifest says, in the patched tree.
    expect(series.introduces).toHaveLength(1);
    const bug = series.introduces[0]!;
    expect(bug.rule).toBe('assert-held-caller');
    const lines = readFileSync(join(copy, bug.file), 'utf8').split('\n');
    expect(lines[bug.line - 1]!.trim()).toBe(bug.statement);
    expect(lines[bug.line - 2]!.trim()).toBe('mutex_unlock(&d->lock);');
  });

  it('writes the first patch again as a standalone patch', () => {
    const series = generateSeries(join(scratch, 'single'), tree, 10);
    const single = readFileSync(series.single, 'utf8');
    expect(single).toMatch(/^Subject: \[PATCH\] /m);
    expect(single).not.toMatch(/^(In-Reply-To|References):/m);
    const orig = readFileSync(series.patches[0]!.path, 'utf8');
    expect(single.slice(single.indexOf('\n\n'))).toBe(orig.slice(orig.indexOf('\n\n')));
    execFileSync('git', ['apply', '--check', series.single], { cwd: tree.dir });
  });

  it('is deterministic', () => {
    const a = generateSeries(join(scratch, 's1'), tree, 10);
    const b = generateSeries(join(scratch, 's2'), tree, 10);
    expect(b.mbox).toBe(a.mbox);
  });
});
