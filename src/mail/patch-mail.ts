/**
 * Splitting a patch mail's body into commit message and diff.
 *
 * git format-patch writes: commit message, a `---` line, the diffstat, the
 * diff (`diff --git ...`), then the signature (`-- ` and the git version).
 * A bare diff has only the diff. The diff is read hunk by hunk with the line
 * counts of each `@@` header, so a removed line that reads `-- ` is still
 * diff and only a `-- ` after a complete hunk ends it.
 */

export interface PatchParts {
  /** Everything above the `---` separator (or above the diff when there is none). */
  commitMessage: string;
  /** Between the `---` line and the diff (the diffstat), as written. */
  notes: string;
  /** The diff, from its first file header to the end of its last hunk; '' when there is none. */
  diff: string;
}

const FILE_START = /^(diff |Index: |--- )/;
const HUNK = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/;

/** Index of the line where the diff starts, or -1. `--- ` counts only when a `+++ ` line follows. */
function diffStart(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (/^diff (--git |-[a-zA-Z]|\S+ \S+)/.test(l) || /^Index: \S/.test(l)) return i;
    if (l.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ') && HUNK.test(lines[i + 2] ?? '')) return i;
  }
  return -1;
}

/** Whether a body holds a diff at all (a patch, as opposed to a discussion mail). */
export function hasDiff(body: string): boolean {
  return diffStart(body.split('\n')) >= 0;
}

/** Index just past the end of the diff that starts at `start`. */
function diffEnd(lines: string[], start: number): number {
  let i = start;
  let lastGood = start;
  while (i < lines.length) {
    const l = lines[i];
    const h = HUNK.exec(l);
    if (h) {
      let oldLeft = h[1] === undefined ? 1 : Number(h[1]);
      let newLeft = h[2] === undefined ? 1 : Number(h[2]);
      i++;
      while (i < lines.length && (oldLeft > 0 || newLeft > 0)) {
        const c = lines[i][0];
        if (c === ' ' || lines[i] === '') {
          oldLeft--;
          newLeft--;
        } else if (c === '-') oldLeft--;
        else if (c === '+') newLeft--;
        else if (c !== '\\') break; // a short hunk: let the diff parser say so
        i++;
      }
      while (i < lines.length && lines[i].startsWith('\\')) i++;
      lastGood = i;
      continue;
    }
    if (l === '-- ' || l === '--') break;
    if (FILE_START.test(l) || /^(index |old mode |new mode |deleted file |new file |similarity |dissimilarity |rename |copy |\+\+\+ |Binary files |GIT binary patch)/.test(l)) {
      i++;
      lastGood = i;
      continue;
    }
    if (lastGood === i && i > start && /^(literal |delta )\d+/.test(l)) {
      // git binary patch data: keep up to the blank line that ends it.
      while (i < lines.length && lines[i] !== '') i++;
      lastGood = i;
      continue;
    }
    if (/^={3,}$/.test(l) || /^(RCS file|retrieving revision)/.test(l)) {
      i++;
      lastGood = i;
      continue;
    }
    break;
  }
  return lastGood;
}

export function splitPatchBody(body: string): PatchParts {
  const lines = body.replace(/\r\n/g, '\n').split('\n');
  const start = diffStart(lines);
  if (start < 0) {
    const sep = lines.indexOf('---');
    return sep < 0
      ? { commitMessage: body, notes: '', diff: '' }
      : { commitMessage: joinLines(lines.slice(0, sep)), notes: joinLines(lines.slice(sep + 1)), diff: '' };
  }
  let sep = -1;
  for (let i = start - 1; i >= 0; i--) {
    if (lines[i] === '---') {
      sep = i;
      break;
    }
  }
  // A `---` far above the diff with prose in between is still the separator: git am cuts there too.
  const commitEnd = sep < 0 ? start : sep;
  const end = diffEnd(lines, start);
  return {
    commitMessage: joinLines(lines.slice(0, commitEnd)),
    notes: sep < 0 ? '' : joinLines(lines.slice(sep + 1, start)),
    // Not joinLines: a hunk may end with an empty context line whose space a mailer ate.
    diff: end > start ? `${lines.slice(start, end).join('\n')}\n` : '',
  };
}

function joinLines(lines: string[]): string {
  // Trailing newlines cut by hand: replace(/\n+$/) is quadratic on a long run of blank lines inside.
  const all = lines.join('\n');
  let end = all.length;
  while (end > 0 && all.charCodeAt(end - 1) === 10) end--;
  const text = all.slice(0, end);
  return text === '' ? '' : `${text}\n`;
}
