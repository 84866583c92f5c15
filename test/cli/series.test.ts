import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSeries } from '../../src/cli/series.js';
import { runDirect, runMain, viaMain } from '../mail/cli-helpers.js';
import { mail, mbox, series } from '../mail/helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kreview-series-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const LORE = 'https://lore.kernel.org/all';
const run = (inputs: string[], format = 'text', stdin = '') =>
  runDirect((io) => runSeries(io, inputs, { format, loreUrl: LORE }), stdin);

describe('kreview series', () => {
  it('prints the newest version with its patches, trailers, missing patches and replies', async () => {
    const v2 = series({ version: 2, total: 3 });
    const v3 = series({ version: 3, total: 3, only: [1, 3] });
    const reply = mail({
      subject: 'Re: [PATCH v3 1/3] demo: step 1',
      id: 'rev@x',
      from: 'Bo Reviewer <bo@example.org>',
      inReplyTo: '1.v3.git.ada@example.org',
      body: '> +long b1;\n\nReviewed-by: Bo Reviewer <bo@example.org>\n',
    });
    const f = path.join(dir, 'mix.mbox');
    await writeFile(f, mbox([...v2.mails, ...v3.mails, reply]));
    const r = await run([f]);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toBe(
      [
        'series: demo: rework the list',
        '  version: 3 (supersedes v2)',
        '  tag: [v3], 2 of 3 patches',
        '  cover: [PATCH v3 0/3] demo: rework the list <cover.v3.git.ada@example.org> from Ada Example <ada@example.org>',
        '  1/3 [PATCH v3 1/3] demo: step 1 <1.v3.git.ada@example.org>',
        '        Signed-off-by: Ada Example <ada@example.org>',
        '        Reviewed-by: Bo Reviewer <bo@example.org> (in <rev@x>)',
        '  3/3 [PATCH v3 3/3] demo: step 3 <3.v3.git.ada@example.org>',
        '        Signed-off-by: Ada Example <ada@example.org>',
        '  missing: 2/3',
        '  replies: 1',
        '    Re: [PATCH v3 1/3] demo: step 1 <rev@x> from Bo Reviewer <bo@example.org>',
        '',
      ].join('\n'),
    );
  });

  it('prints JSON with --format json, read from standard input', async () => {
    const v1 = series({ version: 1, total: 1, cover: false });
    const r = await run(['-'], 'json', mbox(v1.mails));
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.problems).toEqual([]);
    expect(doc.series).toHaveLength(1);
    expect(doc.series[0]).toMatchObject({ title: 'demo: step 1', version: 1, total: 1, cover: null, missing: [], supersedes: [] });
    expect(doc.series[0].patches[0]).toMatchObject({ index: 1, messageId: '1.v1.git.ada@example.org', hasDiff: true });
  });

  it('fails with one error line on bad input', async () => {
    const f = path.join(dir, 'empty.mbox');
    await writeFile(f, '');
    expect(await run([f])).toEqual({ status: 2, out: '', err: `kreview: error: ${f}: empty input\n` });
    const dup = path.join(dir, 'dup.mbox');
    await writeFile(dup, mbox([mail({ subject: 'a', id: 'same@x', body: 'one\n' }), mail({ subject: 'b', id: 'same@x', body: 'two\n' })]));
    expect((await run([dup])).err).toBe(
      `kreview: error: duplicate Message-ID <same@x> for different messages (${dup}#1 and ${dup}#2)\n`,
    );
  });

  it.skipIf(!viaMain)('is wired into main: kreview series --format json', async () => {
    const v1 = series({ version: 1, total: 1, cover: false });
    const r = await runMain(['series', '--format', 'json', '-'], mbox(v1.mails));
    expect(r.status).toBe(0);
    expect(JSON.parse(r.out).series[0].title).toBe('demo: step 1');
    const bad = await runMain(['series', path.join(dir, 'nope.mbox')]);
    expect(bad.status).toBe(2);
    expect(bad.err).toMatch(/^kreview: error: .*nope\.mbox: no such file or directory/);
  });
});
