/**
 * Reading a public-inbox v2 epoch: a git repository (bare or not) whose
 * commits each hold one mail in the file `m`. Blobs are streamed out of one
 * `git cat-file --batch` process, in commit order, so a 30,000-mail archive
 * costs one process, not 30,000.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';

/** A directory that is a git repository whose HEAD commit has a file `m` at its root. */
export function isPublicInbox(dir: string): boolean {
  if (!existsSync(path.join(dir, 'HEAD')) && !existsSync(path.join(dir, '.git'))) return false;
  const r = spawnSync('git', ['cat-file', '-e', 'HEAD:m'], { cwd: dir, stdio: 'ignore', timeout: 30_000 });
  return r.status === 0;
}

/** The commits of the archive, oldest first. */
export function archiveCommits(dir: string): string[] {
  const r = spawnSync('git', ['rev-list', '--reverse', 'HEAD'], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 30, timeout: 300_000 });
  if (r.status !== 0) throw new InputError(`${dir}: not a readable git repository: ${(r.stderr || '').trim().split('\n')[0]}`);
  return r.stdout.split('\n').filter(Boolean);
}

/**
 * Streams `<commit>:m` blobs out of `git cat-file --batch`, in commit order.
 * A commit without `m` (one that deletes it) comes back with data null.
 */
export async function* archiveMails(dir: string, commits: string[]): AsyncGenerator<{ commit: string; data: Buffer | null }> {
  const p = spawn('git', ['cat-file', '--batch'], { cwd: dir, stdio: ['pipe', 'pipe', 'ignore'] });
  // Requests are fed in the background while answers are read as they come.
  (async () => {
    for (const c of commits) {
      if (!p.stdin.write(`${c}:m\n`)) await new Promise((r) => p.stdin.once('drain', r));
    }
    p.stdin.end();
  })().catch(() => undefined);
  let buf: Buffer = Buffer.alloc(0);
  let i = 0;
  let need: number | null = null;
  try {
    for await (const chunk of p.stdout as AsyncIterable<Buffer>) {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      for (;;) {
        if (need === null) {
          const nl = buf.indexOf(0x0a);
          if (nl < 0) break;
          const header = buf.subarray(0, nl).toString();
          buf = buf.subarray(nl + 1);
          if (header.endsWith(' missing')) {
            yield { commit: commits[i++]!, data: null };
            continue;
          }
          need = Number(header.split(' ')[2]);
        }
        if (buf.length < need + 1) break;
        const data = Buffer.from(buf.subarray(0, need));
        buf = buf.subarray(need + 1);
        need = null;
        yield { commit: commits[i++]!, data };
      }
    }
  } finally {
    p.kill();
  }
}
