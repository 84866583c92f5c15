/**
 * The mail stage on hostile input: every nasty case and every generated
 * input is read, assembled and searched for review comments, and either
 * works or fails with an InputError, within a time bound.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { parseMessage } from '../../src/mail/message.js';
import { splitMbox } from '../../src/mail/mbox.js';
import { parseTrailers } from '../../src/mail/trailers.js';
import { extractReviewComments } from '../../src/mail/reply.js';
import { assembleSeries } from '../../src/mail/series.js';
import type { MailMessage } from '../../src/mail/schema.js';
import { readMessages } from '../../src/mail/input.js';
import { runs, settleAsync, timed, timedAsync } from './helpers.js';
import { mailishBytes, mailStage, mutatedMail, mutatedMbox, nastyMails, REAL_MAILS } from './mail-cases.js';

const NASTY = nastyMails();

describe('nasty mail', () => {
  for (const [name, buf] of Object.entries(NASTY)) {
    it(`${name}: read, assembled and searched within 10 s, InputError at worst`, async () => {
      await timedAsync(name, 10_000, () => mailStage(buf));
    });
  }

  it('a message over the size cap is an InputError that names the cap', async () => {
    const big = Buffer.concat([Buffer.from('Subject: x\n\n'), Buffer.alloc(2 * 1024 * 1024, 0x61)]);
    await expect(parseMessage(big, 'big.eml', { maxBytes: 1024 * 1024 })).rejects.toThrow(/larger than 1 MiB/);
    const err = await settleAsync(() => readMessages(['-'], { stdin: async () => big, loreUrl: '', maxMessageBytes: 1024 * 1024 }));
    expect(err).toBeInstanceOf(InputError);
  });

  it('a trailer line with a long run of blanks is read in linear time (was quadratic)', () => {
    const line = `Acked-by: Ada${' '.repeat(1_000_000)}<ada@example.org>`;
    const t = timed('parseTrailers', 1000, () => parseTrailers(line, 'x'));
    expect(t[0]?.value.endsWith('<ada@example.org>')).toBe(true);
    expect(parseTrailers('Reviewed-by: Bo <b@x>  \t', 'x')[0]?.value).toBe('Bo <b@x>');
  });

  it('a reply line with a long run of blanks is read in linear time (was quadratic)', () => {
    const body = `> +x\nNit:${' '.repeat(1_000_000)}this.\n`;
    const c = timed('extractReviewComments', 1000, () => extractReviewComments(body));
    expect(c[0]?.quoted).toEqual(['+x']);
  });

  it('duplicate ids whose bodies hold a long blank run compare in linear time (was quadratic)', () => {
    const m = (body: string): MailMessage => ({
      source: 's', messageId: 'd@x', inReplyTo: null, references: [], from: null, to: [], cc: [], date: null, dateHeader: null, subject: '[PATCH] x', body,
    });
    const blanks = ' '.repeat(1_000_000);
    timed('assembleSeries', 1000, () => assembleSeries([m(`a${blanks}b\n`), m(`a${blanks}b\n\n`)]));
  });

  it('10,000 messages in one reply chain and 10,000 copies of one title assemble in bounded time', () => {
    const mk = (i: number, over: Partial<MailMessage>): MailMessage => ({
      source: `m#${i}`, messageId: `${i}@x`, inReplyTo: null, references: [], from: { name: '', address: 'a@x' }, to: [], cc: [], date: null,
      dateHeader: null, subject: 'hello', body: 'text\n', ...over,
    });
    const chain = Array.from({ length: 10_000 }, (_, i) => mk(i, { inReplyTo: i ? `${i - 1}@x` : null, references: i ? [`${i - 1}@x`] : [], subject: i ? 'Re: [PATCH] x' : '[PATCH] x' }));
    timed('chain', 8000, () => assembleSeries(chain));
    const copies = Array.from({ length: 10_000 }, (_, i) => mk(i, { subject: `[PATCH v${(i % 50) + 1} 1/1] same title`, body: `${i}\ndiff --git a/x b/x\n` }));
    timed('copies', 8000, () => assembleSeries(copies, { lenient: true }));
  });
});

describe('mail properties', () => {
  it('random bytes: splitMbox never throws; parseMessage resolves or rejects with InputError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)), mailishBytes), async (buf) => {
        timed('splitMbox', 2000, () => splitMbox(buf));
        await timedAsync('parseMessage', 5000, () => settleAsync(() => parseMessage(buf, 'fuzz')));
      }),
      { numRuns: runs(150, 3000) },
    );
  });

  it('mutated real mails: the whole mail stage fails only with InputError, within 5 s each', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutatedMail, mutatedMbox), async (buf) => {
        await timedAsync('mail stage', 5000, () => mailStage(buf));
      }),
      { numRuns: runs(120, 3000) },
    );
  });

  it('the unmutated fixture mails read back with their Message-IDs (the generator starts from real mail)', async () => {
    const msgs = await Promise.all(REAL_MAILS.map((m, i) => parseMessage(m, `f#${i}`)));
    expect(msgs.every((m) => !m.messageId.startsWith('kreview-'))).toBe(true);
  });
});
