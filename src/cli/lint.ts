/**
 * `kreview lint`: apply a series to a copy of the tree and report what it
 * introduces, each finding pinned to the patch after which it first appears
 * (`--all`: also what was already there in the functions it touches).
 */
import { DiskTree } from '../parse/disk-tree.js';
import type { Finding, PatchEntry } from '../report/schema.js';
import { ApplyError } from '../errors.js';
import { loadPatchSeries } from './load.js';
import { confirm, configFor, treeRoot } from './analyse.js';
import { analyseSeries, preexistingInChanged } from './series-analysis.js';
import { exitStatus, writeReport, type FailOn, type Format } from './output.js';
import type { Io } from './io.js';

export interface LintOptions {
  tree: string;
  config?: string;
  format: Format;
  failOn: FailOn;
  all?: boolean;
  showRefuted?: boolean;
  model: boolean;
  jobs?: number;
  loreUrl: string;
}

export async function runLint(io: Io, inputs: string[], opts: LintOptions): Promise<number> {
  const root = treeRoot(opts.tree);
  const config = configFor(root, opts.config);
  const { series, patches } = await loadPatchSeries(io, inputs, { loreUrl: opts.loreUrl, limits: config.limits });
  const a = analyseSeries(new DiskTree(root), series, patches, config, { focus: true });
  if (a.failure) throw new ApplyError(a.failure);

  const selected: Finding[] = opts.all ? [...a.introduced, ...preexistingInChanged(a)] : a.introduced;
  const confirmed = confirm(selected, a.after.index, config, opts.model);
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
  return exitStatus(shown, opts.failOn);
}
