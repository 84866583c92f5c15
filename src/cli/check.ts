/**
 * `kreview check [PATH...]`: the rules over a tree as it is, no patch.
 */
import { DiskTree } from '../parse/disk-tree.js';
import { listCFiles } from '../parse/index/files.js';
import { analyse, confirm, configFor, treeRoot } from './analyse.js';
import { exitStatus, writeReport, type FailOn, type Format } from './output.js';
import type { Io } from './io.js';

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
  const view = new DiskTree(root);
  const files = listCFiles(view, paths.length ? paths : ['.']);
  const { index, findings } = analyse(view, files, config);
  const confirmed = confirm(findings, index, config, opts.model);
  const skipped = index.skipped();
  for (const s of skipped) io.stderr(`kreview: warning: skipped ${s.file}: ${s.reason}\n`);
  const shown = writeReport(io, { format: opts.format, showRefuted: Boolean(opts.showRefuted) }, confirmed);
  return exitStatus(shown, opts.failOn);
}
