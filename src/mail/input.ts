/**
 * Command-line inputs -> messages, in order. An input is a file (format-patch
 * output, .eml, mbox, bare diff, gzipped any of those), a directory of them,
 * `-` for standard input, or a Message-ID / lore URL to fetch.
 *
 * What a file is comes from its content, not its name. Sources are named
 * `file` when the file holds one message and `file#n` (1-based) for the n-th
 * message of an mbox: series assembly relies on that to tell "several inputs"
 * from "one mbox of unrelated patches" (see series.ts).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';
import { fetchThread, gunzipCapped, isGzip, isMessageIdInput } from './lore.js';
import { startsWithFromLine, splitMbox, truncationProblem } from './mbox.js';
import { formatSize, parseMessage, synthesisedId } from './message.js';
import { hasDiff } from './patch-mail.js';
import type { MailMessage } from './schema.js';

export interface ReadOptions {
  stdin: () => Promise<Buffer>;
  loreUrl: string;
  timeoutMs?: number;
  /** Cap on a decompressed .gz input or fetched thread, and on any one input file (default 64 MiB). */
  maxBytes?: number;
  /** Cap on one message (default 32 MiB). */
  maxMessageBytes?: number;
  /**
   * Bulk mode: a message or input that cannot be read is passed here and
   * skipped instead of failing the whole read.
   */
  onBadInput?: (where: string, error: InputError) => void;
}

export const DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

export async function readMessages(inputs: string[], opts: ReadOptions): Promise<MailMessage[]> {
  const out: MailMessage[] = [];
  for (const input of inputs) {
    try {
      out.push(...(await readInput(input, opts)));
    } catch (err) {
      if (!(opts.onBadInput && err instanceof InputError)) throw err;
      opts.onBadInput(input, err);
    }
  }
  return out;
}

async function readInput(input: string, opts: ReadOptions): Promise<MailMessage[]> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_INPUT_BYTES;
  if (input === '-') return messagesOf(await opts.stdin(), '<stdin>', opts);
  const st = await stat(input).catch(() => null);
  if (st?.isDirectory()) {
    const files = await listDir(input);
    if (files.length === 0) throw new InputError(`${input}: empty input (no files in this directory)`);
    const out: MailMessage[] = [];
    for (const f of files) {
      try {
        out.push(...(await readFileInput(f, maxBytes, opts)));
      } catch (err) {
        if (!(opts.onBadInput && err instanceof InputError)) throw err;
        opts.onBadInput(f, err);
      }
    }
    return out;
  }
  if (st) return readFileInput(input, maxBytes, opts);
  if (isMessageIdInput(input)) {
    const mbox = await fetchThread(input, {
      baseUrl: opts.loreUrl,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxBytes,
    });
    return messagesOf(mbox, input, opts);
  }
  throw new InputError(`${input}: no such file or directory (and not a Message-ID or lore URL)`);
}

async function readFileInput(file: string, maxBytes: number, opts: ReadOptions): Promise<MailMessage[]> {
  const st = await stat(file);
  if (st.size > maxBytes) throw new InputError(`${file}: larger than ${formatSize(maxBytes)}`);
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err) {
    throw new InputError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (isGzip(buf)) buf = await gunzipCapped(buf, maxBytes, file);
  return messagesOf(buf, file, opts);
}

/** Files under a directory, sorted by path; dot-files and dot-directories are skipped. */
async function listDir(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listDir(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

type Shape = 'mbox' | 'mail' | 'diff' | 'empty' | 'unknown';

/** What a buffer holds, from its first non-blank line. */
export function sniff(buf: Buffer): Shape {
  const head = buf.subarray(0, 4096).toString('latin1');
  if (!/\S/.test(head) && !/\S/.test(buf.toString('latin1'))) return 'empty';
  if (startsWithFromLine(buf)) return 'mbox';
  const first = head.replace(/^(\s*\n)+/, '').split('\n')[0].replace(/\r$/, '');
  if (/^(diff |--- |Index: )/.test(first)) return 'diff';
  // A header line: a field name (printable ASCII, no colon or space), a colon.
  if (/^[!-9;-~]+:/.test(first) && !/^(https?|ftp|file):/i.test(first)) return 'mail';
  if (/^>From /.test(first)) return 'mail';
  return 'unknown';
}

async function messagesOf(buf: Buffer, name: string, opts: ReadOptions): Promise<MailMessage[]> {
  const parse = { maxBytes: opts.maxMessageBytes };
  switch (sniff(buf)) {
    case 'empty':
      throw new InputError(`${name}: empty input`);
    case 'unknown':
      // `git show` output or a hand-written note above a diff: still a patch.
      if (hasDiff(buf.toString('latin1'))) return [bareDiff(buf, name)];
      throw new InputError(`${name}: not a mail, an mbox or a diff`);
    case 'diff':
      return [bareDiff(buf, name)];
    case 'mail': {
      // Only the cuts that can be told for sure: a header block or a multipart that never ends.
      const problem = truncationProblem(buf, false, true);
      const endsWithNewline = buf[buf.length - 1] === 0x0a;
      if (problem && !(problem === 'ends inside its headers' && endsWithNewline)) {
        throw new InputError(`${name}: truncated mail: it ${problem}`);
      }
      return [await parseMessage(skipLeadingBlankLines(buf), name, parse)];
    }
    case 'mbox': {
      const raws = splitMbox(buf);
      const endsWithNewline = buf.length > 0 && buf[buf.length - 1] === 0x0a;
      const out: MailMessage[] = [];
      for (let i = 0; i < raws.length; i++) {
        const source = raws.length === 1 ? name : `${name}#${i + 1}`;
        try {
          const problem = truncationProblem(raws[i], i === raws.length - 1, endsWithNewline);
          if (problem) throw new InputError(`${name}: truncated mbox: message ${i + 1} ${problem}`);
          out.push(await parseMessage(raws[i], source, parse));
        } catch (err) {
          if (!(opts.onBadInput && err instanceof InputError)) throw err;
          opts.onBadInput(source, err);
        }
      }
      if (out.length === 0) throw new InputError(`${name}: empty input (an mbox with no message)`);
      return out;
    }
  }
}

/** Blank lines before the headers would read as an empty header block. */
function skipLeadingBlankLines(buf: Buffer): Buffer {
  let i = 0;
  for (;;) {
    if (buf[i] === 0x0a) i += 1;
    else if (buf[i] === 0x0d && buf[i + 1] === 0x0a) i += 2;
    else if ((buf[i] === 0x20 || buf[i] === 0x09) && /^[ \t]*\r?\n/.test(buf.toString('latin1', i, i + 200))) {
      i = buf.indexOf(0x0a, i) + 1;
    } else break;
  }
  return i === 0 ? buf : buf.subarray(i);
}

/** A diff with no mail around it: a patch whose subject is the file's name. */
function bareDiff(buf: Buffer, name: string): MailMessage {
  const base = path.basename(name).replace(/\.(patch|diff)(\.gz)?$/i, '');
  return {
    source: name,
    messageId: synthesisedId(buf),
    inReplyTo: null,
    references: [],
    from: null,
    to: [],
    cc: [],
    date: null,
    dateHeader: null,
    subject: base,
    body: buf.toString('utf8').replace(/\r\n/g, '\n'),
  };
}
