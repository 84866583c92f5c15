/** `kreview fetch <message-id|url>`: a lore thread as an mbox, to a file or standard output. */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isUtf8 } from 'node:buffer';
import { InputError } from '../errors.js';
import { fetchThread } from '../mail/lore.js';
import type { Io } from './io.js';

export interface FetchCliOptions {
  loreUrl: string;
  output?: string;
  /** Seconds. */
  timeout: number;
  /** MiB. */
  maxSize: number;
}

export async function runFetch(io: Io, id: string, opts: FetchCliOptions): Promise<number> {
  const mbox = await fetchThread(id, {
    baseUrl: opts.loreUrl,
    timeoutMs: opts.timeout * 1000,
    maxBytes: opts.maxSize * 1024 * 1024,
  });
  if (opts.output) {
    await writeAtomically(opts.output, mbox);
    return 0;
  }
  // Io carries text; a thread with non-UTF-8 bytes can only be copied exactly to a file.
  if (!isUtf8(mbox)) {
    io.stderr('kreview: warning: the thread holds bytes that are not UTF-8; use -o FILE for an exact copy\n');
  }
  io.stdout(mbox.toString('utf8'));
  return 0;
}

/** Temp file beside the target, then rename: readers never see half an mbox. */
async function writeAtomically(file: string, data: Buffer): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { flag: 'wx' });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new InputError(`${file}: cannot write: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
