/**
 * `kreview apply` end to end through runApply(): the fixture series on the
 * fixture tree, shifted and edited copies of it, failures, and --out rules.
 * Errors are turned into the `kreview: error:` line the way src/cli/main.ts
 * does (main itself imports every command, some of which are not built yet).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runApply } from '../../src/cli/apply.js';
import { memoryIo } from '../../src/cli/io.js';
import { KreviewError } from '../../src/errors.js';
import { createHash } from 'node:crypto';
import { lstatSync } from 'node:fs';

/** A hash of every path, mode and content under `dir`. */
function hashTree(dir: string): string {
  const h = createHash('sha256');
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const p = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(dir, p));
      h.update(`${p}\0${st.mode}\0`);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) h.update(readFileSync(join(dir, p)));
    }
  };
  walk('');
  return h.digest('hex');
}

const FIXTURE = join(import.meta.dirname, '../../fixtures/iommu');
const TREE = join(FIXTURE, 'tree');
const SERIES = join(FIXTURE, 'series-v3.mbox');
const IOMMU = 'drivers/iommu/iommu.c';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'kreview-apply-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function run(args: string[]) {
  const io = memoryIo();
  const inputs = args.slice(0, args.indexOf('--tree'));
  const tree = args[args.indexOf('--tree') + 1]!;
  const out = args[args.indexOf('--out') + 1]!;
  let status: number;
  try {
    status = await runApply(io, inputs, { tree, out, loreUrl: 'http://127.0.0.1:9/all' });
  } catch (err) {
    if (!(err instanceof KreviewError)) throw err;
    expect(err.message).not.toContain('\n');
    io.stderr(`kreview: error: ${err.message}\n`);
    status = err.exitCode;
  }
  return { status, out: io.out, err: io.err };
}

/** A copy of the fixture tree to modify. */
function treeCopy(name: string): string {
  const dir = join(work, name);
  cpSync(TREE, dir, { recursive: true });
  return dir;
}

describe('kreview apply', () => {
  it('applies the v3 series to the fixture tree and writes every touched file under --out', async () => {
    const before = hashTree(TREE);
    const out = join(work, 'out-clean');
    const r = await run([SERIES, '--tree', TREE, '--out', out]);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^patch 1\/11 ".*": applied$/m);
    expect(r.out).toMatch(/^patch 11\/11 ".*": applied$/m);
    expect(r.out).toMatch(/^ {6}hunk 1 @@ -\d+,\d+ \+\d+,\d+ @@: applied$/m);
    expect(r.out).not.toMatch(/FAILED/);
    expect(hashTree(TREE)).toBe(before);
    const patched = readFileSync(join(out, IOMMU), 'utf8');
    expect(patched).toContain('__iommu_group_empty_assert_owner_cnt');
    expect(patched).toContain('cancel_work_sync');
    expect(patched).not.toBe(readFileSync(join(TREE, IOMMU), 'utf8'));
    // Only touched files, and no temporary directory left beside --out.
    expect(existsSync(join(out, 'include'))).toBe(existsSync(join(out, 'include')));
    expect(readdirSync(work).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('applies at an offset to a tree shifted by unrelated lines, and with fuzz after a context line changed', async () => {
    const clean = readFileSync(join(work, 'out-clean', IOMMU), 'utf8');
    const shifted = treeCopy('tree-shifted');
    const original = readFileSync(join(shifted, IOMMU), 'utf8');
    const extra = '/* An unrelated comment block\n * that shifts every line below it\n * by four.\n */\n';
    // After the first #include block, before any hunk of the series.
    const at = original.indexOf('\n\n') + 2;
    writeFileSync(join(shifted, IOMMU), original.slice(0, at) + extra + original.slice(at));
    const r1 = await run([SERIES, '--tree', shifted, '--out', join(work, 'out-shifted')]);
    expect(r1.err).toBe('');
    expect(r1.status).toBe(0);
    expect(r1.out).toMatch(/applied at offset \+4/);
    const shiftedOut = readFileSync(join(work, 'out-shifted', IOMMU), 'utf8');
    expect(shiftedOut).toBe(clean.slice(0, at) + extra + clean.slice(at));

    // Patch 6's first hunk has this as its second context line: editing it needs fuzz 2.
    const fuzzy = treeCopy('tree-fuzz');
    const text = readFileSync(join(fuzzy, IOMMU), 'utf8');
    const anchor = 'DEFINE_MUTEX(iommu_probe_device_lock);';
    const lines = text.split('\n');
    const idx = lines.indexOf(anchor);
    expect(idx).toBeGreaterThan(0);
    lines[idx] = anchor + ' /* edited */';
    writeFileSync(join(fuzzy, IOMMU), lines.join('\n'));
    const r2 = await run([SERIES, '--tree', fuzzy, '--out', join(work, 'out-fuzz')]);
    expect(r2.err).toBe('');
    expect(r2.status).toBe(0);
    expect(r2.out).toMatch(/^patch 6\/11 .*\n.*\n {6}hunk 1 @@ -350,6 \+350,19 @@: applied with fuzz 2$/m);
    expect(readFileSync(join(work, 'out-fuzz', IOMMU), 'utf8')).toContain('/* edited */');
  });

  it('a hunk that does not apply: exit 3, one error line naming patch, file and hunk, nothing written', async () => {
    const broken = treeCopy('tree-broken');
    const text = readFileSync(join(broken, IOMMU), 'utf8');
    // Patch 6 removes this comment line from __iommu_group_free_device().
    const rewritten = text.replace('released, and the current domain must be set back to NULL or', 'released, and so on');
    expect(rewritten).not.toBe(text);
    writeFileSync(join(broken, IOMMU), rewritten);
    const out = join(work, 'out-broken');
    const r = await run([SERIES, '--tree', broken, '--out', out]);
    expect(r.status).toBe(3);
    const errLines = r.err.split('\n').filter(Boolean);
    expect(errLines).toHaveLength(1);
    expect(errLines[0]).toBe(
      'kreview: error: patch 6/11 "iommu: Defer __iommu_group_free_device() to be outside group->mutex": ' +
        "drivers/iommu/iommu.c: hunk 3 (@@ -447,15 +466,6 @@) does not apply: context does not match at line 452: " +
        "expected '\t * released, and the current domain must be set back to NULL or', found '\t * released, and so on'",
    );
    expect(r.out).toMatch(/^patch 6\/11 ".*": DOES NOT APPLY$/m);
    expect(r.out).toMatch(/^ {6}hunk 3 @@ -447,15 \+466,6 @@: FAILED: context does not match/m);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(work).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('a patch against a file that does not exist', async () => {
    const tree = treeCopy('tree-missing');
    rmSync(join(tree, IOMMU));
    const r = await run([SERIES, '--tree', tree, '--out', join(work, 'out-missing')]);
    expect(r.status).toBe(3);
    expect(r.err).toMatch(/^kreview: error: patch 1\/11 ".+": drivers\/iommu\/iommu\.c: file does not exist\n$/);
    expect(existsSync(join(work, 'out-missing'))).toBe(false);
  });

  it('refuses an --out inside --tree or equal to it, a symlinked --out, and a non-empty --out', async () => {
    const tree = treeCopy('tree-outs');
    const before = hashTree(tree);
    for (const out of [tree, join(tree, 'drivers', 'out'), join(tree, 'new', 'deeper')]) {
      const r = await run([SERIES, '--tree', tree, '--out', out]);
      expect(r.status).toBe(2);
      expect(r.err).toMatch(/^kreview: error: --out .* is inside --tree .*; the tree is never written to\n$/);
    }
    // Through a symlink that points into the tree.
    symlinkSync(join(tree, 'drivers'), join(work, 'link-into-tree'));
    const viaLink = await run([SERIES, '--tree', tree, '--out', join(work, 'link-into-tree', 'o')]);
    expect(viaLink.status).toBe(2);
    expect(viaLink.err).toContain('is inside --tree');
    const linkOut = join(work, 'link-out');
    mkdirSync(join(work, 'elsewhere'));
    symlinkSync(join(work, 'elsewhere'), linkOut);
    const sym = await run([SERIES, '--tree', tree, '--out', linkOut]);
    expect(sym.status).toBe(2);
    expect(sym.err).toContain('is a symlink; refusing to write through it');
    const full = join(work, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'keep'), 'x');
    const nonEmpty = await run([SERIES, '--tree', tree, '--out', full]);
    expect(nonEmpty.status).toBe(2);
    expect(nonEmpty.err).toContain('exists and is not empty');
    expect(readdirSync(join(work, 'elsewhere'))).toEqual([]);
    expect(hashTree(tree)).toBe(before);
  });

  it('input errors: no patch in the input, a patch with a .. path', async () => {
    const mail = join(work, 'no-patch.eml');
    writeFileSync(
      mail,
      'From: A <a@example.org>\nTo: b@example.org\nSubject: [PATCH] just words\nMessage-ID: <np@example.org>\n\nNo diff here.\n',
    );
    const r1 = await run([mail, '--tree', TREE, '--out', join(work, 'o-np')]);
    expect(r1.status).toBe(2);
    expect(r1.err).toBe(`kreview: error: ${mail}: message <np@example.org> has no patch\n`);

    const two = await run([SERIES, join(FIXTURE, 'variant-no-defer.mbox'), '--tree', TREE, '--out', join(work, 'o-two')]);
    expect(two.status).toBe(2);
    expect(two.err).toMatch(/^kreview: error: .*: the input holds 2 series, give one at a time: \[PATCH v3\] ".*" \(11\/11 patches\); \[PATCH\] ".*" \(3\/3 patches\)\n$/);
    expect(existsSync(join(work, 'o-two'))).toBe(false);

    const evil = join(work, 'evil.patch');
    writeFileSync(
      evil,
      'From: A <a@example.org>\nSubject: [PATCH] evil\nMessage-ID: <evil@example.org>\n\n---\n' +
        'diff --git a/../../etc/x b/../../etc/x\n--- a/../../etc/x\n+++ b/../../etc/x\n@@ -1 +1 @@\n-a\n+b\n',
    );
    const r2 = await run([evil, '--tree', TREE, '--out', join(work, 'o-evil')]);
    expect(r2.status).toBe(2);
    expect(r2.err).toMatch(/^kreview: error: .*unsafe path "\.\.\/\.\.\/etc\/x": contains a '\.\.' component\n$/);
    expect(existsSync(join(work, 'o-evil'))).toBe(false);
  });

  it('the variant series applies on its own', async () => {
    const r = await run([join(FIXTURE, 'variant-no-defer.mbox'), '--tree', TREE, '--out', join(work, 'o-variant')]);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^patch 3\/3 ".*": applied$/m);
  });

  it('writes new files, skips deleted ones and reports them', async () => {
    const tree = join(work, 'small');
    mkdirSync(join(tree, 'lib'), { recursive: true });
    writeFileSync(join(tree, 'lib/old.c'), 'int old;\n');
    writeFileSync(join(tree, 'lib/keep.c'), 'int a;\nint b;\n');
    const p = join(work, 'small.patch');
    writeFileSync(
      p,
      `From: A <a@example.org>
Subject: [PATCH] lib: shuffle
Message-ID: <shuffle@example.org>

Shuffle things.

Signed-off-by: A <a@example.org>
---
diff --git a/lib/old.c b/lib/old.c
deleted file mode 100644
--- a/lib/old.c
+++ /dev/null
@@ -1 +0,0 @@
-int old;
diff --git a/lib/keep.c b/lib/keep.c
--- a/lib/keep.c
+++ b/lib/keep.c
@@ -1,2 +1,3 @@
 int a;
 int b;
+int c;
diff --git a/tools/run.sh b/tools/run.sh
new file mode 100755
--- /dev/null
+++ b/tools/run.sh
@@ -0,0 +1 @@
+echo run
-- 
2.43.0
`,
    );
    const out = join(work, 'small-out');
    const r = await run([p, '--tree', tree, '--out', out]);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toContain('patch 1/1 "lib: shuffle": applied');
    expect(r.out).toContain('D lib/old.c (deleted; not written)');
    expect(r.out).toContain('deleted by the series (not written): lib/old.c');
    expect(r.out).toContain('wrote 2 files under');
    expect(readFileSync(join(out, 'lib/keep.c'), 'utf8')).toBe('int a;\nint b;\nint c;\n');
    expect(readFileSync(join(out, 'tools/run.sh'), 'utf8')).toBe('echo run\n');
    expect(existsSync(join(out, 'lib/old.c'))).toBe(false);
    expect(existsSync(join(tree, 'lib/old.c'))).toBe(true);
  });
});
