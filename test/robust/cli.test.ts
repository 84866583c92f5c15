/**
 * The CLI on hostile input, through main(): a failure is exit 2 or 3 with
 * exactly one `kreview: error:` line and no stack, and nothing is written
 * outside --out (or -o), nor into the tree.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { nastyPatches } from './diff-cases.js';
import { expectCleanFailure, snapshotDir, timedAsync } from './helpers.js';
import { nastyMails } from './mail-cases.js';

let dir: string;
let tree: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kreview-robust-cli-'));
  tree = join(dir, 'tree');
  mkdirSync(join(dir, 'outside'));
  writeFileSync(join(dir, 'outside', 'victim.c'), 'a\n');
  cpSync(new URL('../../fixtures/iommu/tree', import.meta.url).pathname, tree, { recursive: true });
  writeFileSync(join(tree, 'x.c'), 'a\n');
  symlinkSync(join(dir, 'outside'), join(tree, 'out-dir'));
  mkdirSync(join(dir, 'in'));
  mkdirSync(join(dir, 'work'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[], stdin = '') {
  const io = memoryIo(stdin);
  const status = await timedAsync(args.join(' ').slice(0, 80), 20_000, () => main(['node', 'kreview', ...args], io));
  return { status, out: io.out, err: io.err };
}

function input(name: string, data: string | Buffer): string {
  const p = join(dir, 'in', name);
  writeFileSync(p, data);
  return p;
}

describe('kreview apply on hostile patches', () => {
  const cases = Object.entries(nastyPatches()).filter(([k]) => !k.startsWith('hunks-100000'));
  cases.push(['through-symlink', '--- a/out-dir/victim.c\n+++ b/out-dir/victim.c\n@@ -1 +1 @@\n-a\n+b\n']);
  cases.push(['create-through-symlink', '--- /dev/null\n+++ b/out-dir/new.c\n@@ -0,0 +1 @@\n+b\n']);
  for (const [name, text] of cases) {
    it(`${name}: exit 2/3 with one error line, nothing written outside --out, tree untouched`, async () => {
      const file = input(`${name}.patch`, text);
      const out = join(dir, 'work', `out-${name}`);
      const before = snapshotDir(dir);
      const r = await run(['apply', file, '--tree', tree, '--out', out]);
      if (r.status === 0) {
        // A patch that is harmless after all (e.g. `--- /etc/passwd` is etc/passwd in the tree): only --out is new.
        rmSync(out, { recursive: true });
      } else {
        expectCleanFailure(r.status, r.err);
      }
      expect(snapshotDir(dir)).toBe(before);
    });
  }

  it('--out inside the tree, through a symlink, or not empty is refused before anything is read', async () => {
    const file = input('ok.patch', '--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n');
    symlinkSync(join(tree, 'include'), join(dir, 'work', 'link-into-tree'));
    mkdirSync(join(dir, 'work', 'full'));
    writeFileSync(join(dir, 'work', 'full', 'f'), 'x');
    const before = snapshotDir(dir);
    for (const out of [join(tree, 'o'), join(dir, 'work', 'link-into-tree'), join(dir, 'work', 'link-into-tree', 'o'), join(dir, 'work', 'full'), join(tree, 'x.c')]) {
      const r = await run(['apply', file, '--tree', tree, '--out', out]);
      expectCleanFailure(r.status, r.err, [2]);
      expect(snapshotDir(dir)).toBe(before);
    }
  });
});

describe('kreview series / comments / apply on hostile mail', () => {
  for (const [name, buf] of Object.entries(nastyMails())) {
    if (buf.length > 2_000_000) continue;
    for (const cmd of ['series', 'comments', 'apply']) {
      it(`${cmd} ${name}: exit 0, or 2/3 with one error line`, async () => {
        const file = input(`${name}.mbox`, buf);
        const before = snapshotDir(tree);
        const out = join(dir, 'work', `mail-${cmd}-${name}`);
        const r = await run(cmd === 'apply' ? ['apply', file, '--tree', tree, '--out', out] : [cmd, file]);
        if (r.status !== 0) expectCleanFailure(r.status, r.err);
        else expect(r.err).not.toMatch(/kreview: error|^\s+at /m);
        expect(snapshotDir(tree)).toBe(before);
        rmSync(out, { recursive: true, force: true });
      });
    }
  }

  it('stdin with NULs and random bytes', async () => {
    for (const cmd of ['series', 'comments', 'apply']) {
      const args = cmd === 'apply' ? ['apply', '-', '--tree', tree, '--out', join(dir, 'work', 'stdin-out')] : [cmd, '-'];
      const r = await run(args, '\0\u0001From x\r\n\r\n\0');
      if (r.status !== 0) expectCleanFailure(r.status, r.err);
    }
  });
});

describe('kreview fetch against a hostile server', () => {
  let server: http.Server;
  let base = '';
  const sockets = new Set<import('node:net').Socket>();
  const timers = new Set<NodeJS.Timeout>();
  beforeAll(async () => {
    const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024));
    server = http.createServer((req, res) => {
      const url = req.url ?? '';
      res.on('error', () => {});
      if (url.includes('endless@')) {
        // Chunked, never ends: valid gzip header then zeros forever.
        res.writeHead(200, { 'content-type': 'application/gzip' });
        const t = setInterval(() => res.write(Buffer.alloc(64 * 1024)), 1);
        timers.add(t);
        res.on('close', () => clearInterval(t));
      } else if (url.includes('bomb@')) {
        res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': String(bomb.length) });
        res.end(bomb);
      } else if (url.includes('slowloris@')) {
        res.writeHead(200, { 'content-type': 'application/gzip' });
        const t = setInterval(() => res.write(Buffer.from([0x1f])), 1000);
        timers.add(t);
        res.on('close', () => clearInterval(t));
      } else if (url.includes('slowheaders@')) {
        // Never even answers.
      } else if (url.includes('shortlength@')) {
        res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': '100000' });
        res.write(gzipSync(Buffer.from('From x Mon Jan 1 00:00:00 2001\n')).subarray(0, 20));
        setTimeout(() => res.destroy(), 50);
      } else if (url.includes('longlength@')) {
        res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': '5' });
        res.end(gzipSync(Buffer.from('From x Mon Jan 1 00:00:00 2001\nSubject: x\n\nbody\n')));
      } else if (url.includes('hugelength@')) {
        res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': String(2 ** 40) });
        res.write(Buffer.from([0x1f, 0x8b]));
      } else if (url.includes('notgzip@')) {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>\0\u0001</html>');
      } else if (url.includes('corrupt@')) {
        res.writeHead(200, { 'content-type': 'application/gzip' });
        res.end(Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(100, 0xff)]));
      } else if (url.includes('redirect@')) {
        res.writeHead(302, { location: `${url}x` });
        res.end();
      } else if (url.includes('badredirect@')) {
        res.writeHead(302, { location: 'http://[::1' });
        res.end();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/all`;
  });
  afterAll(async () => {
    for (const t of timers) clearInterval(t);
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  for (const id of ['endless', 'bomb', 'slowloris', 'slowheaders', 'shortlength', 'longlength', 'hugelength', 'notgzip', 'corrupt', 'redirect', 'badredirect', 'missing']) {
    it(`${id}: exit 2 with one error line within the timeout, no file written`, async () => {
      const work = mkdtempSync(join(dir, 'fetch-'));
      const r = await run(['fetch', `${id}@x`, '--lore-url', base, '--timeout', '2', '--max-size', '4', '-o', join(work, 't.mbox')]);
      if (id === 'longlength' && r.status === 0) {
        // The client stops at the declared length: a short, valid answer is acceptable.
        expect(readdirSync(work)).toEqual(['t.mbox']);
        return;
      }
      expectCleanFailure(r.status, r.err, [2]);
      expect(readdirSync(work)).toEqual([]);
    });
  }

  it('series <message-id> against the hostile server fails the same way', async () => {
    const r = await run(['series', 'bomb@x', '--lore-url', base]);
    expectCleanFailure(r.status, r.err, [2]);
    expect(r.err).toMatch(/gzip bomb|larger than/);
  });
});
