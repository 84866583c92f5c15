/**
 * `kreview lint`: apply a series to a copy of the tree and report what it
 * introduces. Every snapshot (the tree before, and after each patch) is
 * analysed over the same files, so each new finding is pinned to the patch
 * after which it first appears.
 */
import { DiskTree } from '../parse/disk-tree.js';
import { applySeries } from '../parse/apply.js';
import type { TreeView } from '../parse/tree.js';
import type { Finding, PatchEntry } from '../report/schema.js';
import { ApplyError } from '../errors.js';
import { loadPatchSeries } from './load.js';
import { analyse, confirm, configFor, functionText, treeRoot } from './analyse.js';
import { exitStatus, writeReport, type FailOn, type Format } from './output.js';
import { describeFailure } from './apply-failure.js';
import type { Io } from './io.js';
import type { TreeIndex } from '../parse/index/types.js';

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

const isC = (f: string) => /\.[ch]$/.test(f);

export async function runLint(io: Io, inputs: string[], opts: LintOptions): Promise<number> {
  const root = treeRoot(opts.tree);
  const config = configFor(root, opts.config);
  const { series, patches } = await loadPatchSeries(io, inputs, { loreUrl: opts.loreUrl });
  const base = new DiskTree(root);
  const { results, snapshots } = applySeries(base, patches);
  const failed = results.find((r) => !r.applied);
  if (failed) throw new ApplyError(describeFailure(failed));

  const touched = [...new Set(results.flatMap((r) => r.touched))].filter(isC);
  const views: TreeView[] = [base, ...snapshots];
  // The same files in every snapshot (those that exist there), so a finding
  // that appears is new and not merely newly looked at.
  const runs = views.map((v) => analyse(v, touched.filter((f) => v.exists(f)), config));
  const before = runs[0]!;
  const after = runs[runs.length - 1]!;

  const firstSeen = (f: Finding): number => {
    for (let i = 1; i < runs.length; i++) if (runs[i]!.findings.some((g) => g.id === f.id)) return i;
    return runs.length - 1;
  };
  const beforeIds = new Set(before.findings.map((f) => f.id));
  const total = patches.length;
  const introduced = after.findings
    .filter((f) => !beforeIds.has(f.id))
    .map((f) => ({ ...f, patch: { index: firstSeen(f), total } }));

  let selected: Finding[] = introduced;
  if (opts.all) {
    const changed = changedFunctions(before.index, after.index, touched);
    const preexisting = after.findings.filter((f) => beforeIds.has(f.id) && f.function && changed.has(`${f.file}\0${f.function}`));
    selected = [...introduced, ...preexisting];
  }

  const confirmed = confirm(selected, after.index, config, opts.model);
  const seriesTitle = series.title;
  const entries: PatchEntry[] = patches.map((p, i) => ({
    series: seriesTitle,
    index: p.index,
    total: p.total,
    subject: p.subject,
    messageId: p.messageId,
    applied: results[i]?.applied ?? false,
    findings: confirmed.filter((f) => f.patch?.index === i + 1).map((f) => f.id),
  }));
  const shown = writeReport(io, { format: opts.format, showRefuted: Boolean(opts.showRefuted), patches: entries }, confirmed);
  return exitStatus(shown, opts.failOn);
}

/** `file\0function` of each function of the touched files whose text differs between before and after (or is new). */
function changedFunctions(before: TreeIndex, after: TreeIndex, files: string[]): Set<string> {
  const changed = new Set<string>();
  for (const file of files) {
    if (!after.view.exists(file)) continue;
    const old = new Map<string, string>();
    if (before.view.exists(file)) for (const fn of before.functionsIn(file)) old.set(fn.name, functionText(before.view, fn));
    for (const fn of after.functionsIn(file)) {
      if (old.get(fn.name) !== functionText(after.view, fn)) changed.add(`${file}\0${fn.name}`);
    }
  }
  return changed;
}
