/**
 * Patched file contents layered over a read-only view. A series applies each
 * patch to an Overlay and freezes it: the frozen snapshot is the tree after
 * that patch, unaffected by anything applied later.
 */
import { assertSafeRelPath } from './paths.js';
import type { TreeView } from './tree.js';

/** An immutable view: a base plus a fixed set of changed files. */
export class TreeSnapshot implements TreeView {
  constructor(
    readonly base: TreeView,
    private readonly files: ReadonlyMap<string, string | null>,
  ) {}

  get root(): string {
    return this.base.root;
  }

  read(rel: string): string | null {
    return this.files.has(rel) ? this.files.get(rel)! : this.base.read(rel);
  }

  exists(rel: string): boolean {
    return this.read(rel) !== null;
  }

  changes(): ReadonlyMap<string, string | null> {
    return mergeChanges(this.base.changes(), this.files);
  }

  /** This snapshot's own changes over its base (shared, never mutated). */
  ownFiles(): ReadonlyMap<string, string | null> {
    return this.files;
  }
}

export class Overlay implements TreeView {
  private readonly base: TreeView;
  private files: Map<string, string | null>;
  /** `files` is shared with a snapshot: copy before the next write. */
  private shared: boolean;

  constructor(base: TreeView) {
    // Layering over a snapshot flattens, so a long series does not build a
    // chain of views that every read has to walk.
    if (base instanceof TreeSnapshot) {
      this.base = base.base;
      this.files = base.ownFiles() as Map<string, string | null>;
      this.shared = true;
    } else {
      this.base = base;
      this.files = new Map();
      this.shared = false;
    }
  }

  get root(): string {
    return this.base.root;
  }

  read(rel: string): string | null {
    return this.files.has(rel) ? this.files.get(rel)! : this.base.read(rel);
  }

  exists(rel: string): boolean {
    return this.read(rel) !== null;
  }

  set(rel: string, text: string): void {
    assertSafeRelPath(rel);
    this.writable().set(rel, text);
  }

  delete(rel: string): void {
    assertSafeRelPath(rel);
    this.writable().set(rel, null);
  }

  changes(): ReadonlyMap<string, string | null> {
    return mergeChanges(this.base.changes(), this.files);
  }

  /** The view as it is now; later set/delete calls do not affect it. */
  freeze(): TreeSnapshot {
    this.shared = true;
    return new TreeSnapshot(this.base, this.files);
  }

  private writable(): Map<string, string | null> {
    if (this.shared) {
      this.files = new Map(this.files);
      this.shared = false;
    }
    return this.files;
  }
}

function mergeChanges(
  below: ReadonlyMap<string, string | null>,
  above: ReadonlyMap<string, string | null>,
): ReadonlyMap<string, string | null> {
  if (below.size === 0) return above;
  const merged = new Map(below);
  for (const [k, v] of above) merged.set(k, v);
  return merged;
}
