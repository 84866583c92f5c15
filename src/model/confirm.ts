/**
 * The model's entry point: one scenario per rule turns a finding into a
 * Confirmation (confirmed with a witness trace, refuted, or unknown with why).
 */
import type { TreeIndex } from '../parse/index/types.js';
import type { Confirmation, Finding } from '../report/schema.js';
import { withBounds, type Bounds } from './bounds.js';
import { modelClock } from './clock.js';
import { confirmAssertHeldCaller } from './scenarios/assert-held-caller.js';
import { confirmCommentCodeMismatch } from './scenarios/comment-code-mismatch.js';
import { confirmDoubleLock } from './scenarios/double-lock.js';
import { confirmLockImbalance } from './scenarios/lock-imbalance.js';
import { confirmSyncUnderLock } from './scenarios/sync-under-lock.js';
import { confirmWarnReachable, recalledWarn } from './scenarios/warn-reachable.js';
import type { ScenarioContext } from './scenarios/common.js';

export { DEFAULT_BOUNDS, type Bounds } from './bounds.js';
export { renderLockdepScenario } from './lockdep.js';

const SCENARIOS: Partial<Record<Finding['rule'], (ctx: ScenarioContext) => Confirmation>> = {
  'sync-under-lock': confirmSyncUnderLock,
  'assert-held-caller': confirmAssertHeldCaller,
  'double-lock': confirmDoubleLock,
  'lock-imbalance': confirmLockImbalance,
  'comment-code-mismatch': confirmCommentCodeMismatch,
  'warn-reachable': confirmWarnReachable,
};

export function confirmFinding(finding: Finding, index: TreeIndex, bounds?: Partial<Bounds>): Confirmation {
  const run = SCENARIOS[finding.rule];
  if (!run) return { status: 'unknown', summary: `the model has no scenario for ${finding.rule} yet`, trace: [] };
  try {
    const b = withBounds(bounds);
    const clock = modelClock(index);
    return run({ finding, index, bounds: b, deadline: clock() + b.timeMs, clock });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { status: 'unknown', summary: `the model failed on this finding: ${msg}`, trace: [] };
  }
}

/** Every finding with its confirmation filled in. */
export function confirmAll(findings: Finding[], index: TreeIndex, bounds?: Partial<Bounds>): Finding[] {
  return findings.map((f) => {
    // warn-reachable findings were explored by their rule (their id depends on the firing sequence);
    // the rule leaves the function out of the id, and the model gives it back here.
    const fn = f.rule === 'warn-reachable' && f.function === null ? recalledWarn(index, f)?.function ?? null : f.function;
    return { ...f, function: fn, confirmation: confirmFinding(f, index, bounds) };
  });
}
