/**
 * Following a line of a file back through the snapshots of a series: where
 * a line of the tree after patch N stood after patch N-1, and which patch
 * added it. A finding's line is given in the tree after the last patch, but
 * a reply quotes the patch that wrote the line, so the reply needs both.
 *
 * The mapping comes from a line diff of consecutive snapshots (Myers), not
 * from hunk headers: offsets and fuzz do not matter, and a line that only
 * moved still counts as added by the patch that moved it.
 */
import type { TreeView } from '../parse/tree.js';

/** For each line of `b` (0-based), its 0-based line in `a`, or -1 when `b` added it. */
export function mapLines(a: string[], b: string[]): Int32Array {
  const out = new Int32Array(b.length).fill(-1);
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) {
    out[pre] = pre;
    pre++;
  }
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) {
    out[b.length - 1 - suf] = a.length - 1 - suf;
    suf++;
  }
  const A = a.slice(pre, a.length - suf);
  const B = b.slice(pre, b.length - suf);
  for (const [i, j] of commonPairs(A, B)) out[pre + j] = pre + i;
  return out;
}

/** The matched (i, j) pairs of a shortest edit script from A to B (Myers' greedy algorithm). */
function commonPairs(A: string[], B: string[]): Array<[number, number]> {
  const n = A.length;
  const m = B.length;
  if (n === 0 || m === 0) return [];
  const max = n + m;
  const off = max;
  let v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  let done = false;
  for (let d = 0; d <= max && !done; d++) {
    trace.push(v.slice());
    const nv = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!)) x = v[off + k + 1]!;
      else x = v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && A[x] === B[y]) {
        x++;
        y++;
      }
      nv[off + k] = x;
      if (x >= n && y >= m) {
        done = true;
        break;
      }
    }
    v = nv;
  }
  trace.push(v);
  // Walk back from (n, m) to collect the diagonal moves.
  const pairs: Array<[number, number]> = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 2; d >= 0 && (x > 0 || y > 0); d--) {
    const vd = trace[d]!;
    const k = x - y;
    let prevK: number;
    if (k === -d || (k !== d && vd[off + k - 1]! < vd[off + k + 1]!)) prevK = k + 1;
    else prevK = k - 1;
    const prevX = d === 0 ? 0 : vd[off + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      pairs.push([x, y]);
    }
    if (d === 0) break;
    x = prevX;
    y = prevY;
  }
  return pairs.reverse();
}

/** The views of a series: `views[0]` the base, `views[k]` the tree after patch k. */
export class SeriesLines {
  private readonly maps = new Map<string, Int32Array>();

  constructor(private readonly views: readonly TreeView[]) {}

  get last(): number {
    return this.views.length - 1;
  }

  lines(file: string, k: number): string[] {
    return (this.views[k]?.read(file) ?? '').split('\n');
  }

  private map(file: string, k: number): Int32Array {
    const key = `${k}\0${file}`;
    let m = this.maps.get(key);
    if (!m) {
      m = mapLines(this.lines(file, k - 1), this.lines(file, k));
      this.maps.set(key, m);
    }
    return m;
  }

  /**
   * Where 1-based `line` of snapshot `from` stood in snapshot `to` (to <= from),
   * or `{ addedBy }` when a patch in (to, from] added it.
   */
  back(file: string, line: number, from: number, to: number): { line: number } | { addedBy: number } {
    let l = line - 1;
    for (let k = from; k > to; k--) {
      const m = this.map(file, k);
      const prev = l >= 0 && l < m.length ? m[l]! : -1;
      if (prev < 0) return { addedBy: k };
      l = prev;
    }
    return { line: l + 1 };
  }

  /** The patch (1..from) that added 1-based `line` of snapshot `from`, or 0 when it is older than the series. */
  addedBy(file: string, line: number, from: number): number {
    const r = this.back(file, line, from, 0);
    return 'addedBy' in r ? r.addedBy : 0;
  }
}
