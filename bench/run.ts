/**
 * `npm run bench`: generates a synthetic kernel-like tree and measures, in
 * one run so the ratios hold on a noisy machine, raw tree-sitter parse
 * throughput (the floor), `kreview check` single-threaded and with one job
 * per core, the model's share of check's time, `kreview lint` of one patch
 * cold and warm, `kreview scan` of a 10-patch series, and the peak RSS of
 * each. With KREVIEW_KERNEL_TREE set it measures part of the real tree too.
 * Prints a Markdown table and writes it to bench/results.md.
 *
 *   node dist/bench/run.js [--files N] [--seed S] [--timeout SECONDS] [--jobs N]
 *                          [--out FILE] [--no-write] [--keep] [--dir DIR]
 *
 * Every child run is bounded by the timeout; a failed run becomes
 * "failed (reason)" in the table, never a crash of the harness.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { generateTree, type GeneratedTree, type PlantedBug } from './generate.js';
import { generateSeries } from './series.js';
import { failureReason, runChild, type ChildResult } from './child.js';
import { describeSlowest, readTimings, type KreviewTimings } from './timings.js';
import type { RawParseResult } from './raw-parse.js';

export interface BenchOptions {
  files: number;
  seed: number;
  timeoutMs: number;
  jobs: number;
  /** Where to generate; a fresh temporary directory when unset. */
  dir?: string;
  keep: boolean;
  kernelTree?: string;
  /** Directories of the real tree for rows K1-K3 (default drivers/iommu: a row that ends within the timeout). */
  kernelDirs?: string[];
  log: (line: string) => void;
}

export interface Row {
  id: string;
  what: string;
  input: string;
  /** Seconds, or the failure text. */
  time: number | string | null;
  mbps: number | null;
  /** This run's time over the raw parse time of the same files. */
  ratio: number | null;
  rssKb: number | null;
  notes: string;
}

export interface BenchResult {
  header: string[];
  rows: Row[];
  markdown: string;
}

/** The repository root: the nearest parent with kreview's package.json. */
export function repoRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, 'utf8')).name === 'kreview') return dir;
      } catch {
        // Not ours; keep going up.
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('bench: cannot find the kreview repository root');
    dir = up;
  }
}

const MB = 1e6;

/** Finding as far as the benchmark needs it from `--format json`. */
interface JsonFinding {
  rule?: string;
  file?: string;
  function?: string;
  line?: number;
}

function findingsOf(r: ChildResult): JsonFinding[] | null {
  try {
    const doc = JSON.parse(r.stdout) as { findings?: JsonFinding[] };
    return Array.isArray(doc.findings) ? doc.findings : null;
  } catch {
    return null;
  }
}

function plantedFound(bugs: PlantedBug[], found: JsonFinding[]): number {
  return bugs.filter((b) => found.some((f) => f.rule === b.rule && f.file === b.file && f.function === b.function)).length;
}

function listCFilesUnder(root: string, dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    let entries: string[];
    try {
      entries = readdirSync(join(root, rel)).sort();
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e}` : e;
      const st = lstatSync(join(root, r));
      if (st.isSymbolicLink()) continue;
      if (st.isDirectory()) walk(r);
      else if (st.isFile() && /\.[ch]$/.test(e)) out.push(r);
    }
  };
  for (const d of dirs) walk(d);
  return out;
}

/**
 * A kreview run succeeded when it exited 0 (no finding) or 1 (findings) AND
 * printed a JSON report: node also exits 1 on an uncaught error.
 */
const ok = (r: ChildResult) => !r.timedOut && !r.spawnError && (r.status === 0 || r.status === 1) && findingsOf(r) !== null;

class Bench {
  readonly rows: Row[] = [];
  private readonly node = process.execPath;
  private readonly kreview: string;
  private readonly rawParseJs: string;
  private readonly scratch: string;
  private n = 0;

  constructor(private readonly opts: BenchOptions, scratch: string) {
    const root = repoRoot();
    this.kreview = join(root, 'bin', 'kreview');
    // Next to this file when compiled; the compiled copy when run from the TypeScript sources.
    const here = dirname(fileURLToPath(import.meta.url));
    this.rawParseJs = existsSync(join(here, 'raw-parse.js')) ? join(here, 'raw-parse.js') : join(root, 'dist', 'bench', 'raw-parse.js');
    this.scratch = scratch;
  }

  /** Records a row and shows it on standard error at once, so a long run shows progress. */
  push(row: Row): void {
    this.rows.push(row);
    const time = typeof row.time === 'number' ? `${row.time.toFixed(2)} s` : row.time ?? '';
    const rss = row.rssKb === null ? '' : `, peak RSS ${Math.round(row.rssKb / 1024)} MB`;
    this.opts.log(`bench: ${row.id} ${row.what}: ${time}${rss}${row.notes ? ` (${row.notes})` : ''}`);
  }

  /** A path for a file of the harness's own, in a directory of its own. */
  file(name: string): string {
    return join(this.fresh('file'), name);
  }

  private fresh(name: string): string {
    const d = join(this.scratch, `${name}-${this.n++}`);
    mkdirSync(d, { recursive: true });
    return d;
  }

  private fail(r: ChildResult): string {
    return `failed (${failureReason(r, this.opts.timeoutMs)})`;
  }

  /** (1) raw parse; returns its time for the ratios, or null when it failed. */
  async raw(id: string, root: string, files: string[], label: string): Promise<{ ms: number; bytes: number } | null> {
    this.opts.log(`bench: ${id} raw tree-sitter parse of ${label}`);
    const list = join(this.fresh('list'), 'files.txt');
    writeFileSync(list, files.join('\n') + '\n');
    const r = await runChild(this.node, ['--expose-gc', this.rawParseJs, root, list], { timeoutMs: this.opts.timeoutMs });
    let res: RawParseResult | null = null;
    try {
      res = r.status === 0 ? (JSON.parse(r.stdout) as RawParseResult) : null;
    } catch {
      res = null;
    }
    if (!res) {
      this.push({ id, what: 'raw tree-sitter parse, 1 thread', input: label, time: this.fail(r), mbps: null, ratio: null, rssKb: r.peakRssKb, notes: '' });
      return null;
    }
    this.push({
      id,
      what: 'raw tree-sitter parse, 1 thread',
      input: `${label}, ${(res.bytes / MB).toFixed(1)} MB`,
      time: res.ms / 1000,
      mbps: res.bytes / MB / (res.ms / 1000),
      ratio: 1,
      rssKb: r.peakRssKb,
      notes: 'parse only (files read first); the floor',
    });
    return { ms: res.ms, bytes: res.bytes };
  }

  private async kreviewRun(args: string[], env: Record<string, string> = {}): Promise<{ r: ChildResult; timings: KreviewTimings | null }> {
    const tdir = this.fresh('timings');
    const tfile = join(tdir, 'timings.json');
    const r = await runChild(this.node, [this.kreview, ...args], {
      timeoutMs: this.opts.timeoutMs,
      env: { ...process.env, KREVIEW_CACHE_DIR: this.fresh('cache'), ...env, KREVIEW_TIMINGS: tfile },
    });
    return { r, timings: readTimings(tfile) };
  }

  /** (2) check; every run gets a fresh cache directory, so none is helped by an earlier one. */
  async check(
    id: string,
    root: string,
    paths: string[],
    jobs: number,
    raw: { ms: number; bytes: number } | null,
    label: string,
    bugs: PlantedBug[] | null,
    target: (ratio: number) => string,
  ): Promise<{ r: ChildResult; timings: KreviewTimings | null } | null> {
    this.opts.log(`bench: ${id} kreview check --jobs ${jobs} on ${label}`);
    const run = await this.kreviewRun(['check', ...paths, '--tree', root, '--format', 'json', '--jobs', String(jobs)]);
    const { r } = run;
    const what = `kreview check --jobs ${jobs}`;
    if (!ok(r)) {
      this.push({ id, what, input: label, time: this.fail(r), mbps: null, ratio: null, rssKb: r.peakRssKb, notes: '' });
      return null;
    }
    const found = findingsOf(r);
    const notes: string[] = [];
    if (found) {
      notes.push(`${found.length} findings`);
      if (bugs) notes.push(`planted bugs found ${plantedFound(bugs, found)}/${bugs.length}`);
    } else notes.push('no JSON report on stdout');
    const ratio = raw ? r.wallMs / raw.ms : null;
    if (ratio !== null) notes.push(target(ratio));
    this.push({
      id,
      what,
      input: label,
      time: r.wallMs / 1000,
      mbps: raw ? raw.bytes / MB / (r.wallMs / 1000) : null,
      ratio,
      rssKb: r.peakRssKb,
      notes: notes.join('; '),
    });
    return run;
  }

  /** (3) the model's share of check's time: from KREVIEW_TIMINGS, else estimated from a --no-model run. */
  async modelShare(id: string, root: string, paths: string[], label: string, withModel: { r: ChildResult; timings: KreviewTimings | null } | null): Promise<void> {
    const what = 'model share of check --jobs 1';
    if (!withModel) {
      this.push({ id, what, input: label, time: 'n/a (check failed)', mbps: null, ratio: null, rssKb: null, notes: '' });
      return;
    }
    const t = withModel.timings;
    if (t && t.model !== undefined) {
      const wall = t.wall ?? withModel.r.wallMs;
      const slow = describeSlowest(t);
      const phases = (['parse', 'lower', 'index', 'rules', 'model'] as const)
        .filter((k) => t[k] !== undefined)
        .map((k) => `${k} ${(t[k]! / 1000).toFixed(2)} s`)
        .join(', ');
      this.push({
        id,
        what,
        input: label,
        time: t.model / 1000,
        mbps: null,
        ratio: null,
        rssKb: null,
        notes: `${((100 * t.model) / wall).toFixed(1)}% of ${(wall / 1000).toFixed(2)} s; slowest scenario: ${slow ?? 'not reported'}; phases: ${phases}`,
      });
      return;
    }
    this.opts.log(`bench: ${id} kreview check --jobs 1 --no-model (no KREVIEW_TIMINGS output)`);
    const { r } = await this.kreviewRun(['check', ...paths, '--tree', root, '--format', 'json', '--jobs', '1', '--no-model']);
    if (!ok(r)) {
      this.push({ id, what, input: label, time: this.fail(r), mbps: null, ratio: null, rssKb: r.peakRssKb, notes: 'no KREVIEW_TIMINGS output; the --no-model run failed' });
      return;
    }
    const diff = Math.max(0, withModel.r.wallMs - r.wallMs);
    this.push({
      id,
      what,
      input: label,
      time: diff / 1000,
      mbps: null,
      ratio: null,
      rssKb: r.peakRssKb,
      notes: `~${((100 * diff) / withModel.r.wallMs).toFixed(1)}%, estimated as check minus check --no-model (${(r.wallMs / 1000).toFixed(2)} s; RSS is the --no-model run's); slowest scenario: n/a (no KREVIEW_TIMINGS output)`,
    });
  }

  /** (4) lint of one patch, cold cache then warm (the same cache directory). */
  async lint(id: string, root: string, patch: string, label: string, targets: { cold: number; warm: number } | null): Promise<void> {
    const cache = this.fresh('lint-cache');
    for (const phase of ['cold', 'warm'] as const) {
      this.opts.log(`bench: ${id} kreview lint, ${phase} cache, ${label}`);
      const { r, timings } = await this.kreviewRun(['lint', patch, '--tree', root, '--format', 'json'], { KREVIEW_CACHE_DIR: cache });
      const what = `kreview lint, ${phase} cache`;
      if (!ok(r)) {
        this.push({ id: `${id}${phase === 'cold' ? 'a' : 'b'}`, what, input: label, time: this.fail(r), mbps: null, ratio: null, rssKb: r.peakRssKb, notes: '' });
        continue;
      }
      const found = findingsOf(r);
      const notes = [found ? `${found.length} findings` : 'no JSON report on stdout'];
      if (timings?.cache) notes.push(`cache hits ${timings.cache.hits}, misses ${timings.cache.misses}`);
      if (targets) {
        const limit = targets[phase];
        notes.push(`target < ${limit} s: ${r.wallMs / 1000 < limit ? 'met' : 'missed'}`);
      }
      this.push({ id: `${id}${phase === 'cold' ? 'a' : 'b'}`, what, input: label, time: r.wallMs / 1000, mbps: null, ratio: null, rssKb: r.peakRssKb, notes: notes.join('; ') });
    }
  }

  /** (5) scan of a series; "n/a" when this kreview has no scan command. */
  async scan(id: string, root: string, mbox: string, label: string, introduced: PlantedBug[]): Promise<void> {
    this.opts.log(`bench: ${id} kreview scan of ${label}`);
    const { r } = await this.kreviewRun(['scan', mbox, '--tree', root, '--format', 'json', '--jobs', String(this.opts.jobs)]);
    const what = `kreview scan --jobs ${this.opts.jobs}`;
    if (r.status === 2 && /unknown command/i.test(r.stderr)) {
      this.push({ id, what, input: label, time: 'n/a (scan not available)', mbps: null, ratio: null, rssKb: null, notes: '' });
      return;
    }
    if (!ok(r)) {
      this.push({ id, what, input: label, time: this.fail(r), mbps: null, ratio: null, rssKb: r.peakRssKb, notes: '' });
      return;
    }
    const found = findingsOf(r);
    const notes = found ? [`${found.length} findings`, `planted by the series found ${plantedFound(introduced, found)}/${introduced.length}`] : ['no JSON report on stdout'];
    this.push({ id, what, input: label, time: r.wallMs / 1000, mbps: null, ratio: null, rssKb: r.peakRssKb, notes: notes.join('; ') });
  }
}

const checkTarget1 = (ratio: number) => `target <= 1.5x raw: ${ratio <= 1.5 ? 'met' : 'missed'}`;
const checkTargetN = (ratio: number) => `target < 1x raw: ${ratio < 1 ? 'met' : 'missed'}`;

/** A one-line change to drivers/iommu/iommu.c as a unified diff, made in memory: a comment line added inside a function. */
export function oneLinePatch(root: string, file = 'drivers/iommu/iommu.c'): string {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop(); // the final newline ends the last line, it is not one
  // The first mutex_unlock() of a function body, well inside the file: a typical spot for a small change.
  let at = lines.findIndex((l, i) => i > 200 && /^\tmutex_unlock\(/.test(l));
  if (at < 0) at = Math.min(lines.length - 1, 200);
  const before = Math.max(0, at - 3);
  const ctxBefore = lines.slice(before, at);
  const ctxAfter = lines.slice(at, at + 3);
  const added = '\t/* kreview bench: a one-line change */';
  const oldCount = ctxBefore.length + ctxAfter.length;
  return [
    `diff --git a/${file} b/${file}`,
    `--- a/${file}`,
    `+++ b/${file}`,
    `@@ -${before + 1},${oldCount} +${before + 1},${oldCount + 1} @@`,
    ...ctxBefore.map((l) => ` ${l}`),
    `+${added}`,
    ...ctxAfter.map((l) => ` ${l}`),
    '',
  ].join('\n');
}

function machineLine(): string {
  const cpu = cpus()[0]?.model?.trim() ?? 'unknown CPU';
  return `${availableParallelism()} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, Node ${process.version}, ${type()} ${release()}`;
}

function fmtTime(t: Row['time']): string {
  if (t === null) return '';
  if (typeof t === 'string') return t;
  return `${t.toFixed(2)} s`;
}

export function renderTable(header: string[], rows: Row[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const out = [...header, '', '| # | measurement | input | time | MB/s | x raw parse | peak RSS | notes |', '|---|---|---|---:|---:|---:|---:|---|'];
  for (const r of rows) {
    out.push(
      `| ${r.id} | ${esc(r.what)} | ${esc(r.input)} | ${esc(fmtTime(r.time))} | ${r.mbps === null ? '' : r.mbps.toFixed(1)} | ${r.ratio === null ? '' : `${r.ratio.toFixed(2)}x`} | ${r.rssKb === null ? '' : `${Math.round(r.rssKb / 1024)} MB`} | ${esc(r.notes)} |`,
    );
  }
  return out.join('\n') + '\n';
}

export async function runBench(opts: BenchOptions): Promise<BenchResult> {
  const scratch = mkdtempSync(join(tmpdir(), 'kreview-bench-'));
  const base = opts.dir ? resolve(opts.dir) : scratch;
  const bench = new Bench(opts, join(scratch, 'runs'));
  const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
  const header: string[] = [
    '## kreview benchmark',
    '',
    `Machine: ${machineLine()}.`,
    `Date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}; load average at the start ${load()}.`,
  ];
  try {
    opts.log(`bench: generating ${opts.files} files (seed ${opts.seed}) under ${base}`);
    const t0 = performance.now();
    const treeDir = join(base, 'tree');
    rmSync(treeDir, { recursive: true, force: true });
    const tree: GeneratedTree = generateTree(treeDir, { files: opts.files, seed: opts.seed });
    const series = generateSeries(join(base, 'series'), tree, 10);
    const genS = (performance.now() - t0) / 1000;
    const headers = tree.files.filter((f) => f.endsWith('.h')).length;
    header.push(
      `Synthetic tree: ${tree.files.length - headers} .c files + ${headers} headers, ${(tree.bytes / MB).toFixed(1)} MB, seed ${opts.seed}, ` +
        `${tree.bugs.length} planted bugs (generated with its 10-patch series in ${genS.toFixed(1)} s). MB = 10^6 bytes; times are wall time of the child process, ` +
        `except the raw parse (parse only); "x raw parse" is time over the raw parse time of the same files.`,
    );

    const label = `synthetic, ${tree.files.length} files`;
    const raw = await bench.raw('1', tree.dir, tree.files, label);
    const check1 = await bench.check('2a', tree.dir, [], 1, raw, label, tree.bugs, checkTarget1);
    await bench.check('2b', tree.dir, [], opts.jobs, raw, label, tree.bugs, checkTargetN);
    await bench.modelShare('3', tree.dir, [], label, check1);
    const typical = series.patches[0]!;
    await bench.lint('4', tree.dir, series.single, `1 patch (${typical.files.length} file) vs ${tree.files.length} files`, null);
    await bench.scan('5', tree.dir, join(base, 'series', 'series.mbox'), `10-patch series + cover letter`, series.introduces);

    if (opts.kernelTree) {
      const k = resolve(opts.kernelTree);
      const dirs = opts.kernelDirs?.length ? opts.kernelDirs : ['drivers/iommu'];
      const files = listCFilesUnder(k, dirs);
      const klabel = `kernel ${dirs.join(' + ')}, ${files.length} files`;
      header.push(`Real tree: ${k} (${dirs.join(', ')}: .c and .h files).`);
      const kraw = await bench.raw('K1', k, files, klabel);
      const kcheck1 = await bench.check('K2a', k, dirs, 1, kraw, klabel, null, checkTarget1);
      await bench.check('K2b', k, dirs, opts.jobs, kraw, klabel, null, checkTargetN);
      await bench.modelShare('K3', k, dirs, klabel, kcheck1);
      let patch: string | null = null;
      try {
        patch = bench.file('iommu-one-line.patch');
        writeFileSync(patch, oneLinePatch(k));
      } catch (err) {
        bench.push({ id: 'K4', what: 'kreview lint', input: 'drivers/iommu/iommu.c', time: `failed (cannot make the patch: ${(err as Error).message})`, mbps: null, ratio: null, rssKb: null, notes: '' });
        patch = null;
      }
      if (patch) await bench.lint('K4', k, patch, 'one-line change to drivers/iommu/iommu.c vs the whole tree', { cold: 10, warm: 2 });
    } else {
      header.push('Real tree: not measured (set KREVIEW_KERNEL_TREE).');
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    if (!opts.keep && !opts.dir) rmSync(base, { recursive: true, force: true });
  }
  header[3] += ` Load average at the end ${load()}.`;
  const markdown = renderTable(header, bench.rows);
  return { header, rows: bench.rows, markdown };
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      files: { type: 'string', default: '2000' },
      seed: { type: 'string', default: '1' },
      timeout: { type: 'string', default: '600' },
      jobs: { type: 'string' },
      out: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      dir: { type: 'string' },
      'kernel-dirs': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: npm run bench -- [--files N] [--seed S] [--timeout SECONDS] [--jobs N] [--out FILE] [--no-write] [--keep] [--dir DIR] [--kernel-dirs D1,D2]\n');
    return 0;
  }
  const num = (s: string | undefined, name: string, min: number): number => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected a whole number of at least ${min}`);
    return n;
  };
  const root = repoRoot();
  const result = await runBench({
    files: num(values.files, 'files', 2),
    seed: num(values.seed, 'seed', 0),
    timeoutMs: num(values.timeout, 'timeout', 1) * 1000,
    jobs: values.jobs ? num(values.jobs, 'jobs', 1) : availableParallelism(),
    dir: values.dir,
    keep: values.keep,
    kernelTree: process.env.KREVIEW_KERNEL_TREE || undefined,
    kernelDirs: values['kernel-dirs']?.split(',').map((d) => d.trim()).filter(Boolean),
    log: (l) => process.stderr.write(`${l}\n`),
  });
  process.stdout.write(result.markdown);
  if (!values['no-write']) {
    const out = resolve(values.out ?? join(root, 'bench', 'results.md'));
    writeFileSync(out, result.markdown);
    process.stderr.write(`bench: wrote ${relative(process.cwd(), out) || out}\n`);
  }
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: Error) => {
      process.stderr.write(`bench: error: ${err.message}\n`);
      process.exitCode = 2;
    },
  );
}
