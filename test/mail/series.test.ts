import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { parseMessage } from '../../src/mail/message.js';
import type { MailMessage } from '../../src/mail/schema.js';
import { assembleSeries, requireComplete } from '../../src/mail/series.js';
import { mail, patchBody, series } from './helpers.js';

async function parseAll(mails: string[], source = 'in.mbox'): Promise<MailMessage[]> {
  return Promise.all(mails.map((m, i) => parseMessage(Buffer.from(m), `${source}#${i + 1}`)));
}

describe('assembleSeries', () => {
  it('keeps v3 of a v2+v3 mix, ordered, with its cover, and records v2 as superseded', async () => {
    const v2 = series({ version: 2, total: 3, date: 'Mon, 6 Apr 2026 10:00:00 +0000' });
    const v3 = series({ version: 3, total: 3, date: 'Tue, 14 Apr 2026 10:00:00 +0000' });
    // input order scrambled: v3 patch 2 before its cover, v2 in between
    const msgs = await parseAll([v3.mails[2], ...v2.mails, v3.mails[0], v3.mails[3], v3.mails[1]]);
    const { series: out, problems } = assembleSeries(msgs);
    expect(problems).toEqual([]);
    expect(out).toHaveLength(1);
    const s = out[0];
    expect(s).toMatchObject({ title: 'demo: rework the list', version: 3, total: 3, missing: [], supersedes: [2] });
    expect(s.cover?.messageId).toBe('cover.v3.git.ada@example.org');
    expect(s.patches.map((p) => p.message.messageId)).toEqual(['1.v3.git.ada@example.org', '2.v3.git.ada@example.org', '3.v3.git.ada@example.org']);
    expect(s.patches[0].diff).toMatch(/^diff --git a\/demo\/f1\.c b\/demo\/f1\.c\n/);
    expect(s.patches[0].trailers).toEqual([{ key: 'Signed-off-by', value: 'Ada Example <ada@example.org>', from: '1.v3.git.ada@example.org' }]);
    expect(() => requireComplete(s)).not.toThrow();
  });

  it('lists missing patches and requireComplete names them', async () => {
    const v3 = series({ version: 3, total: 11, only: [1, 2, 3, 5, 6, 7, 8, 10, 11] });
    const { series: out } = assembleSeries(await parseAll(v3.mails));
    expect(out[0].missing).toEqual([4, 9]);
    expect(() => requireComplete(out[0])).toThrow(InputError);
    expect(() => requireComplete(out[0])).toThrow("series 'demo: rework the list' v3 is missing patch 4/11 (and 9/11)");
  });

  it('attaches replies to the patch they answer, with their trailers; cover replies give trailers to all', async () => {
    const v1 = series({ version: 1, total: 2 });
    const r1 = mail({
      subject: 'Re: [PATCH 1/2] demo: step 1',
      id: 'r1@x',
      from: 'Bo <bo@example.org>',
      inReplyTo: '1.v1.git.ada@example.org',
      references: ['cover.v1.git.ada@example.org', '1.v1.git.ada@example.org'],
      body: 'On Tue, Ada wrote:\n> -int b1;\n> +long b1;\n\nLooks right.\n\nReviewed-by: Bo <bo@example.org>\n',
    });
    const r2 = mail({
      subject: 'Re: [PATCH 0/2] demo: rework the list',
      id: 'r2@x',
      from: 'Cy <cy@example.org>',
      inReplyTo: 'cover.v1.git.ada@example.org',
      body: 'For the series:\nAcked-by: Cy <cy@example.org>\n',
    });
    const nested = mail({
      subject: 'Re: [PATCH 1/2] demo: step 1',
      id: 'r3@x',
      from: 'Di <di@example.org>',
      inReplyTo: 'r1@x',
      references: ['cover.v1.git.ada@example.org', '1.v1.git.ada@example.org', 'r1@x'],
      body: 'Tested-by: Di <di@example.org>\n',
    });
    const { series: out } = assembleSeries(await parseAll([...v1.mails, r1, r2, nested]));
    const [s] = out;
    expect(s.replies.map((r) => r.messageId)).toEqual(['r1@x', 'r2@x', 'r3@x']);
    expect(s.patches[0].trailers.map((t) => `${t.key}: ${t.value} <- ${t.from}`)).toEqual([
      'Signed-off-by: Ada Example <ada@example.org> <- 1.v1.git.ada@example.org',
      'Reviewed-by: Bo <bo@example.org> <- r1@x',
      'Acked-by: Cy <cy@example.org> <- r2@x',
      'Tested-by: Di <di@example.org> <- r3@x',
    ]);
    expect(s.patches[1].trailers.map((t) => t.key)).toEqual(['Signed-off-by', 'Acked-by']);
  });

  it('attaches a reply whose thread is broken by its subject', async () => {
    const v3 = series({ version: 3, total: 2 });
    const orphan = mail({ subject: 'Re: [PATCH v3 2/2] demo: step 2', id: 'o@x', body: 'Reviewed-by: Bo <bo@x>\n' });
    const { series: out } = assembleSeries(await parseAll([...v3.mails, orphan]));
    expect(out[0].replies.map((r) => r.messageId)).toEqual(['o@x']);
    expect(out[0].patches[1].trailers.map((t) => t.from)).toContain('o@x');
  });

  it('makes one series of un-numbered patches given as several inputs, in input order', async () => {
    const a = await parseMessage(Buffer.from(mail({ subject: '[PATCH] b: second', id: 'b@x', body: patchBody('b.c', 2) })), '0002-b.patch');
    const b = await parseMessage(Buffer.from(mail({ subject: '[PATCH] a: first', id: 'a@x', body: patchBody('a.c', 1) })), '0001-a.patch');
    const { series: out } = assembleSeries([a, b]);
    expect(out).toHaveLength(1);
    expect(out[0].total).toBe(2);
    expect(out[0].patches.map((p) => [p.tag.index, p.message.subject])).toEqual([
      [1, '[PATCH] b: second'],
      [2, '[PATCH] a: first'],
    ]);
  });

  it('keeps un-numbered patches of one mbox apart', async () => {
    const msgs = await parseAll([
      mail({ subject: '[PATCH] a: one', id: 'a@x', body: patchBody('a.c', 1) }),
      mail({ subject: '[PATCH] b: two', id: 'b@x', from: 'Bo <bo@x>', body: patchBody('b.c', 1) }),
    ]);
    expect(assembleSeries(msgs).series.map((s) => s.title)).toEqual(['a: one', 'b: two']);
  });

  it('drops identical duplicate messages and refuses different mails with one Message-ID', async () => {
    const v1 = series({ version: 1, total: 1 });
    const twice = await parseAll([...v1.mails, v1.mails[1]]);
    expect(assembleSeries(twice).series[0].patches).toHaveLength(1);
    const clash = await parseAll([...v1.mails, mail({ subject: '[PATCH 1/1] other', id: '1.v1.git.ada@example.org', body: 'other\n' })]);
    expect(() => assembleSeries(clash)).toThrow(InputError);
    expect(() => assembleSeries(clash)).toThrow(
      'duplicate Message-ID <1.v1.git.ada@example.org> for different messages (in.mbox#2 and in.mbox#3)',
    );
  });

  it('tells a mail with no patch from a patch: no series, and a [PATCH] without diff is reported', async () => {
    const talk = await parseAll([mail({ subject: 'Question about locking', id: 'q@x', body: 'Why?\n' })]);
    expect(assembleSeries(talk).series).toEqual([]);
    const empty = await parseAll([mail({ subject: '[PATCH] nothing', id: 'n@x', body: 'no diff here\n' })]);
    const r = assembleSeries(empty);
    expect(r.series[0].patches[0].diff).toBe('');
    expect(r.problems).toEqual(['in.mbox#1: patch 1/1 <n@x> has no diff']);
  });
});

describe('assembleSeries: partial rerolls', () => {
  it('fills a v2 sent in the v1 thread with only patch 2 from v1', async () => {
    const v1 = series({ version: 1, total: 3, date: 'Mon, 6 Apr 2026 10:00:00 +0000' });
    const reroll = mail({
      subject: '[PATCH 2/3 v2] demo: step 2',
      id: 'v2-2@x',
      date: 'Tue, 7 Apr 2026 10:00:00 +0000',
      inReplyTo: '2.v1.git.ada@example.org',
      references: ['cover.v1.git.ada@example.org', '2.v1.git.ada@example.org'],
      body: patchBody('demo/f2.c', 22),
    });
    const { series: out, problems } = assembleSeries(await parseAll([...v1.mails, reroll]));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ version: 2, total: 3, missing: [], supersedes: [1] });
    expect(out[0].patches.map((p) => p.message.messageId)).toEqual(['1.v1.git.ada@example.org', 'v2-2@x', '3.v1.git.ada@example.org']);
    expect(problems).toContain("'demo: rework the list' v2 is a partial reroll: patch 1/3 taken from v1");
    expect(out[0].cover?.messageId).toBe('cover.v1.git.ada@example.org');
  });

  it('does not fill a v2 posted as a thread of its own', async () => {
    const v1 = series({ version: 1, total: 3 });
    const v2 = series({ version: 2, total: 3, only: [1, 3] });
    const { series: out } = assembleSeries(await parseAll([...v1.mails, ...v2.mails]));
    expect(out[0]).toMatchObject({ version: 2, missing: [2], supersedes: [1] });
  });
});

describe('assembleSeries: what makes two postings one series', () => {
  it('keeps backports to different trees apart but lets RFC v1 be superseded by PATCH v2', async () => {
    const a = series({ version: 1, total: 2, prefix: 'AUTOSEL 5.2', idSuffix: 'a@x' });
    const b = series({ version: 1, total: 2, prefix: 'AUTOSEL 4.19', idSuffix: 'b@x' });
    const r = assembleSeries(await parseAll([...a.mails, ...b.mails]));
    expect(r.series.map((s) => s.prefixes.join(' '))).toEqual(['AUTOSEL 5.2', 'AUTOSEL 4.19']);
    expect(r.problems).toEqual([]);
    const rfc = series({ version: 1, total: 2, prefix: 'RFC', idSuffix: 'rfc@x' });
    const v2 = series({ version: 2, total: 2, idSuffix: 'v2@x' });
    const s = assembleSeries(await parseAll([...rfc.mails, ...v2.mails])).series;
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({ version: 2, prefixes: [], supersedes: [1] });
  });
});

describe('dedupeMessages', () => {
  it('treats copies that differ only by a mailing list footer as the same mail', async () => {
    const body = patchBody('demo/x.c', 1);
    const footer = '_______________________________________________\niommu mailing list\niommu@lists.linux-foundation.org\nhttps://lists.linuxfoundation.org/mailman/listinfo/iommu\n';
    const msgs = await parseAll([
      mail({ subject: '[PATCH] x', id: 'same@x', body }),
      mail({ subject: '[PATCH] x', id: 'same@x', body: `${body}${footer}` }),
    ]);
    expect(assembleSeries(msgs).series[0].patches).toHaveLength(1);
  });
});

describe('assembleSeries: unthreaded format-patch files', () => {
  it('keeps a patch that got a review in its series', async () => {
    const files = series({ version: 1, total: 3, cover: false });
    const review = mail({ subject: 'Re: [PATCH 2/3] demo: step 2', id: 'rv@x', inReplyTo: '2.v1.git.ada@example.org', body: '> x\n\nWhy?\n' });
    const msgs = await Promise.all(
      [...files.mails, review].map((m, i) => parseMessage(Buffer.from(m), `000${i + 1}.patch`)),
    );
    const { series: out } = assembleSeries(msgs);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ total: 3, missing: [] });
    expect(out[0].replies.map((r) => r.messageId)).toEqual(['rv@x']);
  });
});

describe('assembleSeries: unthreaded patches inside one mbox', () => {
  it('groups by git send-email run, and never merges two [PATCH 1/1] of one sender', async () => {
    const sent = (id: string, subject: string) => mail({ subject, id, body: patchBody('x.c', 1) });
    const msgs = await parseAll([
      sent('20200101120000.1111-1-ada@example.org', '[PATCH 1/2] a: one'),
      sent('20200101120000.1111-2-ada@example.org', '[PATCH 2/2] a: two'),
      sent('20200202120000.2222-1-ada@example.org', '[PATCH 1/2] b: one'),
      sent('20200303120000.3333-1-ada@example.org', '[PATCH 1/1] c: only'),
      sent('20200404120000.4444-1-ada@example.org', '[PATCH 1/1] d: only'),
    ]);
    const out = assembleSeries(msgs).series;
    expect(out.map((s) => [s.title, s.patches.length, s.missing])).toEqual([
      ['a: one', 2, []],
      ['b: one', 1, [2]],
      ['c: only', 1, []],
      ['d: only', 1, []],
    ]);
  });
});
