/**
 * `kreview review`: analyse a series like lint does, then draft one
 * kernel-style reply per patch that has findings (and, with --summary, one
 * to the cover letter). The drafts go to `.eml` files under --out, or as one
 * mbox to standard output. Nothing is ever sent.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { DiskTree } from '../parse/disk-tree.js';
import { ApplyError, EXIT, InputError } from '../errors.js';
import { joinMboxrd } from '../mail/mbox.js';
import { draftReplies, type DraftMail } from '../report/reply.js';
import { parseAddress } from '../report/mail-format.js';
import type { Severity } from '../report/schema.js';
import { loadPatchSeries } from './load.js';
import { confirm, configFor, treeRoot } from './analyse.js';
import { analyseSeries } from './series-analysis.js';
import type { Io } from './io.js';

export interface ReviewOptions {
  tree: string;
  out?: string;
  from?: string;
  config?: string;
  summary?: boolean;
  showRefuted?: boolean;
  model: boolean;
  jobs?: number;
  loreUrl: string;
  /** For tests: the Date of the drafts. */
  date?: Date;
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/** --from, else $GIT_AUTHOR_NAME/$GIT_AUTHOR_EMAIL, else `git config user.*` in the tree. */
export function senderOf(io: Io, root: string, from: string | undefined, configured?: string): string {
  if (from !== undefined) {
    if (!parseAddress(from)) throw new InputError(`--from "${from}": not an address (expected "Name <addr>")`);
    return from;
  }
  if (configured !== undefined) {
    if (!parseAddress(configured)) throw new InputError(`configuration "from": "${configured}" is not an address (expected "Name <addr>")`);
    return configured;
  }
  const env = io.env;
  if (env.GIT_AUTHOR_EMAIL) return `${env.GIT_AUTHOR_NAME ?? ''} <${env.GIT_AUTHOR_EMAIL}>`.trim();
  const git = (key: string) => {
    try {
      return execFileSync('git', ['-C', root, 'config', key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 }).trim();
    } catch {
      return '';
    }
  };
  const email = git('user.email');
  if (email) return `${git('user.name')} <${email}>`.trim();
  throw new InputError('no sender for the replies: give --from "Name <addr>" (or set GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL)');
}

function insideTree(root: string, out: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  const rel = relative(real(root), real(resolve(out)));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Writes each draft under `dir` (created), through a temporary file and a rename. */
export function writeDrafts(dir: string, mails: DraftMail[]): string[] {
  try {
    mkdirSync(dir, { recursive: true });
    return mails.map((m) => {
      const path = join(dir, m.fileName);
      const tmp = join(dir, `.${m.fileName}.${process.pid}.tmp`);
      writeFileSync(tmp, m.text);
      renameSync(tmp, path);
      return path;
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new InputError(`--out ${dir}: cannot write the replies: ${e.code ?? e.message}`);
  }
}

export async function runReview(io: Io, inputs: string[], opts: ReviewOptions): Promise<number> {
  const root = treeRoot(opts.tree);
  if (opts.out !== undefined && insideTree(root, opts.out)) {
    throw new InputError(`--out ${opts.out}: inside --tree ${opts.tree}; the tree is never written to, choose another directory`);
  }
  const config = configFor(root, opts.config);
  const from = senderOf(io, root, opts.from, config.from);
  const { series, patches } = await loadPatchSeries(io, inputs, { loreUrl: opts.loreUrl, limits: config.limits });
  const a = analyseSeries(new DiskTree(root), series, patches, config, { focus: true });
  if (a.failure) throw new ApplyError(a.failure);
  const confirmed = confirm(a.introduced, a.after.index, config, opts.model);
  const mails = draftReplies(a, confirmed, { from, date: opts.date, summary: opts.summary, showRefuted: opts.showRefuted });

  if (opts.out !== undefined) {
    const paths = writeDrafts(opts.out, mails);
    for (let i = 0; i < mails.length; i++) {
      const m = mails[i]!;
      io.stderr(`kreview: wrote ${paths[i]} (${m.findings.length} finding${m.findings.length === 1 ? '' : 's'})\n`);
    }
  } else if (mails.length > 0) {
    io.stdout(joinMboxrd(mails.map((m) => Buffer.from(m.text, 'utf8')), 'From kreview Thu Jan  1 00:00:00 1970').toString('utf8'));
  }
  const refuted = confirmed.filter((f) => f.confirmation.status === 'refuted').length;
  if (mails.length === 0) io.stderr(`kreview: no findings, no replies drafted${refuted ? ` (${refuted} refuted by the model)` : ''}\n`);
  else if (refuted) {
    io.stderr(
      `kreview: ${refuted} finding(s) refuted by the model were left out of the replies` +
        `${opts.showRefuted && opts.summary ? ' (listed in the summary)' : ''}\n`,
    );
  }
  const drafted = mails.filter((m) => m.position > 0).flatMap((m) => m.findings);
  return drafted.some((f) => RANK[f.severity] >= RANK.warning) ? EXIT.findings : EXIT.ok;
}
