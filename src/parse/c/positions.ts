/** Offsets (UTF-16 code units, as tree-sitter reports them for JS strings) to 1-based positions. */
import type { Pos } from '../ir.js';

export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function locate(starts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}

/** `endColumn` is exclusive (the column after the last character), as in SARIF. */
export function posOf(starts: number[], start: number, end: number): Pos {
  const a = locate(starts, start);
  const b = locate(starts, end);
  return { line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
}

/** Source text with runs of whitespace (newlines too) collapsed to one space. */
export function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
