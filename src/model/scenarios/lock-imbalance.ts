/**
 * lock-imbalance: the function runs from its entry on one thread, every path
 * to its return; confirmed when some path returns holding L and another
 * returns without it, and the caller cannot tell the two apart by the value
 * returned. The witness trace is the path that returns holding L.
 *
 * A function whose lock state follows its return value is not imbalanced
 * (`__cond_acquires`): when every path holding L returns 0 and every path
 * without it an error (or, for a bool or pointer result, true/non-NULL with
 * L and false/NULL without), the finding is refuted.
 */
import type { Confirmation } from '../../report/schema.js';
import { lockMember, normLockName } from '../exprtext.js';
import { scopeOf } from '../scope.js';
import type { ModelEvent, State } from '../state.js';
import { findingFunction, findingLockClass, limits, noWitness, runEntry, stats, traceOf, type ScenarioContext } from './common.js';

interface Ret {
  ev: ModelEvent;
  s: State;
  zero: boolean | null;
}

/**
 * Whether the return values explain the two lock states the way a
 * conditional acquire does: 0 (success) with the lock and an error without it,
 * or, for a function returning bool or a pointer, true/non-NULL with the lock
 * and false/NULL without it (a trylock, a "lookup and lock"). An error
 * returned with the lock still held is the classic missing unlock: not explained.
 */
function explained(held: Ret, free: Ret, returnsFlag: boolean): boolean {
  if (held.zero === null || free.zero === null || held.zero === free.zero) return false;
  return held.zero || returnsFlag;
}

function retText(r: Ret): string {
  return r.ev.ret?.text ?? '?';
}

export function confirmLockImbalance(ctx: ScenarioContext): Confirmation {
  const f = ctx.finding;
  const fn = findingFunction(ctx.index, f);
  if (!fn) return { status: 'unknown', summary: `the model could not find ${f.function ?? 'the function'}() in ${f.file}`, trace: [] };
  const want = f.lock ? normLockName(f.lock) : null;
  const rt = (fn.returnType ?? '').trim();
  const returnsFlag = /^(const\s+)?(bool|_Bool)$/.test(rt) || rt.includes('*');
  /** Per lock: returns holding it and returns without it, one per distinct (line, value class). */
  const lockedIn = new Map<string, Ret[]>();
  const freeIn = new Map<string, Ret[]>();
  const seenLocks = new Set<string>();
  let sawReturn = false;
  let found: { lock: string; held: Ret; free: Ret } | null = null;
  const add = (m: Map<string, Ret[]>, lock: string, r: Ret): void => {
    const xs = m.get(lock) ?? [];
    if (!xs.some((x) => x.ev.line === r.ev.line && x.zero === r.zero)) xs.push(r);
    m.set(lock, xs);
  };
  const check = (lock: string) => {
    if (found) return;
    for (const h of lockedIn.get(lock) ?? []) {
      for (const r of freeIn.get(lock) ?? []) {
        if (!explained(h, r, returnsFlag)) {
          found = { lock, held: h, free: r };
          return;
        }
      }
    }
  };
  const onEvent = (ev: ModelEvent, s: State): boolean => {
    if (ev.kind === 'return' && ev.thread === 'T0') {
      sawReturn = true;
      const held = new Set((ev.held ?? []).map((h) => normLockName(h.name)));
      for (const h of held) seenLocks.add(h);
      const r: Ret = { ev, s, zero: ev.ret?.zero ?? null };
      for (const name of want ? [want] : [...seenLocks]) {
        add(held.has(name) ? lockedIn : freeIn, name, r);
        check(name);
      }
    }
    // Names seen taken anywhere count for the "released" side too.
    for (const l of Object.values(s.locks)) if (!l.preheld) seenLocks.add(normLockName(l.name));
    return found !== null;
  };
  const run = runEntry(ctx, fn, { concurrent: false, allocFail: true, spontaneous: [], watch: null, onEvent, scope: scopeOf(f), sliceMember: f.lock ? lockMember(f.lock) : undefined, sliceClass: findingLockClass(ctx, fn) });
  const hit = found as { lock: string; held: Ret; free: Ret } | null;
  if (hit) {
    const vals = hit.held.ev.ret && hit.free.ev.ret ? ` (returning ${retText(hit.held)} with it and ${retText(hit.free)} without it)` : '';
    return {
      status: 'confirmed',
      summary:
        `${fn.name}() returns holding ${f.lock ?? hit.lock} at ${hit.held.ev.file}:${hit.held.ev.line} ` +
        `but without it at ${hit.free.ev.file}:${hit.free.ev.line}${vals} [${stats(run.res)}]`,
      trace: traceOf(hit.held.s),
    };
  }
  const returned = sawReturn;
  if (!returned) {
    const lim = limits(run.res);
    return { status: 'unknown', summary: `${fn.name}() never returned on any path the model explored (${lim ? lim + '; ' : ''}${stats(run.res)})`, trace: [] };
  }
  (run as { reached: boolean }).reached = returned;
  const name = want ?? [...lockedIn.keys()][0] ?? null;
  const held = name ? lockedIn.get(name) ?? [] : [];
  const free = name ? freeIn.get(name) ?? [] : [];
  if (want && !seenLocks.has(want) && !held.length) {
    const lim = limits(run.res);
    return {
      status: 'unknown',
      summary: `the model never saw ${f.lock} taken on any path of ${fn.name}() (a lock primitive it does not model?) (${lim ? lim + '; ' : ''}${stats(run.res)})`,
      trace: [],
    };
  }
  if (held.length && free.length) {
    const hz = !!held[0]!.zero;
    const lines = (xs: Ret[]) => [...new Set(xs.map((x) => `${x.ev.line}`))].join(', ');
    return noWitness(
      [run],
      'paths that disagree about the lock',
      `${fn.name}() takes ${f.lock ?? name} conditionally and says so in its return value: every path that returns holding it returns ${hz ? '0' : 'true/non-NULL'} ` +
        `(line ${lines(held)}), every path that returns without it returns ${hz ? 'an error' : 'false/NULL'} (line ${lines(free)}), like a trylock; ` +
        `annotate it __cond_acquires`,
    );
  }
  const how = held.length ? 'always returns holding it' : 'always returns without it';
  return noWitness([run], 'paths that disagree about the lock', `every path of ${fn.name}() agrees about ${f.lock ?? 'the lock'}: it ${how}`);
}
