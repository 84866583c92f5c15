/**
 * sync-under-lock: thread T0 runs the function holding the lock from its
 * entry; the callback bound to the waited-for work/timer/kthread may already
 * be pending on any pre-existing object of its type and start on a worker
 * thread at any point. Confirmed = a deadlock whose cycle passes through the
 * waiting call: T0 holds L and waits for the callback, the callback waits
 * for L.
 */
import type { CallInstr, IrFunction } from '../../parse/ir.js';
import type { Binding, TreeIndex } from '../../parse/index/types.js';
import { accessKey, type TypeLookup } from '../../parse/index/types-of.js';
import type { Confirmation } from '../../report/schema.js';
import { exprText, lockMember, sameLockMember } from '../exprtext.js';
import { scopeOf, type CodeScope } from '../scope.js';
import type { Deadlock, Spontaneous } from '../scheduler.js';
import type { Machine } from '../machine.js';
import type { State } from '../state.js';
import {
  callersOf,
  callsAt,
  findingFunction,
  noWitness,
  awayFrom,
  callLine,
  limits,
  now,
  runEntry,
  stackAt,
  timeLeft,
  stats,
  threadStack,
  traceOf,
  type EntryRun,
  type ScenarioContext,
} from './common.js';
import { renderLockdepScenario } from '../lockdep.js';

/** Waiting primitives: which argument names the item and what kind it is. */
const WAITS: Record<string, { arg: number; kind: Spontaneous['kind']; delayed: boolean }> = {
  cancel_work_sync: { arg: 0, kind: 'work', delayed: false },
  disable_work_sync: { arg: 0, kind: 'work', delayed: false },
  flush_work: { arg: 0, kind: 'work', delayed: false },
  cancel_delayed_work_sync: { arg: 0, kind: 'work', delayed: true },
  disable_delayed_work_sync: { arg: 0, kind: 'work', delayed: true },
  flush_delayed_work: { arg: 0, kind: 'work', delayed: true },
  del_timer_sync: { arg: 0, kind: 'timer', delayed: false },
  timer_delete_sync: { arg: 0, kind: 'timer', delayed: false },
  timer_shutdown_sync: { arg: 0, kind: 'timer', delayed: false },
  try_to_del_timer_sync: { arg: 0, kind: 'timer', delayed: false },
  hrtimer_cancel: { arg: 0, kind: 'hrtimer', delayed: false },
  kthread_stop: { arg: 0, kind: 'kthread', delayed: false },
  kthread_stop_put: { arg: 0, kind: 'kthread', delayed: false },
};

function lookupOf(index: TreeIndex): TypeLookup {
  const ix = index as TreeIndex & { typedef?(name: string, fromFile?: string): string | null };
  return {
    struct: (n) => index.struct(n),
    global: (n) => index.global(n),
    resolve: (n, from) => index.resolve(n, from),
    typedef: ix.typedef ? (n, from) => ix.typedef!(n, from) : undefined,
  };
}

function sourceOf(b: Binding, fallbackFile: string): Spontaneous | null {
  if (b.field === null) return null;
  if (b.kind === 'kthread') return { kind: 'kthread', struct: b.struct, field: b.field, delayed: false, callback: b.callback, file: b.file ?? fallbackFile };
  const delayed = b.kind === 'delayed_work' && !b.field.endsWith('.work');
  const kind = b.kind === 'delayed_work' ? 'work' : b.kind;
  return { kind, struct: b.struct, field: b.field, delayed, callback: b.callback, file: b.file ?? fallbackFile };
}

function dedupe(xs: Spontaneous[]): Spontaneous[] {
  const seen = new Set<string>();
  return xs.filter((x) => {
    const k = `${x.kind}|${x.struct}|${x.field}|${x.delayed}|${x.callback}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Callback names the finding names (`waits for foo_work()`, `foo_work() bound here by INIT_WORK`). */
function namedCallbacks(ctx: ScenarioContext): string[] {
  const out = new Set<string>();
  const f = ctx.finding;
  for (const m of f.message.matchAll(/waits for (\w+)\(\)/g)) out.add(m[1]!);
  for (const r of f.related) {
    const m = /^(\w+)\(\) (?:bound here|takes)/.exec(r.message);
    if (m) out.add(m[1]!);
  }
  return [...out];
}

interface Sources {
  sources: Spontaneous[];
  /** The direct waiting call's target when its bindings could be looked up: `gdev->work`. */
  direct: string | null;
}

function sourcesFor(ctx: ScenarioContext, fn: IrFunction): Sources {
  const out: Spontaneous[] = [];
  let direct: string | null = null;
  const lookup = lookupOf(ctx.index);
  // The waiting calls at the line, or inside the functions called there (a few calls deep).
  const waits: { fn: IrFunction; call: CallInstr; top: boolean }[] = [];
  const seen = new Set<string>();
  let frontier: { fn: IrFunction; calls: CallInstr[]; top: boolean }[] = [{ fn, calls: callsAt(fn, ctx.finding.line), top: true }];
  for (let depth = 0; depth < 4 && frontier.length; depth++) {
    const next: typeof frontier = [];
    for (const fr of frontier) {
      for (const call of fr.calls) {
        if (!call.callee) continue;
        if (WAITS[call.callee]) {
          waits.push({ fn: fr.fn, call, top: fr.top });
          continue;
        }
        const callee = ctx.index.resolve(call.callee, fr.fn.file);
        if (!callee || seen.has(`${callee.file}:${callee.name}`)) continue;
        seen.add(`${callee.file}:${callee.name}`);
        next.push({ fn: callee, calls: callee.blocks.flatMap((b) => b.instrs.filter((i): i is CallInstr => i.op === 'call')), top: false });
      }
    }
    frontier = next;
  }
  for (const { fn: wf, call, top } of waits) {
    const w = WAITS[call.callee!]!;
    const arg = call.args[w.arg];
    if (!arg) continue;
    let key: { struct: string | null; field: string; resolved: boolean } | null = null;
    try {
      key = accessKey(wf, arg, lookup);
    } catch {
      key = null;
    }
    if (!key || !key.resolved) continue;
    if (top) direct = exprText(arg).replace(/^&/, '');
    let bs: Binding[] = [];
    try {
      bs = ctx.index.bindingsFor(key.struct, key.field);
    } catch {
      bs = [];
    }
    for (const b of bs) {
      const s = sourceOf(b, fn.file);
      if (s && (s.kind === w.kind || (w.kind === 'timer' && s.kind === 'timer'))) out.push(s);
    }
  }
  if (direct !== null && out.length === 0) return { sources: [], direct };
  if (direct === null) {
    for (const cb of namedCallbacks(ctx)) {
      let bs: Binding[] = [];
      try {
        bs = ctx.index.bindingsOf(cb);
      } catch {
        bs = [];
      }
      for (const b of bs) {
        const s = sourceOf(b, fn.file);
        if (s) out.push(s);
      }
    }
  }
  return { sources: dedupe(out), direct };
}

export function confirmSyncUnderLock(ctx: ScenarioContext): Confirmation {
  const f = ctx.finding;
  const fn = findingFunction(ctx.index, f);
  if (!fn) return { status: 'unknown', summary: `the model could not find ${f.function ?? 'the function'}() in ${f.file}`, trace: [] };
  const { sources, direct } = sourcesFor(ctx, fn);
  if (sources.length === 0) {
    if (direct) {
      return {
        status: 'refuted',
        summary: `no callback is ever bound to ${direct} (no INIT_WORK/timer_setup/kthread_run for it in the tree): nothing can be running for ${f.function}() to wait for`,
        trace: [],
      };
    }
    return { status: 'unknown', summary: 'the model could not tell which callback the waiting call waits for', trace: [] };
  }
  const watch = { file: f.file, line: f.line };
  const scope = scopeOf(f);
  const onDeadlock = (d: Deadlock, s: import('../state.js').State, m: import('../machine.js').Machine): boolean => {
    if (!d.cycle.some((e) => e.thread === 'T0')) return false;
    // The cycle must go through the finding's lock: a deadlock on another lock at the same wait is another finding's.
    if (f.lock && !d.cycle.some((e) => e.kind === 'lock' && sameLockMember(e.on, f.lock!))) return false;
    return stackAt(threadStack(m, s, 'T0'), f.file, f.line) && d.cycle.length >= 2;
  };
  const runs: EntryRun[] = [];
  const confirmed = (entry: IrFunction, run: EntryRun): Confirmation | null => {
    const w = run.res.witness;
    if (!w || !run.res.deadlock) return null;
    const d = run.res.deadlock;
    const trace = traceOf(w);
    const cyc = d.cycle.map((e) => `${e.thread} waits for ${e.kind === 'lock' ? e.on : `${e.on}`} held by ${e.holder}`).join('; ');
    const table = renderLockdepScenario(trace);
    return {
      status: 'confirmed',
      summary:
        `deadlock${entry === fn ? '' : ` (entered through ${entry.name}())`}: ${cyc}` +
        ` [${stats(run.res)}]${table ? '\n' + table : ''}`,
      trace,
    };
  };
  // When the lock is taken by a caller (the finding names it: "L taken here in
  // holder()"), the scenario starts there: from the waiting function's own
  // entry the lock is not held and nothing can deadlock.
  const holders = holdersOf(ctx, fn);
  const callers = callersOf(ctx.index, fn, 3).filter((c) => !holders.includes(c));
  // First the deadlock's necessary conditions, one thread at a time (cheap, and where most
  // findings on real code are decided); then a narrow search for the witness; then all of it.
  if (f.lock) {
    const nec = necessary(ctx, fn, sources, scope, f.lock);
    if (nec) return nec;
  }
  const hit = witnessFirst(ctx, [...holders, ...callers, fn], { sources, watch, onDeadlock, scope }, confirmed);
  if (hit) return hit;
  const entries = [...holders, fn, ...callers];
  let cbStarted = false;
  for (let k = 0; k < entries.length; k++) {
    const entry = entries[k]!;
    // Each entry gets its share of what is left of the finding's budget.
    const share = Math.max(50, Math.floor(timeLeft(ctx) / (entries.length - k)));
    const line = siteLine(ctx, fn, entry);
    const away = line !== null ? awayFrom(entry, line) : null;
    const run = runEntry(ctx, entry, {
      concurrent: true, allocFail: false, spontaneous: sources, watch, onDeadlock, scope, bounds: { timeMs: share },
      prune: (s, m) => {
        if (!cbStarted && s.threads.some((t) => t.kind !== 'main')) cbStarted = true;
        return !!away?.(s, m);
      },
    });
    runs.push(run);
    const c = confirmed(entry, run);
    if (c) return c;
    // Callers are only a way in when the function's own entry never reaches the call.
    if (run.reached && entry === fn) break;
  }
  const cbs = [...new Set(sources.map((s) => s.callback))].join(', ');
  // Without the callback ever running on some path, "no deadlock" proves nothing.
  if (!cbStarted && runs.some((r) => r.reached)) {
    return {
      status: 'unknown',
      summary: `the model never had ${cbs}() running on any path it explored (its ${sources[0]!.kind} could not be matched to an object of the scenario) (${runs.map((r) => stats(r.res)).join('; ')})`,
      trace: [],
    };
  }
  return noWitness(runs, 'a deadlock', `${cbs}() never waits for ${f.lock ?? 'the lock'} while ${f.function}() waits for it`);
}


/** Functions the finding says hold the lock at the wait (other than the waiting function itself), simplest first. */
function holdersOf(ctx: ScenarioContext, fn: IrFunction): IrFunction[] {
  const names = new Set<string>();
  for (const r of ctx.finding.related) {
    if (r.function && r.function !== fn.name && /taken here|with .* held/.test(r.message)) names.add(r.function);
  }
  const m = /; (\w+)\(\) (?:may )?holds? /.exec(ctx.finding.message);
  if (m && m[1] !== fn.name) names.add(m[1]!);
  const out: IrFunction[] = [];
  for (const n of names) {
    const h = ctx.index.resolve(n, fn.file);
    if (h && !out.includes(h)) out.push(h);
  }
  const size = (f: IrFunction) => f.blocks.reduce((a, b) => a + b.instrs.length, 0);
  return out.sort((a, b) => size(a) - size(b));
}

/**
 * A first, narrow search for the deadlock itself, before the exhaustive one.
 * For the cycle the callback must be RUNNING, blocked on the lock, when the
 * entry thread waits (a merely pending item is cancelled without waiting):
 * so the callback starts only at the waiting call, aliases and "already
 * running" are tried first, and a path is dropped as soon as the entry thread
 * is past the wait, finished, or waiting there while holding no lock. Only a
 * witness counts: finding none proves nothing, the exhaustive search follows.
 */
function witnessFirst(
  ctx: ScenarioContext,
  entries: IrFunction[],
  o: { sources: Spontaneous[]; watch: { file: string; line: number }; onDeadlock: (d: Deadlock, s: State, m: Machine) => boolean; scope: CodeScope },
  confirmed: (entry: IrFunction, run: EntryRun) => Confirmation | null,
): Confirmation | null {
  const { file, line } = o.watch;
  let away: ((s: State, m: Machine) => boolean) | null = null;
  const prune = (s: State, m: Machine): boolean => {
    if (away?.(s, m)) return true;
    const t0 = s.threads.find((t) => t.id === 'T0');
    if (!t0 || t0.status === 'done') return true;
    const at = stackAt(threadStack(m, s, 'T0'), file, line);
    if (!at) return !!s.watched;
    if (t0.status === 'blocked' && t0.wait?.kind === 'async') {
      const held = Object.keys(s.locks).filter((k) => s.locks[k]!.owner === 'T0' || s.locks[k]!.readers.includes('T0'));
      if (!held.length) return true;
      // Another thread took a lock of the same class as one T0 holds, without
      // blocking: a different instance (another object), the path of a
      // non-aliasing choice; the witness is the one where they are the same.
      const classes = new Set(held.map((k) => lockClass(s, k)));
      for (const k in s.locks) {
        const l = s.locks[k]!;
        if (l.owner && l.owner !== 'T0' && classes.has(lockClass(s, k))) return true;
      }
    }
    return false;
  };
  // A share of the finding's budget, so the refutation and the exhaustive search keep most of it.
  const deadline = now(ctx) + Math.max(200, Math.floor(timeLeft(ctx) / 3));
  const seen = new Set<IrFunction>();
  for (const entry of entries) {
    if (seen.has(entry)) continue;
    seen.add(entry);
    const t = now(ctx);
    if (t >= deadline) break;
    // Each entry gets its share of what is left; an entry that finishes early leaves more to the others.
    const left = Math.max(50, Math.floor((deadline - t) / (entries.length - seen.size + 1)));
    const line = siteLine(ctx, fnOf(ctx), entry);
    away = line !== null ? awayFrom(entry, line) : null;
    const run = runEntry(ctx, entry, {
      concurrent: true,
      allocFail: false,
      spontaneous: o.sources,
      spontaneousAtWaitOnly: true,
      witnessFirst: true,
      watch: o.watch,
      onDeadlock: o.onDeadlock,
      scope: o.scope,
      prune,
      bounds: { timeMs: left, forks: Math.min(ctx.bounds.forks, 24), states: Math.max(1000, Math.floor(ctx.bounds.states / 4)) },
    });
    const c = confirmed(entry, run);
    if (c) return c;
  }
  return null;
}

/** A lock's class in the lockdep sense: the struct type and member it is, whatever the object. */
function lockClass(s: State, key: string): string {
  const m = /^o(\d+)(?:\.(.*))?$/.exec(key);
  if (!m) return key;
  const o = s.objs[Number(m[1])];
  return o && o.type ? `${o.type}|${m[2] ?? ''}` : `${s.locks[key]?.name ?? key}`;
}

/**
 * The deadlock's two necessary conditions, each checked on one thread alone
 * (no interleaving, so the search is small enough to complete): the waiting
 * thread reaches the wait holding a lock of the finding's class (from the
 * waiting function's own entry and from each holder the finding names), and
 * the callback takes a lock of that class. A complete search that shows
 * either impossible refutes the finding; otherwise null (the concurrent
 * search decides).
 */
function necessary(ctx: ScenarioContext, fn: IrFunction, sources: Spontaneous[], scope: CodeScope, lock: string): Confirmation | null {
  const f = ctx.finding;
  const until = now(ctx) + Math.floor(timeLeft(ctx) / 2);
  const share = (n: number) => Math.max(50, Math.floor((until - now(ctx)) / Math.max(1, n)));
  const cbs = [...new Set(sources.map((s) => s.callback))];
  // (1) The waiting thread alone: at the wait in the waiting function (from its own entry), and at
  // each call where the finding says a holder calls into the chain with the lock held.
  const sites = holderSites(ctx, fn);
  const runs: { site: Site; run: EntryRun }[] = [];
  const heldAt: string[] = [];
  let arrivals = 0;
  /** The waiting function's own run began with the lock held (its assert or __must_hold: the callers' lock). */
  let preheldInFn = false;
  for (let k = 0; k < sites.length; k++) {
    const site = sites[k]!;
    const run = runEntry(ctx, site.entry, {
      concurrent: false, allocFail: false, spontaneous: [], watch: { file: site.file, line: site.line }, scope, sliceMember: lockMember(lock),
      bounds: { timeMs: share(sites.length - k + 1) },
      // Past the watched call nothing matters to this question, nor where it cannot be reached any more.
      prune: (s, m) => !!s.watched || (site.file === site.entry.file && !!awayFrom(site.entry, site.line)?.(s, m)),
      atWatch: (x) => {
        if (x.t.id !== 'T0') return;
        if (site.entry === fn && Object.values(x.s.locks).some((l) => l.preheld && sameLockMember(l.name, lock))) preheldInFn = true;
        const held = Object.values(x.s.locks).filter((l) => l.owner === 'T0' || l.readers.includes('T0')).map((l) => l.name);
        const match = held.filter((n) => sameLockMember(n, lock));
        if (match.length) heldAt.push(`${site.entry.name}() at ${site.file}:${site.line} holds ${match.join(', ')}`);
        else arrivals++;
      },
    });
    runs.push({ site, run });
    if (heldAt.length) break;
    // The callers' lock was already assumed held on entry and is released before the wait on every
    // path: what the holders hold at their calls no longer matters.
    if (k === 0 && preheldInFn && run.reached && !limits(run.res)) {
      return {
        status: 'refuted',
        summary:
          `${fn.name}() starts holding ${lock} (its callers' lock) and releases it before the wait at ${f.file}:${f.line} on every path ` +
          `(${arrivals} arrival${arrivals === 1 ? '' : 's'}, none holding a lock of that member), so no caller's ${lock} is held there ` +
          `while ${cbs.join(', ')}() runs (explored ${stats(run.res)})`,
        trace: [],
      };
    }
  }
  const complete = runs.every((r) => !limits(r.run.res) && r.run.reached);
  if (!heldAt.length && complete && runs.length === sites.length) {
    const where = sites.map((x) => `${x.entry.name}() at ${x.file}:${x.line}`).join(', ');
    return {
      status: 'refuted',
      summary:
        `no thread reaches the wait holding ${lock}: ${where} ${sites.length === 1 ? 'is' : 'are'} reached ${arrivals} way${arrivals === 1 ? '' : 's'}, ` +
        `never with a lock of that member held, so ${cbs.join(', ')}() cannot block the wait ` +
        `(explored ${runs.map((r) => `from ${r.site.entry.name}(): ${stats(r.run.res)}`).join('; ')})`,
      trace: [],
    };
  }
  // (2) The callback alone: does it ever take the lock?
  const cbRuns: EntryRun[] = [];
  const taken = new Set<string>();
  for (let k = 0; k < cbs.length; k++) {
    const cbFn = ctx.index.resolve(cbs[k]!, sources.find((s) => s.callback === cbs[k])!.file);
    if (!cbFn || cbFn.blocks.length === 0) return null;
    const run = runEntry(ctx, cbFn, {
      concurrent: false, allocFail: false, spontaneous: [], watch: null, scope, sliceMember: lockMember(lock),
      bounds: { timeMs: share(cbs.length - k) },
      onAcquireName: (name) => {
        if (sameLockMember(name, lock)) taken.add(name);
      },
    });
    cbRuns.push(run);
    if (taken.size) return null;
  }
  if (cbRuns.every((r) => !limits(r.res))) {
    return {
      status: 'refuted',
      summary: `${cbs.join(', ')}() never takes ${lock} (nor any lock of that member) on any path, run alone (explored ${cbRuns.map((r) => stats(r.res)).join('; ')}): nothing can wait for ${lock} while ${fn.name}() waits for it`,
      trace: [],
    };
  }
  return null;
}

interface Site {
  entry: IrFunction;
  file: string;
  line: number;
}

/**
 * Where the waiting thread must hold the lock for the deadlock: at the wait
 * itself, and, for each holder the message names (`X() and Y() may hold L
 * when they call ...`), at its call into the chain (its related location),
 * checked from its own entry.
 */
function holderSites(ctx: ScenarioContext, fn: IrFunction): Site[] {
  const f = ctx.finding;
  const out: Site[] = [{ entry: fn, file: f.file, line: f.line }];
  const m = /; ((?:\w+\(\)(?:, | and )?)+) (?:may )?holds? \S+ when (?:it|they) calls? /.exec(f.message);
  if (!m) return out;
  for (const h of m[1]!.matchAll(/(\w+)\(\)/g)) {
    const name = h[1]!;
    if (name === fn.name) continue;
    const r = f.related.find((x) => x.function === name && /^calls .* with .* held/.test(x.message));
    const entry = ctx.index.resolve(name, r?.file ?? fn.file);
    if (!entry || entry.blocks.length === 0) continue;
    out.push(r ? { entry, file: r.file, line: r.line } : { entry, file: f.file, line: f.line });
  }
  return out;
}


function fnOf(ctx: ScenarioContext): IrFunction {
  return findingFunction(ctx.index, ctx.finding)!;
}

/** The line of `entry` where the waiting thread must be for the deadlock: the wait itself, a holder's call into the chain, a caller's call. */
function siteLine(ctx: ScenarioContext, fn: IrFunction, entry: IrFunction): number | null {
  if (entry === fn) return ctx.finding.line;
  const site = holderSites(ctx, fn).find((x) => x.entry === entry && x.file === entry.file && x.line !== ctx.finding.line);
  if (site) return site.line;
  const r = ctx.finding.related.find((x) => x.function === entry.name && x.file === entry.file && /^calls /.test(x.message));
  if (r) return r.line;
  return callLine(entry, fn.name);
}
