import { describe, expect, it } from 'vitest';
import { parseDiff } from '../../src/parse/diff.js';
import { FileDiff } from '../../src/parse/diff-schema.js';
import { InputError } from '../../src/errors.js';

const FORMAT_PATCH = `From 1a2b3c4d Mon Sep 17 00:00:00 2001
From: Ann Dev <ann@example.org>
Date: Thu, 16 Apr 2026 16:28:00 -0700
Subject: [PATCH v3 06/11] iommu: Defer the free

The free moves after mutex_unlock().
Quoting diff --git in prose is harmless.
diff --git is also harmless at the start of a line when no paths follow.

Signed-off-by: Ann Dev <ann@example.org>
---
 drivers/iommu/iommu.c | 5 ++++-
 1 file changed, 4 insertions(+), 1 deletion(-)

diff --git a/drivers/iommu/iommu.c b/drivers/iommu/iommu.c
index d1be62a07904a..810e7b94a1ae2 100644
--- a/drivers/iommu/iommu.c
+++ b/drivers/iommu/iommu.c
@@ -627,6 +627,9 @@ static struct iommu_domain *pasid_array_entry_to_domain(void *entry)
 
 DEFINE_MUTEX(iommu_probe_device_lock);
 
+static void helper(void)
+{
+}
 static int __iommu_probe_device(struct device *dev)
 {
 	struct iommu_group *group;
@@ -700,4 +703,4 @@ static void remove(struct device *dev)
 	mutex_lock(&group->mutex);
-	free(gdev);
+	list_del(&gdev->list);
 	mutex_unlock(&group->mutex);
 }
-- 
2.43.0
`;

describe('parseDiff on git format-patch output', () => {
  it('reads headers, index, hunks and their lines, skipping the mail around them', () => {
    const files = parseDiff(FORMAT_PATCH, '0006.patch');
    expect(files).toHaveLength(1);
    const f = files[0]!;
    expect(() => FileDiff.parse(f)).not.toThrow();
    expect(f).toMatchObject({
      oldPath: 'drivers/iommu/iommu.c',
      newPath: 'drivers/iommu/iommu.c',
      status: 'modified',
      oldMode: '100644',
      newMode: '100644',
      oldBlob: 'd1be62a07904a',
      newBlob: '810e7b94a1ae2',
      similarity: null,
    });
    expect(f.hunks).toHaveLength(2);
    const [h1, h2] = f.hunks;
    expect(h1).toMatchObject({ oldStart: 627, oldLines: 6, newStart: 627, newLines: 9 });
    expect(h1!.section).toBe('static struct iommu_domain *pasid_array_entry_to_domain(void *entry)');
    expect(h1!.header.startsWith('@@ -627,6 +627,9 @@ static')).toBe(true);
    expect(h1!.lines[0]).toEqual({ kind: ' ', text: '', noNewline: false });
    expect(h1!.lines.filter((l) => l.kind === '+').map((l) => l.text)).toEqual([
      'static void helper(void)',
      '{',
      '}',
    ]);
    expect(h2!.lines.map((l) => l.kind).join('')).toBe(' -+  ');
    expect(h2!.lines[1]!.text).toBe('\tfree(gdev);');
  });

  it('reads several files, new, deleted, renamed, copied and mode-only ones', () => {
    const text = `diff --git a/old.c b/new.c
similarity index 90%
rename from old.c
rename to new.c
index 1111111..2222222 100644
--- a/old.c
+++ b/new.c
@@ -1 +1 @@
-int a;
+int b;
diff --git a/lib/x.c b/lib/y.c
similarity index 100%
copy from lib/x.c
copy to lib/y.c
diff --git a/scripts/run.sh b/scripts/run.sh
old mode 100644
new mode 100755
diff --git a/added.h b/added.h
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/added.h
@@ -0,0 +1,2 @@
+#define A 1
+#define B 2
diff --git a/gone.c b/gone.c
deleted file mode 100644
index 4444444..0000000
--- a/gone.c
+++ /dev/null
@@ -1,2 +0,0 @@
-int gone;
-int really;
diff --git a/empty.txt b/empty.txt
new file mode 100644
index 0000000..e69de29
`;
    const files = parseDiff(text, 't.patch');
    expect(files.map((f) => [f.status, f.oldPath, f.newPath])).toEqual([
      ['renamed', 'old.c', 'new.c'],
      ['copied', 'lib/x.c', 'lib/y.c'],
      ['modified', 'scripts/run.sh', 'scripts/run.sh'],
      ['added', null, 'added.h'],
      ['deleted', 'gone.c', null],
      ['added', null, 'empty.txt'],
    ]);
    expect(files[0]!.similarity).toBe(90);
    expect(files[1]!.similarity).toBe(100);
    expect(files[1]!.hunks).toEqual([]);
    expect([files[2]!.oldMode, files[2]!.newMode]).toEqual(['100644', '100755']);
    expect(files[3]!.newMode).toBe('100644');
    expect(files[3]!.hunks[0]).toMatchObject({ oldStart: 0, oldLines: 0, newStart: 1, newLines: 2 });
    expect(files[4]!.oldMode).toBe('deleted file mode 100644'.split(' ').pop());
    expect(files[4]!.hunks[0]!.lines).toHaveLength(2);
    expect(files[5]!.hunks).toEqual([]);
  });

  it('honours "\\ No newline at end of file" on either side', () => {
    const text = `--- a/f.txt
+++ b/f.txt
@@ -1,2 +1,2 @@
 one
-two
\\ No newline at end of file
+two
`;
    const [f] = parseDiff(text, 'x.diff');
    expect(f!.hunks[0]!.lines).toEqual([
      { kind: ' ', text: 'one', noNewline: false },
      { kind: '-', text: 'two', noNewline: true },
      { kind: '+', text: 'two', noNewline: false },
    ]);
  });

  it('reads diff -u output with timestamps, and -N epoch timestamps as missing files', () => {
    const text = `Only in linux: extra
diff -urN linux.orig/drivers/a.c linux/drivers/a.c
--- linux.orig/drivers/a.c\t2026-04-01 10:00:00.000000000 +0000
+++ linux/drivers/a.c\t2026-04-02 11:00:00.000000000 +0000
@@ -3,2 +3,3 @@
 x
+y
 z
--- linux.orig/drivers/b.c\t1970-01-01 00:00:00.000000000 +0000
+++ linux/drivers/b.c\t2026-04-02 11:00:00.000000000 +0000
@@ -0,0 +1 @@
+new
`;
    const files = parseDiff(text, 'u.diff');
    expect(files.map((f) => [f.status, f.oldPath, f.newPath])).toEqual([
      ['modified', 'drivers/a.c', 'drivers/a.c'],
      ['added', null, 'drivers/b.c'],
    ]);
    expect(files[1]!.hunks[0]).toMatchObject({ oldStart: 0, oldLines: 0, newStart: 1, newLines: 1 });
  });

  it('counts default to 1 when omitted, and a hunk line "-- " is still a hunk line', () => {
    const text = `--- a/f
+++ b/f
@@ -5 +5 @@
--- 
+-- x
`;
    const [f] = parseDiff(text, 'x');
    expect(f!.hunks[0]!.lines).toEqual([
      { kind: '-', text: '-- ', noNewline: false },
      { kind: '+', text: '-- x', noNewline: false },
    ]);
  });

  it('unquotes C-quoted paths and splits unquoted paths with spaces', () => {
    const text = `diff --git "a/sp ace/t\\303\\244b.c" "b/sp ace/t\\303\\244b.c"
--- "a/sp ace/t\\303\\244b.c"
+++ "b/sp ace/t\\303\\244b.c"
@@ -1 +1 @@
-a
+b
diff --git a/my file.c b/my file.c
old mode 100644
new mode 100755
`;
    const files = parseDiff(text, 'q.patch');
    expect(files[0]!.newPath).toBe('sp ace/täb.c');
    expect(files[1]!.oldPath).toBe('my file.c');
    expect(files[1]!.newPath).toBe('my file.c');
  });

  it('accepts an empty context line that a mailer stripped of its blank, and CRLF headers', () => {
    const text = '--- a/f\r\n+++ b/f\r\n@@ -1,3 +1,3 @@\r\n a\r\n\n-b\r\n+c\r\n';
    const [f] = parseDiff(text, 'crlf');
    expect(f!.hunks[0]!.lines.map((l) => [l.kind, l.text])).toEqual([
      [' ', 'a\r'],
      [' ', ''],
      ['-', 'b\r'],
      ['+', 'c\r'],
    ]);
  });
});

describe('parseDiff refuses bad input with the file and hunk named', () => {
  const err = (text: string) => {
    try {
      parseDiff(text, 'bad.patch');
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return (e as Error).message;
    }
    throw new Error('no error');
  };

  it('empty input and text without a diff', () => {
    expect(err('')).toBe('bad.patch: no diff found');
    expect(err('Just a mail.\n\nThanks,\nAnn\n')).toBe('bad.patch: no diff found');
  });

  it('malformed hunk headers', () => {
    const m = err('diff --git a/k.c b/k.c\n--- a/k.c\n+++ b/k.c\n@@ -1,x +1 @@\n-a\n+b\n');
    expect(m).toBe(`bad.patch: k.c: hunk 1: malformed hunk header "@@ -1,x +1 @@"`);
    expect(err('--- a/k.c\n+++ b/k.c\n@@@ -1 -1 +1 @@@\n')).toContain('malformed hunk header');
  });

  it('hunk line counts that do not match the header, too few or too many', () => {
    const short = err('--- a/k.c\n+++ b/k.c\n@@ -1,3 +1,3 @@\n a\n-b\n+c\n');
    expect(short).toBe(
      'bad.patch: k.c: hunk 1 (@@ -1,3 +1,3 @@): line counts do not match the header: expected 3 old and 3 new lines, found 2 and 2 before the end of the diff',
    );
    const long = err('--- a/k.c\n+++ b/k.c\n@@ -1,1 +1,1 @@\n-b\n+c\n+d\n');
    expect(long).toContain('k.c: hunk 1 (@@ -1,1 +1,1 @@): line counts do not match the header');
    const second = err('--- a/k.c\n+++ b/k.c\n@@ -1 +1 @@\n-b\n+c\n@@ -9,2 +9,2 @@\n x\n-y\nnot a hunk line\n');
    expect(second).toMatch(/^bad\.patch: k\.c: hunk 2 \(@@ -9,2 \+9,2 @@\): .*before "not a hunk line"$/);
  });

  it('a hunk outside any file header', () => {
    expect(err('Some text\n@@ -1 +1 @@\n-a\n+b\n')).toBe('bad.patch: hunk outside any file header: "@@ -1 +1 @@"');
    expect(err('diff --git a/m b/m\nold mode 100644\nnew mode 100755\n@@ -1 +1 @@\n-a\n+b\n')).toContain(
      'hunk outside any file header',
    );
  });

  it('binary patches', () => {
    expect(err('diff --git a/fw.bin b/fw.bin\nindex 1..2 100644\nGIT binary patch\nliteral 4\nLcmZ?\n')).toBe(
      'bad.patch: binary patches are not supported: fw.bin',
    );
    expect(err('diff --git a/logo.png b/logo.png\nindex 1..2 100644\nBinary files a/logo.png and b/logo.png differ\n')).toBe(
      'bad.patch: binary patches are not supported: logo.png',
    );
  });

  it('unsafe paths: .. components and absolute paths', () => {
    expect(err('--- a/../../etc/passwd\n+++ b/../../etc/passwd\n@@ -1 +1 @@\n-a\n+b\n')).toMatch(
      /^bad\.patch: unsafe path "\.\.\/\.\.\/etc\/passwd": contains a '\.\.' component$/,
    );
    expect(err('diff --git a/x b/x\nrename from x\nrename to /etc/x\n')).toMatch(/unsafe path "\/etc\/x": absolute path/);
    expect(err('diff --git a/k b/k\nrename from k\nrename to a/../../k\n')).toContain("contains a '..' component");
  });
});

describe('parseDiff on arbitrary input', () => {
  it('either parses or throws an InputError, never anything else', async () => {
    const fc = (await import('fast-check')).default;
    const piece = fc.constantFrom(
      'diff --git a/x.c b/x.c',
      '--- a/x.c',
      '+++ b/x.c',
      '--- /dev/null',
      '+++ /dev/null',
      '@@ -1,2 +1,2 @@',
      '@@ -1 +1 @@ f(void)',
      '@@ -0,0 +1 @@',
      '@@ -3,0 +4 @@',
      '@@ bogus',
      ' ctx',
      '-old',
      '+new',
      '',
      '\\ No newline at end of file',
      'new file mode 100644',
      'deleted file mode 100644',
      'rename from a.c',
      'rename to b.c',
      'index abc..def 100644',
      'Binary files a/x and b/x differ',
      '-- ',
      'random text',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (ls) => {
        try {
          const files = parseDiff(ls.join('\n') + '\n', 'fuzz');
          for (const f of files) FileDiff.parse(f);
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
