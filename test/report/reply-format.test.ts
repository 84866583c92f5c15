import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { wrapText, fill } from '../../src/report/wrap.js';
import {
  attributionDate,
  encodeText,
  encodeWords,
  foldHeader,
  formatAddress,
  parseAddress,
  slug,
} from '../../src/report/mail-format.js';
import { mapLines, SeriesLines } from '../../src/report/linemap.js';
import { diffHeaders, quoteCommitMessage, quoteHunk, ReplyText } from '../../src/report/quote.js';
import { statementEnd } from '../../src/report/anchor.js';
import { noLineNumbers } from '../../src/report/comment.js';
import type { Hunk } from '../../src/parse/diff-schema.js';
import type { TreeView } from '../../src/parse/tree.js';

/** RFC 2047 Q decoding, for checking round trips. */
function decodeWords(s: string): string {
  return s
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?Q\?(.*?)\?=/g, (_, q: string) =>
      Buffer.from(
        q.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/g, (_m: string, h: string) => String.fromCharCode(parseInt(h, 16))),
        'latin1',
      ).toString('utf8'),
    );
}

describe('wrapping', () => {
  test('prose is filled to 72 columns, indented blocks are kept as they are', () => {
    const long = 'cancel_work_sync() waits for iommu_group_device_quarantine_work(), which takes group->mutex, and this sentence goes on well past the margin.';
    const table = '       CPU0                    CPU1\n  lock(&group->mutex);                                       and a long tail beyond 72';
    const out = wrapText(`${long}\n\n${table}`);
    const lines = out.split('\n');
    const prose = lines.slice(0, lines.indexOf(''));
    expect(prose.length).toBeGreaterThan(1);
    expect(prose.every((l) => l.length <= 72)).toBe(true);
    expect(prose.join(' ')).toBe(long);
    expect(out).toContain(table);
  });

  test('a word longer than the line gets a line of its own', () => {
    const w = 'x'.repeat(80);
    expect(fill(`a ${w} b`)).toEqual(['a', w, 'b']);
  });
});

describe('headers', () => {
  test('RFC 2047: non-ASCII words are encoded, ASCII ones are not, and they decode back', () => {
    const subject = 'Re: [PATCH] iommu: Prüfung für Gruppen ohne Gerät';
    const tokens = encodeText(subject);
    expect(tokens.slice(0, 3)).toEqual(['Re:', '[PATCH]', 'iommu:']);
    expect(tokens.join(' ')).toMatch(/=\?UTF-8\?Q\?Pr=C3=BCfung_f=C3=BCr\?=/);
    expect(decodeWords(tokens.join(' '))).toBe(subject);
    const folded = foldHeader('Subject', [tokens]);
    expect(folded.split('\n').every((l) => l.length <= 78)).toBe(true);
    expect(/^[\x00-\x7f]*$/.test(folded)).toBe(true);
  });

  test('long encoded text is split into words of at most 75 characters', () => {
    const words = encodeWords('ü'.repeat(60));
    expect(words.length).toBeGreaterThan(1);
    expect(words.every((w) => w.length <= 75)).toBe(true);
    expect(decodeWords(words.join(' '))).toBe('ü'.repeat(60));
  });

  test('addresses: specials quoted, non-ASCII names encoded, bare addresses bare', () => {
    expect(formatAddress({ name: 'Marsh, Kevin', address: 'k@example.net' }).join(' ')).toBe('"Marsh, Kevin" <k@example.net>');
    expect(formatAddress({ name: '', address: 'iommu@lists.example.org' }).join(' ')).toBe('iommu@lists.example.org');
    const enc = formatAddress({ name: 'Zoë Ångström', address: 'z@example.org' }).join(' ');
    expect(enc).toMatch(/^=\?UTF-8\?Q\?Zo=C3=AB_=C3=85ngstr=C3=B6m\?= <z@example\.org>$/);
    expect(parseAddress('"Tan, Wei" <wei.tan@example.org>')).toEqual({ name: 'Tan, Wei', address: 'wei.tan@example.org' });
    expect(parseAddress('rev@example.org')).toEqual({ name: '', address: 'rev@example.org' });
    expect(parseAddress('no address here')).toBeNull();
  });

  test('folding keeps an address on one line and every line within 78 columns', () => {
    const items = Array.from({ length: 6 }, (_, i) => formatAddress({ name: `Person Number${i}`, address: `person${i}@lists.example.org` }));
    const h = foldHeader('Cc', items);
    const lines = h.split('\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.every((l) => l.length <= 78)).toBe(true);
    expect(lines.slice(1).every((l) => l.startsWith(' '))).toBe(true);
    for (let i = 0; i < 6; i++) expect(h).toContain(`Person Number${i} <person${i}@lists.example.org>`);
  });

  test("the attribution date is mutt's, in the sender's own zone", () => {
    expect(attributionDate('Thu, 16 Apr 2026 16:28:06 -0700', '2026-04-16T23:28:06.000Z')).toBe(
      'Thu, Apr 16, 2026 at 04:28:06PM -0700',
    );
    expect(attributionDate('Fri, 17 Apr 2026 00:05:00 +0800', null)).toBe('Fri, Apr 17, 2026 at 12:05:00AM +0800');
    expect(attributionDate(null, null)).toBeNull();
  });

  test('file-name slugs like git format-patch', () => {
    expect(slug('iommu: Defer __iommu_group_free_device() to be outside group->mutex')).toBe(
      'iommu-defer-iommu_group_free_device-to-be-outside',
    );
    expect(slug('!!!')).toBe('patch');
  });
});

describe('following lines through a series', () => {
  test('mapLines maps kept lines and marks added ones', () => {
    const a = ['a', 'b', 'c', 'd', 'e'];
    const b = ['a', 'x', 'c', 'd', 'y', 'e'];
    expect([...mapLines(a, b)]).toEqual([0, -1, 2, 3, -1, 4]);
  });

  test('mapLines keeps a longest common subsequence, in order (property)', () => {
    const lcs = (a: string[], b: string[]) => {
      const d = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
      for (let i = a.length - 1; i >= 0; i--)
        for (let j = b.length - 1; j >= 0; j--) d[i]![j] = a[i] === b[j] ? d[i + 1]![j + 1]! + 1 : Math.max(d[i + 1]![j]!, d[i]![j + 1]!);
      return d[0]![0]!;
    };
    const line = fc.constantFrom('a', 'b', 'c', '}', '');
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.array(line, { maxLength: 30 }), (a, b) => {
        const m = [...mapLines(a, b)];
        let last = -1;
        let kept = 0;
        m.forEach((i, j) => {
          if (i < 0) return;
          expect(a[i]).toBe(b[j]);
          expect(i).toBeGreaterThan(last);
          last = i;
          kept++;
        });
        expect(kept).toBe(lcs(a, b));
      }),
      { numRuns: 300 },
    );
  });

  test('SeriesLines finds the patch that added a line, also after it moved', () => {
    const view = (text: string): TreeView => ({ root: '/', read: () => text, exists: () => true, changes: () => new Map() });
    const v0 = 'one\ntwo\nthree\n';
    const v1 = 'one\nWARN\ntwo\nthree\n'; // patch 1 adds WARN
    const v2 = 'zero\none\nWARN\ntwo\nthree\nfour\n'; // patch 2 adds zero and four
    const s = new SeriesLines([view(v0), view(v1), view(v2)]);
    expect(s.addedBy('f.c', 3, 2)).toBe(1); // WARN
    expect(s.addedBy('f.c', 1, 2)).toBe(2); // zero
    expect(s.addedBy('f.c', 2, 2)).toBe(0); // one: older than the series
    expect(s.back('f.c', 3, 2, 1)).toEqual({ line: 2 });
    expect(s.back('f.c', 6, 2, 1)).toEqual({ addedBy: 2 });
  });
});

describe('quoting', () => {
  const hunk: Hunk = {
    oldStart: 10, oldLines: 3, newStart: 10, newLines: 12, section: 'static int f(void)', header: '@@ -10,3 +10,12 @@ static int f(void)',
    lines: [
      { kind: ' ', text: 'static int f(void)', noNewline: false },
      { kind: ' ', text: '{', noNewline: false },
      { kind: '+', text: '\t/*', noNewline: false },
      { kind: '+', text: '\t * a comment', noNewline: false },
      { kind: '+', text: '\t */', noNewline: false },
      { kind: '+', text: '\tWARN_ON(a ||', noNewline: false },
      { kind: '+', text: '\t\tb);', noNewline: false },
      { kind: '-', text: '\told();', noNewline: false },
      { kind: '+', text: '\tx = 1;', noNewline: false },
      { kind: '+', text: '\ty = 2;', noNewline: false },
      { kind: '+', text: '\tz = 3;', noNewline: false },
      { kind: ' ', text: '\treturn 0;', noNewline: false },
      { kind: ' ', text: '}', noNewline: false },
    ],
  };

  test('a comment block runs to its end, a statement until its parentheses close', () => {
    expect(statementEnd(hunk, 2)).toBe(4);
    expect(statementEnd(hunk, 5)).toBe(6);
    expect(statementEnd(hunk, 8)).toBe(8);
  });

  test('the comment sits under its line; the rest of the hunk is cut with [ ... ]', () => {
    const r = new ReplyText();
    quoteHunk(r, hunk, [{ start: 2, end: 4, tailEnd: 4, text: 'Nit: this comment is wrong.' }]);
    expect(r.toString()).toBe(
      [
        '> @@ -10,3 +10,12 @@ static int f(void)',
        '>  static int f(void)',
        '>  {',
        '> +\t/*',
        '> +\t * a comment',
        '> +\t */',
        '',
        'Nit: this comment is wrong.',
        '',
        '[ ... ]',
        '',
      ].join('\n'),
    );
  });

  test('quoting goes on to a second comment further down, and ends at a close function end', () => {
    const r = new ReplyText();
    quoteHunk(r, hunk, [
      { start: 2, end: 4, tailEnd: 6, text: 'First.' },
      { start: 10, end: 10, tailEnd: 10, text: 'Second.' },
    ]);
    const out = r.toString();
    expect(out).toContain('> +\t */\n\nFirst.\n\n> +\tWARN_ON(a ||\n> +\t\tb);\n> -\told();');
    expect(out).toContain('> +\tz = 3;\n\nSecond.\n\n>  \treturn 0;\n>  }\n');
    expect(out).not.toContain('[ ... ]');
  });

  test('a long commit message keeps the first paragraph and those that matter', () => {
    const paras = [
      'First paragraph says what the patch does.',
      'Background nobody needs.\n'.repeat(10).trim(),
      'This one mentions __iommu_group_free_device() which the comment is about.',
      'More background.\n'.repeat(10).trim(),
      'Signed-off-by: A <a@example.com>',
    ];
    const r = new ReplyText();
    quoteCommitMessage(r, paras.join('\n\n'), ['__iommu_group_free_device']);
    expect(r.toString()).toBe(
      [
        '> First paragraph says what the patch does.',
        '',
        '[ ... ]',
        '',
        '> This one mentions __iommu_group_free_device() which the comment is about.',
        '',
        '[ ... ]',
        '',
      ].join('\n'),
    );
  });

  test('a short commit message is quoted whole, blank lines as a bare ">"', () => {
    const r = new ReplyText();
    quoteCommitMessage(r, 'Line one.\n\nSigned-off-by: A <a@example.com>\n', []);
    expect(r.toString()).toBe('> Line one.\n>\n> Signed-off-by: A <a@example.com>\n');
  });

  test('diff headers per file', () => {
    const diff = 'diff --git a/x.c b/x.c\nindex 1..2 100644\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\ndiff --git a/y.c b/y.c\nnew file mode 100644\n--- /dev/null\n+++ b/y.c\n@@ -0,0 +1 @@\n+c\n';
    const h = diffHeaders(diff);
    expect(h.get('x.c')).toEqual(['diff --git a/x.c b/x.c', 'index 1..2 100644', '--- a/x.c', '+++ b/x.c']);
    expect(h.get('y.c')?.[1]).toBe('new file mode 100644');
  });

  test('no line numbers in prose', () => {
    expect(noLineNumbers('takes the lock at drivers/iommu/iommu.c:296:2 (line 296)')).toBe('takes the lock at drivers/iommu/iommu.c');
  });
});
