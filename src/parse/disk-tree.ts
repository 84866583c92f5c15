/**
 * The user's tree on disk, read-only. Every read goes through the path
 * checks, so a patch cannot make kreview read outside the tree; reads are
 * cached because a series reads the same files patch after patch.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { assertInsideTree, assertSafeRelPath } from './paths.js';
import type { TreeView } from './tree.js';

const NO_CHANGES: ReadonlyMap<string, string | null> = new Map();

export class DiskTree implements TreeView {
  readonly root: string;
  private readonly cache = new Map<string, string | null>();

  constructor(root: string) {
    let real: string;
    try {
      real = realpathSync(root);
    } catch {
      throw new InputError(`tree not found: ${root}`);
    }
    if (!statSync(real).isDirectory()) throw new InputError(`tree is not a directory: ${root}`);
    this.root = real;
  }

  read(rel: string): string | null {
    const hit = this.cache.get(rel);
    if (hit !== undefined) return hit;
    assertSafeRelPath(rel);
    assertInsideTree(this.root, rel);
    let text: string | null;
    try {
      text = readFileSync(join(this.root, rel), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') text = null;
      else if (code === 'EISDIR') throw new InputError(`${rel}: is a directory, not a file`);
      else throw new InputError(`${rel}: cannot read: ${code ?? (err as Error).message}`);
    }
    this.cache.set(rel, text);
    return text;
  }

  exists(rel: string): boolean {
    return this.read(rel) !== null;
  }

  changes(): ReadonlyMap<string, string | null> {
    return NO_CHANGES;
  }
}
