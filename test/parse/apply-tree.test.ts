/**
 * DiskTree and Overlay: the tree on disk is read, never written, and a
 * frozen overlay does not see later changes.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskTree } from '../../src/parse/disk-tree.js';
import { Overlay } from '../../src/parse/overlay.js';
import { applySeries } from '../../src/parse/apply.js';
import { parseDiff } from '../../src/parse/diff.js';
import { InputError } from '../../src/errors.js';

/** A hash of every path, type and content under `dir`. */
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

let base: string;
let tree: string;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'kreview-tree-'));
  tree = join(base, 'tree');
  mkdirSync(join(tree, 'drivers'), { recursive: true });
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(tree, 'drivers/a.c'), 'int a;\nint b;\nint c;\n');
  writeFileSync(join(tree, 'drivers/gone.c'), 'bye\n');
  writeFileSync(join(base, 'outside/victim.c'), 'int victim;\n');
  symlinkSync(join(base, 'outside'), join(tree, 'out-link'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('DiskTree', () => {
  it('reads files relative to the root, null for missing ones, and refuses unsafe paths', () => {
    const t = new DiskTree(tree);
    expect(t.read('drivers/a.c')).toBe('int a;\nint b;\nint c;\n');
    expect(t.read('drivers/none.c')).toBeNull();
    expect(t.exists('drivers/a.c')).toBe(true);
    expect(t.changes().size).toBe(0);
    expect(() => t.read('../outside/victim.c')).toThrow(InputError);
    expect(() => t.read('out-link/victim.c')).toThrow(/leaves the tree through a symlink/);
    expect(() => t.read('drivers')).toThrow(/is a directory/);
  });

  it('caches reads', () => {
    const t = new DiskTree(tree);
    writeFileSync(join(tree, 'drivers/cached.c'), 'one\n');
    expect(t.read('drivers/cached.c')).toBe('one\n');
    writeFileSync(join(tree, 'drivers/cached.c'), 'two\n');
    expect(t.read('drivers/cached.c')).toBe('one\n');
    rmSync(join(tree, 'drivers/cached.c'));
  });

  it('refuses a missing tree', () => {
    expect(() => new DiskTree(join(base, 'nope'))).toThrow(new InputError(`tree not found: ${join(base, 'nope')}`));
  });
});

describe('Overlay', () => {
  it('layers changes over the base, and a frozen snapshot ignores later changes', () => {
    const disk = new DiskTree(tree);
    const o = new Overlay(disk);
    o.set('drivers/a.c', 'changed\n');
    o.set('drivers/new.c', 'new\n');
    o.delete('drivers/gone.c');
    const snap = o.freeze();
    o.set('drivers/a.c', 'changed again\n');
    o.delete('drivers/new.c');
    expect(snap.read('drivers/a.c')).toBe('changed\n');
    expect(snap.read('drivers/new.c')).toBe('new\n');
    expect(snap.exists('drivers/gone.c')).toBe(false);
    expect(o.read('drivers/a.c')).toBe('changed again\n');
    expect(o.exists('drivers/new.c')).toBe(false);
    expect(Object.fromEntries(snap.changes())).toEqual({
      'drivers/a.c': 'changed\n',
      'drivers/new.c': 'new\n',
      'drivers/gone.c': null,
    });
    // An overlay on a snapshot starts from it and leaves it alone.
    const next = new Overlay(snap);
    next.set('drivers/b.c', 'b\n');
    expect(next.read('drivers/a.c')).toBe('changed\n');
    expect(snap.exists('drivers/b.c')).toBe(false);
    expect(snap.root).toBe(disk.root);
    expect(() => o.set('../escape.c', 'x')).toThrow(InputError);
  });
});

describe('applying a series to a DiskTree', () => {
  it('never modifies the tree', () => {
    const before = hashTree(tree);
    const files = parseDiff(
      `diff --git a/drivers/a.c b/drivers/a.c
--- a/drivers/a.c
+++ b/drivers/a.c
@@ -1,3 +1,3 @@
 int a;
-int b;
+int B;
 int c;
diff --git a/drivers/gone.c b/drivers/gone.c
deleted file mode 100644
--- a/drivers/gone.c
+++ /dev/null
@@ -1 +0,0 @@
-bye
diff --git a/drivers/new.c b/drivers/new.c
new file mode 100644
--- /dev/null
+++ b/drivers/new.c
@@ -0,0 +1 @@
+int n;
`,
      't',
    );
    const { results, snapshots } = applySeries(new DiskTree(tree), [
      { index: 1, total: 1, subject: 's', messageId: null, source: 't', files },
    ]);
    expect(results[0]!.applied).toBe(true);
    expect(snapshots[0]!.read('drivers/a.c')).toBe('int a;\nint B;\nint c;\n');
    expect(hashTree(tree)).toBe(before);
  });

  it('a patch that goes through a symlink out of the tree fails at file level and writes nothing', () => {
    const before = hashTree(base);
    const files = parseDiff('--- a/out-link/victim.c\n+++ b/out-link/victim.c\n@@ -1 +1 @@\n-int victim;\n+int pwned;\n', 't');
    const { results } = applySeries(new DiskTree(tree), [{ index: 1, total: 1, subject: 's', messageId: null, source: 't', files }]);
    expect(results[0]!.applied).toBe(false);
    expect(results[0]!.errors).toEqual(['out-link/victim.c: unsafe path: leaves the tree through a symlink']);
    expect(hashTree(base)).toBe(before);
  });
});
