/**
 * Quoting the way kernel reviewers quote: `> ` before every line of the
 * patch that is kept, `[ ... ]` for every run that is cut, the reviewer's
 * own text between quotes with a blank line on either side. Quoted code is
 * never re-wrapped.
 */
import type { Hunk } from '../parse/diff-schema.js';

export const TRIM_MARK = '[ ... ]';

/** `> text`, or a bare `>` for an empty line (no trailing blank). */
export function quoteLine(l: string): string {
  return l === '' ? '>' : `> ${l}`;
}

/** A reply body being written: quoted lines and own text, kept apart by blank lines. */
export class ReplyText {
  private readonly out: string[] = [];
  private lastOwn = false;

  line(l: string): this {
    this.out.push(l);
    this.lastOwn = false;
    return this;
  }

  quote(l: string): this {
    if (this.lastOwn) this.out.push('');
    this.out.push(quoteLine(l));
    this.lastOwn = false;
    return this;
  }

  /** Own text (already wrapped); a blank line before it unless it starts the body. */
  own(block: string): this {
    if (this.out.length > 0 && this.out[this.out.length - 1] !== '') this.out.push('');
    this.out.push(...block.split('\n'));
    this.lastOwn = true;
    return this;
  }

  trim(): this {
    if (this.out[this.out.length - 1] === TRIM_MARK) return this;
    return this.own(TRIM_MARK);
  }

  get empty(): boolean {
    return this.out.length === 0;
  }

  toString(): string {
    const lines = [...this.out];
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines.join('\n') + '\n';
  }
}

const TRAILER = /^\s*([A-Z][A-Za-z-]+-by|Fixes|Link|Closes|Cc|Signed-off-by)\s*:/;

/**
 * The commit message as quoted: whole when it is short (at most `maxLines`
 * lines), else its first paragraph plus the paragraphs that mention one of
 * `keywords` (the functions and locks the comments are about), with
 * `[ ... ]` for each run that was cut. Trailers go with the cut when
 * trimming.
 */
export function quoteCommitMessage(r: ReplyText, message: string, keywords: string[], maxLines = 25): void {
  const text = message.replace(/\n+$/, '');
  if (text.trim() === '') return;
  const lines = text.split('\n');
  if (lines.length <= maxLines) {
    for (const l of lines) r.quote(l);
    return;
  }
  const paras: string[][] = [];
  let cur: string[] = [];
  for (const l of lines) {
    if (l.trim() === '') {
      if (cur.length) paras.push(cur);
      cur = [];
    } else cur.push(l);
  }
  if (cur.length) paras.push(cur);
  const keep = paras.map((p, i) => {
    if (p.every((l) => TRAILER.test(l))) return false;
    if (i === 0) return true;
    const t = p.join(' ');
    return keywords.some((k) => k !== '' && t.includes(k));
  });
  let quotedAny = false;
  let cutPending = false;
  paras.forEach((p, i) => {
    if (!keep[i]) {
      cutPending = true;
      return;
    }
    if (cutPending && quotedAny) r.trim();
    else if (quotedAny) r.quote('');
    cutPending = false;
    for (const l of p) r.quote(l);
    quotedAny = true;
  });
  if (cutPending) r.trim();
}

/** The header lines (`diff --git` ... `+++`) of each file of a raw diff, by path after the patch. */
export function diffHeaders(diff: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const lines = diff.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('diff --git ')) continue;
    const head: string[] = [];
    let j = i;
    for (; j < lines.length && !lines[j]!.startsWith('@@') && (j === i || !lines[j]!.startsWith('diff --git ')); j++) head.push(lines[j]!);
    const plus = head.find((l) => l.startsWith('+++ '));
    const git = /^diff --git a\/(\S+) b\/(\S+)/.exec(head[0]!);
    const path = plus && !plus.startsWith('+++ /dev/null') ? plus.slice(4).replace(/^b\//, '').trim() : git?.[2] ?? null;
    if (path) out.set(path, head);
    i = j - 1;
  }
  return out;
}

/** A comment at a place of a hunk: under line `end`; lines up to `tailEnd` are quoted after it. */
export interface HunkComment {
  start: number;
  end: number;
  tailEnd: number;
  /** Wrapped text. */
  text: string;
}

const hunkLine = (h: Hunk, i: number) => h.lines[i]!.kind + h.lines[i]!.text;

/** Quotes one hunk with its comments, trimming what the comments do not need. */
export function quoteHunk(r: ReplyText, hunk: Hunk, comments: HunkComment[]): void {
  r.quote(hunk.header);
  const sorted = [...comments].sort((a, b) => a.end - b.end);
  let pos = 0;
  sorted.forEach((c, n) => {
    const lead = n === 0 ? 15 : 12;
    if (c.start - pos > lead) {
      // A long run before the line: keep the function's first line, if the hunk has it, then cut.
      if (n === 0) {
        const sig = lastSignature(hunk, c.start - 6);
        if (sig >= 0) for (let i = sig; i <= Math.min(sig + 1, c.start - 7); i++) r.quote(hunkLine(hunk, i));
      }
      r.trim();
      pos = Math.max(pos, c.start - 6);
    }
    for (; pos <= c.end; pos++) r.quote(hunkLine(hunk, pos));
    r.own(c.text);
    for (; pos <= c.tailEnd; pos++) r.quote(hunkLine(hunk, pos));
  });
  // The end of the function, when it is that close, reads better than a cut.
  for (let i = pos; i < Math.min(pos + 3, hunk.lines.length); i++) {
    if (hunk.lines[i]!.kind !== '-' && hunk.lines[i]!.text === '}') {
      for (; pos <= i; pos++) r.quote(hunkLine(hunk, pos));
      break;
    }
  }
  const rest = hunk.lines.length - pos;
  if (rest > 0 && rest <= 2) for (; pos < hunk.lines.length; pos++) r.quote(hunkLine(hunk, pos));
  else if (rest > 0) r.trim();
}

/** The last line before `before` that starts a function definition, or -1. */
function lastSignature(hunk: Hunk, before: number): number {
  for (let i = Math.min(before, hunk.lines.length) - 1; i >= 0; i--) {
    const l = hunk.lines[i]!;
    if (l.kind !== '-' && /^[A-Za-z_][\w\s*]*\b\w+\s*\(/.test(l.text) && !/;\s*$/.test(l.text)) return i;
  }
  return -1;
}
