/**
 * Trailers (`Reviewed-by: Name <addr>`) from a patch's commit message and
 * from the replies to it.
 */
import { TrailerKey, type Trailer } from './schema.js';

const CANONICAL = new Map(TrailerKey.options.map((k) => [k.toLowerCase(), k] as const));
// The value is written `\S(.*[^ \t])?` rather than the lazy `\S.*?` before `[ \t]*$`: the lazy form
// is quadratic on a line with a long run of blanks inside (a hostile mail can send a 1 MB line).
const LINE = /^([A-Za-z][A-Za-z-]*[A-Za-z])[ \t]*:[ \t]*(\S(?:.*[^ \t])?)[ \t]*$/;

/**
 * Trailers a reviewer gives in a reply. A reply does not sign off or add Cc's
 * for the patch, so those keys are not taken from replies.
 */
const FROM_REPLIES = new Set<TrailerKey>([
  'Reviewed-by',
  'Acked-by',
  'Tested-by',
  'Reported-by',
  'Suggested-by',
  'Fixes',
  'Link',
  'Closes',
]);

function trailerOf(line: string, from: string): Trailer | null {
  const m = LINE.exec(line);
  if (!m) return null;
  const key = CANONICAL.get(m[1].toLowerCase());
  return key ? { key, value: m[2], from } : null;
}

/** Every trailer line of a commit message, in order. */
export function parseTrailers(commitMessage: string, from: string): Trailer[] {
  const out: Trailer[] = [];
  for (const line of commitMessage.split('\n')) {
    const t = trailerOf(line, from);
    if (t) out.push(t);
  }
  return out;
}

/**
 * The trailers a reply gives, from its own lines: quoted lines (`>`), the
 * signature (after `-- `) and replies that carry a diff of their own (a
 * counter-proposal, whose Signed-off-by is not for the patch) are not read.
 */
export function replyTrailers(body: string, from: string): Trailer[] {
  const out: Trailer[] = [];
  const lines = body.split('\n');
  if (lines.some((l) => /^diff --git /.test(l))) return out;
  for (const line of lines) {
    if (line === '-- ') break;
    if (/^\s*>/.test(line)) continue;
    const t = trailerOf(line.trim(), from);
    if (t && FROM_REPLIES.has(t.key)) out.push(t);
  }
  return out;
}

/** Appends trailers not already present (same key and value, ignoring case and spacing). */
export function mergeTrailers(into: Trailer[], more: Trailer[]): Trailer[] {
  const norm = (t: Trailer) => `${t.key}\u0000${t.value.replace(/\s+/g, ' ').toLowerCase()}`;
  const seen = new Set(into.map(norm));
  const out = [...into];
  for (const t of more) {
    if (!seen.has(norm(t))) {
      seen.add(norm(t));
      out.push(t);
    }
  }
  return out;
}
