/**
 * Hostile diffs: hand-made nasty patches, and generators of random texts
 * and random hunk soup for the diff parser and the applier.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';

/** Name -> patch text. Each must parse to something or fail with an InputError, quickly. */
export function nastyPatches(): Record<string, string> {
  const file = (a: string, b: string, body = '@@ -1 +1 @@\n-a\n+b\n') => `diff --git ${a} ${b}\n--- ${a}\n+++ ${b}\n${body}`;
  const manyHunks = (n: number) => {
    let s = '--- a/x.c\n+++ b/x.c\n';
    for (let i = 0; i < n; i++) s += `@@ -${i * 3 + 1},1 +${i * 3 + 1},1 @@\n-l${i}\n+m${i}\n`;
    return s;
  };
  return {
    'huge-start': '--- a/x.c\n+++ b/x.c\n@@ -99999999999,1 +1 @@\n-a\n+b\n',
    'huge-count': '--- a/x.c\n+++ b/x.c\n@@ -1,99999999999 +1 @@\n-a\n+b\n',
    'infinite-start': `--- a/x.c\n+++ b/x.c\n@@ -${'9'.repeat(400)},1 +1 @@\n-a\n+b\n`,
    'negative-start': '--- a/x.c\n+++ b/x.c\n@@ --1,1 +-1 @@\n-a\n+b\n',
    'zero-counts-with-lines': '--- a/x.c\n+++ b/x.c\n@@ -0,0 +0,0 @@\n-a\n+b\n',
    'wrong-counts-short': '--- a/x.c\n+++ b/x.c\n@@ -1,5 +1,5 @@\n-a\n+b\n',
    'wrong-counts-long': '--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n-c\n+d\n',
    'dotdot': file('a/../x', 'b/../x'),
    'etc-passwd': file('a/../../etc/passwd', 'b/../../etc/passwd'),
    'absolute': '--- /etc/passwd\n+++ /etc/passwd\n@@ -1 +1 @@\n-a\n+b\n',
    'absolute-git-header': 'diff --git a//etc/passwd b//etc/passwd\n--- a//etc/passwd\n+++ b//etc/passwd\n@@ -1 +1 @@\n-a\n+b\n',
    'rename-to-outside': 'diff --git a/x.c b/y.c\nsimilarity index 90%\nrename from x.c\nrename to ../../y.c\n--- a/x.c\n+++ b/../../y.c\n@@ -1 +1 @@\n-a\n+b\n',
    'nul-in-quoted-path': 'diff --git "a/x\\000y" "b/x\\000y"\n--- "a/x\\000y"\n+++ "b/x\\000y"\n@@ -1 +1 @@\n-a\n+b\n',
    'nul-raw-path': '--- a/x\0y\n+++ b/x\0y\n@@ -1 +1 @@\n-a\n+b\n',
    'backslash-path': '--- a/..\\..\\x\n+++ b/..\\..\\x\n@@ -1 +1 @@\n-a\n+b\n',
    'tilde-path': '--- a/~/x\n+++ ~/x\n@@ -1 +1 @@\n-a\n+b\n',
    'drive-letter': '--- C:/x\n+++ C:/x\n@@ -1 +1 @@\n-a\n+b\n',
    'dev-null-both': '--- /dev/null\n+++ /dev/null\n@@ -0,0 +1 @@\n+b\n',
    'empty-path': '--- a/\n+++ b/\n@@ -1 +1 @@\n-a\n+b\n',
    'hunk-without-header': '@@ -1 +1 @@\n-a\n+b\n',
    'binary': 'diff --git a/x b/x\nGIT binary patch\nliteral 0\nHcmV?d00001\n',
    'only-headers': 'diff --git a/x b/x\n'.repeat(10000),
    'blank-run-in-file-line': `--- a/x.c${' '.repeat(200_000)}x\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n`,
    'hunks-10000': manyHunks(10_000),
    'hunks-100000': manyHunks(100_000),
  };
}

/** The old and new texts of a file: lines from a small alphabet so that diffs have context and repeats. */
export const lineText = textOf(['a', 'b', 'c', 'int x;', '}', '', '\t{', 'x\r']);

/**
 * Without CRs: a file whose every line ends in CR is treated as CRLF by the
 * applier, which then writes added lines with CRLF too, where `diff -u`
 * output applied byte for byte would give LF (a deliberate difference).
 */
export const lfText = textOf(['a', 'b', 'c', 'int x;', '}', '', '\t{', ' x\ty ']);

function textOf(alphabet: string[]) {
  return fc
    .array(fc.constantFrom(...alphabet), { maxLength: 40 })
    .chain((lines) => fc.boolean().map((eol) => (lines.length === 0 ? '' : lines.join('\n') + (eol ? '\n' : ''))));
}

/** `diff -u` of two texts, with git-like a/ b/ names; '' when they are equal. */
export function unifiedDiff(oldText: string, newText: string, context = 3): string {
  const dir = mkdtempSync(join(tmpdir(), 'kreview-diff-'));
  try {
    writeFileSync(join(dir, 'old'), oldText);
    writeFileSync(join(dir, 'new'), newText);
    const r = spawnSync('diff', [`-U${context}`, '--label', 'a/f.c', '--label', 'b/f.c', 'old', 'new'], { cwd: dir, encoding: 'utf8' });
    if (r.status === 2 || r.error) throw new Error(`diff failed: ${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Hunk soup: file headers, hunk headers with arbitrary numbers, and body lines in any order. */
export const hunkSoup = fc
  .array(
    fc.oneof(
      fc.constantFrom('--- a/f.c', '+++ b/f.c', 'diff --git a/f.c b/f.c', 'new file mode 100644', 'deleted file mode 100644', 'rename from f.c', 'rename to g.c', '\\ No newline at end of file', '-- ', '', 'GIT binary patch', 'index 0000..1111 100644'),
      fc.tuple(fc.bigInt({ min: -5n, max: 10n ** 20n }), fc.nat(6), fc.bigInt({ min: -5n, max: 10n ** 20n }), fc.nat(6)).map(([a, b, c, d]) => `@@ -${a},${b} +${c},${d} @@`),
      fc.tuple(fc.constantFrom(' ', '-', '+'), fc.constantFrom('a', 'b', 'c', '', 'x\r')).map(([k, t]) => k + t),
      fc.string({ maxLength: 20 }),
    ),
    { maxLength: 40 },
  )
  .map((ls) => ls.join('\n') + '\n');
