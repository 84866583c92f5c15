/**
 * `kreview github <owner/repo#N>`: a pull request's commits as a patch
 * series, analysed like `lint` (the findings the commits introduce) against
 * --tree, or against the pull request's base fetched through the API for
 * the files the commits touch; `--post` posts the findings as one review.
 */
import { ApplyError, InputError } from '../errors.js';
import { DiskTree } from '../parse/disk-tree.js';
import type { TreeView } from '../parse/tree.js';
import type { PatchEntry } from '../report/schema.js';
import { defaultConfig, loadConfig, parseConfig, type Config } from '../rules/config.js';
import { createClient, DEFAULT_API_URL, type GithubContext } from '../github/client.js';
import { fetchBase, fileAt, loadPull, type PullInfo } from '../github/pull.js';
import { formatRef, parsePullRef } from '../github/ref.js';
import { postReview } from '../github/review.js';
import type { PatchSource } from '../parse/diff-schema.js';
import { confirm, configFor, treeRoot } from './analyse.js';
import { analyseSeries } from './series-analysis.js';
import { exitStatus, writeReport, type FailOn, type Format } from './output.js';
import type { Io } from './io.js';

export interface GithubOptions {
  /** A local tree at (or near) the pull request's base; without it the base is fetched. */
  tree?: string;
  apiUrl?: string;
  post?: boolean;
  config?: string;
  format: Format;
  failOn?: FailOn;
  showRefuted?: boolean;
  model: boolean;
  jobs?: number;
  /** A fetch implementation for the API client (tests). */
  fetch?: typeof globalThis.fetch;
}

/** The configuration: --config, else `.kreview.json` of the local tree, else of the base on GitHub. */
async function remoteConfig(gh: GithubContext, pull: PullInfo, path: string | undefined): Promise<Config> {
  if (path !== undefined) return loadConfig(process.cwd(), path);
  const text = await fileAt(gh, '.kreview.json', pull.baseSha);
  if (text === null) return defaultConfig();
  const where = `${formatRef(gh.ref)}: .kreview.json at ${pull.baseSha.slice(0, 12)}`;
  try {
    return parseConfig(JSON.parse(text), where);
  } catch (e) {
    if (e instanceof SyntaxError) throw new InputError(`${where}: not valid JSON: ${e.message}`);
    throw e;
  }
}

async function baseView(io: Io, gh: GithubContext, pull: PullInfo, patches: PatchSource[], opts: GithubOptions): Promise<{ base: TreeView; config: Config }> {
  if (opts.tree !== undefined) {
    const root = treeRoot(opts.tree);
    return { base: new DiskTree(root), config: configFor(root, opts.config) };
  }
  const base = await fetchBase(gh, pull, patches, {
    includes: true,
    onSkip: (why) => io.stderr(`kreview: note: ${why}\n`),
  });
  io.stderr(
    `kreview: note: no --tree: analysing against ${base.paths().length} files of ${gh.ref.owner}/${gh.ref.repo} at ` +
      `${pull.baseSha.slice(0, 12)} (the files the pull request touches and the headers they include), fetched through ` +
      `the API; findings that depend on the rest of the tree can be missed (give --tree for a full analysis)\n`,
  );
  return { base, config: await remoteConfig(gh, pull, opts.config) };
}

export async function runGithub(io: Io, refText: string, opts: GithubOptions): Promise<number> {
  const ref = parsePullRef(refText);
  const gh = createClient(ref, { apiUrl: opts.apiUrl ?? DEFAULT_API_URL, token: io.env.GITHUB_TOKEN || undefined, fetch: opts.fetch });
  const { pull, series, patches, skipped } = await loadPull(gh);
  for (const s of skipped) io.stderr(`kreview: note: ${formatRef(ref)}: skipped ${s}\n`);
  const { base, config } = await baseView(io, gh, pull, patches, opts);

  const a = analyseSeries(base, series, patches, config, { focus: true });
  if (a.failure) {
    const hint = opts.tree !== undefined ? ` (is --tree at the pull request's base, ${pull.baseRef} @ ${pull.baseSha.slice(0, 12)}?)` : '';
    throw new ApplyError(`${a.failure}${hint}`);
  }
  const confirmed = confirm(a.introduced, a.after.index, config, opts.model);
  const entries: PatchEntry[] = patches.map((p, i) => ({
    series: series.title,
    index: p.index,
    total: p.total,
    subject: p.subject,
    messageId: p.messageId,
    applied: a.results[i]?.applied ?? false,
    findings: confirmed.filter((f) => f.patch?.index === p.index).map((f) => f.id),
  }));
  const shown = writeReport(io, { format: opts.format, showRefuted: Boolean(opts.showRefuted), patches: entries }, confirmed);

  if (opts.post) {
    const after = a.after.index.view;
    const lineText = (file: string, line: number) => after.read(file)?.split('\n')[line - 1] ?? null;
    const out = await postReview(gh, pull.headSha, shown, lineText);
    const where = formatRef(ref);
    if (out.reviewId === null) {
      io.stderr(
        shown.length === 0
          ? `kreview: nothing to post on ${where}: no findings\n`
          : `kreview: nothing new to post on ${where}: ${out.alreadyPosted.length} finding(s) already posted\n`,
      );
    } else {
      io.stderr(
        `kreview: posted review ${out.reviewId} on ${where}: ${out.inline.length} finding(s) inline in ${out.comments.length} comment(s), ` +
          `${out.inBody.length} in the review body` +
          (out.alreadyPosted.length ? `, ${out.alreadyPosted.length} already posted before` : '') +
          '\n',
      );
    }
  }
  return exitStatus(shown, opts.failOn ?? 'warning');
}
