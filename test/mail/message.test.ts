import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { parseMessage, unflow } from '../../src/mail/message.js';
import { mail } from './helpers.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures-mail/${name}`, import.meta.url));

describe('parseMessage', () => {
  it('decodes quoted-printable latin-1 bodies and headers exactly', async () => {
    const m = await parseMessage(fixture('latin1-qp.eml'), 'latin1-qp.eml');
    expect(m.subject).toBe('[PATCH] demo: Müller fix');
    expect(m.from).toEqual({ name: 'J\u00f6rg', address: 'joerg@example.org' });
    expect(m.body).toBe(
      'Grüße from Müller, a long line that is soft-wrapped by quoted-printable encoding.\n\n' +
        'Signed-off-by: Jörg <joerg@example.org>\n---\ndiff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n' +
        '@@ -1,2 +1,2 @@\n /* Müller */\n-int x = 1; \n+int x = 2;\n',
    );
  });

  it('decodes base64 UTF-8 bodies and turns CRLF into LF, keeping trailing spaces', async () => {
    const m = await parseMessage(fixture('base64.eml'), 'base64.eml');
    expect(m.body).toBe(
      'Subject body\n\nSigned-off-by: Zoë <zoe@example.org>\n---\ndiff --git a/b.c b/b.c\n--- a/b.c\n+++ b/b.c\n' +
        '@@ -1,2 +1,2 @@\n /* naïve */\n-\tint y = 1; \n+\tint y = 2;\n',
    );
  });

  it('does not re-flow format=flowed bodies: lines ending in a space and leading spaces stay', async () => {
    const raw = fixture('flowed.eml');
    const m = await parseMessage(raw, 'flowed.eml');
    const sent = raw.toString('utf8').split('\n\n').slice(1).join('\n\n');
    expect(m.body).toBe(sent);
    expect(m.body).toContain('\n int a; \n-int b;\n+int b = 0;\n \n');
  });

  it('un-flows only MIME headers, also inside a multipart', () => {
    const raw = Buffer.from(
      'Subject: x\nContent-Type: multipart/mixed; boundary="zz"\n\n--zz\nContent-Type: text/plain; format=flowed\n\n' +
        'Content-Type: text/plain; format=flowed\n--zz--\n',
    );
    expect(unflow(raw).toString()).toBe(
      'Subject: x\nContent-Type: multipart/mixed; boundary="zz"\n\n--zz\nContent-Type: text/plain; format=fixed\n\n' +
        'Content-Type: text/plain; format=flowed\n--zz--\n',
    );
  });

  it('normalises Message-ID, In-Reply-To and References (one id or several, with junk)', async () => {
    const one = await parseMessage(
      Buffer.from(mail({ subject: 'Re: x', id: 'b@x', references: ['a@x'], headers: ['In-Reply-To: <a@x> (Ada\'s message of Tue)'], body: 'hi\n' })),
      't',
    );
    expect(one.messageId).toBe('b@x');
    expect(one.inReplyTo).toBe('a@x');
    expect(one.references).toEqual(['a@x']);
    const two = await parseMessage(Buffer.from(mail({ subject: 'Re: x', id: 'c@x', inReplyTo: 'b@x', references: ['a@x', 'b@x'], body: 'hi\n' })), 't');
    expect(two.references).toEqual(['a@x', 'b@x']);
    const onlyReply = await parseMessage(Buffer.from(mail({ subject: 'Re: x', id: 'd@x', inReplyTo: 'c@x', body: 'hi\n' })), 't');
    expect(onlyReply.references).toEqual(['c@x']);
  });

  it('synthesises a stable Message-ID from the content when there is none', async () => {
    const raw = Buffer.from(mail({ subject: 'x', id: null, body: 'hi\n' }));
    const a = await parseMessage(raw, 'a');
    const b = await parseMessage(raw, 'b');
    expect(a.messageId).toMatch(/^kreview-[0-9a-f]{20}@local$/);
    expect(a.messageId).toBe(b.messageId);
    const c = await parseMessage(Buffer.from(mail({ subject: 'y', id: null, body: 'hi\n' })), 'c');
    expect(c.messageId).not.toBe(a.messageId);
  });

  it('keeps the date both parsed and as sent', async () => {
    const m = await parseMessage(Buffer.from(mail({ subject: 'x', date: 'Thu, 23 Apr 2026 00:55:02 -0700', body: 'b\n' })), 't');
    expect(m.date).toBe('2026-04-23T07:55:02.000Z');
    expect(m.dateHeader).toBe('Thu, 23 Apr 2026 00:55:02 -0700');
  });

  it('refuses a message over the size cap with a clear error', async () => {
    const raw = Buffer.from(mail({ subject: 'big', body: 'x'.repeat(2048) + '\n' }));
    await expect(parseMessage(raw, 'big.eml', { maxBytes: 1024 })).rejects.toThrow(InputError);
    await expect(parseMessage(raw, 'big.eml', { maxBytes: 1024 })).rejects.toThrow(
      /^big\.eml: message is larger than 1024 bytes \(\d+ bytes\)$/,
    );
  });

  it('appends a patch sent as an attachment to the body', async () => {
    const raw = Buffer.from(
      'Subject: [PATCH] att\nMessage-ID: <att@x>\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nSee attached.\n' +
        '--b\nContent-Type: text/x-patch; name="0001-x.patch"\nContent-Disposition: attachment; filename="0001-x.patch"\n\n' +
        'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n--b--\n',
    );
    const m = await parseMessage(raw, 'att');
    expect(m.body).toContain('See attached.\n');
    expect(m.body).toContain('diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n');
  });
});

describe('parseMessage on garbage', () => {
  it('either parses or throws an InputError, never anything else', async () => {
    const { default: fc } = await import('fast-check');
    const piece = fc.constantFrom(
      'Subject: x\n', 'Content-Type: multipart/mixed; boundary=b\n', 'Content-Transfer-Encoding: base64\n',
      'Content-Type: text/plain; charset=x-unknown; format=flowed\n', '\n', '--b\n', '--b--\n', '=?utf-8?B?////?=\n',
      'References: <a@b> <c\n', 'Message-ID: <>\n', 'QUJD\n', '=C3=\n', '\r\n', 'From: <@>\n',
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(piece, fc.string({ maxLength: 8 })), { maxLength: 20 }), async (parts) => {
        try {
          const m = await parseMessage(Buffer.from(parts.join('')), 'fuzz');
          expect(m.messageId.length).toBeGreaterThan(0);
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: 200 },
    );
  });
});
