/** Every rule kreview runs, in report order. Ids are part of CONTRACT.md. */
import { assertHeldCaller } from './assert-held-caller.js';
import { commentCodeMismatch } from './comment-code-mismatch.js';
import type { Rule } from './context.js';
import { doubleLock } from './double-lock.js';
import { lockImbalance } from './lock-imbalance.js';
import { syncUnderLock } from './sync-under-lock.js';
import { warnReachable } from './warn-reachable.js';

export const RULES: readonly Rule[] = [assertHeldCaller, syncUnderLock, doubleLock, lockImbalance, commentCodeMismatch, warnReachable];

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.meta.id === id);
}
