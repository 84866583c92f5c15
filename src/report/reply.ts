/**
 * Drafted review replies: one mail per patch that has findings, in the
 * kernel's style (see ../shared/seed/000_*.txt): attribution line, the
 * commit message trimmed to what matters, only the hunks that carry a
 * finding, each comment right under its line, `[ ... ]` for what is cut,
 * prose wrapped at 72 columns, a sign-off. Optionally a reply to the cover
 * letter that sums up the series. Nothing is sent.
 */
import { createHash } from 'node:crypto';
import type { SeriesAnalysis } from '../cli/series-analysis.js';
import type { Address, MailMessage, PatchMail } from '../mail/schema.js';
import type { PatchSource } from '../parse/diff-schema.js';
import { applySeries } from '../parse/apply.js';
import { InputError } from '../errors.js';
import type { Finding } from './schema.js';
import { locate, type Anchor } from './anchor.js';
import { commentFor, noLineNumbers, type CommentContext } from './comment.js';
import { SeriesLines } from './linemap.js';
import {
  attributionDate,
  encodeText,
  foldHeader,
  formatAddress,
  parseAddress,
  rfc5322Date,
  slug,
} from './mail-format.js';
import { diffHeaders, quoteCommitMessage, quoteHunk, ReplyText, type HunkComment } from './quote.js';
import { fill, wrapText } from './wrap.js';

export interface DraftMail {
  /** Series position of the patch it answers; 0 for the summary reply to the cover letter. */
  position: number;
  /** `06-iommu-defer-iommu_group_free_device-to-be-outside.eml`: sorts in series order. */
  fileName: string;
  /** Without angle brackets. */
  messageId: string;
  inReplyTo: string;
  subject: string;
  /** The findings whose comments it carries. */
  findings: Finding[];
  headers: string;
  body: string;
  /** Headers, a blank line, the body; LF line ends, UTF-8. */
  text: string;
}

export interface DraftOptions {
  /** `Name <addr>`: the sender and the sign-off. */
  from: string;
  /** The Date header (default: now). */
  date?: Date;
  /** Also draft a reply to the cover letter (patch 1 when there is none) summing up the series. */
  summary?: boolean;
  /** List the findings the model refuted in the summary (never in the replies to the patches). */
  showRefuted?: boolean;
}

export function draftReplies(a: SeriesAnalysis, findings: Finding[], opts: DraftOptions): DraftMail[] {
  const from = parseAddress(opts.from);
  if (!from) throw new InputError(`--from "${opts.from}": not an address (expected "Name <addr>")`);
  const date = opts.date ?? new Date();
  const base = a.before.index.view;
  const views = [base, ...applySeries(base, a.patches).snapshots];
  const lines = new SeriesLines(views);
  const shown = findings.filter((f) => f.confirmation.status !== 'refuted' && f.patch !== null);
  const anchors = locate(shown, a.patches, a.results, lines);
  const total = a.patches.length;
  const width = Math.max(2, String(total).length);
  const ctx: CommentContext = {
    patchName: (pos) => `${String(pos).padStart(width, '0')}/${total} ("${a.patches[pos - 1]?.subject ?? ''}")`,
  };

  const mails: DraftMail[] = [];
  const positions = [...new Set(anchors.map((x) => x.raiseOn))].sort((x, y) => x - y);
  for (const pos of positions) {
    const patch = a.patches[pos - 1]!;
    const pm = patchMail(a, patch, pos);
    const mine = anchors.filter((x) => x.raiseOn === pos);
    const body = replyBody(pm, patch, mine, ctx, from);
    mails.push(
      makeMail({
        position: pos,
        fileName: `${String(pos).padStart(width, '0')}-${slug(patch.subject)}.eml`,
        parent: pm.message,
        from,
        date,
        body,
        findings: mine.map((x) => x.finding),
      }),
    );
  }
  if (opts.summary) {
    const parent = a.series.cover ?? a.series.patches[0]?.message;
    if (parent) {
      const refuted = opts.showRefuted ? findings.filter((f) => f.confirmation.status === 'refuted' && f.patch) : [];
      const body = summaryBody(a, parent, anchors, refuted, ctx, from);
      mails.unshift(
        makeMail({
          position: 0,
          fileName: `${'0'.repeat(width)}-${slug(a.series.title)}.eml`,
          parent,
          from,
          date,
          body,
          findings: anchors.map((x) => x.finding),
        }),
      );
    }
  }
  return mails;
}

function patchMail(a: SeriesAnalysis, patch: PatchSource, pos: number): PatchMail {
  return a.series.patches.find((pm) => pm.message.messageId === patch.messageId) ?? a.series.patches[pos - 1]!;
}

function attribution(m: MailMessage): string {
  const who = m.from ? m.from.name || m.from.address : 'you';
  const when = attributionDate(m.dateHeader, m.date);
  return when ? `On ${when}, ${who} wrote:` : `${who} wrote:`;
}

function signOff(from: Address): string {
  return `Thanks,\n${from.name || from.address.split('@')[0]}`;
}

/** Findings at the same place with the same rule share one comment; places close together share one spot. */
function hunkComments(anchors: Anchor[], ctx: CommentContext): Map<string, HunkComment[]> {
  const byHunk = new Map<string, Anchor[]>();
  for (const x of anchors) {
    if (!x.place) continue;
    const key = `${x.place.fileIdx}:${x.place.hunkIdx}`;
    byHunk.set(key, [...(byHunk.get(key) ?? []), x]);
  }
  const out = new Map<string, HunkComment[]>();
  for (const [key, list] of byHunk) {
    list.sort((p, q) => p.place!.start - q.place!.start || p.finding.line - q.finding.line);
    const hunk = list[0]!.place!.file.hunks[list[0]!.place!.hunkIdx]!;
    const spots: Array<{ start: number; end: number; tailEnd: number; groups: Anchor[][] }> = [];
    for (const x of list) {
      const spot = spots[spots.length - 1];
      const p = x.place!;
      const sameLine = spot && p.start === spot.start && p.end === spot.end;
      // A finding right below another (the WARN_ON under the comment that describes it) is discussed at the same spot.
      const near =
        spot &&
        p.start <= spot.tailEnd + 3 &&
        hunk.lines.slice(spot.tailEnd + 1, p.start).every((l) => l.kind === '-' || l.text.trim() !== '');
      if (spot && (sameLine || near)) {
        const g = spot.groups.find((gr) => gr[0]!.finding.rule === x.finding.rule && gr[0]!.place!.start === p.start);
        if (g) g.push(x);
        else spot.groups.push([x]);
        spot.tailEnd = Math.max(spot.tailEnd, p.tailEnd);
      } else spots.push({ start: p.start, end: p.end, tailEnd: p.tailEnd, groups: [[x]] });
    }
    out.set(
      key,
      spots.map((s) => ({
        start: s.start,
        end: s.end,
        tailEnd: s.tailEnd,
        text: s.groups.map((g) => wrapText(commentFor(g, ctx))).join('\n\n'),
      })),
    );
  }
  return out;
}

function keywordsOf(anchors: Anchor[]): string[] {
  const k = new Set<string>();
  for (const x of anchors) {
    if (x.finding.function) k.add(x.finding.function);
    if (x.finding.lock) k.add(x.finding.lock);
    for (const r of x.finding.related) if (r.function) k.add(r.function);
  }
  return [...k];
}

function replyBody(pm: PatchMail, patch: PatchSource, anchors: Anchor[], ctx: CommentContext, from: Address): string {
  const r = new ReplyText();
  r.line(attribution(pm.message));
  quoteCommitMessage(r, pm.commitMessage, keywordsOf(anchors));
  const comments = hunkComments(anchors, ctx);
  const headers = diffHeaders(pm.diff);
  let quotedAny = false;
  patch.files.forEach((fd, fileIdx) => {
    const hunks = fd.hunks.map((h, hunkIdx) => ({ h, c: comments.get(`${fileIdx}:${hunkIdx}`) })).filter((x) => x.c);
    if (hunks.length === 0) return;
    r.trim();
    const path = fd.newPath ?? fd.oldPath ?? '';
    const head = headers.get(path) ?? [`diff --git a/${fd.oldPath ?? path} b/${path}`, `--- a/${fd.oldPath ?? path}`, `+++ b/${path}`];
    for (const l of head) r.quote(l);
    let prev = -1;
    for (const { h, c } of hunks) {
      const idx = fd.hunks.indexOf(h);
      if (prev >= 0 && idx !== prev + 1) r.trim();
      quoteHunk(r, h, c!);
      prev = idx;
    }
    quotedAny = true;
  });
  const loose = anchors.filter((x) => !x.place);
  if (loose.length > 0) {
    r.trim();
    for (const x of loose) {
      const where = x.finding.function ? `In ${x.finding.function}(), which this patch does not show` : `Elsewhere in ${x.finding.file}`;
      const stmt = x.text.trim() ? ` (at "${x.text.trim()}")` : '';
      r.own(wrapText(`${where}${stmt}: ${commentFor([x], ctx)}`));
    }
  } else if (!quotedAny) r.trim();
  r.own(signOff(from));
  return r.toString();
}

const STATUS: Record<string, string> = { confirmed: 'confirmed', refuted: 'refuted', unknown: 'not confirmed' };

/** One line per finding: `rule in function(): the gist [status]`, wrapped with a hanging indent. */
function summaryLine(f: Finding, note: string): string[] {
  // The message up to its first `;`, without a short lead-in such as "comment and check disagree:".
  let gist = noLineNumbers(f.message).split(/;\s/)[0]!.trim();
  const lead = /^([^:(]{1,40}):\s+(.{20,})$/.exec(gist);
  if (lead) gist = lead[2]!;
  const text = `- ${f.rule} in ${f.function ? `${f.function}()` : f.file}: ${gist} [${STATUS[f.confirmation.status]}${note}]`;
  const [first, ...more] = fill(text, 70);
  return [`  ${first}`, ...fill(more.join(' '), 66).map((l) => `      ${l}`)];
}

function summaryBody(
  a: SeriesAnalysis,
  parent: MailMessage,
  anchors: Anchor[],
  refuted: Finding[],
  ctx: CommentContext,
  from: Address,
): string {
  const r = new ReplyText();
  r.line(attribution(parent));
  const firstPara = parent.body.replace(/\r\n/g, '\n').trim().split(/\n\s*\n/)[0] ?? '';
  if (firstPara) {
    for (const l of firstPara.split('\n')) r.quote(l);
    r.trim();
  }
  const total = a.patches.length;
  const out: string[] = [];
  out.push(`kreview went through the series patch by patch; what it found:`);
  out.push('');
  a.patches.forEach((p, i) => {
    const pos = i + 1;
    const here = anchors.filter((x) => x.raiseOn === pos);
    // A finding that only moved (gone here, the same words introduced elsewhere) was not fixed.
    const moved = (f: Finding) => a.introduced.some((g) => g.rule === f.rule && g.message === f.message);
    const fixed = (a.outcomes[i]?.fixed ?? []).filter((f) => !moved(f));
    const applied = a.results[i]?.applied ?? false;
    out.push(` ${ctx.patchName(pos).replace(/ \(".*"\)$/, '')} ${p.subject}`);
    if (!applied) out.push('  - did not apply; nothing after it was analysed');
    for (const x of here) {
      const note = x.appearsIn > x.raiseOn ? `; fires once ${String(x.appearsIn).padStart(2, '0')}/${total} is applied` : '';
      out.push(...summaryLine(x.finding, note));
    }
    for (const f of fixed) out.push(...summaryLine(f, '; fixed by this patch'));
    const notReal = refuted.filter((f) => f.patch!.index === p.index);
    for (const f of notReal) out.push(...summaryLine(f, ': the model showed it cannot happen'));
    if (applied && here.length === 0 && fixed.length === 0 && notReal.length === 0) out.push('  - nothing found');
  });
  const counts = { confirmed: 0, unknown: 0 };
  for (const x of anchors) if (x.finding.confirmation.status === 'confirmed') counts.confirmed++;
  else counts.unknown++;
  out.push('');
  out.push(
    `${anchors.length} finding${anchors.length === 1 ? '' : 's'}: ${counts.confirmed} confirmed by running the code, ` +
      `${counts.unknown} not confirmed. Comments are in the replies to the patches.`,
  );
  r.own(wrapText(out.join('\n')));
  r.own(signOff(from));
  return r.toString();
}

function dedupe(list: Address[], without: string[]): Address[] {
  const seen = new Set(without.map((s) => s.toLowerCase()));
  const out: Address[] = [];
  for (const x of list) {
    const k = x.address.toLowerCase();
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(x);
  }
  return out;
}

function makeMail(m: {
  position: number;
  fileName: string;
  parent: MailMessage;
  from: Address;
  date: Date;
  body: string;
  findings: Finding[];
}): DraftMail {
  const p = m.parent;
  const to = p.from ? [p.from] : [];
  const cc = dedupe([...p.to, ...p.cc], [m.from.address, ...to.map((x) => x.address)]);
  const subject = /^re:/i.test(p.subject.trim()) ? p.subject.trim() : `Re: ${p.subject.trim()}`;
  const refs = [...new Set([...p.references, p.messageId])];
  const domain = m.from.address.split('@')[1] ?? 'localhost';
  const hash = createHash('sha256').update(`${p.messageId}\0${m.body}`).digest('hex').slice(0, 20);
  const messageId = `kreview-${hash}@${domain}`;
  const h: string[] = [];
  h.push(foldHeader('From', [formatAddress(m.from)]));
  if (to.length) h.push(foldHeader('To', to.map(formatAddress)));
  if (cc.length) h.push(foldHeader('Cc', cc.map(formatAddress)));
  h.push(foldHeader('Subject', [encodeText(subject)]));
  h.push(`Date: ${rfc5322Date(m.date)}`);
  h.push(`Message-ID: <${messageId}>`);
  h.push(`In-Reply-To: <${p.messageId}>`);
  h.push(foldHeader('References', [refs.map((x) => `<${x}>`)]));
  h.push('MIME-Version: 1.0');
  h.push('Content-Type: text/plain; charset=UTF-8');
  h.push('Content-Transfer-Encoding: 8bit');
  const headers = h.join('\n');
  return {
    position: m.position,
    fileName: m.fileName,
    messageId,
    inReplyTo: p.messageId,
    subject,
    findings: m.findings,
    headers,
    body: m.body,
    text: `${headers}\n\n${m.body}`,
  };
}
