/**
 * Shared pieces of the robustness suites: run counts that the soak scales,
 * time bounds, and the one property every stage must keep on hostile input
 * (it returns, or it throws an InputError/KreviewError, never anything else).
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { KreviewError } from '../../src/errors.js';

/** fast-check runs: `base` in `npm test`, scaled by KREVIEW_SOAK_RUNS (a number of runs) in the soak. */
export function runs(base: number, soak: number): number {
  const env = process.env.KREVIEW_SOAK_RUNS;
  if (process.env.KREVIEW_SOAK !== '1') return base;
  const n = env ? Number(env) : NaN;
  return Number.isFinite(n) && n > 0 ? Math.round(n) : soak;
}

export const IS_SOAK = process.env.KREVIEW_SOAK === '1';

/** Fails when a synchronous call takes longer than `ms` (a hang shows as a test timeout instead). */
export function timed<T>(what: string, ms: number, fn: () => T): T {
  const t0 = performance.now();
  const out = fn();
  const took = performance.now() - t0;
  if (took > ms) throw new Error(`${what}: took ${took.toFixed(0)} ms (bound ${ms} ms)`);
  return out;
}

/** Fails when an async call has not settled after `ms`. */
export async function timedAsync<T>(what: string, ms: number, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([fn(), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error an input may legitimately cause: a KreviewError with a one-line message. Anything else rethrows. */
export function onlyKreviewErrors(err: unknown): KreviewError {
  if (!(err instanceof KreviewError)) throw err;
  expect(err.message.length).toBeGreaterThan(0);
  return err;
}

/** Runs `fn`; returns its result or the KreviewError it threw; fails on any other throw. */
export function settle<T>(fn: () => T): T | KreviewError {
  try {
    return fn();
  } catch (err) {
    return onlyKreviewErrors(err);
  }
}

export async function settleAsync<T>(fn: () => Promise<T>): Promise<T | KreviewError> {
  try {
    return await fn();
  } catch (err) {
    return onlyKreviewErrors(err);
  }
}

/**
 * A fingerprint of everything under `dir` (paths, types, modes, contents,
 * link targets): equal before and after means nothing was written there.
 */
export function snapshotDir(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      h.update(`missing ${rel}\n`);
      return;
    }
    for (const name of names) {
      const p = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      h.update(`${r}\0${st.mode}\0`);
      if (st.isSymbolicLink()) h.update(`-> ${readlinkSync(p)}\n`);
      else if (st.isDirectory()) walk(p, r);
      else h.update(readFileSync(p));
      h.update('\n');
    }
  };
  walk(dir, '');
  return h.digest('hex');
}

/** What every CLI failure must look like: one `kreview: error:` line, no stack, not an internal error. */
export function expectCleanFailure(status: number, err: string, codes: number[] = [2, 3]): void {
  expect(codes).toContain(status);
  const lines = err.split('\n').filter((l) => l !== '');
  const errorLines = lines.filter((l) => l.startsWith('kreview: error: '));
  expect(errorLines, err).toHaveLength(1);
  expect(err).not.toMatch(/^\s+at /m);
  expect(err).not.toContain('internal error');
}
