/**
 * Exhaustive depth-first exploration of the interleavings of a state's
 * threads, switching threads only at visible operations, with state hashing
 * and explicit bounds. Workers for pending works and timers are started as
 * scheduler actions; a scenario may also let work that was already pending
 * before it began (a pre-existing object's work) start at any point.
 */
import type { Bounds } from './bounds.js';
import { locKey } from './heap.js';
import type { Machine } from './machine.js';
import { Exec } from './machine.js';
import { BoundHit } from './signals.js';
import { addTrace, cloneState, hashState, mutableObj, type AsyncState, type ModelEvent, type State, type ThreadState } from './state.js';
import { ptr, structName, type Value } from './values.js';

/** Callbacks that may already be pending (or start running) on objects the scenario did not create. */
export interface Spontaneous {
  kind: 'work' | 'timer' | 'hrtimer' | 'kthread';
  /** Struct owning the work/timer (or, for a kthread, the field holding the task); null for a global. */
  struct: string | null;
  /** Field path of the work_struct/timer (for delayed work: the delayed_work field), or the global's name. */
  field: string;
  /** For delayed work the callback runs on `field.work`. */
  delayed: boolean;
  callback: string;
  /** The file the binding is in (to resolve a static callback). */
  file: string;
}

export interface DeadlockEdge {
  thread: string;
  /** What it waits for: a lock name or an async item name. */
  on: string;
  /** The thread it waits for. */
  holder: string;
  kind: 'lock' | 'async' | 'thread';
}

export interface Deadlock {
  cycle: DeadlockEdge[];
}

export interface ExploreOptions {
  spontaneous: Spontaneous[];
  /** A new event on a path; return true when it is the witness (stops the search). */
  onEvent?(ev: ModelEvent, s: State): boolean;
  onDeadlock?(d: Deadlock, s: State): boolean;
  /** A state from which the scenario's witness cannot follow: counted as a path end, not expanded. */
  prune?(s: State): boolean;
}

export interface ExploreResult {
  witness: State | null;
  event: ModelEvent | null;
  deadlock: Deadlock | null;
  /** Bounds hit on some path (each named once). */
  bounds: string[];
  /** Background threads' loops cut at the loop bound (not a reason for `unknown`). */
  softBounds: string[];
  /** Constructs the model could not run, with where. */
  unmodelled: string[];
  infeasible: number;
  states: number;
  paths: number;
  ms: number;
}

export function explore(m: Machine, init: State, opts: ExploreOptions): ExploreResult {
  const now = m.clock;
  const t0 = now();
  const bounds = new Set<string>();
  const unmodelled = new Set<string>();
  const visited = new Set<string>();
  const soft = new Set<string>();
  const res: ExploreResult = { witness: null, event: null, deadlock: null, bounds: [], softBounds: [], unmodelled: [], infeasible: 0, states: 0, paths: 0, ms: 0 };
  const stack: State[] = [init];
  const B: Bounds = m.bounds;
  const finish = () => {
    res.bounds = [...bounds];
    res.softBounds = [...soft];
    res.unmodelled = [...unmodelled];
    res.ms = Math.max(0, Math.round(now() - t0));
    return res;
  };
  while (stack.length) {
    if (res.states >= B.states) {
      bounds.add(`states (${B.states})`);
      break;
    }
    if (B.timeMs <= 0 || ((res.states & 31) === 0 && now() - t0 > B.timeMs)) {
      bounds.add(`time (${B.timeMs} ms)`);
      break;
    }
    const s = stack.pop()!;
    const h = hashState(s);
    if (visited.has(h)) continue;
    visited.add(h);
    res.states++;

    const dl = findDeadlock(s);
    if (dl && opts.onDeadlock?.(dl, s)) {
      res.witness = s;
      res.deadlock = dl;
      return finish();
    }
    if (opts.prune?.(s)) {
      res.paths++;
      continue;
    }

    const succ: State[] = [];
    const push = (st: State, before: number): boolean => {
      for (let i = before; i < st.events.length; i++) {
        const ev = st.events[i]!;
        if (opts.onEvent?.(ev, st)) {
          res.witness = st;
          res.event = ev;
          return true;
        }
      }
      return false;
    };
    const cont = s.cont ? s.threads.find((t) => t.id === s.cont && m.enabled(s, t)) : undefined;
    for (const t of cont ? [cont] : s.threads) {
      if (!m.enabled(s, t)) continue;
      for (const out of m.step(s, t.id)) {
        if (push(out.state, s.events.length)) return finish();
        if (out.stop) {
          if (out.stop.kind === 'bound') bounds.add(out.stop.why);
          else if (out.stop.kind === 'soft-bound') soft.add(out.stop.why);
          else if (out.stop.kind === 'unmodelled') unmodelled.add(out.stop.why);
          else res.infeasible++;
          continue;
        }
        succ.push(out.state);
      }
    }
    if (!cont) for (const st of asyncStarts(m, s, opts.spontaneous, bounds)) succ.push(st);
    if (succ.length === 0) res.paths++;
    // Depth-first: the first successor is explored first.
    for (let i = succ.length - 1; i >= 0; i--) stack.push(succ[i]!);
  }
  return finish();
}

function parseKey(key: string): { obj: number; path: string } | null {
  const m = /^o(\d+)(?:\.(.*))?$/.exec(key);
  return m ? { obj: Number(m[1]), path: m[2] ?? '' } : null;
}

/** States in which a worker (or timer, or kthread) starts running a callback. */
function asyncStarts(m: Machine, s: State, spont: Spontaneous[], bounds: Set<string>): State[] {
  const out: State[] = [];
  const live = s.threads.filter((t) => t.status !== 'done').length;
  const room = live < m.bounds.threads;
  // Work and timers queued on this path.
  for (const [key, a] of Object.entries(s.async)) {
    if (a.state !== 'pending' || a.runner || a.kind === 'kthread' || !a.callback) continue;
    if (!room) {
      bounds.add(`threads (${m.bounds.threads})`);
      continue;
    }
    const st = startCallback(m, s, key, a.kind, a.callback, null, null);
    if (st) out.push(st);
  }
  // Callbacks pending or running from before the scenario, on objects of the bound type.
  // (They may also start right where the scenario waits for them: see primitives.)
  // At most one such callback per path: a scenario needs one, and each more multiplies the interleavings.
  const already = s.facts['spontaneous'] === true;
  for (const src of spont) {
    if (already && src.kind !== 'kthread') continue;
    for (const cand of candidates(s, src, m.types)) {
      if (!room) {
        bounds.add(`threads (${m.bounds.threads})`);
        break;
      }
      const st = startCallback(m, s, cand.key, src.kind, src.callback, src, cand.owner);
      if (st) out.push(st);
    }
  }
  return out;
}

function candidates(s: State, src: Spontaneous, types?: Machine['types']): { key: string; owner: number }[] {
  const out: { key: string; owner: number }[] = [];
  if (src.kind === 'kthread') {
    // The thread runs on the object whose field holds its task.
    if (src.struct === null) {
      const g = s.globals[src.field];
      if (g !== undefined && !s.started[`kt:${g}`]) out.push({ key: `kt:${g}`, owner: g });
      return out;
    }
    for (const o of Object.values(s.objs)) {
      if (o.origin !== 'pre' || structName(o.type) !== src.struct || s.started[`kt:${o.id}`]) continue;
      out.push({ key: `kt:${o.id}`, owner: o.id });
    }
    return out;
  }
  const path = src.delayed ? `${src.field}.work` : src.field;
  if (src.struct === null) {
    const g = s.globals[src.field];
    if (g !== undefined) {
      const key = locKey(g, src.delayed ? 'work' : '');
      if (!s.async[key] && !s.started[key]) out.push({ key, owner: g });
    }
    return out;
  }
  for (const o of Object.values(s.objs)) {
    if (o.origin !== 'pre' || o.freed) continue;
    if (structName(o.type) === src.struct) {
      const key = locKey(o.id, path);
      if (!s.async[key] && !s.started[key]) out.push({ key, owner: o.id });
      continue;
    }
    // The bound struct embedded one level down (`struct ath_btcoex btcoex;` in the object).
    for (const [name, t] of types?.fields(o.type) ?? []) {
      if (structName(t) !== src.struct || /\*/.test(t)) continue;
      const key = locKey(o.id, `${name}.${path}`);
      if (!s.async[key] && !s.started[key]) out.push({ key, owner: o.id });
    }
  }
  return out;
}

export function startCallback(
  m: Machine,
  s0: State,
  key: string,
  kind: AsyncState['kind'],
  callback: string,
  src: Spontaneous | null,
  owner: number | null,
): State | null {
  const fn = m.resolve(callback, src?.file ?? '');
  const any = fn ?? m.index.functions(callback)[0] ?? null;
  if (!any || any.blocks.length === 0) return null;
  const s = cloneState(s0);
  try {
    if (kind === 'kthread') {
      const o = owner!;
      s.started[key] = true;
      // The task pointer stored in the owner's field designates this thread.
      const ownerObj = s.objs[o]!;
      const path = src!.struct === null ? '' : src!.field;
      let tv: Value | undefined = ownerObj.fields[path];
      let task: number;
      const norm = (v: Value | undefined): Value | undefined => {
        let cur = v;
        for (let i = 0; i < 8 && cur && cur.k === 'sym' && s.bind[cur.id]; i++) cur = s.bind[cur.id];
        return cur;
      };
      tv = norm(tv);
      if (tv && tv.k === 'ptr') task = tv.obj;
      else {
        task = s.nextObj++;
        s.objs[task] = { id: task, type: 'struct task_struct', fields: {}, origin: 'zero', freed: 0, label: `task of ${ownerObj.label}` };
        if (tv && tv.k === 'sym') s.bind[tv.id] = ptr(task, '');
        else mutableObj(s, o)!.fields[path] = ptr(task, '');
      }
      const tkey = locKey(task, '');
      if (s.async[tkey]) return null;
      const data: Value = src!.struct === null ? { k: 'sym', id: s.nextSym++, t: null, label: 'data' } : ptr(o, '');
      const th = m.spawn(s, 'kthread', `kthread ${callback}`, any, [data], tkey);
      s.async[tkey] = { kind: 'kthread', state: 'running', callback, runner: th.id, name: `kthread ${callback}`, data };
      addTrace(s, th.id, any.file, any.pos.line, `${callback}(${ownerObj.label})  [kthread ${callback} running on ${th.id}]`);
      return s;
    }
    const loc = parseKey(key)!;
    const o = s.objs[loc.obj];
    const name = o ? `${o.label}${o.origin === 'global' && !loc.path ? '' : '->' + loc.path}` : key;
    const th: ThreadState = m.spawn(s, kind === 'work' ? 'work' : kind, `${kind === 'work' ? 'kworker' : kind} ${callback}`, any, [ptr(loc.obj, loc.path)], key);
    const prev = s.async[key];
    s.async[key] = { kind, state: 'running', callback, runner: th.id, name: prev?.name ?? name };
    if (src) {
      s.started[key] = true;
      s.facts['spontaneous'] = true;
    }
    addTrace(s, th.id, any.file, any.pos.line, `${callback}(&${name})  [starts ${kind === 'work' ? 'work' : kind} ${prev?.name ?? name} on ${th.id}${src ? ', pending from before' : ''}]`);
    return s;
  } catch (e) {
    if (e instanceof BoundHit) return null;
    throw e;
  }
}

/** Threads waiting on each other in a cycle. */
export function findDeadlock(s: State): Deadlock | null {
  const byId = new Map(s.threads.map((t) => [t.id, t]));
  const edge = (t: ThreadState): DeadlockEdge | null => {
    if (t.status !== 'blocked' || !t.wait) return null;
    const w = t.wait;
    if (w.kind === 'lock') {
      const l = s.locks[w.key];
      if (!l) return null;
      const holder = l.owner ?? (w.write ? l.readers[0] : undefined);
      if (!holder) return null;
      return { thread: t.id, on: l.name, holder, kind: 'lock' };
    }
    if (w.kind === 'async') {
      const a = s.async[w.key];
      if (!a || !a.runner) return null;
      return { thread: t.id, on: a.name, holder: a.runner, kind: 'async' };
    }
    return { thread: t.id, on: w.tid, holder: w.tid, kind: 'thread' };
  };
  for (const start of s.threads) {
    const seen = new Map<string, number>();
    const path: DeadlockEdge[] = [];
    let cur: ThreadState | undefined = start;
    while (cur) {
      if (seen.has(cur.id)) {
        const cyc = path.slice(seen.get(cur.id)!);
        return cyc.length ? { cycle: cyc } : null;
      }
      seen.set(cur.id, path.length);
      const e = edge(cur);
      if (!e) break;
      const h = byId.get(e.holder);
      if (!h || h.status !== 'blocked') break;
      path.push(e);
      cur = h;
    }
  }
  return null;
}

export { Exec };
