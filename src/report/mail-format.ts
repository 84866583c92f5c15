/**
 * The mechanics of writing a mail by hand: addresses, RFC 2047 encoded
 * words, folded header lines, RFC 5322 dates, the "On <date>, <name> wrote:"
 * date, and file-name slugs. Nothing here knows about findings.
 */
import type { Address } from '../mail/schema.js';

const isAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);

/** One or more `=?UTF-8?Q?...?=` words for `text`, each at most 75 characters. */
export function encodeWords(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  const head = '=?UTF-8?Q?';
  const tail = '?=';
  for (const ch of text) {
    let enc: string;
    if (ch === ' ') enc = '_';
    else if (/[A-Za-z0-9!*+\-/]/.test(ch)) enc = ch;
    else enc = [...Buffer.from(ch, 'utf8')].map((b) => '=' + b.toString(16).toUpperCase().padStart(2, '0')).join('');
    if (head.length + cur.length + enc.length + tail.length > 75) {
      words.push(head + cur + tail);
      cur = '';
    }
    cur += enc;
  }
  if (cur !== '' || words.length === 0) words.push(head + cur + tail);
  return words;
}

/**
 * An unstructured header value (Subject) as tokens ready for folding: ASCII
 * words as they are, each run of words with non-ASCII characters as encoded
 * words (one run, so the spaces inside it survive decoding).
 */
export function encodeText(value: string): string[] {
  const words = value.split(' ');
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    if (run.length > 0) out.push(...encodeWords(run.join(' ')));
    run = [];
  };
  for (const w of words) {
    if (isAscii(w)) {
      flush();
      out.push(w);
    } else run.push(w);
  }
  flush();
  return out;
}

/** `Name <addr>`, quoting or encoding the display name as it needs. */
export function formatAddress(a: Address): string[] {
  const name = a.name.trim();
  if (name === '') return [a.address];
  if (!isAscii(name)) return [...encodeWords(name), `<${a.address}>`];
  if (/[()<>[\]:;@\\,."]/.test(name)) return [`"${name.replace(/(["\\])/g, '\\$1')}"`, `<${a.address}>`];
  return [...name.split(/\s+/), `<${a.address}>`];
}

/** Parses `Name <addr>`, `"Name" <addr>` or a bare `addr`; null when there is no address. */
export function parseAddress(s: string): Address | null {
  const m = /^\s*(.*?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(s);
  if (m) return { name: m[1]!.replace(/^"(.*)"$/, '$1').replace(/\\(["\\])/g, '$1'), address: m[2]! };
  const bare = /^\s*([^<>\s]+@[^<>\s]+)\s*$/.exec(s);
  return bare ? { name: '', address: bare[1]! } : null;
}

/**
 * `Name: value` folded at spaces so no line is longer than 78 characters
 * (tokens are never split; `sep` joins items such as addresses).
 */
export function foldHeader(name: string, items: string[][], sep = ','): string {
  const lines: string[] = [];
  let cur = `${name}:`;
  let onLine = 0;
  const put = (t: string) => {
    if (onLine > 0 && cur.length + 1 + t.length > 78) {
      lines.push(cur);
      cur = ' ' + t;
    } else cur += ' ' + t;
    onLine++;
  };
  items.forEach((tokens, i) => {
    const last = i < items.length - 1 ? sep : '';
    const whole = tokens.join(' ') + last;
    // An item (an address) stays on one line when it fits on one; only a longer one is split at its spaces.
    if (whole.length <= 77) put(whole);
    else tokens.forEach((t, j) => put(j === tokens.length - 1 ? t + last : t));
  });
  lines.push(cur);
  return lines.join('\n');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** RFC 5322 date in UTC: `Tue, 24 Nov 2026 13:33:04 +0000`. */
export function rfc5322Date(d: Date): string {
  return (
    `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`
  );
}

/**
 * The date of an attribution line the way mutt writes it, in the sender's
 * own time zone (taken from the Date header, so the reply says what the
 * author's clock said): `Thu, Apr 16, 2026 at 04:28:06PM -0700`.
 * Null when the header cannot be read.
 */
export function attributionDate(dateHeader: string | null, iso: string | null): string | null {
  const zone = dateHeader ? /([+-])(\d{2})(\d{2})\s*(\([^)]*\))?\s*$/.exec(dateHeader.trim()) : null;
  const when = iso ? new Date(iso) : dateHeader ? new Date(dateHeader) : null;
  if (!when || Number.isNaN(when.getTime())) return null;
  const offsetMin = zone ? (zone[1] === '-' ? -1 : 1) * (Number(zone[2]) * 60 + Number(zone[3])) : 0;
  const local = new Date(when.getTime() + offsetMin * 60_000);
  const h24 = local.getUTCHours();
  const h12 = h24 % 12 === 0 ? 12 : h24 % 12;
  const zoneText = zone ? `${zone[1]}${zone[2]}${zone[3]}` : '+0000';
  return (
    `${DAYS[local.getUTCDay()]}, ${MONTHS[local.getUTCMonth()]} ${pad(local.getUTCDate())}, ${local.getUTCFullYear()} ` +
    `at ${pad(h12)}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${h24 < 12 ? 'AM' : 'PM'} ${zoneText}`
  );
}

/**
 * A file-name slug of a subject, as git format-patch makes them: runs of
 * other characters become `-`, underscores at the edges of a word go, and
 * it is cut at a word boundary to at most `max` characters.
 */
export function slug(subject: string, max = 52): string {
  let s = subject
    .toLowerCase()
    .replace(/[^a-z0-9_.]+/g, '-')
    .replace(/(^|-)[_.]+/g, '$1')
    .replace(/[_.]+(-|$)/g, '$1')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  if (s.length > max) {
    const cut = s.lastIndexOf('-', max);
    s = s.slice(0, cut > 0 ? cut : max);
  }
  return s || 'patch';
}
