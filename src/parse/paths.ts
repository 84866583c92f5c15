/**
 * Path safety for everything a patch names. A patch comes from a stranger's
 * mail: its paths must stay relative to the tree, never climb out with `..`,
 * and never leave it through a symlink that already sits in the tree.
 */
import { lstatSync, realpathSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { InputError } from '../errors.js';

/** Why `p` is not a safe tree-relative path, or null when it is. */
/** Longest path accepted (Linux PATH_MAX); longer ones cannot name a file and only bloat messages. */
export const MAX_PATH_LENGTH = 4096;

/** A path as error messages quote it: JSON-quoted, long ones shortened (a hostile patch may send megabytes). */
export function quotePath(p: string): string {
  return JSON.stringify(p.length > 200 ? `${p.slice(0, 197)}...` : p);
}

export function unsafePathReason(p: string): string | null {
  if (p.length === 0) return 'empty path';
  if (p.length > MAX_PATH_LENGTH) return `longer than ${MAX_PATH_LENGTH} characters`;
  if (p.includes('\0')) return 'contains a NUL byte';
  // No kernel file has a backslash in its name; on other systems it is a separator.
  if (p.includes('\\')) return 'contains a backslash';
  if (p.startsWith('/')) return 'absolute path';
  if (/^[A-Za-z]:/.test(p)) return 'absolute path (drive letter)';
  if (p === '~' || p.startsWith('~/')) return 'path starts with ~';
  const parts = p.split('/');
  for (const part of parts) {
    if (part === '..') return "contains a '..' component";
    if (part === '') return 'contains an empty component';
    if (part === '.') return "contains a '.' component";
  }
  return null;
}

/** Throws an InputError naming `what` (e.g. the patch) unless `p` is safe. */
export function assertSafeRelPath(p: string, what = 'path'): string {
  const reason = unsafePathReason(p);
  if (reason) throw new InputError(`${what}: unsafe path ${quotePath(p)}: ${reason}`);
  return p;
}

function isInside(rootReal: string, candidate: string): boolean {
  return candidate === rootReal || candidate.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep);
}

/**
 * Refuses `rel` when it would resolve outside `root`: the realpath of the
 * deepest existing ancestor of root/rel (the path itself when it exists) must
 * stay inside realpath(root). A dangling symlink on the way is refused too,
 * since writing through it would create a file wherever it points.
 */
export function assertInsideTree(root: string, rel: string): void {
  assertSafeRelPath(rel);
  let rootReal: string;
  try {
    rootReal = realpathSync(root);
  } catch {
    throw new InputError(`tree not found: ${root}`);
  }
  let candidate = join(rootReal, rel);
  for (;;) {
    let real: string | null = null;
    try {
      real = realpathSync(candidate);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new InputError(`${rel}: cannot resolve: ${code}`);
    }
    if (real !== null) {
      if (!isInside(rootReal, real)) throw new InputError(`${rel}: unsafe path: leaves the tree through a symlink`);
      return;
    }
    let isLink = false;
    try {
      isLink = lstatSync(candidate).isSymbolicLink();
    } catch {
      isLink = false;
    }
    if (isLink) throw new InputError(`${rel}: unsafe path: goes through a dangling symlink`);
    const parent = dirname(candidate);
    if (parent === candidate || !isInside(rootReal, parent)) return;
    candidate = parent;
  }
}
