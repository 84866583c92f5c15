/**
 * Reading a review reply: which quoted lines each of the reviewer's comments
 * answers.
 *
 * The body is read as alternating runs of quoted (`>`) and own lines. Quoted
 * lines are followed as a diff: `diff --git`/`+++ b/` give the file, `@@`
 * the hunk header, and the lines quoted since the previous comment (or since
 * the hunk header) are what the next comment sits under.
 *
 * The rule for what one comment is: an own run is split into paragraphs at
 * blank lines, and each paragraph is a comment of its own, because reviewers
 * write one point per paragraph ("Nit: ..." then "Furthermore, ..."). A
 * paragraph stays with the one before it when it continues it: the previous
 * paragraph ends with `:` (an example follows), or it is indented (code), or
 * it starts in lower case.
 *
 * Not comments: anything before the first quoted line (archive page header,
 * greeting, the "On ..., X wrote:" attribution), attribution lines before a
 * nested quote, trim marks (`[...]`, `<snip>`), paragraphs made only of
 * trailers, the sign-off ("Thanks,", a name), the signature after `-- `, and
 * list archive and mailing list footers.
 */
import type { ReviewComment } from './schema.js';

interface Context {
  file: string | null;
  hunkHeader: string | null;
  quoted: string[];
}

const FOOTER = [
  /^More information about the .* mailing list/i,
  /^_{10,}$/,
  /^-{3,} ?next part ?-{3,}/i,
  /^\S+ mailing list$/i,
  /^\S+@lists?\.\S+$/,
  /^https?:\/\/lists?\.\S+\/(mailman|listinfo)\b/i,
  /^Previous message( \(by thread\))?:/i,
  /^Next message( \(by thread\))?:/i,
  /^Messages sorted by:/i,
];
const TRIM = /^\s*(\[\s*(\.\.\.|…|snip|trim|\.\.\. ?snip ?\.\.\.)\s*\]|<\s*snip\s*>|\.\.\.)\s*$/i;
const ATTRIBUTION = /(wrote|writes|said|schrieb|a écrit)\s*:\s*$/i;
const SIGN_OFF =
  /^(thanks|thank you|thx|many thanks|regards|best regards|kind regards|best|cheers|br|greetings|sincerely|ciao)\b[\s\S]{0,40}$/i;
const TRAILER = /^\s*[A-Z][A-Za-z-]+-by\s*:\s*\S|^\s*(Fixes|Link|Closes|Cc)\s*:\s*\S/;

function unquote(line: string): string {
  return line.replace(/^>[ ]?/, '');
}

function isQuoted(line: string): boolean {
  return /^\s{0,2}>/.test(line);
}

function isFooter(line: string): boolean {
  return FOOTER.some((re) => re.test(line.trim()));
}

/** Follows the quoted text as a diff, so each comment knows its file and hunk. */
function readQuoted(ctx: Context, line: string): void {
  // Nested quotes (`> >`) are older discussion; read them as the text they quote.
  const text = unquote(line.replace(/^\s{0,2}/, ''));
  const deeper = text.replace(/^(>[ ]?)+/, '');
  const git = /^diff --git a\/(\S+) b\/(\S+)/.exec(deeper);
  if (git) {
    ctx.file = git[2];
    ctx.hunkHeader = null;
    ctx.quoted = [];
    return;
  }
  const plus = /^\+\+\+ (?:b\/)?(\S+)/.exec(deeper);
  if (plus && ctx.hunkHeader === null) {
    ctx.file = plus[1] === '/dev/null' ? ctx.file : plus[1];
    ctx.quoted = [];
    return;
  }
  if (/^--- (a\/\S+|\/dev\/null)/.test(deeper) && ctx.hunkHeader === null) return;
  if (/^index [0-9a-f]+\.\.[0-9a-f]+/.test(deeper) && ctx.hunkHeader === null) return;
  if (/^@@ -\d+(,\d+)? \+\d+(,\d+)? @@/.test(deeper)) {
    ctx.hunkHeader = deeper;
    ctx.quoted = [];
    return;
  }
  ctx.quoted.push(text);
}

/** Splits an own run into paragraphs, then joins continuations (see the rule above). */
function comments(run: string[]): string[] {
  const paras: string[][] = [];
  let cur: string[] = [];
  for (const l of run) {
    if (l.trim() === '') {
      if (cur.length > 0) paras.push(cur);
      cur = [];
    } else cur.push(l);
  }
  if (cur.length > 0) paras.push(cur);
  const out: string[][] = [];
  for (const p of paras) {
    const prev = out[out.length - 1];
    const continues =
      prev !== undefined && (/:\s*$/.test(prev[prev.length - 1]) || /^\s/.test(p[0]) || /^[a-z]/.test(p[0]));
    if (continues) out[out.length - 1] = [...prev, '', ...p];
    else out.push(p);
  }
  return out.map((p) => p.join('\n'));
}

function isNoise(para: string): boolean {
  const lines = para.split('\n');
  if (lines.every((l) => TRAILER.test(l) || TRIM.test(l))) return true;
  if (lines.length === 1 && ATTRIBUTION.test(lines[0])) return true;
  return false;
}

/** Drops the sign-off at the end of the reply: a "Thanks,"-like paragraph, and a lone name after it. */
function dropSignOff(paras: string[]): string[] {
  const out = [...paras];
  const isSignOff = (p: string) => p.split('\n').length <= 3 && SIGN_OFF.test(p.split('\n')[0].trim());
  const isName = (p: string) =>
    p.split('\n').length <= 2 && p.split('\n').every((l) => l.trim().split(/\s+/).length <= 4 && !/[.?!:;,]$/.test(l.trim()));
  while (out.length > 0) {
    const last = out[out.length - 1];
    if (isSignOff(last)) out.pop();
    else if (out.length >= 2 && isName(last) && isSignOff(out[out.length - 2])) out.splice(out.length - 2, 2);
    else break;
  }
  return out;
}

export function extractReviewComments(body: string): ReviewComment[] {
  const lines = body.replace(/\r\n/g, '\n').split('\n');
  const sig = lines.indexOf('-- ');
  const usable = sig < 0 ? lines : lines.slice(0, sig);
  const footerAt = usable.findIndex((l) => isFooter(l));
  const text = footerAt < 0 ? usable : usable.slice(0, footerAt);

  const ctx: Context = { file: null, hunkHeader: null, quoted: [] };
  const pending: Array<{ ctx: Context; paras: string[] }> = [];
  let seenQuote = false;
  let run: string[] = [];
  const flushRun = () => {
    if (run.length === 0) return;
    const own = run.filter((l) => !TRIM.test(l));
    const trimmed = own.length !== run.length;
    run = [];
    if (!seenQuote) return;
    const paras = comments(own).filter((p) => !isNoise(p));
    if (paras.length > 0) {
      pending.push({ ctx: { ...ctx, quoted: [...ctx.quoted] }, paras });
      ctx.quoted = [];
    } else if (trimmed) ctx.quoted = [];
  };
  for (let i = 0; i < text.length; i++) {
    const line = text[i];
    if (isQuoted(line)) {
      flushRun();
      seenQuote = true;
      readQuoted(ctx, line);
    } else {
      // trimEnd, not replace(/\s+$/): that regex is quadratic on a long run of blanks inside a line.
      run.push(line.trimEnd());
    }
  }
  flushRun();
  // The sign-off is the tail of the last own run.
  if (pending.length > 0) {
    const last = pending[pending.length - 1];
    last.paras = dropSignOff(last.paras);
    if (last.paras.length === 0) pending.pop();
  }
  const out: ReviewComment[] = [];
  for (const p of pending) {
    for (const t of p.paras) {
      out.push({ file: p.ctx.file, hunkHeader: p.ctx.hunkHeader, quoted: dropBlankEdges(p.ctx.quoted), text: t.trim() });
    }
  }
  return out;
}

function dropBlankEdges(q: string[]): string[] {
  let a = 0;
  let b = q.length;
  while (a < b && q[a] === '') a++;
  while (b > a && q[b - 1] === '') b--;
  return q.slice(a, b);
}
