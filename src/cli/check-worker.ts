/** Worker-thread entry of `kreview check --jobs N` (piscina): one batch of files per task. */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { checkBatch, type CheckBatchJob, type CheckBatchResult } from './check-batch.js';

export default async function run(job: CheckBatchJob): Promise<CheckBatchResult> {
  const result = checkBatch(job);
  // One event-loop turn before the next task, so tree-sitter's finalizers free the batch's trees.
  await nextTurn();
  return result;
}
