/**
 * A pull request as a patch series: its commits, each fetched as git
 * format-patch text (`Accept: application/vnd.github.v3.patch`) and read by
 * the mail layer like any `.patch` file; and its base, fetched file by file
 * for the files the commits touch when there is no local tree.
 */
import { InputError } from '../errors.js';
import { splitMbox } from '../mail/mbox.js';
import { parseMessage } from '../mail/message.js';
import { splitPatchBody } from '../mail/patch-mail.js';
import type { PatchMail, Series } from '../mail/schema.js';
import { parseSubject } from '../mail/subject.js';
import { parseTrailers } from '../mail/trailers.js';
import type { PatchSource } from '../parse/diff-schema.js';
import { unsafePathReason } from '../parse/paths.js';
import { patchSource } from '../cli/load.js';
import { asText, call, isNotFound, type GithubContext } from './client.js';
import { formatRef } from './ref.js';
import { RemoteTree } from './remote-tree.js';

export interface PullInfo {
  title: string;
  headSha: string;
  baseSha: string;
  /** The branch the pull request targets, e.g. `main`. */
  baseRef: string;
  /** Commits as GitHub counts them (listCommits stops at 250). */
  commitCount: number;
}

export interface PullCommit {
  sha: string;
  parents: number;
}

export interface LoadedPull {
  pull: PullInfo;
  series: Series;
  patches: PatchSource[];
  /** Commits left out, each with why (merge commits, commits with no diff). */
  skipped: string[];
}

/** Largest number of requests in flight at once. */
const PARALLEL = 6;

export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function readPull(gh: GithubContext): Promise<PullInfo> {
  const { owner, repo, number } = gh.ref;
  const { data } = await call(
    gh,
    'reading the pull request',
    () => gh.octokit.rest.pulls.get({ owner, repo, pull_number: number }),
    `no such pull request (404)${gh.hasToken ? '' : '; for a private repository set GITHUB_TOKEN'}`,
  );
  return {
    title: data.title,
    headSha: data.head.sha,
    baseSha: data.base.sha,
    baseRef: data.base.ref,
    commitCount: data.commits,
  };
}

export async function listCommits(gh: GithubContext): Promise<PullCommit[]> {
  const { owner, repo, number } = gh.ref;
  const list = await call(gh, 'listing its commits', () =>
    gh.octokit.paginate(gh.octokit.rest.pulls.listCommits, { owner, repo, pull_number: number, per_page: 100 }),
  );
  return list.map((c) => ({ sha: c.sha, parents: c.parents.length }));
}

/** One commit as `git format-patch` text. */
export async function commitPatch(gh: GithubContext, sha: string): Promise<string> {
  const { owner, repo } = gh.ref;
  const res = await call(gh, `reading commit ${sha.slice(0, 12)}`, () =>
    gh.octokit.rest.repos.getCommit({ owner, repo, ref: sha, mediaType: { format: 'patch' } }),
  );
  const text = asText(res.data);
  if (text === null) throw new InputError(`${formatRef(gh.ref)}: commit ${sha.slice(0, 12)}: the API did not return patch text`);
  return text;
}

/** Format-patch text -> PatchMail, numbered `index` of `total`; null when the commit has no diff. */
export async function patchMailOf(text: string, sha: string, source: string, index: number, total: number): Promise<PatchMail | null> {
  const messages = splitMbox(Buffer.from(text, 'utf8'));
  if (messages.length !== 1) throw new InputError(`${source}: expected one format-patch message, got ${messages.length}`);
  // A commit has no Message-ID of its own: its sha names it in reports.
  const message = { ...(await parseMessage(messages[0]!, source)), messageId: sha };
  const parts = splitPatchBody(message.body);
  if (parts.diff.trim() === '') return null;
  const parsed = parseSubject(message.subject);
  return {
    message,
    tag: { isReply: false, isPatch: true, prefixes: [], version: 1, index, total, title: parsed.title || message.subject },
    commitMessage: parts.commitMessage,
    diff: parts.diff,
    trailers: parseTrailers(parts.commitMessage, sha),
  };
}

/** The pull request's commits, in order, as one series (title = the pull request's title). */
export async function loadPull(gh: GithubContext): Promise<LoadedPull> {
  const pull = await readPull(gh);
  const commits = await listCommits(gh);
  const skipped: string[] = [];
  if (pull.commitCount > commits.length) {
    skipped.push(`only the first ${commits.length} of ${pull.commitCount} commits are listed by the API`);
  }
  const linear = commits.filter((c) => {
    if (c.parents > 1) skipped.push(`${c.sha.slice(0, 12)}: a merge commit`);
    return c.parents <= 1;
  });
  const texts = await mapLimit(linear, PARALLEL, (c) => commitPatch(gh, c.sha));
  const mails: PatchMail[] = [];
  for (let i = 0; i < linear.length; i++) {
    const sha = linear[i]!.sha;
    const source = `${formatRef(gh.ref)} commit ${sha.slice(0, 12)}`;
    const pm = await patchMailOf(texts[i]!, sha, source, mails.length + 1, 1);
    if (pm) mails.push(pm);
    else skipped.push(`${sha.slice(0, 12)}: no diff`);
  }
  if (mails.length === 0) throw new InputError(`${formatRef(gh.ref)}: the pull request has no commit with a diff`);
  const total = mails.length;
  for (const pm of mails) pm.tag.total = total;
  const series: Series = {
    title: pull.title,
    version: 1,
    prefixes: [],
    total,
    cover: null,
    patches: mails,
    missing: [],
    replies: [],
    supersedes: [],
  };
  return { pull, series, patches: mails.map((pm) => patchSource(pm, total)), skipped };
}

/** Files at the base that the patches read: every file diff's old path (added files do not exist yet). */
export function basePaths(patches: PatchSource[]): string[] {
  const out = new Set<string>();
  for (const p of patches) for (const fd of p.files) if (fd.status !== 'added' && fd.oldPath) out.add(fd.oldPath);
  return [...out].sort();
}

/** `#include` targets of a C file that a kernel tree would resolve: `<x/y.h>` under include/, `"y.h"` beside it. */
export function includedPaths(file: string, text: string): string[] {
  const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
  const out = new Set<string>();
  for (const m of text.matchAll(/^[ \t]*#[ \t]*include[ \t]*([<"])([^>"\n]+)[>"]/gm)) {
    const p = m[1] === '<' ? `include/${m[2]}` : normalise(dir + m[2]);
    if (p && !unsafePathReason(p)) out.add(p);
  }
  return [...out];
}

function normalise(p: string): string | null {
  const parts: string[] = [];
  for (const s of p.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(s);
  }
  return parts.join('/');
}

/** One file at `sha`, or null when it does not exist there. */
export async function fileAt(gh: GithubContext, path: string, sha: string): Promise<string | null> {
  const { owner, repo } = gh.ref;
  const res = await call(gh, `reading ${path} at ${sha.slice(0, 12)}`, async () => {
    try {
      return await gh.octokit.rest.repos.getContent({ owner, repo, path, ref: sha, mediaType: { format: 'raw' } });
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  });
  if (res === null) return null;
  const text = asText(res.data);
  if (text === null) throw new InputError(`${formatRef(gh.ref)}: ${path} at ${sha.slice(0, 12)} is not a file`);
  return text;
}

export interface BaseOptions {
  /** Also fetch the headers the touched C files include (one level), so struct and macro definitions are there. */
  includes?: boolean;
  /** Cap on the number of files fetched (default 400). */
  maxFiles?: number;
  /** Told when the included headers cannot all be fetched (they are optional: the run goes on). */
  onSkip?: (why: string) => void;
}

/** The pull request's base as a RemoteTree holding the files the patches touch (and, optionally, what they include). */
export async function fetchBase(gh: GithubContext, pull: PullInfo, patches: PatchSource[], opts: BaseOptions = {}): Promise<RemoteTree> {
  const max = opts.maxFiles ?? 400;
  const files = new Map<string, string>();
  const touched = basePaths(patches);
  const got = await mapLimit(touched, PARALLEL, (p) => fileAt(gh, p, pull.baseSha));
  touched.forEach((p, i) => {
    if (got[i] !== null) files.set(p, got[i]!);
  });
  if (opts.includes) {
    const wanted = new Set<string>();
    for (const [p, text] of files) if (/\.[ch]$/.test(p)) for (const inc of includedPaths(p, text)) if (!files.has(inc)) wanted.add(inc);
    const all = [...wanted].sort();
    const extra = all.slice(0, Math.max(0, max - files.size));
    if (extra.length < all.length) opts.onSkip?.(`${all.length - extra.length} included headers not fetched (at most ${max} files)`);
    let failure: string | null = null;
    const more = await mapLimit(extra, PARALLEL, async (p) => {
      if (failure) return null;
      try {
        return await fileAt(gh, p, pull.baseSha);
      } catch (err) {
        failure ??= (err as Error).message;
        return null;
      }
    });
    extra.forEach((p, i) => {
      if (more[i] !== null) files.set(p, more[i]!);
    });
    if (failure) opts.onSkip?.(`some included headers could not be fetched, going on without them: ${failure}`);
  }
  return new RemoteTree(`github:${gh.ref.owner}/${gh.ref.repo}@${pull.baseSha}`, files);
}
