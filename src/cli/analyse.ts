/**
 * The analysis pipeline shared by check, lint (and later scan): index a
 * view of the tree, run the rules over a set of files, and put every
 * finding through the executable model.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Finding } from '../report/schema.js';
import type { TreeView } from '../parse/tree.js';
import type { IrFunction } from '../parse/ir.js';
import type { TreeIndex } from '../parse/index/types.js';
import { createIndex } from '../parse/index/index.js';
import { runRules } from '../rules/engine.js';
import { loadConfig, type Config } from '../rules/config.js';
import { confirmAll } from '../model/confirm.js';
import { InputError } from '../errors.js';

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

/** Runs the rules over `files` of `view` (no model). */
export function analyse(view: TreeView, files: string[], config: Config, functions?: Set<string>): Analysis {
  // No `scope`: definitions, structs and callers live all over the tree
  // (include/ above all); the files under review are loaded eagerly.
  const index = createIndex(view, { maxFileBytes: config.limits.maxFileBytes });
  index.loadFiles(files);
  // Rules follow locks and callbacks anywhere in the tree, but a report is
  // about the files under review: a finding that lands elsewhere (a wait in
  // kernel/ reached from a driver) is not this run's to make.
  const inScope = new Set(files);
  const findings = runRules({ index, files, functions, config }).filter((f) => inScope.has(f.file));
  return { index, findings };
}

/** Fills in each finding's confirmation, unless the model is off. */
export function confirm(findings: Finding[], index: TreeIndex, config: Config, model: boolean): Finding[] {
  if (!model || config.model === false) {
    return findings.map((f) => ({
      ...f,
      function: f.function ?? enclosingFunction(index, f.file, f.line),
      confirmation: { status: 'unknown', summary: 'not confirmed: the model was turned off (--no-model)', trace: [] },
    }));
  }
  return confirmAll(findings, index, config.limits.model).map((f) => ({
    ...f,
    function: f.function ?? enclosingFunction(index, f.file, f.line),
  }));
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
