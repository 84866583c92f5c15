/**
 * lock-imbalance: the function runs from its entry on one thread, every path
 * to its return; confirmed when some path returns holding L and another
 * returns without it. The witness trace is the path that returns holding L.
 */
import type { Confirmation } from '../../report/schema.js';
import { normLockName } from '../exprtext.js';
import type { ModelEvent, State } from '../state.js';
import { findingFunction, limits, noWitness, runEntry, stats, traceOf, type ScenarioContext } from './common.js';

export function confirmLockImbalance(ctx: ScenarioContext): Confirmation {
  const f = ctx.finding;
  const fn = findingFunction(ctx.index, f);
  if (!fn) return { status: 'unknown', summary: `the model could not find ${f.function ?? 'the function'}() in ${f.file}`, trace: [] };
  const want = f.lock ? normLockName(f.lock) : null;
  const lockedIn = new Map<string, { ev: ModelEvent; s: State }>();
  const freeIn = new Map<string, ModelEvent>();
  const seenLocks = new Set<string>();
  let sawReturn = false;
  let found: { lock: string; held: { ev: ModelEvent; s: State }; free: ModelEvent } | null = null;
  const check = (lock: string) => {
    const h = lockedIn.get(lock);
    const r = freeIn.get(lock);
    if (h && r && !found) found = { lock, held: h, free: r };
  };
  const onEvent = (ev: ModelEvent, s: State): boolean => {
    if (ev.kind === 'return' && ev.thread === 'T0') {
      sawReturn = true;
      const held = new Set((ev.held ?? []).map((h) => normLockName(h.name)));
      for (const h of held) seenLocks.add(h);
      for (const name of want ? [want] : [...seenLocks]) {
        if (held.has(name)) {
          if (!lockedIn.has(name)) lockedIn.set(name, { ev, s });
        } else if (!freeIn.has(name)) freeIn.set(name, ev);
        check(name);
      }
    }
    // Names seen taken anywhere count for the "released" side too.
    for (const l of Object.values(s.locks)) if (!l.preheld) seenLocks.add(normLockName(l.name));
    return found !== null;
  };
  const run = runEntry(ctx, fn, { concurrent: false, allocFail: true, spontaneous: [], watch: null, onEvent });
  const hit = found as { lock: string; held: { ev: ModelEvent; s: State }; free: ModelEvent } | null;
  if (hit) {
    return {
      status: 'confirmed',
      summary:
        `${fn.name}() returns holding ${f.lock ?? hit.lock} at ${hit.held.ev.file}:${hit.held.ev.line} ` +
        `but without it at ${hit.free.file}:${hit.free.line} [${stats(run.res)}]`,
      trace: traceOf(hit.held.s),
    };
  }
  const returned = lockedIn.size > 0 || freeIn.size > 0 || sawReturn;
  if (!returned) {
    const lim = limits(run.res);
    return { status: 'unknown', summary: `${fn.name}() never returned on any path the model explored (${lim ? lim + '; ' : ''}${stats(run.res)})`, trace: [] };
  }
  (run as { reached: boolean }).reached = returned;
  const how = lockedIn.size ? 'always returns holding it' : 'always returns without it';
  return noWitness([run], 'paths that disagree about the lock', `every path of ${fn.name}() agrees about ${f.lock ?? 'the lock'}: it ${how}`);
}
