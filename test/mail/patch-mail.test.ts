import { describe, expect, it } from 'vitest';
import { hasDiff, splitPatchBody } from '../../src/mail/patch-mail.js';
import { parseTrailers, replyTrailers } from '../../src/mail/trailers.js';

const BODY = `Make it so.

Fixes: 0123456789ab ("demo: add")
Reviewed-by: Bo <bo@example.org>
Signed-off-by: Ada <ada@example.org>
---
v2: fixed the thing
 demo.c | 3 ++-
 1 file changed

diff --git a/demo.c b/demo.c
index 1..2 100644
--- a/demo.c
+++ b/demo.c
@@ -1,3 +1,3 @@
 a
-- 
+--
 b
-- 
2.43.0
`;

describe('splitPatchBody', () => {
  it('splits at ---, keeps the diffstat apart, and ends the diff at the signature, not at a removed "- " line', () => {
    const p = splitPatchBody(BODY);
    expect(p.commitMessage).toBe('Make it so.\n\nFixes: 0123456789ab ("demo: add")\nReviewed-by: Bo <bo@example.org>\nSigned-off-by: Ada <ada@example.org>\n');
    expect(p.notes).toContain('v2: fixed the thing');
    expect(p.diff).toBe('diff --git a/demo.c b/demo.c\nindex 1..2 100644\n--- a/demo.c\n+++ b/demo.c\n@@ -1,3 +1,3 @@\n a\n-- \n+--\n b\n');
  });

  it('reads a bare diff and a mail with no diff', () => {
    const bare = splitPatchBody('--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n');
    expect(bare).toEqual({ commitMessage: '', notes: '', diff: '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n' });
    expect(splitPatchBody('Just talk.\n').diff).toBe('');
    expect(hasDiff('Just talk.\n--- not a diff\n')).toBe(false);
    expect(hasDiff(BODY)).toBe(true);
  });

  it('keeps several files and a no-newline marker', () => {
    const body = 'msg\n---\ndiff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1 +1 @@\n-x\n+y\n\\ No newline at end of file\ndiff --git a/b b/b\nnew file mode 100644\n--- /dev/null\n+++ b/b\n@@ -0,0 +1 @@\n+z\n-- \n2.4\n';
    expect(splitPatchBody(body).diff).toBe(
      'diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1 +1 @@\n-x\n+y\n\\ No newline at end of file\ndiff --git a/b b/b\nnew file mode 100644\n--- /dev/null\n+++ b/b\n@@ -0,0 +1 @@\n+z\n',
    );
  });
});

describe('trailers', () => {
  it('reads every trailer of a commit message, with canonical keys', () => {
    const t = parseTrailers('x\n\nfixes: abc ("y")\nLink: https://lore.kernel.org/r/1@x\nCloses: https://bugs/1\nAcked-by: C <c@x>\nTested-by: D <d@x>\nSigned-off-by: A <a@x>\nNot-a-trailer: z\n', 'm1');
    expect(t.map((x) => x.key)).toEqual(['Fixes', 'Link', 'Closes', 'Acked-by', 'Tested-by', 'Signed-off-by']);
    expect(t[0]).toEqual({ key: 'Fixes', value: 'abc ("y")', from: 'm1' });
  });

  it("takes a reply's own review trailers, not quoted ones, not sign-offs, not the signature's", () => {
    const body = 'On Tue, Ada wrote:\n> Signed-off-by: Ada <a@x>\n> Reviewed-by: Quoted <q@x>\n\nLooks good.\n\n  Reviewed-by: Bo <bo@x>\nSigned-off-by: Bo <bo@x>\n-- \nAcked-by: Sig <s@x>\n';
    expect(replyTrailers(body, 'r1')).toEqual([{ key: 'Reviewed-by', value: 'Bo <bo@x>', from: 'r1' }]);
  });
});
