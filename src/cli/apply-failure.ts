import type { PatchResult } from '../parse/diff-schema.js';

/** The one-line description of the first thing that kept a patch from applying. */
export function describeFailure(r: PatchResult): string {
  const head = `patch ${r.index}/${r.total} "${r.subject}"`;
  const hunk = r.hunks.find((h) => h.status === 'failed');
  if (hunk) return `${head}: ${hunk.file}: hunk ${hunk.hunk} (${hunk.header}) does not apply: ${hunk.reason ?? 'context does not match'}`;
  if (r.errors.length) return `${head}: ${r.errors[0]}`;
  return `${head}: does not apply`;
}
