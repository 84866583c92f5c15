/**
 * Splitting an mbox into its messages, on bytes (charsets are mailparser's
 * business, so nothing here decodes text).
 *
 * A message starts at a `From ` line at the start of the file or after a blank
 * line. To tell a real separator from a commit message paragraph that happens
 * to start with "From " (git format-patch does not quote those), the line must
 * also look like an mbox From_ line: a sender word and a date with a time and
 * a four-digit year (`From mboxrd@z Thu Jan  1 00:00:00 1970`,
 * `From <sha> Mon Sep 17 00:00:00 2001`).
 *
 * Quoting: mboxrd writes `>From ` as `>>From `, and any `From ` as `>From `;
 * mboxo only the latter. Removing one `>` from every `>+From ` line undoes
 * mboxrd exactly and mboxo as well as it can be undone. git format-patch
 * output (From_ line dated `Mon Sep 17 00:00:00 2001`) is never quoted, so
 * its messages are left as they are, like `git am` does.
 */

const LF = 0x0a;
const CR = 0x0d;

/** `From <word> <date...HH:MM...YYYY>`: what mbox writers (mutt, postfix, git, public-inbox) put there. */
const GIT_MAGIC_DATE = /^From [0-9a-f]{40,64} Mon Sep 17 00:00:00 2001\r?$/;
const FROM_LINE = /^From \S+ +.*\b\d{1,2}:\d{2}(:\d{2})?\b.*\b\d{4}\b/;

/** Whether the bytes start with an mbox From_ line. */
export function startsWithFromLine(buf: Buffer): boolean {
  const end = buf.indexOf(LF);
  const line = buf.subarray(0, end < 0 ? Math.min(buf.length, 1000) : Math.min(end, 1000)).toString('latin1');
  return FROM_LINE.test(line.replace(/\r$/, ''));
}

interface Line {
  start: number;
  /** Index of the LF, or buf.length for a last line without one. */
  end: number;
}

function* lines(buf: Buffer): Generator<Line> {
  let start = 0;
  while (start < buf.length) {
    const nl = buf.indexOf(LF, start);
    const end = nl < 0 ? buf.length : nl;
    yield { start, end };
    start = end + 1;
  }
}

function isBlank(buf: Buffer, l: Line): boolean {
  return l.end === l.start || (l.end === l.start + 1 && buf[l.start] === CR);
}

function isFromLine(buf: Buffer, l: Line): boolean {
  // Cheap byte test first: most lines do not start with "From ".
  if (l.end - l.start < 5 || buf[l.start] !== 0x46 /* F */ || buf.toString('latin1', l.start, l.start + 5) !== 'From ') {
    return false;
  }
  return FROM_LINE.test(buf.toString('latin1', l.start, Math.min(l.end, l.start + 1000)).replace(/\r$/, ''));
}

/** `>+From ` at the start of a line: one `>` is quoting added by the mbox writer. */
function isQuotedFrom(buf: Buffer, l: Line): boolean {
  let i = l.start;
  while (i < l.end && buf[i] === 0x3e /* > */) i++;
  return i > l.start && l.end - i >= 5 && buf.toString('latin1', i, i + 5) === 'From ';
}

/**
 * Splits an mbox into raw messages, From_ line removed and `>From ` quoting
 * undone. Bytes that come before the first From_ line (none in a well-formed
 * mbox) are returned as a message of their own, so nothing is silently lost.
 * A buffer with no From_ line at all is one message.
 */
export function splitMbox(buf: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  let parts: Buffer[] = [];
  let prevBlank = true;
  let unquote = true;
  const flush = () => {
    const msg = Buffer.concat(parts);
    parts = [];
    if (/\S/.test(msg.toString('latin1'))) messages.push(dropSeparatorBlank(msg));
  };
  for (const l of lines(buf)) {
    if (prevBlank && isFromLine(buf, l)) {
      flush();
      prevBlank = false;
      unquote = !GIT_MAGIC_DATE.test(buf.toString('latin1', l.start, l.end));
      continue;
    }
    const withNl = buf.subarray(l.start, Math.min(l.end + 1, buf.length));
    parts.push(unquote && isQuotedFrom(buf, l) ? withNl.subarray(1) : withNl);
    prevBlank = isBlank(buf, l);
  }
  flush();
  return messages;
}

/** The mbox writer ends each message with one blank line before the next From_ line; take it off again. */
function dropSeparatorBlank(msg: Buffer): Buffer {
  if (msg.length >= 2 && msg[msg.length - 1] === LF && msg[msg.length - 2] === LF) return msg.subarray(0, msg.length - 1);
  if (msg.length >= 4 && msg.subarray(msg.length - 4).toString('latin1') === '\r\n\r\n') return msg.subarray(0, msg.length - 2);
  return msg;
}

/**
 * Writes messages as an mboxrd (the inverse of splitMbox): From_ line, `>+From `
 * lines quoted with one more `>`, a blank line after each message.
 */
export function joinMboxrd(messages: Buffer[], fromLine = 'From mboxrd@z Thu Jan  1 00:00:00 1970'): Buffer {
  const out: Buffer[] = [];
  for (const msg of messages) {
    out.push(Buffer.from(fromLine + '\n', 'latin1'));
    for (const l of lines(msg)) {
      const withNl = msg.subarray(l.start, Math.min(l.end + 1, msg.length));
      const startsFrom = l.end - l.start >= 5 && msg.toString('latin1', l.start, l.start + 5) === 'From ';
      if (startsFrom || isQuotedFrom(msg, l)) out.push(Buffer.from('>'));
      out.push(withNl);
    }
    if (msg.length > 0 && msg[msg.length - 1] !== LF) out.push(Buffer.from('\n'));
    out.push(Buffer.from('\n'));
  }
  return Buffer.concat(out);
}

/**
 * Why a raw message looks cut short, or null. `isLast` says whether it is the
 * last message of its file and `fileEndsWithNewline` whether that file ends
 * with a line feed (a file cut at a random byte almost never does).
 */
export function truncationProblem(msg: Buffer, isLast: boolean, fileEndsWithNewline: boolean): string | null {
  const headerEnd = findHeaderEnd(msg);
  if (headerEnd < 0) return 'ends inside its headers';
  if (isLast && !fileEndsWithNewline) return 'ends in the middle of a line';
  const boundary = multipartBoundary(msg.subarray(0, headerEnd).toString('latin1'));
  if (boundary !== null) {
    const closing = Buffer.from(`--${boundary}--`, 'latin1');
    if (msg.indexOf(closing, headerEnd) < 0) return `ends before the closing MIME boundary "${boundary}"`;
  }
  return null;
}

/** Offset of the blank line ending the header block, or -1 when there is none. */
export function findHeaderEnd(msg: Buffer): number {
  if (msg.length > 0 && (msg[0] === LF || (msg[0] === CR && msg[1] === LF))) return 0;
  const a = msg.indexOf('\n\n');
  const b = msg.indexOf('\r\n\r\n');
  if (a < 0) return b;
  if (b < 0) return a;
  return Math.min(a, b);
}

/** The boundary of a top-level multipart Content-Type in a header block, or null. */
export function multipartBoundary(header: string): string | null {
  const ct = headerValue(header, 'content-type');
  if (!ct || !/^\s*multipart\//i.test(ct)) return null;
  const m = /boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(ct);
  return m ? (m[1] ?? m[2]) : null;
}

/** One header's unfolded value from a raw header block (first occurrence), or null. */
export function headerValue(header: string, name: string): string | null {
  const re = new RegExp(`^${name}[ \\t]*:(.*(?:\\r?\\n[ \\t].*)*)`, 'im');
  const m = re.exec(header);
  return m ? m[1].replace(/\r?\n[ \t]/g, ' ').trim() : null;
}
