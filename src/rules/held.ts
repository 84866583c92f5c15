/** Questions rules ask of a dataflow state: is this lock (maybe) held here, and how do we know. */
import type { LockFact, State } from './dataflow.js';
import { H } from './dataflow.js';
import { sameLock, type LockRef } from './lockpath.js';
import type { LockMode } from './primitives.js';

export interface HeldMatch {
  fact: LockFact;
  how: 'path' | 'class';
  must: boolean;
}

/**
 * The held lock that `lock` is, by path first, then by class. `may` also
 * accepts locks held on some paths only. Two shared holds never conflict.
 */
export function heldMatch(st: State, lock: LockRef, opts: { may: boolean; mode?: LockMode; classOk?: boolean }): HeldMatch | null {
  let best: HeldMatch | null = null;
  for (const fact of st.locks.values()) {
    if (!(fact.states & H)) continue;
    const must = fact.states === H;
    if (!must && !opts.may) continue;
    if (opts.mode === 'shared' && fact.mode === 'shared') continue;
    const how = sameLock(fact.lock, lock);
    if (!how || (how === 'class' && opts.classOk === false)) continue;
    const rank = (how === 'path' ? 2 : 0) + (must ? 1 : 0);
    const brank = best ? (best.how === 'path' ? 2 : 0) + (best.must ? 1 : 0) : -1;
    if (rank > brank) best = { fact, how, must };
  }
  return best;
}

export function lockName(l: LockRef): string {
  return l.root === 'unknown' && l.cls ? l.cls : l.path;
}

export function byClassNote(how: 'path' | 'class', l: LockRef): string {
  return how === 'class' ? ` (matched by lock class ${l.cls} only)` : '';
}
