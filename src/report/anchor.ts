/**
 * Where a finding's comment goes: which patch of the series it is raised on,
 * and under which line of which hunk of that patch.
 *
 * A finding's line is in the tree after the last patch; the reply quotes a
 * patch as its author sent it. So the line is followed back through the
 * snapshots (SeriesLines) to the patch that wrote it. A WARN_ON added by
 * 06/11 that only fires once 07/11 exists is raised on 06/11 (the code the
 * reviewer should question is there), and the comment names 07/11. For the
 * lock rules the patch that completed the bug comes first: a deadlock made
 * by adding a cancel_work_sync() is raised where the cancel is added, even
 * when the call under the lock is older.
 */
import type { FileDiff, Hunk, PatchResult, PatchSource } from '../parse/diff-schema.js';
import type { Finding } from './schema.js';
import type { SeriesLines } from './linemap.js';

export interface Place {
  file: FileDiff;
  fileIdx: number;
  hunkIdx: number;
  /** First and last hunk line (indexes into hunk.lines) of the statement or comment the finding is about. */
  start: number;
  end: number;
  /** Last line of the related code right below (the check a comment describes), quoted after the comment; >= end. */
  tailEnd: number;
}

export interface Anchor {
  finding: Finding;
  /** Series position (1-based) of the patch the comment goes on. */
  raiseOn: number;
  /** Series position of the patch after which the finding first appears (>= raiseOn). */
  appearsIn: number;
  /** Which of the finding's lines the comment sits under: its own, or a related one (index into `related`). */
  related: number | null;
  /** The line's text in the tree after `raiseOn` (for words and for the unquoted fallback). */
  text: string;
  /** Where in the patch; null when the patch does not show that line (the comment then goes after the quote). */
  place: Place | null;
}

interface Candidate {
  file: string;
  line: number;
  related: number | null;
}

const PATCH_FIRST = new Set(['sync-under-lock', 'assert-held-caller', 'double-lock', 'lock-imbalance']);

/** Locates every finding; `views` of `lines` are [base, after patch 1, ...]. */
export function locate(
  findings: Finding[],
  patches: PatchSource[],
  results: PatchResult[],
  lines: SeriesLines,
): Anchor[] {
  return findings.map((f) => locateOne(f, patches, results, lines));
}

function locateOne(f: Finding, patches: PatchSource[], results: PatchResult[], lines: SeriesLines): Anchor {
  const last = lines.last;
  const byIndex = f.patch ? patches.findIndex((p) => p.index === f.patch!.index) + 1 : 0;
  const P = Math.min(byIndex > 0 ? byIndex : last, last);
  const candidates: Candidate[] = [
    { file: f.file, line: f.line, related: null },
    ...f.related.map((r, i) => ({ file: r.file, line: r.line, related: i })),
  ];
  const located = candidates
    .map((c) => {
      const atP = lines.back(c.file, c.line, last, P);
      if (!('line' in atP)) return null;
      return { c, lineP: atP.line, addedBy: lines.addedBy(c.file, atP.line, P) };
    })
    .filter((x): x is NonNullable<typeof x> => x !== null);
  const ordered = PATCH_FIRST.has(f.rule)
    ? [...located.filter((x) => x.addedBy === P), ...located.filter((x) => x.addedBy !== P)]
    : located;
  const chosen = ordered.find((x) => x.addedBy >= 1) ?? located[0];
  if (!chosen) {
    return { finding: f, raiseOn: P, appearsIn: P, related: null, text: '', place: null };
  }
  const raiseOn = chosen.addedBy >= 1 ? chosen.addedBy : P;
  const atR = lines.back(chosen.c.file, chosen.lineP, P, raiseOn);
  const lineR = 'line' in atR ? atR.line : chosen.lineP;
  const text = lines.lines(chosen.c.file, raiseOn)[lineR - 1] ?? '';
  const place = placeInPatch(patches[raiseOn - 1]!, results[raiseOn - 1], chosen.c.file, lineR, text);
  if (place) {
    // Related code a few lines below (the check that a comment describes) is quoted after the comment.
    for (const c of candidates) {
      if (c === chosen.c || c.file !== chosen.c.file) continue;
      const atP = lines.back(c.file, c.line, last, P);
      if (!('line' in atP)) continue;
      const r = lines.back(c.file, atP.line, P, raiseOn);
      if (!('line' in r) || r.line <= lineR || r.line - lineR > 12) continue;
      const t = lines.lines(c.file, raiseOn)[r.line - 1] ?? '';
      const p = placeInPatch(patches[raiseOn - 1]!, results[raiseOn - 1], c.file, r.line, t);
      if (p && p.fileIdx === place.fileIdx && p.hunkIdx === place.hunkIdx && p.start > place.end && p.start - place.end <= 8) {
        place.tailEnd = Math.max(place.tailEnd, p.end);
      }
    }
  }
  return { finding: f, raiseOn, appearsIn: Math.max(P, raiseOn), related: chosen.c.related, text, place };
}

/**
 * The hunk line of `patch` that is line `line` (text `text`) of the file
 * after the patch: the line with that text whose estimated position is
 * nearest, added lines preferred over context.
 */
export function placeInPatch(
  patch: PatchSource,
  result: PatchResult | undefined,
  file: string,
  line: number,
  text: string,
): Place | null {
  let best: { fileIdx: number; hunkIdx: number; idx: number; score: number } | null = null;
  patch.files.forEach((fd, fileIdx) => {
    if (fd.newPath !== file) return;
    const hr = result?.hunks.filter((h) => h.file === file) ?? [];
    fd.hunks.forEach((h, hunkIdx) => {
      let n = h.newStart + (hr[hunkIdx]?.offset ?? 0);
      h.lines.forEach((l, idx) => {
        if (l.kind === '-') return;
        // Offsets come from where each hunk really applied, so only fuzz can move a line: a match far away is another line.
        if (l.text === text && Math.abs(n - line) <= 3) {
          const score = Math.abs(n - line) + (l.kind === '+' ? 0 : 0.5);
          if (!best || score < best.score) best = { fileIdx, hunkIdx, idx, score };
        }
        n++;
      });
    });
  });
  if (!best) return null;
  const b = best as { fileIdx: number; hunkIdx: number; idx: number };
  const fd = patch.files[b.fileIdx]!;
  const hunk = fd.hunks[b.hunkIdx]!;
  const end = statementEnd(hunk, b.idx);
  return { file: fd, fileIdx: b.fileIdx, hunkIdx: b.hunkIdx, start: b.idx, end, tailEnd: end };
}

/**
 * The last hunk line of the comment block or statement that starts at
 * `idx`: a comment runs to its `*​/`, a statement until its parentheses
 * close (a WARN_ON spread over three lines is one statement).
 */
export function statementEnd(hunk: Hunk, idx: number): number {
  const lines = hunk.lines;
  const first = lines[idx]!.text.trim();
  if (first.startsWith('/*') && !first.includes('*/')) {
    for (let i = idx + 1; i < lines.length && i < idx + 40; i++) {
      if (lines[i]!.kind === '-') continue;
      if (lines[i]!.text.includes('*/')) return i;
    }
    return idx;
  }
  let depth = 0;
  let end = idx;
  for (let i = idx; i < lines.length && i < idx + 12; i++) {
    if (lines[i]!.kind === '-') continue;
    const code = lines[i]!.text.replace(/\/\*.*?\*\/|\/\/.*$|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'/g, '');
    for (const ch of code) {
      if (ch === '(') depth++;
      else if (ch === ')') depth--;
    }
    end = i;
    if (depth <= 0) break;
  }
  return end;
}
