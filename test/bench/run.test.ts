import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureReason, runChild } from '../../bench/child.js';
import { describeSlowest, readTimings } from '../../bench/timings.js';
import { oneLinePatch, renderTable } from '../../bench/run.js';
import { generateTree } from '../../bench/generate.js';

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'kreview-bench-run-test-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('runChild', () => {
  it('measures wall time, output and peak RSS of a child', async () => {
    // Holds ~200 MB for a moment, so the peak is well above a bare node's.
    const r = await runChild(process.execPath, ['-e', 'const b = Buffer.alloc(200e6, 1); console.log(b[5]); setTimeout(() => {}, 200)'], { timeoutMs: 20_000 });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('1');
    expect(r.peakRssKb).toBeGreaterThan(200_000);
    expect(r.wallMs).toBeGreaterThan(150);
  });

  it('measures peak RSS from /proc when asked to', async () => {
    const r = await runChild(process.execPath, ['-e', 'const b = Buffer.alloc(200e6, 1); setTimeout(() => console.log(b[5]), 300)'], { timeoutMs: 20_000, rssVia: 'proc' });
    expect(r.status).toBe(0);
    expect(r.peakRssKb).toBeGreaterThan(200_000);
  });

  it('kills a child that runs past its timeout and says so', async () => {
    const r = await runChild(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { timeoutMs: 500 });
    expect(r.timedOut).toBe(true);
    expect(r.wallMs).toBeLessThan(10_000);
    expect(failureReason(r, 500)).toBe('timed out after 1 s');
  });

  it('reports a crash by its error line, not the stack', async () => {
    const r = await runChild(process.execPath, ['-e', 'throw new TypeError("boom")'], { timeoutMs: 20_000 });
    expect(r.status).toBe(1);
    expect(failureReason(r, 20_000)).toBe('exit 1: TypeError: boom');
  });

  it('reports a command that cannot be started', async () => {
    const r = await runChild(join(scratch, 'no-such-program'), [], { timeoutMs: 5_000 });
    expect(r.status === 127 || r.spawnError !== undefined).toBe(true);
  });
});

describe('readTimings', () => {
  it('reads the contract and ignores what it does not know', () => {
    const f = join(scratch, 't.json');
    writeFileSync(f, JSON.stringify({ version: 1, parse: 1200, lower: 300, index: 50, rules: 400, model: 900, wall: 3000, extra: true, slowestScenario: { ms: 420, rule: 'sync-under-lock', function: 'foo_stop', file: 'drivers/x/foo.c', status: 'confirmed' } }));
    const t = readTimings(f)!;
    expect(t.model).toBe(900);
    expect(describeSlowest(t)).toBe('sync-under-lock foo_stop drivers/x/foo.c (420 ms, confirmed)');
  });

  it('gives null for a missing, broken or wrong file', () => {
    expect(readTimings(join(scratch, 'absent.json'))).toBeNull();
    const f = join(scratch, 'bad.json');
    writeFileSync(f, '{"model": "fast"}');
    expect(readTimings(f)).toBeNull();
    writeFileSync(f, '{not json');
    expect(readTimings(f)).toBeNull();
  });
});

describe('oneLinePatch', () => {
  it('makes a one-line diff that git applies', () => {
    const t = generateTree(join(scratch, 'tree'), { files: 6, seed: 2, meanFileBytes: 30_000 });
    const file = t.files.find((f) => f.startsWith('drivers/') && !f.endsWith('core.c'))!;
    const patch = oneLinePatch(t.dir, file);
    expect(patch.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'))).toHaveLength(1);
    writeFileSync(join(scratch, 'one.patch'), patch);
    execFileSync('git', ['apply', '--check', join(scratch, 'one.patch')], { cwd: t.dir });
  });
});

describe('renderTable', () => {
  it('prints one Markdown row per measurement, failures as text', () => {
    const md = renderTable(['## t'], [
      { id: '1', what: 'raw', input: 'x | y', time: 1.234, mbps: 10.04, ratio: 1, rssKb: 204800, notes: '' },
      { id: '2', what: 'check', input: 'x', time: 'failed (exit 2: kreview: error: no)', mbps: null, ratio: null, rssKb: null, notes: 'n' },
    ]);
    expect(md).toContain('| 1 | raw | x \\| y | 1.23 s | 10.0 | 1.00x | 200 MB |  |');
    expect(md).toContain('| 2 | check | x | failed (exit 2: kreview: error: no) |  |  |  | n |');
  });
});
