/**
 * KREVIEW_TIMINGS (bench/README.md): what check and lint write, read back
 * with the benchmark's own reader, and a timings file that cannot be
 * written.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';
import { currentTimings, recordPhase, recordScenario, resetTimings } from '../../src/cli/timings.js';
import { Report } from '../../src/report/schema.js';
import { KreviewTimingsSchema, readTimings } from '../../bench/timings.js';

const ROOT = join(import.meta.dirname, '../..');
const FIX = join(ROOT, 'fixtures/iommu');
const tmp = mkdtempSync(join(tmpdir(), 'kreview-timings-'));
const savedCacheDir = process.env.KREVIEW_CACHE_DIR;
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  if (savedCacheDir === undefined) delete process.env.KREVIEW_CACHE_DIR;
  else process.env.KREVIEW_CACHE_DIR = savedCacheDir;
});

let runs = 0;
beforeEach(() => {
  // The index reads its cache directory from the process environment: a fresh, cold one per test.
  process.env.KREVIEW_CACHE_DIR = join(tmp, `cache-${++runs}`);
});

async function run(args: string[], timings: string) {
  const io = memoryIo();
  io.env = { KREVIEW_TIMINGS: timings };
  const status = await main(['node', 'kreview', ...args], io);
  return { status, out: io.out, err: io.err };
}

const TREE = join(tmp, 'tree');
mkdirSync(join(TREE, 'drivers/foo'), { recursive: true });
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
`,
);

const PHASES = ['parse', 'lower', 'index', 'rules', 'model'] as const;

describe('KREVIEW_TIMINGS', () => {
  it('check writes the phases, the slowest scenario and the cache, also when it exits 1; a warm run hits the cache', async () => {
    const file = join(tmp, 'check.json');
    const r = await run(['check', '--tree', TREE, '--format', 'json'], file);
    expect(r.status).toBe(1);
    expect(r.err).toBe('');
    const finding = Report.parse(JSON.parse(r.out)).findings[0]!;
    const t = readTimings(file);
    expect(t).not.toBeNull();
    expect(t!.version).toBe(1);
    for (const p of PHASES) expect(t![p]).toBeGreaterThanOrEqual(0);
    expect(t!.parse).toBeGreaterThan(0);
    expect(t!.rules).toBeGreaterThan(0);
    expect(t!.model).toBeGreaterThan(0);
    // One thread: the phases are parts of the wall time.
    expect(PHASES.reduce((n, p) => n + t![p]!, 0)).toBeLessThanOrEqual(t!.wall! + 1);
    expect(t!.slowestScenario).toMatchObject({ rule: 'assert-held-caller', function: 'foo_open', file: 'drivers/foo/foo.c', finding: finding.id, status: 'confirmed' });
    expect(t!.slowestScenario!.ms).toBeLessThanOrEqual(t!.model!);
    expect(t!.slowestScenario!.states).toBeGreaterThan(0);
    expect(t!.cache).toEqual({ hits: 0, misses: 1 });

    const warm = await run(['check', '--tree', TREE, '--format', 'json'], file);
    expect(warm.status).toBe(1);
    const w = readTimings(file)!;
    // Fresh sums per command: the warm run parsed nothing.
    expect([w.parse, w.cache]).toEqual([0, { hits: 1, misses: 0 }]);
  });

  it('lint writes them too; with --no-model there is no scenario', async () => {
    const file = join(tmp, 'lint.json');
    const r = await run(['lint', join(FIX, 'variant-no-defer.mbox'), '--tree', join(FIX, 'tree'), '--format', 'json'], file);
    expect(r.status).toBe(1);
    const t = readTimings(file)!;
    expect(t.parse! + t.lower!).toBeGreaterThan(0);
    expect(t.model).toBeGreaterThan(0);
    expect(t.slowestScenario?.finding).toBeDefined();
    expect(Report.parse(JSON.parse(r.out)).findings.map((f) => f.id)).toContain(t.slowestScenario!.finding);
    expect(t.wall).toBeGreaterThan(t.model!);

    const off = await run(['lint', join(FIX, 'variant-no-defer.mbox'), '--tree', join(FIX, 'tree'), '--no-model', '--format', 'json'], file);
    expect(off.status).toBe(1);
    expect(readTimings(file)).toMatchObject({ model: 0, slowestScenario: null });
  });

  it('a timings file that cannot be written is one warning; the command and its exit status are unchanged', async () => {
    for (const bad of [join(tmp, 'no-such-dir', 't.json'), tmp]) {
      const r = await run(['check', '--tree', TREE, '--format', 'json'], bad);
      expect(r.status).toBe(1);
      expect(Report.parse(JSON.parse(r.out)).findings).toHaveLength(1);
      expect(r.err).toMatch(/^kreview: warning: cannot write the timings to .* \(KREVIEW_TIMINGS\): E[A-Z]+\n$/);
    }
  });

  it('nothing is written when KREVIEW_TIMINGS is unset or empty', async () => {
    const r = await run(['check', '--tree', TREE], '');
    expect([r.status, r.err]).toEqual([1, '']);
  });

  it('check --jobs 2 sums what the worker threads did', async () => {
    const dist = join(ROOT, 'dist/src/cli');
    if (!existsSync(join(dist, 'check-worker.js'))) throw new Error('dist/ is missing: run npm run build');
    const { runCheck } = (await import(pathToFileURL(join(dist, 'check.js')).href)) as typeof import('../../src/cli/check.js');
    const { timed } = (await import(pathToFileURL(join(dist, 'timings.js')).href)) as typeof import('../../src/cli/timings.js');
    const file = join(tmp, 'jobs.json');
    const io = memoryIo();
    io.env = { KREVIEW_TIMINGS: file };
    const status = await timed(io, () =>
      runCheck(io, [], {
        tree: join(FIX, 'tree'),
        format: 'json',
        failOn: 'warning',
        model: true,
        jobs: 2,
        batchFiles: 1,
        workerFile: pathToFileURL(join(dist, 'check-worker.js')),
      }),
    );
    expect(status).toBe(1);
    const ids = Report.parse(JSON.parse(io.out)).findings.map((f) => f.id);
    const t = readTimings(file)!;
    // The main thread parsed nothing and confirmed nothing: all of it came from the workers.
    expect(t.parse).toBeGreaterThan(0);
    expect(t.rules).toBeGreaterThan(0);
    expect(t.model).toBeGreaterThan(0);
    expect(t.cache!.misses).toBeGreaterThan(0);
    expect(ids).toContain(t.slowestScenario!.finding);
  });

  it('keeps the slowest scenario of all, and what it writes fits the reader', () => {
    resetTimings();
    recordPhase('model', 5);
    recordScenario({ ms: 3, rule: 'double-lock', finding: 'a' });
    recordScenario({ ms: 7, rule: 'sync-under-lock', finding: 'b', states: 12 });
    recordScenario({ ms: 2, rule: 'lock-imbalance', finding: 'c' });
    recordPhase('rules', -1);
    const t = currentTimings(20);
    expect(t).toMatchObject({ model: 5, rules: 0, wall: 20, slowestScenario: { ms: 7, finding: 'b', states: 12 } });
    expect(KreviewTimingsSchema.parse(t)).toEqual(t);
    resetTimings();
    expect(currentTimings(0)).toMatchObject({ model: 0, slowestScenario: null, cache: { hits: 0, misses: 0 } });
  });
});
