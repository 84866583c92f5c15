/**
 * `kreview check [PATH...]`: the rules over a tree as it is, no patch.
 * With --jobs N > 1 the batches run on N worker threads; the report is the
 * same, byte for byte, as with one.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Piscina } from 'piscina';
import { DiskTree } from '../parse/disk-tree.js';
import { FileSearch, listCFiles } from '../parse/index/files.js';
import { KreviewError } from '../errors.js';
import { configFor, treeRoot } from './analyse.js';
import { checkBatch, type CheckBatchJob, type CheckBatchResult } from './check-batch.js';
import { exitStatus, writeReport, type FailOn, type Format } from './output.js';
import { Progress } from './progress.js';
import type { Io } from './io.js';

export interface CheckOptions {
  tree: string;
  config?: string;
  format: Format;
  failOn: FailOn;
  showRefuted?: boolean;
  model: boolean;
  jobs?: number;
  /** A line per batch on stderr even when it is not a terminal (on a terminal a bar is drawn anyway). */
  progress?: boolean;
  /** Files per batch (tests; default BATCH_FILES). */
  batchFiles?: number;
  /** The worker module (tests run the sources, whose worker is only in dist/); must exist when given. */
  workerFile?: URL;
}

export async function runCheck(io: Io, paths: string[], opts: CheckOptions): Promise<number> {
  const root = treeRoot(opts.tree);
  const config = configFor(root, opts.config);
  const files = listCFiles(new DiskTree(root), paths.length ? paths : ['.']);
  // A large scope is analysed a batch at a time, each with a fresh view and
  // index: every batch still looks things up across the whole tree, so what
  // is found does not change, but memory is bounded by the batch, not by the
  // subsystem (drivers/net/wireless at once exceeds node's default heap).
  // The batches do not depend on --jobs, so neither does the report.
  // One `git status` for the run: the batches see the tree as it was when the run began.
  const git = new FileSearch(new DiskTree(root)).gitSnapshot();
  const jobs: CheckBatchJob[] = batches(files, opts.batchFiles ?? BATCH_FILES).map((batch) => ({
    root,
    config,
    model: opts.model,
    files: batch,
    git,
  }));

  // Results are kept by batch and reported in batch order, whichever thread finishes first.
  const results: (CheckBatchResult | undefined)[] = new Array(jobs.length);
  const progress = new Progress(io, jobs.length, 'batches', { command: 'check', plain: Boolean(opts.progress) });
  let warned = 0;
  const settle = (i: number, r: CheckBatchResult) => {
    results[i] = r;
    const files = jobs[i]!.files;
    progress.end();
    // Warnings come out in batch order too, as soon as every earlier batch is in.
    for (; warned < jobs.length && results[warned]; warned++) {
      for (const s of results[warned]!.skipped) io.stderr(`kreview: warning: skipped ${s.file}: ${s.reason}\n`);
    }
    const span = files.length > 1 ? `${files[0]} .. ${files[files.length - 1]}` : (files[0] ?? '');
    progress.step(`${span}: ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}`);
  };

  // Ctrl-C stops the hand-out of batches; those in progress finish, then
  // what was done is reported (exit 130). A second Ctrl-C finds no listener
  // and ends the process at once.
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    io.stderr('kreview: interrupted: finishing the batches in progress (Ctrl-C again to stop at once)\n');
  };
  process.once('SIGINT', onSigint);
  // A batch that met bad input ends the run too (its error is reported below).
  const halted = () => interrupted || results.some((r) => r?.error);
  try {
    const workerFile = opts.workerFile ?? new URL('./check-worker.js', import.meta.url);
    const threads = Math.min(Math.max(1, opts.jobs ?? 1), jobs.length);
    if (threads > 1 && (opts.workerFile || existsSync(fileURLToPath(workerFile)))) {
      await onWorkers(workerFile, threads, jobs, settle, halted);
    } else {
      for (const [i, job] of jobs.entries()) {
        if (halted()) break;
        settle(i, checkBatch(job));
        // Let a pending SIGINT in, and tree-sitter's finalizers free the batch's trees.
        await nextTurn();
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
    progress.end();
  }

  const failed = results.find((r) => r?.error);
  if (failed?.error && !interrupted) throw new KreviewError(failed.error.message, failed.error.exitCode);
  const done = results.filter((r): r is CheckBatchResult => r !== undefined);
  const confirmed = done.flatMap((r) => r.findings);
  const shown = writeReport(io, { format: opts.format, showRefuted: Boolean(opts.showRefuted) }, confirmed);
  if (interrupted) {
    const analysed = jobs.reduce((n, j, i) => n + (results[i] ? j.files.length : 0), 0);
    io.stderr(`kreview: interrupted: ${analysed} of ${files.length} files analysed, the report above covers only those\n`);
    return 130;
  }
  return exitStatus(shown, opts.failOn);
}

/**
 * Runs the batches on a pool of `threads` workers, handing a batch to a
 * thread when it is free. Ctrl-C (`stopped()`) stops the hand-out, and the
 * batches in progress are left to finish: a worker terminated in the middle
 * of a tree-sitter call takes the whole process down with SIGABRT (the
 * binding throws a C++ exception nothing catches), so the pool is only
 * destroyed when idle.
 *
 * A batch whose worker dies (a JS heap out of memory on a batch that reaches
 * too much of the tree, or a bug) is run again as two halves; the files of a
 * half that fails again are reported as skipped, with why, and the run goes
 * on. Only when no batch at all could be analysed is the first failure
 * thrown.
 */
async function onWorkers(
  workerFile: URL,
  threads: number,
  jobs: CheckBatchJob[],
  settle: (i: number, r: CheckBatchResult) => void,
  stopped: () => boolean,
): Promise<void> {
  const heap = jobs[0]?.config.limits.workerHeapMb ?? CHECK_WORKER_HEAP_MB;
  const pool = new Piscina({ filename: workerFile.href, minThreads: threads, maxThreads: threads, resourceLimits: { maxOldGenerationSizeMb: heap } });
  let next = 0;
  let failure: { err: unknown } | null = null;
  let analysed = 0;
  const lane = async () => {
    while (next < jobs.length && !stopped()) {
      const i = next++;
      try {
        settle(i, (await pool.run(jobs[i])) as CheckBatchResult);
        analysed++;
      } catch (err) {
        failure ??= { err };
        // After Ctrl-C a failed batch is left out (counted as not analysed), not retried.
        const r = await rescue(pool, jobs[i]!, err, stopped);
        if (!r) continue;
        if (r.skipped.length < jobs[i]!.files.length) analysed++;
        settle(i, r);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: threads }, lane));
  } finally {
    await pool.destroy().catch(() => undefined);
  }
  if (failure && analysed === 0 && !stopped()) throw workerError((failure as { err: unknown }).err);
}

/**
 * A failed batch run again as two halves; the files of a half that fails
 * again are skipped. Null when Ctrl-C came first: the batch is then not
 * analysed, rather than half analysed.
 */
async function rescue(pool: Piscina, job: CheckBatchJob, err: unknown, stopped: () => boolean): Promise<CheckBatchResult | null> {
  const out: CheckBatchResult = { findings: [], skipped: [], error: null, threadId: -1 };
  const skip = (files: string[], e: unknown) => {
    const why = workerError(e).message;
    for (const file of files) out.skipped.push({ file, reason: `not analysed: ${why}` });
  };
  if (job.files.length < 2) {
    skip(job.files, err);
    return out;
  }
  const mid = Math.ceil(job.files.length / 2);
  for (const files of [job.files.slice(0, mid), job.files.slice(mid)]) {
    if (stopped()) return null;
    try {
      const r = (await pool.run({ ...job, files })) as CheckBatchResult;
      out.findings.push(...r.findings);
      out.skipped.push(...r.skipped);
      out.error ??= r.error;
    } catch (e) {
      skip(files, e);
    }
  }
  return out;
}

/** A worker's error arrives as a plain Error (its class does not cross threads): say where it came from. */
function workerError(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  return new Error(`a check worker failed: ${message}`);
}

const BATCH_FILES = 150;

/**
 * The JS heap of each check worker unless `limits.workerHeapMb` says
 * otherwise. With node's default (about 4 GiB each here) V8 collects
 * lazily and two workers over the whole kernel peaked at 8.0 GB; with this
 * the whole tree ran in 3.2 GB, no batch outgrew it, and the findings of
 * drivers/gpu were the same. A batch that does is run again in halves.
 */
const CHECK_WORKER_HEAP_MB = 1536;

/** Consecutive slices of the sorted file list, so a directory's files tend to share a batch. */
export function batches<T>(xs: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out.length ? out : [[]];
}
