/**
 * `--post`: the findings as one pull-request review. Each finding goes
 * inline on the line of the diff it is about (or, when that line is outside
 * the diff, on a line of the diff it involves: the wait the pull request
 * added, the lock it takes); the rest go in the review body. Every finding
 * carries its stable id as a hidden `<!-- kreview:<id> -->`, and ids found
 * in earlier reviews and review comments are not posted again, so a re-run
 * posts only what is new, or nothing.
 */
import type { Finding } from '../report/schema.js';
import { renderTrace } from '../report/text.js';
import { call, type GithubContext } from './client.js';
import { diffLineFor, pullDiffLines, type DiffLines } from './diff-lines.js';

export interface InlineComment {
  path: string;
  line: number;
  side: 'RIGHT';
  body: string;
}

export interface ReviewPlan {
  /** Null when there is nothing new to post. */
  body: string | null;
  comments: InlineComment[];
  /** Ids of the findings this review posts, inline first. */
  inline: string[];
  inBody: string[];
  /** Findings skipped because an earlier review already carries their id. */
  alreadyPosted: string[];
}

export interface ReviewOutcome extends ReviewPlan {
  reviewId: number | null;
}

const MARK = /<!--\s*kreview:([A-Za-z0-9_.-]+)\s*-->/g;

export function marker(id: string): string {
  return `<!-- kreview:${id} -->`;
}

/** Finding ids embedded in a text (a review body or a review comment). */
export function markedIds(text: string | null | undefined): string[] {
  return [...(text ?? '').matchAll(MARK)].map((m) => m[1]!);
}

/** Reads `file`'s line `line` from the analysed tree, to match it against the diff. */
export type LineText = (file: string, line: number) => string | null;

interface Anchor {
  path: string;
  line: number;
  /** Set when the comment sits on a related line, not on the finding's own. */
  via: string | null;
}

function anchorFor(f: Finding, lines: DiffLines, text: LineText): Anchor | null {
  const own = diffLineFor(lines, f.file, f.line, text(f.file, f.line));
  if (own !== null) return { path: f.file, line: own, via: null };
  for (const r of f.related) {
    const at = diffLineFor(lines, r.file, r.line, text(r.file, r.line));
    if (at !== null) return { path: r.file, line: at, via: r.message };
  }
  return null;
}

const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

function verdict(f: Finding): string {
  const c = f.confirmation;
  return `${c.status}${c.summary ? `: ${c.summary}` : ''}`;
}

/** The markdown of one finding in an inline comment. */
export function commentText(f: Finding, via: string | null): string {
  const fn = f.function ? ` in ${code(`${f.function}()`)}` : '';
  const out = [`**${f.severity}: ${f.rule}**${f.patch ? ` (commit ${f.patch.index}/${f.patch.total})` : ''}`, ''];
  if (via) out.push(`Reported at ${code(`${f.file}:${f.line}`)}${fn}, outside the diff; this line is involved: ${via}.`, '');
  out.push(f.message, '');
  for (const r of f.related) out.push(`- ${code(`${r.file}:${r.line}`)}${r.function ? ` ${code(`${r.function}()`)}` : ''}: ${r.message}`);
  if (f.related.length) out.push('');
  out.push(`Model: ${verdict(f)}`);
  const trace = renderTrace(f.confirmation.trace);
  if (trace.length) out.push('', '<details><summary>Witness</summary>', '', '```', ...trace, '```', '', '</details>');
  out.push('', marker(f.id));
  return out.join('\n');
}

function bodyLine(f: Finding): string {
  return `- ${code(`${f.file}:${f.line}`)} **${f.rule}** (${f.severity}, model: ${f.confirmation.status}): ${f.message} ${marker(f.id)}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What to post: pure, so it can be tested without a server. */
export function planReview(findings: Finding[], lines: DiffLines, text: LineText, posted: ReadonlySet<string>): ReviewPlan {
  const alreadyPosted = findings.filter((f) => posted.has(f.id)).map((f) => f.id);
  const fresh = findings.filter((f) => !posted.has(f.id));
  if (fresh.length === 0) return { body: null, comments: [], inline: [], inBody: [], alreadyPosted };

  // Findings that land on the same diff line share one comment.
  const byLine = new Map<string, { path: string; line: number; parts: string[]; ids: string[] }>();
  const outside: Finding[] = [];
  for (const f of fresh) {
    const a = anchorFor(f, lines, text);
    if (!a) {
      outside.push(f);
      continue;
    }
    const key = `${a.path}\0${a.line}`;
    const slot = byLine.get(key) ?? { path: a.path, line: a.line, parts: [], ids: [] };
    slot.parts.push(commentText(f, a.via));
    slot.ids.push(f.id);
    byLine.set(key, slot);
  }
  const comments: InlineComment[] = [...byLine.values()].map((s) => ({
    path: s.path,
    line: s.line,
    side: 'RIGHT',
    body: s.parts.join('\n\n---\n\n'),
  }));
  const inline = [...byLine.values()].flatMap((s) => s.ids);

  const confirmed = fresh.filter((f) => f.confirmation.status === 'confirmed').length;
  const body: string[] = [
    `**kreview** found ${plural(fresh.length, 'issue')} in this pull request` +
      ` (${confirmed} confirmed by the executable model).`,
  ];
  if (inline.length) body.push('', `${plural(inline.length, 'finding is', 'findings are')} commented inline.`);
  if (outside.length) {
    body.push('', `Outside the lines this pull request changes:`, '', ...outside.map(bodyLine));
  }
  if (alreadyPosted.length) body.push('', `(${plural(alreadyPosted.length, 'finding')} already posted in an earlier review ${alreadyPosted.length === 1 ? 'is' : 'are'} not repeated.)`);
  return { body: body.join('\n'), comments, inline, inBody: outside.map((f) => f.id), alreadyPosted };
}

/** Ids of findings already posted on the pull request, in review comments or review bodies. */
export async function postedIds(gh: GithubContext): Promise<Set<string>> {
  const { owner, repo, number } = gh.ref;
  const ids = new Set<string>();
  const comments = await call(gh, 'listing its review comments', () =>
    gh.octokit.paginate(gh.octokit.rest.pulls.listReviewComments, { owner, repo, pull_number: number, per_page: 100 }),
  );
  for (const c of comments) for (const id of markedIds(c.body)) ids.add(id);
  const reviews = await call(gh, 'listing its reviews', () =>
    gh.octokit.paginate(gh.octokit.rest.pulls.listReviews, { owner, repo, pull_number: number, per_page: 100 }),
  );
  for (const r of reviews) for (const id of markedIds(r.body)) ids.add(id);
  return ids;
}

/** Posts one review (event COMMENT) on `headSha` with what is new; posts nothing when nothing is. */
export async function postReview(gh: GithubContext, headSha: string, findings: Finding[], text: LineText): Promise<ReviewOutcome> {
  const { owner, repo, number } = gh.ref;
  if (findings.length === 0) return { body: null, comments: [], inline: [], inBody: [], alreadyPosted: [], reviewId: null };
  const posted = await postedIds(gh);
  const lines = await pullDiffLines(gh);
  const plan = planReview(findings, lines, text, posted);
  if (plan.body === null) return { ...plan, reviewId: null };
  const { data } = await call(gh, 'posting the review', () =>
    gh.octokit.rest.pulls.createReview({
      owner,
      repo,
      pull_number: number,
      commit_id: headSha,
      event: 'COMMENT',
      body: plan.body!,
      comments: plan.comments,
    }),
    undefined,
    { retry: false },
  );
  return { ...plan, reviewId: data.id };
}
