import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { readMessages } from '../../src/mail/input.js';
import { mail, mbox, series } from './helpers.js';
import { startServer } from './server.js';

const FIX = path.join(path.dirname(new URL(import.meta.url).pathname), '../fixtures-mail');
let dir: string;
let srv: Awaited<ReturnType<typeof startServer>>;
const v1 = series({ version: 1, total: 2 });

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kreview-input-'));
  srv = await startServer((req, res) => {
    if (req.url === '/all/cover.v1.git.ada@example.org/t.mbox.gz') {
      res.writeHead(200, { 'content-type': 'application/gzip' });
      res.end(gzipSync(mbox(v1.mails)));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await srv.close();
});

const opts = (stdin = '') => ({ stdin: async () => Buffer.from(stdin), loreUrl: `${srv.base}/all`, timeoutMs: 2000 });

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error('expected an InputError');
}

describe('readMessages', () => {
  it('reads format-patch files, .eml, bare diffs, in the order given', async () => {
    const msgs = await readMessages(
      [path.join(FIX, 'bare.diff'), path.join(FIX, '0001-demo-fix-lock.patch'), path.join(FIX, 'base64.eml')],
      opts(),
    );
    expect(msgs.map((m) => m.subject)).toEqual(['bare', '[PATCH] demo: take the lock before touching the list', '[PATCH] b: base64']);
    expect(msgs[0].body).toBe('diff --git a/demo/demo.c b/demo/demo.c\n--- a/demo/demo.c\n+++ b/demo/demo.c\n@@ -1,3 +1,3 @@\n int a;\n-int b;\n+long b;\n int c;\n');
    expect(msgs[0].messageId).toMatch(/@local$/);
    expect(msgs[1].source).toBe(path.join(FIX, '0001-demo-fix-lock.patch'));
  });

  it('reads an mbox, a gzipped mbox and stdin, naming each message by its place', async () => {
    await writeFile(path.join(dir, 's.mbox'), mbox(v1.mails));
    await writeFile(path.join(dir, 't.mbox.gz'), gzipSync(mbox(v1.mails)));
    const a = await readMessages([path.join(dir, 's.mbox')], opts());
    const b = await readMessages([path.join(dir, 't.mbox.gz')], opts());
    const c = await readMessages(['-'], opts(mbox(v1.mails)));
    expect(a.map((m) => m.messageId)).toEqual(['cover.v1.git.ada@example.org', '1.v1.git.ada@example.org', '2.v1.git.ada@example.org']);
    expect(a.map((m) => m.source)).toEqual([1, 2, 3].map((n) => `${path.join(dir, 's.mbox')}#${n}`));
    expect(b.map((m) => m.messageId)).toEqual(a.map((m) => m.messageId));
    expect(c.map((m) => m.source)).toEqual(['<stdin>#1', '<stdin>#2', '<stdin>#3']);
  });

  it('reads a directory sorted by name, skipping dot-files and dot-directories', async () => {
    const d = path.join(dir, 'series');
    await mkdir(path.join(d, '.git'), { recursive: true });
    await writeFile(path.join(d, '.git', 'junk'), 'not mail at all\n');
    await writeFile(path.join(d, '.hidden.patch'), 'not mail at all\n');
    await writeFile(path.join(d, '0002-b.patch'), v1.mails[2]);
    await writeFile(path.join(d, '0000-cover-letter.patch'), v1.mails[0]);
    await writeFile(path.join(d, '0001-a.patch'), v1.mails[1]);
    const msgs = await readMessages([d], opts());
    expect(msgs.map((m) => path.basename(m.source))).toEqual(['0000-cover-letter.patch', '0001-a.patch', '0002-b.patch']);
  });

  it('fetches a Message-ID from the lore server when no such file exists', async () => {
    const msgs = await readMessages(['<cover.v1.git.ada@example.org>'], opts());
    expect(msgs).toHaveLength(3);
    expect(msgs[0].source).toBe('<cover.v1.git.ada@example.org>#1');
  });

  it('refuses empty input, stating the file', async () => {
    const f = path.join(FIX, 'empty.mbox');
    expect(await failure(readMessages([f], opts()))).toBe(`${f}: empty input`);
    expect(await failure(readMessages(['-'], opts('\n\n')))).toBe('<stdin>: empty input');
  });

  it('refuses a file that is not mail', async () => {
    const f = path.join(FIX, 'notmail.txt');
    expect(await failure(readMessages([f], opts()))).toBe(`${f}: not a mail, an mbox or a diff`);
  });

  it('refuses a truncated mbox, naming the file and the message', async () => {
    const whole = mbox(v1.mails);
    const f = path.join(dir, 'cut.mbox');
    await writeFile(f, whole.slice(0, whole.lastIndexOf('Subject:') + 12));
    expect(await failure(readMessages([f], opts()))).toBe(`${f}: truncated mbox: message 3 ends inside its headers`);
    await writeFile(f, whole.slice(0, whole.length - 5));
    expect(await failure(readMessages([f], opts()))).toBe(`${f}: truncated mbox: message 3 ends in the middle of a line`);
  });

  it('refuses a gzip input that inflates past the cap', async () => {
    const f = path.join(dir, 'bomb.mbox.gz');
    await writeFile(f, gzipSync(Buffer.alloc(4 * 1024 * 1024)));
    expect(await failure(readMessages([f], { ...opts(), maxBytes: 1024 * 1024 }))).toBe(
      `${f}: decompresses to more than 1 MiB (refused as a possible gzip bomb)`,
    );
  });

  it('says when an input is neither a file nor a Message-ID, and when lore has no such thread', async () => {
    expect(await failure(readMessages(['no/such.patch'], opts()))).toBe('no/such.patch: no such file or directory (and not a Message-ID or lore URL)');
    expect(await failure(readMessages(['gone@x'], opts()))).toBe(`no thread for <gone@x> at ${srv.base}/all`);
  });

  it('keeps a single .eml whole even when its body has "From " paragraphs', async () => {
    const f = path.join(dir, 'one.eml');
    await writeFile(f, mail({ subject: 'x', id: 'one@x', body: 'a\n\nFrom x@y Tue Apr 14 10:00:00 2026 looks like a separator\n' }));
    const msgs = await readMessages([f], opts());
    expect(msgs).toHaveLength(1);
    expect(msgs[0].body).toContain('From x@y Tue');
  });
});

describe('readMessages: lenient shapes', () => {
  it('reads `git show` output as a patch and a mail with blank lines before its headers', async () => {
    const d = await mkdtemp(path.join(tmpdir(), 'kreview-lenient-'));
    try {
      await writeFile(path.join(d, 'show.patch'), 'commit 0123abcd\nAuthor: Ada <ada@x>\n\n    demo: fix\n\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n');
      await writeFile(path.join(d, 'blank.eml'), '\n\n' + mail({ subject: 'late headers', id: 'late@x', body: 'hi\n' }));
      const [show] = await readMessages([path.join(d, 'show.patch')], opts());
      expect(show.subject).toBe('show');
      expect(show.body).toContain('diff --git a/x b/x\n');
      const [late] = await readMessages([path.join(d, 'blank.eml')], opts());
      expect(late).toMatchObject({ subject: 'late headers', messageId: 'late@x', body: 'hi\n' });
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});
