import { describe, expect, it } from 'vitest';
import { applyFileDiff, applyPatch, applySeries } from '../../src/parse/apply.js';
import { parseDiff } from '../../src/parse/diff.js';
import type { PatchSource } from '../../src/parse/diff-schema.js';
import type { TreeView } from '../../src/parse/tree.js';

/** A tree held in memory, for applier tests that need no disk. */
class MemTree implements TreeView {
  readonly root = '/mem';
  constructor(private readonly files: Record<string, string>) {}
  read(rel: string): string | null {
    return Object.prototype.hasOwnProperty.call(this.files, rel) ? this.files[rel]! : null;
  }
  exists(rel: string): boolean {
    return this.read(rel) !== null;
  }
  changes(): ReadonlyMap<string, string | null> {
    return new Map();
  }
}

const lines = (n: number, tag = 'line') => Array.from({ length: n }, (_, i) => `${tag} ${i + 1}`);
const text = (ls: string[]) => ls.map((l) => l + '\n').join('');

function patch(diff: string, index = 1, total = 1, subject = 'test patch'): PatchSource {
  return { index, total, subject, messageId: `m${index}@x`, source: `p${index}.patch`, files: parseDiff(diff, `p${index}.patch`) };
}

// The file: 20 lines; the patch changes line 10 and adds a line after 15.
const BASE = lines(20);
const DIFF = `--- a/f.c
+++ b/f.c
@@ -7,7 +7,7 @@
 line 7
 line 8
 line 9
-line 10
+LINE TEN
 line 11
 line 12
 line 13
@@ -13,6 +13,7 @@ section
 line 13
 line 14
 line 15
+inserted
 line 16
 line 17
 line 18
`;
const EXPECTED = (() => {
  const r = [...BASE];
  r[9] = 'LINE TEN';
  r.splice(15, 0, 'inserted');
  return r;
})();

describe('applyFileDiff', () => {
  const [fd] = parseDiff(DIFF, 't');

  it('applies at the exact position', () => {
    const r = applyFileDiff(text(BASE), fd!);
    expect(r.error).toBeNull();
    expect(r.hunks.map((h) => [h.status, h.offset, h.fuzz])).toEqual([
      ['applied', 0, 0],
      ['applied', 0, 0],
    ]);
    expect(r.hunks[1]!.header).toBe('@@ -13,6 +13,7 @@');
    expect(r.text).toBe(text(EXPECTED));
  });

  it('applies at an offset when unrelated lines were added above, and keeps that offset for the next hunk', () => {
    const shifted = [...lines(4, 'extra'), ...BASE];
    const r = applyFileDiff(text(shifted), fd!);
    expect(r.hunks.map((h) => [h.status, h.offset])).toEqual([
      ['offset', 4],
      ['offset', 4],
    ]);
    expect(r.text).toBe(text([...lines(4, 'extra'), ...EXPECTED]));
  });

  it('applies at a negative offset when lines above were removed', () => {
    const r = applyFileDiff(text(BASE.slice(3)), fd!);
    expect(r.hunks.map((h) => [h.status, h.offset])).toEqual([
      ['offset', -3],
      ['offset', -3],
    ]);
    expect(r.text).toBe(text(EXPECTED.slice(3)));
  });

  it('applies with fuzz 1 when the first context line changed, keeping the file\'s version of it', () => {
    const changed = [...BASE];
    changed[6] = 'line 7 (edited)';
    const r = applyFileDiff(text(changed), fd!);
    expect(r.hunks.map((h) => [h.status, h.fuzz])).toEqual([
      ['fuzz', 1],
      ['applied', 0],
    ]);
    const want = [...EXPECTED];
    want[6] = 'line 7 (edited)';
    expect(r.text).toBe(text(want));
  });

  it('fuzz 1 ignores one context line at each edge at once', () => {
    const changed = [...BASE];
    changed[6] = 'line 7 (edited)';
    changed[12] = 'line 13 (edited)';
    const r = applyFileDiff(text(changed), fd!);
    expect(r.hunks[0]).toMatchObject({ status: 'fuzz', fuzz: 1, offset: 0 });
  });

  it('applies with fuzz 2 when the two outer context lines changed, and at an offset too', () => {
    const changed = ['new first', ...BASE];
    changed[1 + 6] = 'line 7 (edited)';
    changed[1 + 7] = 'line 8 (edited)';
    const r = applyFileDiff(text(changed), fd!);
    expect(r.hunks[0]).toMatchObject({ status: 'fuzz', fuzz: 2, offset: 1 });
    expect(r.hunks[1]).toMatchObject({ status: 'offset', offset: 1 });
    const want = ['new first', ...EXPECTED];
    want[7] = 'line 7 (edited)';
    want[8] = 'line 8 (edited)';
    expect(r.text).toBe(text(want));
  });

  it('fuzz never goes beyond 2, or beyond the context the hunk has', () => {
    const changed = [...BASE];
    changed[6] = 'x';
    changed[7] = 'x';
    changed[8] = 'x';
    expect(applyFileDiff(text(changed), fd!).hunks[0]!.status).toBe('failed');
    const [one] = parseDiff('--- a/f\n+++ b/f\n@@ -3,3 +3,3 @@\n line 3\n-line 4\n+four\n line 5\n', 't');
    const other = lines(8);
    other[2] = 'three';
    other[4] = 'five';
    expect(applyFileDiff(text(other), one!).hunks[0]).toMatchObject({ status: 'fuzz', fuzz: 1 });
    expect(applyFileDiff(text(other), one!, { maxFuzz: 0 }).hunks[0]!.status).toBe('failed');
  });

  it('fails with the reason when a line next to the change differs (beyond fuzz)', () => {
    const changed = [...BASE];
    changed[8] = 'line 9 rewritten';
    const r = applyFileDiff(text(changed), fd!);
    expect(r.text).toBeNull();
    expect(r.hunks[0]).toMatchObject({
      status: 'failed',
      hunk: 1,
      reason: "context does not match at line 9: expected 'line 9', found 'line 9 rewritten'",
    });
    expect(r.hunks[1]!.status).toBe('applied');
  });

  it('fails when the removed line differs, and notices a change that is already there', () => {
    const already = applyFileDiff(text(EXPECTED), fd!);
    expect(already.hunks[0]!.status).toBe('failed');
    expect(already.hunks[0]!.reason).toBe(
      "context does not match at line 10: expected 'line 10', found 'LINE TEN' (the change seems to be there already, at line 7)",
    );
  });

  it('refuses overlapping hunks: a hunk may not apply before the end of the previous one', () => {
    const [twice] = parseDiff(
      `--- a/f
+++ b/f
@@ -2,3 +2,3 @@
 line 2
-line 3
+three
 line 4
@@ -2,3 +2,3 @@
 line 2
-line 3
+THREE
 line 4
`,
      't',
    );
    const r = applyFileDiff(text(lines(6)), twice!);
    expect(r.hunks[0]!.status).toBe('applied');
    expect(r.hunks[1]!.status).toBe('failed');
    expect(r.hunks[1]!.reason).toMatch(/^overlaps hunk 1/);
  });

  it('adjacent hunks may share context lines', () => {
    const [adj] = parseDiff(
      `--- a/f
+++ b/f
@@ -1,3 +1,3 @@
-line 1
+one
 line 2
 line 3
@@ -3,3 +3,3 @@
 line 3
 line 4
-line 5
+five
`,
      't',
    );
    // The second hunk has less context before than after: GNU patch anchors it... only at the
    // file's end when its suffix is shorter; here it simply applies where it says.
    const r = applyFileDiff(text(lines(5)), adj!);
    expect(r.hunks.map((h) => h.status)).toEqual(['applied', 'applied']);
    expect(r.text).toBe(text(['one', 'line 2', 'line 3', 'line 4', 'five']));
  });

  it('a hunk with less context at its start is anchored to the start of the file', () => {
    const [top] = parseDiff('--- a/f\n+++ b/f\n@@ -1,3 +1,4 @@\n+header\n line 1\n line 2\n line 3\n', 't');
    expect(applyFileDiff(text(lines(6)), top!).hunks[0]!.status).toBe('applied');
    // Same lines further down: a start-anchored hunk must not slide there.
    const r = applyFileDiff(text(['other', ...lines(6)]), top!);
    expect(r.hunks[0]!.status).toBe('failed');
  });

  it('a hunk with less context at its end is anchored to the end of the file', () => {
    const [end] = parseDiff('--- a/f\n+++ b/f\n@@ -4,3 +4,4 @@\n line 4\n line 5\n line 6\n+footer\n', 't');
    expect(applyFileDiff(text(lines(6)), end!).text).toBe(text([...lines(6), 'footer']));
    const moved = applyFileDiff(text(['x', 'y', ...lines(6)]), end!);
    expect(moved.hunks[0]).toMatchObject({ status: 'offset', offset: 2 });
    // As GNU patch: trailing lines after an end-anchored hunk make it fail, fuzz or not.
    expect(applyFileDiff(text([...lines(6), 'trailer']), end!).hunks[0]!.status).toBe('failed');
  });

  it('honours "\\ No newline at end of file" in both directions', () => {
    const [add] = parseDiff('--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n', 't');
    expect(applyFileDiff('a\nb', add!).text).toBe('a\nb\n');
    // The patch says the file ends without a newline; this one has one.
    expect(applyFileDiff('a\nb\n', add!).hunks[0]!.status).toBe('failed');
    const [drop] = parseDiff('--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of file\n', 't');
    expect(applyFileDiff('a\nb\n', drop!).text).toBe('a\nc');
    const [ctx] = parseDiff('--- a/f\n+++ b/f\n@@ -1,2 +1,3 @@\n+z\n a\n b\n\\ No newline at end of file\n', 't');
    expect(applyFileDiff('a\nb', ctx!).text).toBe('z\na\nb');
  });

  it('keeps a CRLF file CRLF, whether or not the patch carries the CRs', () => {
    const crlf = 'one\r\ntwo\r\nthree\r\n';
    const [lf] = parseDiff('--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n', 't');
    expect(applyFileDiff(crlf, lf!).text).toBe('one\r\nTWO\r\nthree\r\n');
    const [cr] = parseDiff('--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n one\r\n-two\r\n+TWO\r\n three\r\n', 't');
    expect(applyFileDiff(crlf, cr!).text).toBe('one\r\nTWO\r\nthree\r\n');
    // A patch whose lines all got a CR in transit still applies to an LF file, as LF.
    expect(applyFileDiff('one\ntwo\nthree\n', cr!).text).toBe('one\nTWO\nthree\n');
  });

  it('file-level checks: new file that exists, missing file, deleted file that differs', () => {
    const [added, deleted] = parseDiff(
      `diff --git a/n.c b/n.c
new file mode 100644
--- /dev/null
+++ b/n.c
@@ -0,0 +1,2 @@
+int n;
+int m;
diff --git a/d.c b/d.c
deleted file mode 100644
--- a/d.c
+++ /dev/null
@@ -1,2 +0,0 @@
-int d;
-int e;
`,
      't',
    );
    expect(applyFileDiff(null, added!)).toMatchObject({ text: 'int n;\nint m;\n', error: null });
    expect(applyFileDiff('x\n', added!).error).toBe('file already exists');
    expect(applyFileDiff('int d;\nint e;\n', deleted!)).toMatchObject({ text: null, error: null });
    expect(applyFileDiff('int d;\nint e;\nint f;\n', deleted!).error).toMatch(/content differs/);
    expect(applyFileDiff('int d;\nint x;\n', deleted!).hunks[0]!.status).toBe('failed');
    const [mod] = parseDiff(DIFF, 't');
    expect(applyFileDiff(null, mod!).error).toBe('file does not exist');
  });
});

describe('applyPatch and applySeries', () => {
  const tree = new MemTree({
    'f.c': text(BASE),
    'old.c': 'int a;\nint b;\n',
    'lib/x.c': 'x\n',
    'run.sh': 'echo hi\n',
    'gone.c': 'bye\n',
  });

  it('renames, copies, mode changes, new and deleted files in one patch', () => {
    const p = patch(`diff --git a/old.c b/new.c
similarity index 50%
rename from old.c
rename to new.c
--- a/old.c
+++ b/new.c
@@ -1,2 +1,2 @@
 int a;
-int b;
+int c;
diff --git a/lib/x.c b/lib/y.c
similarity index 100%
copy from lib/x.c
copy to lib/y.c
diff --git a/run.sh b/run.sh
old mode 100644
new mode 100755
diff --git a/gone.c b/gone.c
deleted file mode 100644
--- a/gone.c
+++ /dev/null
@@ -1 +0,0 @@
-bye
diff --git a/add.h b/add.h
new file mode 100644
--- /dev/null
+++ b/add.h
@@ -0,0 +1 @@
+#define ADD 1
`);
    const { result, snapshot } = applyPatch(tree, p);
    expect(result.errors).toEqual([]);
    expect(result.applied).toBe(true);
    expect(result.touched.sort()).toEqual(['add.h', 'gone.c', 'lib/y.c', 'new.c', 'old.c', 'run.sh']);
    expect(snapshot.read('old.c')).toBeNull();
    expect(snapshot.read('new.c')).toBe('int a;\nint c;\n');
    expect(snapshot.read('lib/x.c')).toBe('x\n');
    expect(snapshot.read('lib/y.c')).toBe('x\n');
    expect(snapshot.read('run.sh')).toBe('echo hi\n');
    expect(snapshot.exists('gone.c')).toBe(false);
    expect(snapshot.read('add.h')).toBe('#define ADD 1\n');
    expect(snapshot.read('f.c')).toBe(text(BASE));
    expect([...snapshot.changes().keys()].sort()).toEqual(['add.h', 'gone.c', 'lib/y.c', 'new.c', 'old.c', 'run.sh']);
    // The base view is untouched.
    expect(tree.read('old.c')).toBe('int a;\nint b;\n');
  });

  it('a rename onto an existing file, and a patch against a missing file, fail at file level', () => {
    const onto = applyPatch(tree, patch('diff --git a/old.c b/f.c\nrename from old.c\nrename to f.c\n'));
    expect(onto.result.applied).toBe(false);
    expect(onto.result.errors).toEqual(['f.c: file already exists (renamed from old.c)']);
    expect(onto.snapshot).toBe(tree);
    const missing = applyPatch(tree, patch('--- a/nope.c\n+++ b/nope.c\n@@ -1 +1 @@\n-a\n+b\n'));
    expect(missing.result.errors).toEqual(['nope.c: file does not exist']);
  });

  it('a series yields one snapshot per patch; later patches do not change earlier snapshots', () => {
    const p1 = patch(DIFF, 1, 3, 'first');
    const p2 = patch('--- a/f.c\n+++ b/f.c\n@@ -1,3 +1,3 @@\n-line 1\n+LINE ONE\n line 2\n line 3\n', 2, 3, 'second');
    const p3 = patch('--- a/f.c\n+++ b/f.c\n@@ -10,3 +10,3 @@\n-line 10\n+ten again\n line 11\n line 12\n', 3, 3, 'third');
    const { results, snapshots } = applySeries(tree, [p1, p2, p3]);
    expect(results.map((r) => r.applied)).toEqual([true, true, false]);
    expect(snapshots).toHaveLength(2);
    expect(snapshots[0]!.read('f.c')).toBe(text(EXPECTED));
    expect(snapshots[1]!.read('f.c')!.startsWith('LINE ONE\n')).toBe(true);
    expect(snapshots[0]!.read('f.c')!.startsWith('line 1\n')).toBe(true);
    const failed = results[2]!;
    expect(failed.hunks[0]).toMatchObject({ file: 'f.c', hunk: 1, header: '@@ -10,3 +10,3 @@', status: 'failed' });
    expect(failed.hunks[0]!.reason).toContain("context does not match at line 10: expected 'line 10', found 'LINE TEN'");
  });

  it('stops at the first patch that does not apply', () => {
    const bad = patch('--- a/nope.c\n+++ b/nope.c\n@@ -1 +1 @@\n-a\n+b\n', 1, 2);
    const good = patch(DIFF, 2, 2);
    const { results, snapshots } = applySeries(tree, [bad, good]);
    expect(results).toHaveLength(1);
    expect(snapshots).toHaveLength(0);
  });
});
