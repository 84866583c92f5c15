/**
 * The model's clock: wall time minus the time the index spent parsing,
 * lowering and searching on the model's behalf. The first look at a chain of
 * functions in other files parses them (seconds on a cold cache); that is the
 * index's cost, reported as such by the timings, and it must not eat the
 * finding's time bound, or the answer would depend on what was parsed before.
 */
import type { TreeIndex } from '../parse/index/types.js';

interface WithStats {
  stats?(): { parseMs: number; lowerMs: number; search?: { grepMs: number } };
}

export function modelClock(index: TreeIndex): () => number {
  const ix = index as TreeIndex & WithStats;
  if (typeof ix.stats !== 'function') return () => Date.now();
  return () => {
    const s = ix.stats!();
    return Date.now() - (s.parseMs + s.lowerMs + (s.search?.grepMs ?? 0));
  };
}
