/**
 * One batch of `kreview check`: the unit of work run in-process or on a
 * worker thread. Takes and returns plain data only (it crosses a thread
 * boundary by structured clone): the index stays in the thread that built
 * it, only the findings and the skipped files come back.
 */
import { threadId } from 'node:worker_threads';
import { DiskTree } from '../parse/disk-tree.js';
import type { GitInfo } from '../parse/index/files.js';
import type { Finding } from '../report/schema.js';
import type { Config } from '../rules/config.js';
import { KreviewError } from '../errors.js';
import { analyse, confirm } from './analyse.js';

export interface CheckBatchJob {
  root: string;
  config: Config;
  model: boolean;
  files: string[];
  /** The tree's git state, taken once by the run for all its batches (undefined: each batch takes it). */
  git?: GitInfo | null;
}

export interface CheckBatchResult {
  findings: Finding[];
  skipped: { file: string; reason: string }[];
  /** A KreviewError raised by the batch, so its message and exit status survive the thread boundary. */
  error: { message: string; exitCode: number } | null;
  /** The thread that ran the batch (0: the main thread). */
  threadId: number;
}

export function checkBatch(job: CheckBatchJob): CheckBatchResult {
  try {
    const { index, findings } = analyse(new DiskTree(job.root), job.files, job.config, { git: job.git });
    const confirmed = confirm(findings, index, job.config, job.model);
    return { findings: confirmed, skipped: index.skipped(), error: null, threadId };
  } catch (err) {
    if (!(err instanceof KreviewError)) throw err;
    return { findings: [], skipped: [], error: { message: err.message, exitCode: err.exitCode }, threadId };
  }
}
