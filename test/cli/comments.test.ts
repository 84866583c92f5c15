import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReplyComments } from '../../src/cli/comments.js';
import { runDirect, runMain, viaMain } from '../mail/cli-helpers.js';
import { mail } from '../mail/helpers.js';

const SEED = '/work/shared/seed/000_4a6824e4c53be9c0.txt';
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kreview-comments-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const run = (inputs: string[], format = 'text', stdin = '') => runDirect((io) => runReplyComments(io, inputs, { format }), stdin);

describe('kreview comments', () => {
  it('reads the seed archive page as plain reply text: two comments', async () => {
    const r = await run([SEED], 'json');
    expect(r.status).toBe(0);
    const { replies } = JSON.parse(r.out);
    expect(replies).toHaveLength(1);
    expect(replies[0].messageId).toBeNull();
    expect(replies[0].comments.map((c: { text: string }) => c.text.split(' ')[0])).toEqual(['Nit:', 'Furthermore,']);
  });

  it('prints file, hunk header, quoted lines and text', async () => {
    const r = await run([SEED]);
    expect(r.out).toContain(
      '  comment 1: drivers/iommu/iommu.c @@ -627,6 +627,19 @@ static struct iommu_domain *pasid_array_entry_to_domain(void *entry)\n',
    );
    expect(r.out).toContain("    > +\t */\n    Nit: this comment doesn't quite match the following code. The code\n");
    expect(r.out).toContain('  comment 2: drivers/iommu/iommu.c');
  });

  it('reads an RFC 822 reply from standard input, using its body', async () => {
    const reply = mail({
      subject: 'Re: [PATCH 1/1] demo: x',
      id: 'r@x',
      inReplyTo: 'p@x',
      body: 'On Tue, Ada wrote:\n> diff --git a/demo.c b/demo.c\n> --- a/demo.c\n> +++ b/demo.c\n> @@ -1,3 +1,3 @@ int f(void)\n>  int a;\n> -int b;\n> +long b;\n\nWhy long?\n\nThanks,\nBo\n',
    });
    const r = await run(['-'], 'json', reply);
    const { replies } = JSON.parse(r.out);
    expect(replies[0]).toMatchObject({ messageId: 'r@x', subject: 'Re: [PATCH 1/1] demo: x' });
    expect(replies[0].comments).toEqual([
      { file: 'demo.c', hunkHeader: '@@ -1,3 +1,3 @@ int f(void)', quoted: [' int a;', '-int b;', '+long b;'], text: 'Why long?' },
    ]);
  });

  it('fails with one error line on empty input', async () => {
    const f = path.join(dir, 'empty.txt');
    await writeFile(f, '');
    expect(await run([f])).toEqual({ status: 2, out: '', err: `kreview: error: ${f}: empty input\n` });
  });

  it.skipIf(!viaMain)('is wired into main', async () => {
    const r = await runMain(['comments', '--format', 'json', SEED]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.out).replies[0].comments).toHaveLength(2);
  });
});
