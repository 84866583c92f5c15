/**
 * `kreview scan` over the fixture series and its variant: the per-patch
 * table, the summary, skipping what cannot be read or applied, and sharding
 * (N shards merged equal one unsharded run).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';
import { canonical, mergeReports } from '../../src/cli/merge.js';
import { parseShard, shardOf } from '../../src/cli/scan.js';
import { Report } from '../../src/report/schema.js';

const ROOT = join(import.meta.dirname, '../..');
const FIX = join(ROOT, 'fixtures/iommu');
const TREE = join(FIX, 'tree');
const INPUTS = [join(FIX, 'series-v3.mbox'), join(FIX, 'variant-no-defer.mbox')];
const tmp = mkdtempSync(join(tmpdir(), 'kreview-scan-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(args: string[]) {
  const io = memoryIo();
  const status = await main(['node', 'kreview', ...args], io);
  return { status, out: io.out, err: io.err };
}

describe('kreview scan', () => {
  it('prints a per-patch table per series, the findings introduced and fixed, and a summary', async () => {
    const r = await run(['scan', ...INPUTS, '--tree', TREE, '--no-model', '--jobs', '1']);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/^\[PATCH v3\] iommu\/arm-smmu-v3: Quarantine device upon ATC invalidation timeout \(11 patches, <cover\.1776381841\.git\.nchen@example\.com>\)\n  patch +applied +introduced +fixed +present +subject\n  01\/11 +yes /);
    expect(r.out).toMatch(/\n  06\/11 +yes +1 +1 /);
    expect(r.out).toMatch(/\n  03\/03 +yes +\d+ +0 +\d+ +iommu: Quarantine a device reported broken/);
    expect(r.out).toContain('[sync-under-lock] (patch 3/3)');
    expect(r.out).toMatch(/\nsummary: 2 series \(2 analysed, 0 did not apply, 0 skipped\), 14 patches \(14 applied, 0 not applied\)\n/);
    expect(r.out).toMatch(/\n  sync-under-lock +1 \(confirmed 0, refuted 0, unknown 1\)\n/);
    // Plain progress lines when stderr is not a terminal.
    expect(r.err).toMatch(/^kreview: scan: \[1\/2\] /m);
    expect(r.err).toMatch(/^kreview: scan: \[2\/2\] /m);
  });

  it('reports and skips a series that does not apply and a mail that cannot be read, and goes on', async () => {
    const broken = join(tmp, 'broken.mbox');
    const good = readFileSync(join(FIX, 'variant-no-defer.mbox'), 'latin1');
    // The variant with its first patch aimed at a file the tree lacks, then a truncated message.
    const aimedAway = good
      .replace('diff --git a/drivers/iommu/iommu.c b/drivers/iommu/iommu.c', 'diff --git a/drivers/iommu/nope.c b/drivers/iommu/nope.c')
      .replace('--- a/drivers/iommu/iommu.c\n+++ b/drivers/iommu/iommu.c', '--- a/drivers/iommu/nope.c\n+++ b/drivers/iommu/nope.c');
    expect(aimedAway).not.toBe(good);
    writeFileSync(broken, aimedAway + 'From x@y Thu Jan  1 00:00:00 1970\nSubject: cut\n');
    const r = await run(['scan', broken, join(FIX, 'series-v3.mbox'), '--tree', TREE, '--no-model', '--jobs', '1']);
    expect(r.err).toMatch(/kreview: warning: skipped .*broken\.mbox#\d+: .*truncated/);
    expect(r.out).toMatch(/summary: 2 series \(1 analysed, 1 did not apply, 0 skipped\)/);
    expect(r.out).toMatch(/not applied: patch 1\/3 .*drivers\/iommu\/nope\.c/);
    expect(r.status).toBe(1);
  });

  it('N shards merged equal one unsharded run', async () => {
    const whole = Report.parse(JSON.parse((await run(['scan', ...INPUTS, '--tree', TREE, '--no-model', '--format', 'json', '--jobs', '1'])).out));
    const parts: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const r = await run(['scan', ...INPUTS, '--tree', TREE, '--no-model', '--format', 'json', '--jobs', '1', '--shard', `${i}/3`]);
      const file = join(tmp, `shard-${i}.json`);
      writeFileSync(file, r.out);
      parts.push(file);
    }
    const merged = await run(['merge', ...parts]);
    expect(merged.status).toBe(0);
    expect(JSON.parse(merged.out)).toEqual(canonical(whole));
    expect(mergeReports(parts.map((p) => Report.parse(JSON.parse(readFileSync(p, 'utf8')))))).toEqual(canonical(whole));
  });

  it('shards are deterministic and cover every series once', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `<${i}.series@example.org>`);
    const counts = [0, 0, 0, 0];
    for (const k of keys) {
      const s = shardOf(k, 4);
      expect(shardOf(k, 4)).toBe(s);
      counts[s - 1]!++;
    }
    expect(counts.reduce((a, b) => a + b)).toBe(200);
    expect(Math.min(...counts)).toBeGreaterThan(20);
    expect(parseShard('2/8')).toEqual({ index: 2, count: 8 });
    for (const bad of ['0/3', '4/3', 'x', '1/0']) expect(() => parseShard(bad)).toThrow(/--shard/);
  });

  it('merge refuses what is not a kreview report', async () => {
    const f = join(tmp, 'not.json');
    writeFileSync(f, '{"hello": 1}');
    const r = await run(['merge', f]);
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/^kreview: error: .*not\.json: not a kreview report: /);
  });
});

describe('kreview scan, interrupted', () => {
  it.each([1, 2])('Ctrl-C prints what was done so far and exits 130 (--jobs %i)', async (jobs) => {
    const { spawn } = await import('node:child_process');
    const { existsSync } = await import('node:fs');
    const bin = join(ROOT, 'bin/kreview');
    // The built CLI is what a user interrupts; the build is part of `npm ci`.
    if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) throw new Error('dist/ is missing: run npm run build');
    // Many copies of the two series, each its own thread, so the scan outlasts the signal.
    const many = join(tmp, 'many.mbox');
    const one = readFileSync(join(FIX, 'variant-no-defer.mbox'), 'latin1');
    // Other ids and another sender each time: twelve series, not one sent twelve times.
    const copies = Array.from({ length: 12 }, (_, i) =>
      one.replace(/1777300000\.git\.rhale/g, `17773000${String(i).padStart(2, '0')}.git.rhale`).replace(/rhale@example\.net/g, `rhale${i}@example.net`),
    );
    writeFileSync(many, copies.join(''), 'latin1');
    const child = spawn(process.execPath, [bin, 'scan', many, '--tree', TREE, '--no-model', '--jobs', String(jobs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    let sent = false;
    child.stderr.on('data', (d) => {
      err += d;
      // Interrupt once, after the first series is done (a second Ctrl-C stops at once).
      if (!sent && /\[1\/12\]/.test(err)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(out).toMatch(/\nsummary: \d+ series /);
    expect(out).toMatch(/\ninterrupted: \d+ series not analysed\n/);
    const done = Number(/summary: (\d+) series/.exec(out)![1]);
    expect(done).toBeGreaterThanOrEqual(1);
    expect(done).toBeLessThan(12);
    expect(err).toMatch(/kreview: interrupted: finishing the series in progress/);
  }, 60_000);
});
