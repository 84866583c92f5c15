/**
 * Comparing a drafted reply with a human reviewer's: comments are matched by
 * where they sit, the quoted lines above them. Two comments match when they
 * are on the same file and sit under the same last quoted line (white space
 * ignored, since mailers re-indent quotes), or, failing that, when the
 * lines they quote overlap. Where several comments sit at one spot, the
 * words they share decide which goes with which.
 */
import type { ReviewComment } from '../mail/schema.js';

export interface MatchedComment {
  kreview: ReviewComment;
  human: ReviewComment;
  /** `anchor`: same last quoted line; `overlap`: some quoted lines in common. */
  how: 'anchor' | 'overlap';
}

export interface Comparison {
  matched: MatchedComment[];
  onlyKreview: ReviewComment[];
  onlyHuman: ReviewComment[];
}

const norm = (l: string) => l.replace(/\s+/g, '');
/** Lines too common to place a comment by: blank, braces, a lone `+`, the end of a comment. */
const meaningful = (l: string) => norm(l).replace(/^[+\- ]/, '').replace(/^[{}();*/]+$/, '').length >= 3;

function anchorOf(c: ReviewComment): string | null {
  for (let i = c.quoted.length - 1; i >= 0; i--) if (norm(c.quoted[i]!) !== '' && norm(c.quoted[i]!).replace(/^[+\- ]/, '') !== '') return norm(c.quoted[i]!);
  return null;
}

const sameFile = (a: string | null, b: string | null) => a === null || b === null || a === b;

const STOP = new Set(['the', 'this', 'that', 'and', 'but', 'are', 'was', 'with', 'for', 'not', 'does', 'doesn', 'then', 'than', 'there', 'when', 'will', 'would', 'which', 'here', 'also', 'can', 'its', 'into', 'from', 'have', 'has', 'nit']);

function words(t: string): Set<string> {
  return new Set(
    (t.toLowerCase().match(/[a-z_][a-z0-9_>-]{2,}/g) ?? []).filter((w) => !STOP.has(w)),
  );
}

function similarity(a: string, b: string): number {
  const x = words(a);
  const y = words(b);
  if (x.size === 0 || y.size === 0) return 0;
  let common = 0;
  for (const w of x) if (y.has(w)) common++;
  return common / (x.size + y.size - common);
}

function placeScore(k: ReviewComment, h: ReviewComment): { score: number; how: 'anchor' | 'overlap' } | null {
  if (!sameFile(k.file, h.file)) return null;
  const ak = anchorOf(k);
  if (ak !== null && ak === anchorOf(h)) return { score: 2, how: 'anchor' };
  const hs = new Set(h.quoted.filter(meaningful).map(norm));
  const common = k.quoted.filter(meaningful).map(norm).filter((l) => hs.has(l)).length;
  return common > 0 ? { score: 1, how: 'overlap' } : null;
}

export function compareComments(kreview: ReviewComment[], human: ReviewComment[]): Comparison {
  const pairs: Array<{ i: number; j: number; score: number; how: 'anchor' | 'overlap' }> = [];
  const placed = kreview.map((k) => human.map((h) => placeScore(k, h)));
  kreview.forEach((k, i) =>
    human.forEach((h, j) => {
      const p = placed[i]![j];
      if (!p) return;
      const sim = similarity(k.text, h.text);
      // Where several comments share a spot, place alone cannot pair them: they must share some words.
      const crowded = placed[i]!.filter(Boolean).length > 1 || placed.filter((row) => row[j]).length > 1;
      if (crowded && sim === 0) return;
      pairs.push({ i, j, how: p.how, score: p.score + sim });
    }),
  );
  pairs.sort((p, q) => q.score - p.score || p.i - q.i || p.j - q.j);
  const usedK = new Set<number>();
  const usedH = new Set<number>();
  const matched: Array<MatchedComment & { j: number }> = [];
  for (const p of pairs) {
    if (usedK.has(p.i) || usedH.has(p.j)) continue;
    usedK.add(p.i);
    usedH.add(p.j);
    matched.push({ kreview: kreview[p.i]!, human: human[p.j]!, how: p.how, j: p.j });
  }
  matched.sort((p, q) => p.j - q.j);
  return {
    matched: matched.map(({ j: _j, ...m }) => m),
    onlyKreview: kreview.filter((_, i) => !usedK.has(i)),
    onlyHuman: human.filter((_, j) => !usedH.has(j)),
  };
}

function anchorText(c: ReviewComment): string {
  const last = [...c.quoted].reverse().find((l) => l.trim() !== '');
  return `${c.file ?? '(no file)'}: > ${last ?? '(nothing quoted)'}`;
}

const firstLine = (t: string) => {
  const l = t.split('\n')[0]!;
  return l.length > 70 ? l.slice(0, 67) + '...' : l;
};

export function formatComparison(c: Comparison): string {
  const out: string[] = [];
  out.push(`matched: ${c.matched.length}`);
  for (const m of c.matched) {
    out.push(`  ${anchorText(m.human)}${m.how === 'overlap' ? ' (overlapping quote)' : ''}`);
    out.push(`    human:   ${firstLine(m.human.text)}`);
    out.push(`    kreview: ${firstLine(m.kreview.text)}`);
  }
  out.push(`only in the kreview reply: ${c.onlyKreview.length}`);
  for (const k of c.onlyKreview) out.push(`  ${anchorText(k)}`, `    ${firstLine(k.text)}`);
  out.push(`only in the human reply: ${c.onlyHuman.length}`);
  for (const h of c.onlyHuman) out.push(`  ${anchorText(h)}`, `    ${firstLine(h.text)}`);
  return out.join('\n') + '\n';
}
