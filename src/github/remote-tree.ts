/**
 * A TreeView over files fetched from GitHub before the analysis starts (the
 * pull request's base, for the files its commits touch). There is no tree
 * on disk behind it: every file it holds is reported by changes(), so the
 * index and the searches, which read the disk for unchanged files, read
 * these from memory, and anything else reads as absent.
 */
import { assertSafeRelPath } from '../parse/paths.js';
import type { TreeView } from '../parse/tree.js';

export class RemoteTree implements TreeView {
  private readonly files: ReadonlyMap<string, string>;

  /** `root` names the source (`github:owner/repo@sha`); it is not a directory. */
  constructor(
    readonly root: string,
    files: ReadonlyMap<string, string>,
  ) {
    for (const p of files.keys()) assertSafeRelPath(p, `${root}: file`);
    this.files = new Map(files);
  }

  read(rel: string): string | null {
    return this.files.get(rel) ?? null;
  }

  exists(rel: string): boolean {
    return this.files.has(rel);
  }

  changes(): ReadonlyMap<string, string | null> {
    return this.files;
  }

  /** The paths held, sorted. */
  paths(): string[] {
    return [...this.files.keys()].sort();
  }
}
