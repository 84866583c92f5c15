/**
 * Fetching a thread from a public-inbox server (lore.kernel.org):
 * GET BASE/<message-id>/t.mbox.gz, gunzipped.
 *
 * A hostile or broken server must not exhaust memory or hang the command:
 * the whole exchange has a deadline, redirects are bounded, the compressed
 * answer and its decompressed size are both capped while streaming, and an
 * answer that is not gzip (an HTML error page) is refused. node:http is used
 * rather than fetch() so no Content-Encoding is undone behind our back.
 */
import http from 'node:http';
import https from 'node:https';
import { createGunzip } from 'node:zlib';
import { InputError } from '../errors.js';
import { formatSize } from './message.js';

export interface FetchOptions {
  /** Public-inbox base, e.g. https://lore.kernel.org/all. Ignored for URL inputs, which carry their own. */
  baseUrl: string;
  timeoutMs: number;
  /** Cap on the compressed answer and, separately, on the decompressed mbox. */
  maxBytes: number;
}

const MAX_REDIRECTS = 5;

/**
 * Whether a command-line input names a message rather than a file: a lore
 * URL, `<id>`, or `local@domain` with no slash. readMessages asks only after
 * finding no file of that name, so an existing path always wins.
 */
export function isMessageIdInput(s: string): boolean {
  if (/^https?:\/\//i.test(s)) return true;
  if (/^<[^<>\s]+@[^<>\s]+>$/.test(s)) return true;
  return /^[^\s<>/@]+@[^\s<>/@]+$/.test(s);
}

/** The Message-ID and the base URL to ask, from `<id>`, `id` or a lore URL. */
export function resolveThread(idOrUrl: string, baseUrl: string): { id: string; base: string } {
  const s = idOrUrl.trim();
  if (/^https?:\/\//i.test(s)) {
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      throw new InputError(`${s}: not a valid URL`);
    }
    const segs = url.pathname.split('/');
    const at = segs.findIndex((seg) => decodeSafe(seg).includes('@'));
    if (at < 0) throw new InputError(`${s}: no Message-ID in this URL (expected .../<message-id>/)`);
    const id = stripBrackets(decodeSafe(segs[at]));
    const base = `${url.origin}${segs.slice(0, at).join('/')}`;
    return { id, base };
  }
  const id = stripBrackets(s);
  if (id === '' || /\s/.test(id)) throw new InputError(`'${s}' is not a Message-ID`);
  return { id, base: baseUrl };
}

function decodeSafe(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

function stripBrackets(s: string): string {
  return s.replace(/^<|>$/g, '');
}

/** public-inbox wants the id with `@` as is, everything else that is not URL-safe escaped (`/` too). */
export function threadUrl(id: string, base: string): string {
  return `${base.replace(/\/+$/, '')}/${encodeURIComponent(id).replace(/%40/g, '@')}/t.mbox.gz`;
}

interface Answer {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One GET, with the compressed size cap enforced while reading. Redirect answers come back unread. */
function get(url: string, maxBytes: number, signal: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.get(
      url,
      { signal, headers: { 'user-agent': 'kreview (+public-inbox fetch)', accept: 'application/gzip, */*' } },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          res.resume();
          resolve({ status, statusText: res.statusMessage ?? '', headers: res.headers, body: Buffer.alloc(0) });
          return;
        }
        const declared = Number(res.headers['content-length'] ?? NaN);
        if (status === 200 && declared > maxBytes) {
          res.destroy();
          reject(new InputError(`${url}: answer is larger than ${formatSize(maxBytes)} (${formatSize(declared)})`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) {
            res.destroy();
            reject(new InputError(`${url}: answer is larger than ${formatSize(maxBytes)}`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () =>
          resolve({ status, statusText: res.statusMessage ?? '', headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

/** Gunzips with a cap on the output, stopping as soon as it is passed (a gzip bomb is never inflated whole). */
export function gunzipCapped(data: Buffer, maxBytes: number, what: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const gz = createGunzip();
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    gz.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > maxBytes) {
        done = true;
        gz.destroy();
        reject(new InputError(`${what}: decompresses to more than ${formatSize(maxBytes)} (refused as a possible gzip bomb)`));
        return;
      }
      chunks.push(c);
    });
    gz.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    gz.on('error', (err) => {
      if (done) return;
      done = true;
      reject(new InputError(`${what}: corrupt gzip data (${err.message})`));
    });
    gz.end(data);
  });
}

export function isGzip(buf: Buffer): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

export async function fetchThread(
  idOrUrl: string,
  opts: { baseUrl: string; timeoutMs: number; maxBytes: number },
): Promise<Buffer> {
  const { id, base } = resolveThread(idOrUrl, opts.baseUrl);
  let url = threadUrl(id, base);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs);
  const seconds = opts.timeoutMs % 1000 === 0 ? `${opts.timeoutMs / 1000} s` : `${opts.timeoutMs} ms`;
  try {
    for (let hop = 0; ; hop++) {
      let answer: Answer;
      try {
        answer = await get(url, opts.maxBytes, controller.signal);
      } catch (err) {
        if (err instanceof InputError) throw err;
        if (controller.signal.aborted) throw new InputError(`timed out after ${seconds} fetching ${url}`);
        const e = err as NodeJS.ErrnoException;
        throw new InputError(`cannot fetch ${url}: ${e.code ?? e.message}`);
      }
      if (answer.status >= 300 && answer.status < 400 && answer.headers.location) {
        if (hop >= MAX_REDIRECTS) throw new InputError(`${url}: more than ${MAX_REDIRECTS} redirects`);
        url = new URL(answer.headers.location, url).toString();
        continue;
      }
      if (answer.status === 404 || answer.status === 410) throw new InputError(`no thread for <${id}> at ${base}`);
      if (answer.status !== 200) {
        throw new InputError(`${url}: HTTP ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ''}`);
      }
      if (!isGzip(answer.body)) {
        const type = answer.headers['content-type'] ?? 'no Content-Type';
        throw new InputError(`${url}: answer is not a gzip mbox (${type})`);
      }
      const mbox = await gunzipCapped(answer.body, opts.maxBytes, url);
      if (mbox.length === 0) throw new InputError(`no thread for <${id}> at ${base} (empty answer)`);
      return mbox;
    }
  } finally {
    clearTimeout(timer);
  }
}
