/**
 * Where a pull request can carry an inline comment: GitHub accepts a
 * `side: RIGHT` comment only on a line its diff of the pull request shows
 * (an added or a context line of a hunk of base...head), as listed by
 * `pulls.listFiles` in each file's `patch`.
 */
import { call, type GithubContext } from './client.js';

/** Per file: new-side line number -> the line's text, for every line the diff shows on the right. */
export type DiffLines = Map<string, Map<number, string>>;

export function rightSide(patch: string): Map<number, string> {
  const out = new Map<number, string>();
  let line = 0;
  for (const l of patch.split('\n')) {
    const h = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(l);
    if (h) {
      line = Number(h[1]);
      continue;
    }
    if (line === 0) continue;
    if (l.startsWith('+') || l.startsWith(' ')) out.set(line++, l.slice(1));
  }
  return out;
}

export async function pullDiffLines(gh: GithubContext): Promise<DiffLines> {
  const { owner, repo, number } = gh.ref;
  const files = await call(gh, 'listing its changed files', () =>
    gh.octokit.paginate(gh.octokit.rest.pulls.listFiles, { owner, repo, pull_number: number, per_page: 100 }),
  );
  const out: DiffLines = new Map();
  // Files whose diff GitHub does not show (too large, binary) have no `patch`: no inline comment there.
  for (const f of files) if (f.status !== 'removed' && typeof f.patch === 'string') out.set(f.filename, rightSide(f.patch));
  return out;
}

/**
 * The line of the diff to comment on for `file:line` of the analysed tree:
 * that line when the diff shows it with the same text; otherwise the
 * nearest diff line with the same text (the local --tree may be offset from
 * the pull request's base); null when the diff does not show it.
 */
export function diffLineFor(lines: DiffLines, file: string, line: number, text: string | null): number | null {
  const shown = lines.get(file);
  if (!shown) return null;
  const there = shown.get(line);
  if (there !== undefined && (text === null || there === text)) return line;
  if (text === null || text.trim() === '') return null;
  let best: number | null = null;
  for (const [n, t] of shown) if (t === text && (best === null || Math.abs(n - line) < Math.abs(best - line))) best = n;
  return best;
}
