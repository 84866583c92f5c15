/** `kreview check`: the rules over a tree as it is, in each output format. */
import { existsSync, mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';
import { batches } from '../../src/cli/check.js';
import { Report } from '../../src/report/schema.js';
import { generateTree } from '../../bench/generate.js';

const tmp = mkdtempSync(join(tmpdir(), 'kreview-check-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(args: string[]) {
  const io = memoryIo();
  const status = await main(['node', 'kreview', ...args], io);
  return { status, out: io.out, err: io.err };
}

const TREE = join(tmp, 'tree');
mkdirSync(join(TREE, 'drivers/foo'), { recursive: true });
mkdirSync(join(TREE, 'drivers/bar'), { recursive: true });
writeFileSync(
  join(TREE, 'drivers/foo/foo.c'),
  `struct mutex { int x; };
struct foo_dev { struct mutex lock; int state; };

static void foo_update(struct foo_dev *fd)
{
	lockdep_assert_held(&fd->lock);
	fd->state++;
}

int foo_open(struct foo_dev *fd)
{
	mutex_lock(&fd->lock);
	mutex_unlock(&fd->lock);
	foo_update(fd);
	return 0;
}

int foo_close(struct foo_dev *fd)
{
	mutex_lock(&fd->lock);
	foo_update(fd);
	mutex_unlock(&fd->lock);
	return 0;
}
`,
);
writeFileSync(join(TREE, 'drivers/bar/bar.c'), 'int bar(void)\n{\n\treturn 0;\n}\n');

describe('kreview check', () => {
  it('finds the call made after the unlock and not the one made under the lock; the model confirms it', async () => {
    const r = await run(['check', '--tree', TREE, '--format', 'json']);
    expect(r.status).toBe(1);
    const doc = Report.parse(JSON.parse(r.out));
    expect(doc.patches).toEqual([]);
    expect(doc.findings).toHaveLength(1);
    expect(doc.findings[0]).toMatchObject({ rule: 'assert-held-caller', file: 'drivers/foo/foo.c', line: 14, function: 'foo_open', lock: 'fd->lock' });
    expect(doc.findings[0]!.confirmation.status).toBe('confirmed');
  });

  it('limits itself to the paths given, relative to the tree', async () => {
    const r = await run(['check', 'drivers/bar', '--tree', TREE, '--format', 'json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.out).findings).toEqual([]);
    const missing = await run(['check', 'drivers/nope', '--tree', TREE]);
    expect([missing.status, missing.err]).toEqual([2, 'kreview: error: drivers/nope: no such file or directory in the tree\n']);
  });

  it('writes compiler-style text and SARIF', async () => {
    const text = await run(['check', '--tree', TREE]);
    expect(text.out.split('\n')[0]).toMatch(/^drivers\/foo\/foo\.c:14:2: error: .* \[assert-held-caller\]$/);
    const sarif = JSON.parse((await run(['check', '--tree', TREE, '--format', 'sarif'])).out);
    expect(sarif.runs[0].results[0].ruleId).toBe('assert-held-caller');
    expect(sarif.runs[0].results[0].codeFlows[0].threadFlows[0].locations.length).toBeGreaterThan(0);
  });

  it('the configuration turns a rule off', async () => {
    const cfg = join(tmp, 'off.json');
    writeFileSync(cfg, JSON.stringify({ rules: { 'assert-held-caller': 'off' } }));
    const r = await run(['check', '--tree', TREE, '--config', cfg, '--format', 'json']);
    expect([r.status, JSON.parse(r.out).findings]).toEqual([0, []]);
    writeFileSync(cfg, '{ "rules": ');
    const bad = await run(['check', '--tree', TREE, '--config', cfg]);
    expect(bad.status).toBe(2);
    expect(bad.err).toMatch(/^kreview: error: .*off\.json: /);
  });

  it('splits a large scope into ordered batches that cover every file once', () => {
    const files = Array.from({ length: 7 }, (_, i) => `f${i}.c`);
    expect(batches(files, 3)).toEqual([['f0.c', 'f1.c', 'f2.c'], ['f3.c', 'f4.c', 'f5.c'], ['f6.c']]);
    expect(batches([], 3)).toEqual([[]]);
  });
});

// Worker threads run compiled code, so these tests drive dist/ throughout
// (the main thread too): a dist/ older than the sources then cannot make the
// two sides differ.
const ROOT = join(import.meta.dirname, '../..');
const DIST = join(ROOT, 'dist/src/cli');
const IOMMU = join(ROOT, 'fixtures/iommu/tree');

type RunCheck = typeof import('../../src/cli/check.js').runCheck;

async function distCheck(): Promise<RunCheck> {
  if (!existsSync(join(DIST, 'check-worker.js'))) throw new Error('dist/ is missing: run npm run build');
  return ((await import(pathToFileURL(join(DIST, 'check.js')).href)) as { runCheck: RunCheck }).runCheck;
}

async function checkWith(tree: string, jobs: number, extra: { model?: boolean; batchFiles?: number; workerFile?: URL; config?: string; progress?: boolean } = {}) {
  const runCheck = await distCheck();
  const io = memoryIo();
  const status = await runCheck(io, [], {
    tree,
    format: 'json',
    failOn: 'warning',
    model: extra.model ?? true,
    jobs,
    batchFiles: extra.batchFiles,
    config: extra.config,
    progress: extra.progress,
    workerFile: extra.workerFile ?? (jobs > 1 ? pathToFileURL(join(DIST, 'check-worker.js')) : undefined),
  });
  return { status, out: io.out, err: io.err };
}

/** The model's summaries carry the milliseconds it took, which no two runs share. */
const untimed = (s: string) => s.replace(/(\d+ states(?:, \d+ paths)?), \d+ ms/g, '$1');

const GEN = join(tmp, 'gen');
generateTree(GEN, { files: 12, seed: 7, meanFileBytes: 4096 });

describe('kreview check --jobs', () => {
  it('on the iommu fixture, two worker threads give the report of one thread', async () => {
    const one = await checkWith(IOMMU, 1, { batchFiles: 1 });
    const two = await checkWith(IOMMU, 2, { batchFiles: 1 });
    expect(one.status).toBe(1);
    expect(Report.parse(JSON.parse(one.out)).findings.length).toBeGreaterThanOrEqual(3);
    expect([two.status, untimed(two.out), two.err]).toEqual([one.status, untimed(one.out), one.err]);
  });

  it('on a generated tree: byte for byte without the model, skipped-file warnings in the same order', async () => {
    // Two of the files are too large for this limit, in different batches.
    const cfg = join(tmp, 'small-files.json');
    writeFileSync(cfg, JSON.stringify({ limits: { maxFileBytes: 9000 } }));
    const one = await checkWith(GEN, 1, { batchFiles: 4, model: false, config: cfg });
    const two = await checkWith(GEN, 2, { batchFiles: 4, model: false, config: cfg });
    const three = await checkWith(GEN, 3, { batchFiles: 4, model: false, config: cfg });
    expect(one.status).toBe(1);
    expect(Report.parse(JSON.parse(one.out)).findings.length).toBeGreaterThan(2);
    expect(one.err.match(/^kreview: warning: skipped .*larger than 9000 bytes/gm)?.length).toBeGreaterThan(1);
    expect([two.status, two.out, two.err]).toEqual([one.status, one.out, one.err]);
    expect([three.status, three.out, three.err]).toEqual([one.status, one.out, one.err]);
  });

  it('on a generated tree with the model: the same findings, ids and confirmations', async () => {
    const one = await checkWith(GEN, 1, { batchFiles: 4 });
    const two = await checkWith(GEN, 2, { batchFiles: 4 });
    const doc = Report.parse(JSON.parse(one.out));
    expect(doc.findings.some((f) => f.confirmation.status === 'confirmed')).toBe(true);
    expect([two.status, untimed(two.out)]).toEqual([one.status, untimed(one.out)]);
  });

  it('a batch whose worker dies is run again in halves; what still fails is skipped with a warning, the rest reported', async () => {
    const { listCFiles } = await import('../../src/parse/index/files.js');
    const { DiskTree } = await import('../../src/parse/disk-tree.js');
    const files = listCFiles(new DiskTree(GEN), ['.']);
    const bad = files[1]!;
    const worker = join(tmp, 'dies-on-one-file.mjs');
    writeFileSync(
      worker,
      `import run from ${JSON.stringify(pathToFileURL(join(DIST, 'check-worker.js')).href)};\n` +
        `export default async function (job) {\n` +
        `  if (job.files.includes(${JSON.stringify(bad)})) throw new Error('JS heap out of memory (simulated)');\n` +
        `  return run(job);\n}\n`,
    );
    const whole = await checkWith(GEN, 2, { batchFiles: 4, model: false });
    const hurt = await checkWith(GEN, 2, { batchFiles: 4, model: false, workerFile: pathToFileURL(worker) });
    // The half holding the bad file (files 0 and 1) is skipped; files 2 and 3 of that batch, and every other batch, are analysed.
    expect(hurt.err).toBe(
      [files[0]!, files[1]!].map((f) => `kreview: warning: skipped ${f}: not analysed: a check worker failed: JS heap out of memory (simulated)\n`).join(''),
    );
    const kept = Report.parse(JSON.parse(whole.out)).findings.filter((f) => f.file !== files[0] && f.file !== files[1]);
    expect(Report.parse(JSON.parse(hurt.out)).findings.map((f) => f.id).sort()).toEqual(kept.map((f) => f.id).sort());
    expect(kept.length).toBeGreaterThan(0);
  });

  it('limits.workerHeapMb is the JS heap of each worker thread', async () => {
    // A worker that tells its heap limit the only way a worker's words reach the report: by failing.
    const teller = join(tmp, 'heap-teller.mjs');
    writeFileSync(teller, "import v8 from 'node:v8';\nexport default function () { throw new Error(`heap ${Math.round(v8.getHeapStatistics().heap_size_limit / 1048576)}`); }\n");
    const cfg = join(tmp, 'heap.json');
    writeFileSync(cfg, JSON.stringify({ limits: { workerHeapMb: 512 } }));
    const heapOf = async (config?: string) => {
      const err = await checkWith(GEN, 2, { batchFiles: 4, workerFile: pathToFileURL(teller), ...(config ? { config } : {}) }).catch((e: Error) => e);
      return Number(/heap (\d+)$/.exec(String((err as Error).message))?.[1]);
    };
    const capped = await heapOf(cfg);
    // The old generation's 512 MiB plus the young generation's semi-spaces.
    expect(capped).toBeGreaterThanOrEqual(512);
    expect(capped).toBeLessThan(700);
    // Unset: check's own default, 1536 MiB.
    const byDefault = await heapOf();
    expect(byDefault).toBeGreaterThanOrEqual(1536);
    expect(byDefault).toBeLessThan(1700);
  });

  it('a worker that throws ends the run with one error, not a stack trace', async () => {
    const bad = join(tmp, 'throwing-worker.mjs');
    writeFileSync(bad, "export default function () { throw new Error('boom in batch'); }\n");
    await expect(checkWith(GEN, 2, { batchFiles: 4, workerFile: pathToFileURL(bad) })).rejects.toThrow(/^a check worker failed: boom in batch$/);
    // A KreviewError raised in a worker keeps its message and exit status.
    const input = join(tmp, 'input-error-worker.mjs');
    writeFileSync(input, "export default () => ({ findings: [], skipped: [], error: { message: 'x.c: bad input', exitCode: 2 }, threadId: 1 });\n");
    await expect(checkWith(GEN, 2, { batchFiles: 4, workerFile: pathToFileURL(input) })).rejects.toMatchObject({ message: 'x.c: bad input', exitCode: 2 });
  });

  it('Ctrl-C stops handing out batches, lets the running ones finish, reports what was done and exits 130', async () => {
    // The run's own SIGINT listener is the only one (vitest's worker has none), so emitting the signal is Ctrl-C.
    expect(process.listenerCount('SIGINT')).toBe(0);
    const cache = join(tmp, 'sigint-cache');
    const saved = process.env.KREVIEW_CACHE_DIR;
    process.env.KREVIEW_CACHE_DIR = cache;
    try {
      const run = checkWith(GEN, 2, { batchFiles: 1, model: false });
      // Once a worker writes a parse result to the cache, the run is under way.
      const started = () => existsSync(cache) && readdirSync(cache, { recursive: true }).some((f) => String(f).endsWith('.gz'));
      for (let i = 0; i < 400 && !started(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(process.emit('SIGINT', 'SIGINT')).toBe(true);
      const r = await run;
      expect(r.status).toBe(130);
      expect(r.err).toMatch(/^kreview: interrupted: finishing the batches in progress/m);
      const [, done, all] = /^kreview: interrupted: (\d+) of (\d+) files analysed/m.exec(r.err)!;
      expect(Number(all)).toBe(14);
      expect(Number(done)).toBeLessThan(14);
      const doc = Report.parse(JSON.parse(r.out));
      expect(doc.version).toBe(1);
      expect(process.listenerCount('SIGINT')).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.KREVIEW_CACHE_DIR;
      else process.env.KREVIEW_CACHE_DIR = saved;
    }
  });
  it('--progress writes a line per finished batch: which files, how many findings', async () => {
    const { listCFiles } = await import('../../src/parse/index/files.js');
    const { DiskTree } = await import('../../src/parse/disk-tree.js');
    const files = listCFiles(new DiskTree(GEN), ['.']);
    const quiet = await checkWith(GEN, 1, { batchFiles: 4, model: false });
    const loud = await checkWith(GEN, 1, { batchFiles: 4, model: false, progress: true });
    expect(quiet.err).not.toMatch(/kreview: check:/);
    const lines = loud.err.split('\n').filter((l) => l.startsWith('kreview: check:'));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(new RegExp(`^kreview: check: \\[1/4\\] ${files[0]} \\.\\. ${files[3]}: \\d+ findings?$`));
    expect(lines[3]).toMatch(new RegExp(`^kreview: check: \\[4/4\\] ${files[12]} \\.\\. ${files[13]}: `));
    // The lines add up to the report.
    const total = lines.reduce((n, l) => n + Number(/: (\d+) findings?$/.exec(l)![1]), 0);
    expect(total).toBe(Report.parse(JSON.parse(loud.out)).findings.length);
    expect(loud.out).toBe(quiet.out);
  });

  it('after Ctrl-C a batch whose worker dies is left out, not retried in halves', async () => {
    expect(process.listenerCount('SIGINT')).toBe(0);
    const { listCFiles } = await import('../../src/parse/index/files.js');
    const { DiskTree } = await import('../../src/parse/disk-tree.js');
    const files = listCFiles(new DiskTree(GEN), ['.']);
    const marker = join(tmp, 'slow-batch-started');
    const worker = join(tmp, 'dies-after-sigint.mjs');
    writeFileSync(
      worker,
      `import { writeFileSync } from 'node:fs';\n` +
        `import run from ${JSON.stringify(pathToFileURL(join(DIST, 'check-worker.js')).href)};\n` +
        `export default async function (job) {\n` +
        `  if (!job.files.includes(${JSON.stringify(files[1])})) return run(job);\n` +
        `  writeFileSync(${JSON.stringify(marker)}, '');\n` +
        `  await new Promise((r) => setTimeout(r, 400));\n` +
        `  throw new Error('JS heap out of memory (simulated)');\n}\n`,
    );
    const run = checkWith(GEN, 2, { batchFiles: 4, model: false, workerFile: pathToFileURL(worker) });
    for (let i = 0; i < 400 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 10));
    expect(process.emit('SIGINT', 'SIGINT')).toBe(true);
    const r = await run;
    expect(r.status).toBe(130);
    expect(r.err).not.toMatch(/skipped/);
    const [, done] = /^kreview: interrupted: (\d+) of 14 files analysed/m.exec(r.err)!;
    // The dying batch's 4 files are never counted; the other lane may have finished a batch or more.
    expect(Number(done)).toBeLessThanOrEqual(10);
    expect(Report.parse(JSON.parse(r.out)).findings.every((f) => !files.slice(0, 4).includes(f.file))).toBe(true);
    expect(process.listenerCount('SIGINT')).toBe(0);
  });
});
