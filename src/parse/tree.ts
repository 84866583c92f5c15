/**
 * Read-only views of a C tree. `DiskTree` reads the user's tree and never
 * writes to it; `Overlay` layers patched file contents over any view, and a
 * frozen overlay is the snapshot of the tree after one patch of a series.
 */
export interface TreeView {
  /** Absolute path of the tree on disk (the base of every overlay). */
  readonly root: string;
  /** File text, or null when the file does not exist in this view. */
  read(rel: string): string | null;
  exists(rel: string): boolean;
  /**
   * Paths (relative, `/`-separated) that differ from the disk tree in this
   * view, with their new text or null for deleted.
   */
  changes(): ReadonlyMap<string, string | null>;
}
