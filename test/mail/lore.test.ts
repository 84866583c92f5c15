import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { fetchThread, isMessageIdInput, resolveThread, threadUrl } from '../../src/mail/lore.js';
import { mail, mbox } from './helpers.js';
import { startServer } from './server.js';

const THREAD = mbox([mail({ subject: '[PATCH] x', id: 'a/b@example.org', body: 'hi\n' })]);
// 64 MiB of zeros gzips to ~64 KiB: a small answer that would inflate far past the cap.
const BOMB = gzipSync(Buffer.alloc(64 * 1024 * 1024));

let srv: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  srv = await startServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/all/a%2Fb@example.org/t.mbox.gz') {
      res.writeHead(200, { 'content-type': 'application/gzip' });
      res.end(gzipSync(THREAD));
    } else if (url.startsWith('/all/moved@x/')) {
      res.writeHead(301, { location: '/all/a%2Fb@example.org/t.mbox.gz' });
      res.end();
    } else if (url.startsWith('/all/loop@x/')) {
      res.writeHead(302, { location: url });
      res.end();
    } else if (url.startsWith('/all/bomb@x/')) {
      res.writeHead(200, { 'content-type': 'application/gzip' });
      res.end(BOMB);
    } else if (url.startsWith('/all/html@x/')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=UTF-8' });
      res.end('<html><body>Message-ID &lt;html@x&gt; not found</body></html>');
    } else if (url.startsWith('/all/slow@x/')) {
      res.writeHead(200, { 'content-type': 'application/gzip' });
      res.write(gzipSync(THREAD).subarray(0, 10)); // and never finish
    } else if (url.startsWith('/all/huge@x/')) {
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': String(200 * 1024 * 1024) });
      res.write(Buffer.from([0x1f, 0x8b]));
    } else if (url.startsWith('/all/oops@x/')) {
      res.writeHead(500, 'Internal Server Error');
      res.end('oops');
    } else {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html>404 Not Found</html>');
    }
  });
});
afterAll(() => srv.close());

const opts = () => ({ baseUrl: `${srv.base}/all`, timeoutMs: 2000, maxBytes: 1024 * 1024 });

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error('expected an InputError');
}

describe('resolveThread / isMessageIdInput', () => {
  it('reads ids with or without brackets and lore URLs of any shape', () => {
    expect(resolveThread('<a@b>', 'https://lore.kernel.org/all')).toEqual({ id: 'a@b', base: 'https://lore.kernel.org/all' });
    expect(resolveThread('a@b', 'B')).toEqual({ id: 'a@b', base: 'B' });
    expect(resolveThread('https://lore.kernel.org/all/20260417.x@nvidia.com/', 'B')).toEqual({ id: '20260417.x@nvidia.com', base: 'https://lore.kernel.org/all' });
    expect(resolveThread('https://lore.kernel.org/linux-iommu/a%2Fb@x/T/#u', 'B')).toEqual({ id: 'a/b@x', base: 'https://lore.kernel.org/linux-iommu' });
    expect(threadUrl('a/b+c@x', 'https://l/all/')).toBe('https://l/all/a%2Fb%2Bc@x/t.mbox.gz');
    expect(isMessageIdInput('<a@b>')).toBe(true);
    expect(isMessageIdInput('20260417.x@nvidia.com')).toBe(true);
    expect(isMessageIdInput('https://lore.kernel.org/all/x@y/')).toBe(true);
    expect(isMessageIdInput('dir/0001-x.patch')).toBe(false);
    expect(isMessageIdInput('series.mbox')).toBe(false);
  });
});

describe('fetchThread against a local public-inbox', () => {
  it('fetches and gunzips a thread, percent-encoding the id', async () => {
    const buf = await fetchThread('<a/b@example.org>', opts());
    expect(buf.toString()).toBe(THREAD);
  });

  it('follows redirects, but not forever', async () => {
    expect((await fetchThread('moved@x', opts())).toString()).toBe(THREAD);
    expect(await failure(fetchThread('loop@x', opts()))).toBe(`${srv.base}/all/loop@x/t.mbox.gz: more than 5 redirects`);
  });

  it('says so on 404', async () => {
    expect(await failure(fetchThread('none@x', opts()))).toBe(`no thread for <none@x> at ${srv.base}/all`);
  });

  it('refuses a gzip bomb without inflating it', async () => {
    expect(await failure(fetchThread('bomb@x', opts()))).toBe(
      `${srv.base}/all/bomb@x/t.mbox.gz: decompresses to more than 1 MiB (refused as a possible gzip bomb)`,
    );
  });

  it('refuses an HTML answer', async () => {
    expect(await failure(fetchThread('html@x', opts()))).toBe(
      `${srv.base}/all/html@x/t.mbox.gz: answer is not a gzip mbox (text/html; charset=UTF-8)`,
    );
  });

  it('times out', async () => {
    expect(await failure(fetchThread('slow@x', { ...opts(), timeoutMs: 300 }))).toBe(
      `timed out after 300 ms fetching ${srv.base}/all/slow@x/t.mbox.gz`,
    );
  });

  it('refuses an oversized answer from its Content-Length', async () => {
    expect(await failure(fetchThread('huge@x', opts()))).toBe(
      `${srv.base}/all/huge@x/t.mbox.gz: answer is larger than 1 MiB (200 MiB)`,
    );
  });

  it('reports other HTTP errors and refused connections', async () => {
    expect(await failure(fetchThread('oops@x', opts()))).toBe(`${srv.base}/all/oops@x/t.mbox.gz: HTTP 500 Internal Server Error`);
    expect(await failure(fetchThread('x@y', { ...opts(), baseUrl: 'http://127.0.0.1:1/all' }))).toBe(
      'cannot fetch http://127.0.0.1:1/all/x@y/t.mbox.gz: ECONNREFUSED',
    );
  });
});
