/** Offsets (UTF-16 code units, as tree-sitter reports them for JS strings) to 1-based positions. */
import type { Pos } from '../ir.js';

// The pre-pass and lowering both ask for the same file's line starts: keep the last answer.
let lastText: string | null = null;
let lastStarts: number[] = [];

/** Offsets where each line starts. The array is shared with later callers for the same text: do not modify it. */
export function lineStarts(text: string): number[] {
  if (text === lastText) return lastStarts;
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  lastText = text;
  lastStarts = starts;
  return starts;
}

/** Index of the line holding `offset`. */
function lineOf(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** `endColumn` is exclusive (the column after the last character), as in SARIF. */
export function posOf(starts: number[], start: number, end: number): Pos {
  const a = lineOf(starts, start);
  const b = end === start ? a : lineOf(starts, end);
  return { line: a + 1, column: start - starts[a]! + 1, endLine: b + 1, endColumn: end - starts[b]! + 1 };
}

/** Source text with runs of whitespace (newlines too) collapsed to one space. */
export function collapse(text: string): string {
  // Most texts (names, short expressions) have nothing to collapse: check
  // that without a regular expression. Anything else, including every
  // non-ASCII character (some are whitespace to `\s`), takes the general path.
  let space = true; // a leading space needs trimming
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32) {
      if (space) return text.replace(/\s+/g, ' ').trim();
      space = true;
    } else if (c < 33 || c > 126) return text.replace(/\s+/g, ' ').trim();
    else space = false;
  }
  return space && text.length > 0 ? text.replace(/\s+/g, ' ').trim() : text;
}
