/**
 * The shapes of a parsed unified diff and of the result of applying it.
 */
import { z } from 'zod';

export const HunkLine = z.object({
  kind: z.enum([' ', '-', '+']),
  /** The line without its leading marker and without the newline. */
  text: z.string(),
  /** Followed by `\ No newline at end of file`. */
  noNewline: z.boolean(),
});
export type HunkLine = z.infer<typeof HunkLine>;

export const Hunk = z.object({
  oldStart: z.number().int().nonnegative(),
  oldLines: z.number().int().nonnegative(),
  newStart: z.number().int().nonnegative(),
  newLines: z.number().int().nonnegative(),
  /** The function context after the second `@@`, e.g. `static void f(void)`. */
  section: z.string(),
  /** The `@@ ... @@` line as written. */
  header: z.string(),
  lines: z.array(HunkLine),
});
export type Hunk = z.infer<typeof Hunk>;

export const FileStatus = z.enum(['modified', 'added', 'deleted', 'renamed', 'copied']);
export type FileStatus = z.infer<typeof FileStatus>;

export const FileDiff = z.object({
  /** Path before, relative to the tree, `a/` stripped; null for an added file. */
  oldPath: z.string().nullable(),
  /** Path after, relative to the tree, `b/` stripped; null for a deleted file. */
  newPath: z.string().nullable(),
  status: FileStatus,
  oldMode: z.string().nullable(),
  newMode: z.string().nullable(),
  /** Blob ids from the `index` line, abbreviated as written. */
  oldBlob: z.string().nullable(),
  newBlob: z.string().nullable(),
  similarity: z.number().int().min(0).max(100).nullable(),
  hunks: z.array(Hunk),
});
export type FileDiff = z.infer<typeof FileDiff>;

/** One patch ready to apply: where it came from, and its file diffs. */
export const PatchSource = z.object({
  /** 1-based position in the series; 1 with total 1 for a lone patch. */
  index: z.number().int().positive(),
  total: z.number().int().positive(),
  subject: z.string(),
  messageId: z.string().nullable(),
  /** The file it was read from, for error messages. */
  source: z.string(),
  files: z.array(FileDiff),
});
export type PatchSource = z.infer<typeof PatchSource>;

export const HunkStatus = z.enum(['applied', 'offset', 'fuzz', 'failed']);
export type HunkStatus = z.infer<typeof HunkStatus>;

export const HunkResult = z.object({
  file: z.string(),
  /** 1-based position of the hunk within its file diff. */
  hunk: z.number().int().positive(),
  header: z.string(),
  status: HunkStatus,
  /** Lines between where the header said and where it applied (new-file numbering). */
  offset: z.number().int(),
  /** Context lines ignored at the hunk's edges (0..2). */
  fuzz: z.number().int().min(0),
  /** Why it failed, or null. */
  reason: z.string().nullable(),
});
export type HunkResult = z.infer<typeof HunkResult>;

export const PatchResult = z.object({
  index: z.number().int().positive(),
  total: z.number().int().positive(),
  subject: z.string(),
  applied: z.boolean(),
  hunks: z.array(HunkResult),
  /** File-level failures: missing file, file already exists, unsafe path... */
  errors: z.array(z.string()),
  /** Paths (relative to the tree) this patch created, changed or deleted. */
  touched: z.array(z.string()),
});
export type PatchResult = z.infer<typeof PatchResult>;
