/**
 * Differential test against GNU patch: generated files, diffs made by GNU
 * diff, then the file shifted and edited before applying. Where GNU patch
 * applies a diff, kreview must apply it too, with the same output text and
 * the same per-hunk offset and fuzz; where GNU refuses, kreview must too.
 * Skipped when `patch` or `diff` is not installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyFileDiff } from '../../src/parse/apply.js';
import { parseDiff } from '../../src/parse/diff.js';

const has = (cmd: string) => spawnSync(cmd, ['--version'], { encoding: 'utf8' }).status === 0;
const haveTools = has('patch') && has('diff');

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Few distinct lines, so the same context occurs in several places and the
// search order (nearest first, forward before backward) matters.
const VOCAB = ['{', '}', '\treturn 0;', '', '\tmutex_lock(&g->mutex);', '\tmutex_unlock(&g->mutex);', '\tfoo();', 'int x;'];

interface Case {
  a: string[];
  b: string[];
  shifted: string[];
  context: number;
  noNewline: boolean;
}

function makeCase(r: () => number, id: number): Case {
  const pick = () => (r() < 0.5 ? VOCAB[Math.floor(r() * VOCAB.length)]! : `line ${id}.${Math.floor(r() * 40)}`);
  const n = 8 + Math.floor(r() * 50);
  const a = Array.from({ length: n }, pick);
  const b = [...a];
  const edits = 1 + Math.floor(r() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(r() * (b.length + 1));
    const kind = r();
    if (kind < 0.35) b.splice(at, 0, `added ${id}.${e}`);
    else if (kind < 0.7 && at < b.length) b.splice(at, 1);
    else if (at < b.length) b[at] = `changed ${id}.${e}`;
  }
  const shifted = [...a];
  const inserts = Math.floor(r() * 6);
  for (let k = 0; k < inserts; k++) shifted.splice(Math.floor(r() * (shifted.length + 1)), 0, pick());
  if (r() < 0.4) shifted[Math.floor(r() * shifted.length)] = `edited ${id}`;
  if (r() < 0.2 && shifted.length > 2) shifted.splice(Math.floor(r() * shifted.length), 1);
  return { a, b, shifted, context: 1 + Math.floor(r() * 3), noNewline: r() < 0.15 };
}

const join_ = (ls: string[], noNl: boolean) => ls.join('\n') + (noNl || ls.length === 0 ? '' : '\n');

interface GnuHunk {
  n: number;
  ok: boolean;
  fuzz: number;
  offset: number;
}

function gnuHunks(log: string, hunkCount: number): GnuHunk[] {
  const out: GnuHunk[] = Array.from({ length: hunkCount }, (_, i) => ({ n: i + 1, ok: true, fuzz: 0, offset: 0 }));
  for (const line of log.split('\n')) {
    const m = line.match(/^Hunk #(\d+) (succeeded|FAILED) at \d+(?: with fuzz (\d+))?(?: \(offset (-?\d+) lines?\))?/);
    if (!m) continue;
    const h = out[Number(m[1]) - 1]!;
    h.ok = m[2] === 'succeeded';
    h.fuzz = m[3] ? Number(m[3]) : 0;
    h.offset = m[4] ? Number(m[4]) : 0;
  }
  return out;
}

describe.skipIf(!haveTools)('the applier agrees with GNU patch', () => {
  const dir = haveTools ? mkdtempSync(join(tmpdir(), 'kreview-gnu-')) : '';
  afterAll(() => {
    if (dir && !process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  });

  it('on 300 generated diffs applied to shifted and edited files', () => {
    // KREVIEW_GNU_SEED / KREVIEW_GNU_CASES widen the search when hunting a disagreement.
    const r = rng(Number(process.env.KREVIEW_GNU_SEED ?? 20260424));
    const cases = Array.from({ length: Number(process.env.KREVIEW_GNU_CASES ?? 300) }, (_, i) => makeCase(r, i));
    cases.forEach((c, i) => {
      writeFileSync(join(dir, `a${i}`), join_(c.a, c.noNewline));
      writeFileSync(join(dir, `b${i}`), join_(c.b, c.noNewline && r() < 0.5));
      writeFileSync(join(dir, `s${i}`), join_(c.shifted, c.noNewline));
    });
    // One shell for all cases keeps this test fast.
    const script = cases
      .map(
        (c, i) =>
          `diff -U${c.context} --label a/f --label b/f a${i} b${i} > p${i}; ` +
          `patch --batch --forward --fuzz=2 --reject-file=- --no-backup-if-mismatch -o o${i} s${i} < p${i} > l${i} 2>&1; echo $? > r${i}`,
      )
      .join('\n');
    writeFileSync(join(dir, 'run.sh'), script + '\n');
    const run = spawnSync('sh', ['run.sh'], { cwd: dir, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    expect(run.status).toBe(0);

    let compared = 0;
    let gnuApplied = 0;
    let withOffset = 0;
    let withFuzz = 0;
    const disagreements: string[] = [];
    cases.forEach((c, i) => {
      const diffText = readFileSync(join(dir, `p${i}`), 'utf8');
      if (diffText === '') return;
      const [fd] = parseDiff(diffText, `p${i}`);
      // On the file it was made from, the diff gives exactly the other file.
      const exact = applyFileDiff(readFileSync(join(dir, `a${i}`), 'utf8'), fd!);
      if (exact.text !== readFileSync(join(dir, `b${i}`), 'utf8') || exact.hunks.some((h) => h.status !== 'applied')) {
        disagreements.push(`case ${i}: does not reproduce b from a`);
      }
      const ours = applyFileDiff(readFileSync(join(dir, `s${i}`), 'utf8'), fd!);
      const gnuOk = readFileSync(join(dir, `r${i}`), 'utf8').trim() === '0';
      const log = readFileSync(join(dir, `l${i}`), 'utf8');
      const oursOk = ours.error === null && ours.hunks.every((h) => h.status !== 'failed');
      // GNU's guess that hunk 1 is reversed is a heuristic kreview does not copy.
      if (/Reversed \(or previously applied\) patch detected/.test(log)) return;
      compared++;
      if (gnuOk !== oursOk) {
        disagreements.push(`case ${i}: GNU ${gnuOk ? 'applies' : 'fails'}, kreview ${oursOk ? 'applies' : 'fails'}\n${log}`);
        return;
      }
      const gh = gnuHunks(log, fd!.hunks.length);
      ours.hunks.forEach((h, k) => {
        const g = gh[k]!;
        if ((h.status !== 'failed') !== g.ok) disagreements.push(`case ${i} hunk ${k + 1}: status ${h.status} vs GNU ${g.ok}`);
        if (gnuOk && (h.fuzz !== g.fuzz || h.offset !== g.offset)) {
          disagreements.push(`case ${i} hunk ${k + 1}: fuzz ${h.fuzz} offset ${h.offset} vs GNU fuzz ${g.fuzz} offset ${g.offset}`);
        }
      });
      if (!gnuOk) return;
      gnuApplied++;
      if (ours.hunks.some((h) => h.offset !== 0)) withOffset++;
      if (ours.hunks.some((h) => h.fuzz !== 0)) withFuzz++;
      const gnuText = readFileSync(join(dir, `o${i}`), 'utf8');
      if (gnuText !== ours.text) disagreements.push(`case ${i}: output differs`);
    });
    expect(disagreements).toEqual([]);
    // The generator must exercise every path, or the comparison proves little.
    expect(compared).toBeGreaterThan(250);
    expect(gnuApplied).toBeGreaterThan(100);
    expect(withOffset).toBeGreaterThan(30);
    expect(withFuzz).toBeGreaterThan(10);
    expect(compared - gnuApplied).toBeGreaterThan(10);
  });
});
