import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFetch } from '../../src/cli/fetch.js';
import { runDirect, runMain, viaMain } from '../mail/cli-helpers.js';
import { mail, mbox } from '../mail/helpers.js';
import { startServer } from '../mail/server.js';

const THREAD = mbox([mail({ subject: '[PATCH] x', id: 't@x', body: 'hi\n' })]);
let dir: string;
let srv: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kreview-fetch-'));
  srv = await startServer((req, res) => {
    if (req.url === '/all/t@x/t.mbox.gz') {
      res.writeHead(200, { 'content-type': 'application/gzip' });
      res.end(gzipSync(THREAD));
    } else if (req.url === '/all/bomb@x/t.mbox.gz') {
      res.writeHead(200, { 'content-type': 'application/gzip' });
      res.end(gzipSync(Buffer.alloc(3 * 1024 * 1024)));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
});
afterAll(async () => {
  await srv.close();
  await rm(dir, { recursive: true, force: true });
});

const fetchCli = (id: string, output?: string, maxSize = 64) =>
  runDirect((io) => runFetch(io, id, { loreUrl: `${srv.base}/all`, output, timeout: 5, maxSize }));

describe('kreview fetch', () => {
  it('writes the thread to standard output', async () => {
    expect(await fetchCli('<t@x>')).toEqual({ status: 0, out: THREAD, err: '' });
  });

  it('writes the thread to -o, leaving no temp file behind', async () => {
    const out = path.join(dir, 'thread.mbox');
    expect(await fetchCli(`${srv.base}/all/t@x/`, out)).toEqual({ status: 0, out: '', err: '' });
    expect(await readFile(out, 'utf8')).toBe(THREAD);
    expect(await readdir(dir)).toEqual(['thread.mbox']);
  });

  it('writes nothing when the fetch fails: one error line, exit 2', async () => {
    const out = path.join(dir, 'bomb.mbox');
    expect(await fetchCli('bomb@x', out, 1)).toEqual({
      status: 2,
      out: '',
      err: `kreview: error: ${srv.base}/all/bomb@x/t.mbox.gz: decompresses to more than 1 MiB (refused as a possible gzip bomb)\n`,
    });
    expect(await fetchCli('missing@x', out)).toEqual({
      status: 2,
      out: '',
      err: `kreview: error: no thread for <missing@x> at ${srv.base}/all\n`,
    });
    expect(await readdir(dir)).not.toContain('bomb.mbox');
  });

  it.skipIf(!viaMain)('is wired into main with --lore-url, -o, --timeout and --max-size', async () => {
    const out = path.join(dir, 'main.mbox');
    const r = await runMain(['fetch', 't@x', '--lore-url', `${srv.base}/all`, '-o', out, '--timeout', '5', '--max-size', '1']);
    expect(r).toEqual({ status: 0, out: '', err: '' });
    expect(await readFile(out, 'utf8')).toBe(THREAD);
  });
});
