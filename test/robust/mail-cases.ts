/**
 * Hostile mail: the nasty cases (hand-made shapes of broken MIME, huge
 * headers, odd line ends) and the generators the properties draw from
 * (random bytes, mutations of the fixture series' real mails).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { readMessages } from '../../src/mail/input.js';
import { splitMbox } from '../../src/mail/mbox.js';
import { extractReviewComments } from '../../src/mail/reply.js';
import type { MailMessage } from '../../src/mail/schema.js';
import { assembleSeries } from '../../src/mail/series.js';
import { settle, settleAsync, timedAsync } from './helpers.js';

export const SERIES_MBOX = readFileSync(new URL('../../fixtures/iommu/series-v3.mbox', import.meta.url));
export const REAL_MAILS = splitMbox(SERIES_MBOX);

const HEAD = 'From: Ada Example <ada@example.org>\nDate: Tue, 14 Apr 2026 10:00:00 +0000\nMessage-ID: <n@example.org>\n';
const PATCH = `diff --git a/x.c b/x.c
--- a/x.c
+++ b/x.c
@@ -1,2 +1,2 @@
 int a;
-int b;
+long b;
`;

function nested(depth: number, close: boolean): string {
  let s = `${HEAD}Subject: [PATCH] nested\nMIME-Version: 1.0\n`;
  for (let i = 0; i < depth; i++) s += `Content-Type: multipart/mixed; boundary="b${i}"\n\n--b${i}\n`;
  s += `Content-Type: text/plain; format=flowed\n\n${PATCH}`;
  if (close) for (let i = depth - 1; i >= 0; i--) s += `\n--b${i}--\n`;
  return s;
}

/** Name -> raw bytes of one hostile input (a mail, an mbox, or neither). */
export function nastyMails(): Record<string, Buffer> {
  const b = (s: string) => Buffer.from(s, 'latin1');
  const mixedCrlf = `${HEAD}Subject: [PATCH] mixed\r\n\r\n${PATCH.split('\n').map((l, i) => (i % 2 ? `${l}\r` : l)).join('\n')}`;
  return {
    'boundary-never-closes': b(`${HEAD}Subject: [PATCH] open\nContent-Type: multipart/mixed; boundary="zz"\n\n--zz\nContent-Type: text/plain\n\n${PATCH}`),
    'boundary-empty': b(`${HEAD}Subject: x\nContent-Type: multipart/mixed; boundary=""\n\n--\n\n--\n`),
    'nested-200-closed': b(nested(200, true)),
    'nested-200-open': b(nested(200, false)),
    'nested-2000-closed': b(nested(2000, true)),
    'missing-content-type-base64': b(`${HEAD}Subject: [PATCH] b64\nContent-Transfer-Encoding: base64\n\n${Buffer.from(PATCH).toString('base64')}\n`),
    'charset-x-unknown': b(`${HEAD}Subject: =?x-unknown?Q?caf=E9?=\nContent-Type: text/plain; charset=x-unknown\n\n${PATCH}`),
    'charset-empty-and-utf7': b(`${HEAD}Subject: =?utf-7?B?K2FHay0=?=\nContent-Type: text/plain; charset=""\n\n${PATCH}`),
    'invalid-base64': b(`${HEAD}Subject: bad\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!!****====\n\u00ff\u00fe====abc\n`),
    'invalid-qp': b(`${HEAD}Subject: bad\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n=ZZ=\n=4=\n=\n=E9=E=\n`),
    'unknown-transfer-encoding': b(`${HEAD}Subject: x\nContent-Transfer-Encoding: x-rot13\n\n${PATCH}`),
    'subject-1mb': b(`${HEAD}Subject: [PATCH] ${'A'.repeat(1024 * 1024)}\n\n${PATCH}`),
    'subject-1mb-encoded-words': b(`${HEAD}Subject: ${'=?UTF-8?Q?=C3=A9?= '.repeat(50000)}\n\nbody\n`),
    'header-10000-lines': b(`${HEAD}Subject: [PATCH] many\n${Array.from({ length: 10000 }, (_, i) => `X-H${i}: ${i}`).join('\n')}\n\n${PATCH}`),
    'folded-header-10000-lines': b(`${HEAD}Subject: [PATCH] fold\nReferences: <r0@x>\n${Array.from({ length: 10000 }, (_, i) => ` <r${i + 1}@x>`).join('\n')}\n\n${PATCH}`),
    'nul-bytes': b(`${HEAD}Subject: [PATCH] n\0ul\nX-\0: \0\n\n\0${PATCH}\0\0\n`),
    'lone-cr': b(`${HEAD}Subject: [PATCH] cr\n\n${PATCH}`.replace(/\n/g, '\r')),
    'mixed-crlf': b(mixedCrlf),
    'from-lines-everywhere': b(
      Array.from({ length: 50 }, (_, i) => `From x Mon Jan 1 00:00:0${i % 10} 2001\n${i % 3 ? `From: a@b\nSubject: [PATCH ${i}/50] s\n\n` : ''}From the body\n>From quoted\n`).join('\n'),
    ),
    'mbox-only-separators': b('From x Mon Jan 1 00:00:00 2001\n\n'.repeat(1000)),
    'body-line-of-blanks': b(`${HEAD}Subject: Re: [PATCH] t\n\n> +x\nAcked-by: a${' '.repeat(300_000)}b\n`),
    'trailer-line-of-tabs': b(`${HEAD}Subject: [PATCH] t\n\nReviewed-by: x${'\t'.repeat(300_000)}y\n---\n${PATCH}`),
    'references-cycle': b(`${HEAD.replace('<n@', '<c1@')}In-Reply-To: <c2@example.org>\nSubject: Re: [PATCH] a\n\nx\n`),
    'headers-only-no-blank': b(`${HEAD}Subject: nothing after`),
    'header-binary-garbage': b(`${HEAD}Subject: \u00ff\u00fe\u0001\u0002\nFrom: \u0080\u0081 <\u00ff@\u00fe>\n\n\u00ff`),
    'empty-boundary-parts': b(`${HEAD}Subject: x\nContent-Type: multipart/alternative; boundary=q\n\n${'--q\n'.repeat(5000)}--q--\n`),
    'attachment-patch-huge-blank-run': b(
      `${HEAD}Subject: [PATCH] att\nContent-Type: multipart/mixed; boundary=q\n\n--q\nContent-Type: text/plain\n\nsee attached${'\n'.repeat(200_000)}x\n--q\nContent-Type: text/x-patch; name=a.patch\nContent-Disposition: attachment; filename=a.patch\n\n${PATCH}--q--\n`,
    ),
  };
}

/** Reads bytes as one input (as `-`), then assembles and reads replies: the whole mail stage. */
export async function mailStage(buf: Buffer, opts: { maxMessageBytes?: number; lenient?: boolean } = {}): Promise<void> {
  const msgs = await settleAsync(() =>
    readMessages(['-'], { stdin: async () => buf, loreUrl: 'http://127.0.0.1:9/none', maxMessageBytes: opts.maxMessageBytes }),
  );
  if (!Array.isArray(msgs)) return;
  runAssembly(msgs, opts.lenient ?? false);
}

export function runAssembly(msgs: MailMessage[], lenient: boolean): void {
  settle(() => assembleSeries(msgs, { lenient }));
  for (const m of msgs) extractReviewComments(m.body);
}

export async function boundedMailStage(name: string, buf: Buffer, ms: number): Promise<void> {
  await timedAsync(name, ms, () => mailStage(buf));
}

/** A mutation of a real mail: cut, splice random bytes, duplicate or drop lines, change line ends. */
export const mutatedMail = fc
  .record({
    mail: fc.integer({ min: 0, max: REAL_MAILS.length - 1 }),
    ops: fc.array(
      fc.oneof(
        fc.record({ k: fc.constant('cut' as const), at: fc.nat() }),
        fc.record({ k: fc.constant('splice' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 40 }) }),
        fc.record({ k: fc.constant('dupline' as const), at: fc.nat() }),
        fc.record({ k: fc.constant('dropline' as const), at: fc.nat() }),
        fc.record({ k: fc.constant('crlf' as const) }),
        fc.record({ k: fc.constant('lonecr' as const) }),
        fc.record({
          k: fc.constant('insert' as const),
          at: fc.nat(),
          text: fc.constantFrom(
            'From x Mon Jan  1 00:00:00 2001\n',
            '\n\n',
            '\0',
            'Content-Type: multipart/mixed; boundary=zz\n',
            'Content-Transfer-Encoding: base64\n',
            'Content-Type: text/plain; charset=x-unknown; format=flowed\n',
            '--zz\n',
            '@@ -99999999999,1 +1 @@\n',
            '--- a/../../etc/passwd\n+++ b//etc/passwd\n',
            'diff --git a/x b/x\n',
            '=?UTF-8?B?!!!?=',
            '> ',
          ),
        }),
      ),
      { maxLength: 6 },
    ),
  })
  .map(({ mail, ops }) => {
    let buf = Buffer.from(REAL_MAILS[mail]!);
    for (const op of ops) {
      const at = 'at' in op ? op.at % (buf.length + 1) : 0;
      const lines = () => buf.toString('latin1').split('\n');
      switch (op.k) {
        case 'cut':
          buf = buf.subarray(0, at);
          break;
        case 'splice':
          buf = Buffer.concat([buf.subarray(0, at), Buffer.from(op.bytes), buf.subarray(at)]);
          break;
        case 'insert':
          buf = Buffer.concat([buf.subarray(0, at), Buffer.from(op.text, 'latin1'), buf.subarray(at)]);
          break;
        case 'dupline': {
          const ls = lines();
          const i = op.at % ls.length;
          ls.splice(i, 0, ls[i]!);
          buf = Buffer.from(ls.join('\n'), 'latin1');
          break;
        }
        case 'dropline': {
          const ls = lines();
          ls.splice(op.at % ls.length, 1);
          buf = Buffer.from(ls.join('\n'), 'latin1');
          break;
        }
        case 'crlf':
          buf = Buffer.from(buf.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
          break;
        case 'lonecr':
          buf = Buffer.from(buf.toString('latin1').replace(/\n/g, '\r'), 'latin1');
          break;
      }
    }
    return buf;
  });

/** An mbox of a few mutated mails (so splitting and threading see hostile neighbours). */
export const mutatedMbox = fc
  .array(mutatedMail, { minLength: 1, maxLength: 4 })
  .map((mails) => Buffer.concat(mails.flatMap((m) => [Buffer.from('From mboxrd@z Thu Jan  1 00:00:00 1970\n'), m, Buffer.from('\n\n')])));

/** Bytes biased towards what mail parsers look at. */
export const mailishBytes = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)),
      fc
        .constantFrom('From ', 'From x Mon Jan  1 00:00:00 2001\n', ':', '\n', '\r\n', '\r', '=?', '?=', '--', 'boundary=', 'Content-Type: ', 'multipart/', 'Subject: ', 'Message-ID: <', '>', '@', '=', ' ', '\t', 'diff --git a/a b/a\n', '@@ -1 +1 @@\n')
        .map((s) => Buffer.from(s, 'latin1')),
    ),
    { maxLength: 80 },
  )
  .map((parts) => Buffer.concat(parts));
