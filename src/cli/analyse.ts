/**
 * The analysis pipeline shared by check, lint (and later scan): index a
 * view of the tree, run the rules over a set of files, and put every
 * finding through the executable model.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Finding } from '../report/schema.js';
import type { TreeView } from '../parse/tree.js';
import type { IrFunction } from '../parse/ir.js';
import type { TreeIndex } from '../parse/index/types.js';
import { createIndex } from '../parse/index/index.js';
import type { GitInfo } from '../parse/index/files.js';
import { runRules } from '../rules/engine.js';
import type { Summary } from '../rules/summaries.js';
import type { SummaryShare } from '../rules/summary-share.js';
import { loadConfig, type Config } from '../rules/config.js';
import { confirmAll } from '../model/confirm.js';
import { InputError } from '../errors.js';
import { recordPhase, recordScenario, settleIndex } from './timings.js';

export interface AnalysisOptions {
  tree: string;
  config?: string;
  model: boolean;
  showRefuted?: boolean;
  jobs?: number;
}

/** The tree must be an existing directory; returned absolute. */
export function treeRoot(dir: string): string {
  const root = resolve(dir);
  let isDir = false;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    throw new InputError(`--tree ${dir}: no such directory`);
  }
  if (!isDir) throw new InputError(`--tree ${dir}: not a directory`);
  return root;
}

export function configFor(root: string, path: string | undefined): Config {
  return loadConfig(root, path);
}

export interface Analysis {
  index: TreeIndex;
  findings: Finding[];
}

export interface AnalyseOptions {
  /** Only these functions (by name) of `files`. */
  functions?: Set<string>;
  /** The tree's git state, taken once for many analyses of it (FileSearch.gitSnapshot()). */
  git?: GitInfo | null;
  /** Summaries shared with the other views of a series. */
  share?: SummaryShare<Summary>;
}

/** Runs the rules over `files` of `view` (no model). */
export function analyse(view: TreeView, files: string[], config: Config, opts: AnalyseOptions = {}): Analysis {
  const { functions, git, share } = opts;
  // No `scope`: definitions, structs and callers live all over the tree
  // (include/ above all); the files under review are loaded eagerly.
  // Parse results are shared by content between the indexes of one thread: check's batches, a series' views.
  const index = createIndex(view, { maxFileBytes: config.limits.maxFileBytes, sharedFacts: true, ...(git !== undefined ? { git } : {}) });
  let t0 = performance.now();
  index.loadFiles(files);
  recordPhase('index', performance.now() - t0 - settleIndex(index));
  // Rules follow locks and callbacks anywhere in the tree, but a report is
  // about the files under review: a finding that lands elsewhere (a wait in
  // kernel/ reached from a driver) is not this run's to make.
  const inScope = new Set(files);
  t0 = performance.now();
  const findings = runRules({ index, files, functions, config, ...(share ? { share } : {}) }).filter((f) => inScope.has(f.file));
  recordPhase('rules', performance.now() - t0 - settleIndex(index));
  index.flush();
  return { index, findings };
}

/** The model's summaries end in `[61 states, 2 paths, 5 ms]` or `(61 states, 5 ms)`. */
const STATES = /[[(](\d+) states\b/;

/** Fills in each finding's confirmation, unless the model is off. */
export function confirm(findings: Finding[], index: TreeIndex, config: Config, model: boolean): Finding[] {
  // Index work done since analyse() (lint's look at the touched functions) is not the model's.
  settleIndex(index);
  if (!model || config.model === false) {
    const out = findings.map((f): Finding => ({
      ...f,
      function: f.function ?? enclosingFunction(index, f.file, f.line),
      confirmation: { status: 'unknown', summary: 'not confirmed: the model was turned off (--no-model)', trace: [] },
    }));
    settleIndex(index);
    return out;
  }
  // One finding at a time (confirmAll treats each on its own) so each scenario is timed.
  return findings.map((finding) => {
    const t0 = performance.now();
    const [confirmed] = confirmAll([finding], index, config.limits.model);
    const ms = performance.now() - t0 - settleIndex(index);
    const f = { ...confirmed!, function: confirmed!.function ?? enclosingFunction(index, finding.file, finding.line) };
    recordPhase('model', ms);
    const states = STATES.exec(f.confirmation.summary);
    recordScenario({
      ms,
      rule: f.rule,
      function: f.function ?? undefined,
      file: f.file,
      finding: f.id,
      status: f.confirmation.status,
      ...(states ? { states: Number(states[1]) } : {}),
    });
    return f;
  });
}

/** The source text of a function as it stands in a view: how lint tells which functions a series touched. */
export function functionText(view: TreeView, fn: IrFunction): string {
  const text = view.read(fn.file) ?? '';
  const lines = text.split('\n');
  return lines.slice(fn.pos.line - 1, fn.pos.endLine).join('\n');
}

/** The function whose body holds a line (findings may leave it out of their id, e.g. warn-reachable). */
export function enclosingFunction(index: TreeIndex, file: string, line: number): string | null {
  return index.functionsIn(file).find((fn) => fn.pos.line <= line && line <= fn.pos.endLine)?.name ?? null;
}
