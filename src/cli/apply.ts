/**
 * `kreview apply`: apply a series to an in-memory copy of the tree and write
 * the touched files, fully patched, under --out. The tree is only read. The
 * output is built in a temporary directory beside --out and renamed into
 * place at the end, so a failure leaves nothing half-written.
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { ApplyError, InputError } from '../errors.js';
import { applySeries, shortHeader } from '../parse/apply.js';
import type { FileDiff, PatchResult, PatchSource } from '../parse/diff-schema.js';
import { DiskTree } from '../parse/disk-tree.js';
import { assertSafeRelPath } from '../parse/paths.js';
import type { TreeView } from '../parse/tree.js';
import { describeFailure } from './apply-failure.js';
import type { Io } from './io.js';
import { loadPatchSeries } from './load.js';
import { loadConfig } from '../rules/config.js';

export interface ApplyCommandOptions {
  tree: string;
  out: string;
  loreUrl: string;
}

/** realpath of `p`, resolving the deepest existing ancestor when `p` itself does not exist yet. */
function realpathOfFuture(p: string): string {
  let existing = p;
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(existing), ...rest.reverse());
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return p;
      rest.push(basename(existing));
      existing = parent;
    }
  }
}

const inside = (root: string, p: string) => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);

/** Checks --out before anything is read: not in the tree, not a symlink, empty if it exists. */
export function checkOutDir(treeRoot: string, out: string): string {
  const outAbs = resolve(out);
  let st: ReturnType<typeof lstatSync> | null = null;
  try {
    st = lstatSync(outAbs);
  } catch {
    st = null;
  }
  if (st?.isSymbolicLink()) throw new InputError(`--out ${out} is a symlink; refusing to write through it`);
  if (st && !st.isDirectory()) throw new InputError(`--out ${out} exists and is not a directory`);
  const outReal = realpathOfFuture(outAbs);
  if (inside(treeRoot, outReal)) {
    throw new InputError(`--out ${out} is inside --tree ${treeRoot}; the tree is never written to`);
  }
  if (st && readdirSync(outAbs).length > 0) throw new InputError(`--out ${out} exists and is not empty`);
  return outAbs;
}

function fileLine(fd: FileDiff): string {
  switch (fd.status) {
    case 'added':
      return `A ${fd.newPath} (new file${fd.newMode ? `, mode ${fd.newMode}` : ''})`;
    case 'deleted':
      return `D ${fd.oldPath} (deleted; not written)`;
    case 'renamed':
      return `R ${fd.oldPath} -> ${fd.newPath}${fd.similarity !== null ? ` (${fd.similarity}% similar)` : ''}`;
    case 'copied':
      return `C ${fd.oldPath} -> ${fd.newPath}`;
    default: {
      const mode = fd.oldMode && fd.newMode && fd.oldMode !== fd.newMode ? ` (mode ${fd.oldMode} -> ${fd.newMode})` : '';
      return `M ${fd.newPath}${mode}`;
    }
  }
}

/** Per patch, per file, per hunk: where each hunk went. */
export function formatSummary(patches: PatchSource[], results: PatchResult[]): string {
  let s = '';
  results.forEach((r, i) => {
    const p = patches[i]!;
    s += `patch ${r.index}/${r.total} "${r.subject}": ${r.applied ? 'applied' : 'DOES NOT APPLY'}\n`;
    for (const fd of p.files) {
      s += `  ${fileLine(fd)}\n`;
      const name = fd.newPath ?? fd.oldPath;
      for (const h of r.hunks.filter((x) => x.file === name)) {
        const where = shortHeader(h.header);
        let what: string;
        if (h.status === 'applied') what = 'applied';
        else if (h.status === 'offset') what = `applied at offset ${h.offset > 0 ? '+' : ''}${h.offset}`;
        else if (h.status === 'fuzz') {
          what = `applied with fuzz ${h.fuzz}` + (h.offset !== 0 ? ` at offset ${h.offset > 0 ? '+' : ''}${h.offset}` : '');
        } else what = `FAILED: ${h.reason}`;
        s += `      hunk ${h.hunk} ${where}: ${what}\n`;
      }
    }
    for (const e of r.errors) s += `  error: ${e}\n`;
  });
  return s;
}

/** The mode the series leaves on each file, when it says one. */
function finalModes(patches: PatchSource[]): Map<string, string> {
  const modes = new Map<string, string>();
  for (const p of patches) {
    for (const fd of p.files) if (fd.newPath && fd.newMode) modes.set(fd.newPath, fd.newMode);
  }
  return modes;
}

/** Writes the files into a fresh temporary directory beside `outAbs`, then renames it into place. */
function writeOut(outAbs: string, files: { rel: string; text: string; exec: boolean }[]): void {
  const parent = dirname(outAbs);
  mkdirSync(parent, { recursive: true });
  const tmp = mkdtempSync(join(parent, `.${basename(outAbs)}.kreview-`));
  try {
    for (const f of files) {
      assertSafeRelPath(f.rel);
      const dest = join(tmp, f.rel);
      if (!inside(tmp, dest) || relative(tmp, dest).startsWith('..')) throw new InputError(`${f.rel}: unsafe path`);
      mkdirSync(dirname(dest), { recursive: true });
      // The directory is fresh, so nothing in it can be a symlink; 'wx' makes sure.
      writeFileSync(dest, f.text, { flag: 'wx', mode: f.exec ? 0o755 : 0o644 });
    }
    chmodSync(tmp, 0o755);
    try {
      rmdirSync(outAbs); // an existing, empty --out
    } catch {
      // absent
    }
    renameSync(tmp, outAbs);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

export async function runApply(io: Io, inputs: string[], opts: ApplyCommandOptions): Promise<number> {
  const tree = new DiskTree(opts.tree);
  const outAbs = checkOutDir(tree.root, opts.out);
  // apply has no --config; the tree's own .kreview.json still sets the size caps.
  const { limits } = loadConfig(tree.root);
  const { patches } = await loadPatchSeries(io, inputs, { loreUrl: opts.loreUrl, limits });
  const { results, snapshots } = applySeries(tree, patches);
  io.stdout(formatSummary(patches, results));
  const failed = results.find((r) => !r.applied);
  if (failed) throw new ApplyError(describeFailure(failed));

  const final: TreeView = snapshots[snapshots.length - 1] ?? tree;
  const touched = [...new Set(results.flatMap((r) => r.touched))].sort();
  const modes = finalModes(patches);
  const files: { rel: string; text: string; exec: boolean }[] = [];
  const deleted: string[] = [];
  for (const rel of touched) {
    const text = final.read(rel);
    if (text === null) deleted.push(rel);
    else files.push({ rel, text, exec: (modes.get(rel) ?? '').endsWith('755') });
  }
  writeOut(outAbs, files);
  io.stdout(`wrote ${files.length} file${files.length === 1 ? '' : 's'} under ${opts.out}\n`);
  for (const d of deleted) io.stdout(`deleted by the series (not written): ${d}\n`);
  return 0;
}
