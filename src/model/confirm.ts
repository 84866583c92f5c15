/**
 * The model's entry point: one scenario per rule turns a finding into a
 * Confirmation (confirmed with a witness trace, refuted, or unknown with why).
 */
import type { TreeIndex } from '../parse/index/types.js';
import type { Confirmation, Finding } from '../report/schema.js';
import { withBounds, type Bounds } from './bounds.js';
import { confirmAssertHeldCaller } from './scenarios/assert-held-caller.js';
import { confirmDoubleLock } from './scenarios/double-lock.js';
import { confirmLockImbalance } from './scenarios/lock-imbalance.js';
import { confirmSyncUnderLock } from './scenarios/sync-under-lock.js';
import type { ScenarioContext } from './scenarios/common.js';

export { DEFAULT_BOUNDS, type Bounds } from './bounds.js';
export { renderLockdepScenario } from './lockdep.js';

const SCENARIOS: Partial<Record<Finding['rule'], (ctx: ScenarioContext) => Confirmation>> = {
  'sync-under-lock': confirmSyncUnderLock,
  'assert-held-caller': confirmAssertHeldCaller,
  'double-lock': confirmDoubleLock,
  'lock-imbalance': confirmLockImbalance,
};

export function confirmFinding(finding: Finding, index: TreeIndex, bounds?: Partial<Bounds>): Confirmation {
  const run = SCENARIOS[finding.rule];
  if (!run) return { status: 'unknown', summary: `the model has no scenario for ${finding.rule} yet`, trace: [] };
  try {
    return run({ finding, index, bounds: withBounds(bounds) });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { status: 'unknown', summary: `the model failed on this finding: ${msg}`, trace: [] };
  }
}

/** Every finding with its confirmation filled in. */
export function confirmAll(findings: Finding[], index: TreeIndex, bounds?: Partial<Bounds>): Finding[] {
  return findings.map((f) => ({ ...f, confirmation: confirmFinding(f, index, bounds) }));
}
