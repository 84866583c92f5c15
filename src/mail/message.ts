/**
 * One raw RFC 822 message -> MailMessage, with mailparser doing the MIME work
 * (transfer encodings, charsets, multipart).
 *
 * Patch bodies must stay byte-exact. mailparser re-flows every
 * `format=flowed` text part, which joins lines that end with a space (diff
 * context lines do) and drops a leading space (diff context lines have one).
 * So before parsing, the `format=flowed` parameter is taken out of the
 * Content-Type of every text part: mailparser then decodes the part
 * (QP/base64, charset) as fixed text, and the lines arrive as they were sent.
 * Space-stuffing is deliberately not undone either: a stuffed line and a diff
 * context line cannot be told apart.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { InputError } from '../errors.js';
import { findHeaderEnd, headerValue, multipartBoundary } from './mbox.js';
import type { Address, MailMessage } from './schema.js';

export const DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

export interface ParseOptions {
  /** Largest raw message accepted, in bytes (default 32 MiB). */
  maxBytes?: number;
}

const PARSER_OPTIONS = {
  skipTextToHtml: true,
  skipImageLinks: true,
  skipTextLinks: true,
  keepCidLinks: true,
  checksumAlgo: false as const,
  maxHtmlLengthToParse: 4 * 1024 * 1024,
};

export function formatSize(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  if (Number.isInteger(mib)) return `${mib} MiB`;
  if (bytes >= 1024 * 1024) return `${mib.toFixed(1)} MiB`;
  return `${bytes} bytes`;
}

export async function parseMessage(raw: Buffer, source: string, opts: ParseOptions = {}): Promise<MailMessage> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (raw.length > maxBytes) {
    throw new InputError(`${source}: message is larger than ${formatSize(maxBytes)} (${formatSize(raw.length)})`);
  }
  const headerEnd = findHeaderEnd(raw);
  const header = (headerEnd < 0 ? raw : raw.subarray(0, headerEnd)).toString('latin1');
  let parsed: ParsedMail;
  try {
    const unflowed = unflow(raw);
    parsed = await simpleParser(utf8Header(unflowed, findHeaderEnd(unflowed)), PARSER_OPTIONS);
  } catch (err) {
    throw new InputError(`${source}: cannot parse the message: ${(err as Error).message}`);
  }
  const ids = (name: string) => messageIds(headerValue(header, name) ?? '');
  const inReplyTo = ids('in-reply-to')[0] ?? null;
  let references = ids('references');
  // Some mailers put the parent only in In-Reply-To: keep References a complete ancestry.
  if (inReplyTo && !references.includes(inReplyTo)) references = [...references, inReplyTo];
  const messageId = ids('message-id')[0] ?? synthesisedId(raw);
  const body = normaliseNewlines(withPatchAttachments(parsed.text ?? '', parsed));
  return {
    source,
    messageId,
    inReplyTo,
    references,
    from: firstAddress(parsed.from),
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date.toISOString() : null,
    dateHeader: headerValue(header, 'date'),
    subject: (parsed.subject ?? '').replace(/\s+/g, ' ').trim(),
    body,
  };
}

/**
 * Raw 8-bit bytes in headers are not allowed, but old mailers send latin-1
 * names that way; mailparser would read them as UTF-8 and lose them. A header
 * block that is not valid UTF-8 is read as latin-1 instead.
 */
function utf8Header(raw: Buffer, headerEnd: number): Buffer {
  const end = headerEnd < 0 ? raw.length : headerEnd;
  const header = raw.subarray(0, end);
  if (isUtf8(header)) return raw;
  return Buffer.concat([Buffer.from(header.toString('latin1'), 'utf8'), raw.subarray(end)]);
}

/** `kreview-<hash>@local` from the raw bytes: stable across runs, so the same file gets the same id. */
export function synthesisedId(raw: Buffer): string {
  return `kreview-${createHash('sha256').update(raw).digest('hex').slice(0, 20)}@local`;
}

/** Every `<id>` of a header value, brackets removed; a bare id with no brackets is taken whole. */
export function messageIds(value: string): string[] {
  const found = [...value.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]);
  if (found.length > 0) return [...new Set(found)];
  const bare = value.trim();
  return bare && !/\s/.test(bare) ? [bare] : [];
}

/**
 * Some senders attach the patch instead of inlining it. When the text has no
 * diff of its own, the text attachments that look like patches are appended
 * to it, so the rest of kreview sees one body either way.
 */
function withPatchAttachments(text: string, parsed: ParsedMail): string {
  if (/^(diff |--- |Index: )/m.test(text)) return text;
  const patches = (parsed.attachments ?? []).filter(
    (a) =>
      /^text\/(x-patch|x-diff|x-patch-file|plain)$/i.test(a.contentType) &&
      (a.contentType.toLowerCase() !== 'text/plain' || /\.(patch|diff)$/i.test(a.filename ?? '')),
  );
  if (patches.length === 0) return text;
  const parts = patches.map((a) => a.content.toString('utf8').replace(/\n?$/, '\n'));
  // Not replace(/\n*$/): that is quadratic on a long run of blank lines inside the text.
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 10) end--;
  return [`${text.slice(0, end)}\n`, ...parts].join('\n');
}

function normaliseNewlines(s: string): string {
  return s.replace(/\r\n/g, '\n');
}

function toAddress(v: { name?: string; address?: string }): Address {
  return { name: v.name ?? '', address: v.address ?? '' };
}

function flatten(obj: AddressObject | AddressObject[] | undefined): Address[] {
  if (!obj) return [];
  const list = Array.isArray(obj) ? obj : [obj];
  const out: Address[] = [];
  for (const o of list) {
    for (const v of o.value ?? []) {
      if (v.group) out.push(...v.group.map(toAddress));
      else out.push(toAddress(v));
    }
  }
  return out.filter((a) => a.address !== '' || a.name !== '');
}

function firstAddress(obj: AddressObject | undefined): Address | null {
  return flatten(obj)[0] ?? null;
}

function addresses(obj: AddressObject | AddressObject[] | undefined): Address[] {
  return flatten(obj);
}

const MAX_MIME_DEPTH = 8;

/**
 * The raw message with `format=flowed` removed from the Content-Type of its
 * text parts (the top level and parts of multiparts, found by walking the
 * boundaries). Everything else is left byte for byte.
 */
export function unflow(raw: Buffer): Buffer {
  const s = raw.toString('latin1');
  if (!/format\s*=\s*"?flowed/i.test(s)) return raw;
  const edits: Array<[number, number, string]> = [];
  walkPart(s, 0, s.length, 0, edits);
  if (edits.length === 0) return raw;
  let out = '';
  let pos = 0;
  for (const [start, end, text] of edits.sort((a, b) => a[0] - b[0])) {
    out += s.slice(pos, start) + text;
    pos = end;
  }
  out += s.slice(pos);
  return Buffer.from(out, 'latin1');
}

function walkPart(s: string, start: number, end: number, depth: number, edits: Array<[number, number, string]>): void {
  if (depth > MAX_MIME_DEPTH) return;
  const part = s.slice(start, end);
  const blank = /\r?\n\r?\n/.exec(part);
  const headerLen = part.startsWith('\n') || part.startsWith('\r\n') ? 0 : blank ? blank.index : part.length;
  const header = part.slice(0, headerLen);
  const ct = /^content-type[ \t]*:.*(?:\r?\n[ \t].*)*/im.exec(header);
  if (ct && /^content-type[ \t]*:\s*text\//i.test(ct[0])) {
    const fixed = ct[0].replace(/(;\s*)format\s*=\s*"?flowed"?/i, '$1format=fixed');
    if (fixed !== ct[0]) edits.push([start + ct.index, start + ct.index + ct[0].length, fixed]);
    return;
  }
  const boundary = multipartBoundary(header);
  if (boundary === null) return;
  const delim = `--${boundary}`;
  // Boundary lines: the delimiter at the start of a line.
  const positions: number[] = [];
  let i = start + headerLen;
  for (;;) {
    const at = s.indexOf(delim, i);
    if (at < 0 || at >= end) break;
    if (at === 0 || s[at - 1] === '\n') positions.push(at);
    i = at + delim.length;
  }
  for (let k = 0; k + 1 < positions.length || k < positions.length; k++) {
    const lineEnd = s.indexOf('\n', positions[k]);
    if (lineEnd < 0) break;
    if (s.startsWith(`${delim}--`, positions[k])) break;
    const partStart = lineEnd + 1;
    const partEnd = k + 1 < positions.length ? positions[k + 1] : end;
    walkPart(s, partStart, partEnd, depth + 1, edits);
  }
}
