/**
 * `kreview check [PATH...]`: the rules over a tree as it is, no patch.
 */
import { DiskTree } from '../parse/disk-tree.js';
import { listCFiles } from '../parse/index/files.js';
import { analyse, confirm, configFor, treeRoot } from './analyse.js';
import { exitStatus, writeReport, type FailOn, type Format } from './output.js';
import type { Io } from './io.js';
import type { Finding } from '../report/schema.js';

export interface CheckOptions {
  tree: string;
  config?: string;
  format: Format;
  failOn: FailOn;
  showRefuted?: boolean;
  model: boolean;
  jobs?: number;
}

export async function runCheck(io: Io, paths: string[], opts: CheckOptions): Promise<number> {
  const root = treeRoot(opts.tree);
  const config = configFor(root, opts.config);
  const files = listCFiles(new DiskTree(root), paths.length ? paths : ['.']);
  // A large scope is analysed a batch at a time, each with a fresh view and
  // index: every batch still looks things up across the whole tree, so what
  // is found does not change, but memory is bounded by the batch, not by the
  // subsystem (drivers/net/wireless at once exceeds node's default heap).
  const confirmed: Finding[] = [];
  for (const batch of batches(files, BATCH_FILES)) {
    const { index, findings } = analyse(new DiskTree(root), batch, config);
    confirmed.push(...confirm(findings, index, config, opts.model));
    for (const s of index.skipped()) io.stderr(`kreview: warning: skipped ${s.file}: ${s.reason}\n`);
  }
  const shown = writeReport(io, { format: opts.format, showRefuted: Boolean(opts.showRefuted) }, confirmed);
  return exitStatus(shown, opts.failOn);
}

const BATCH_FILES = 150;

/** Consecutive slices of the sorted file list, so a directory's files tend to share a batch. */
export function batches<T>(xs: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out.length ? out : [[]];
}
