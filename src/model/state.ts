/**
 * The machine state: threads, heap, locks, async items (works, timers,
 * kthreads), lists, and the choices made so far on this path. Plain data so
 * it can be cloned and hashed; the trace is a shared immutable linked list
 * kept out of the hash.
 */
import { createHash } from 'node:crypto';
import type { Value } from './values.js';

export interface ObjState {
  id: number;
  /** Normalised C type of the whole object (`struct group_device`), or null when unknown. */
  type: string | null;
  fields: Record<string, Value>;
  /** 'pre': existed before the scenario (fields unconstrained); 'zero': kzalloc'd; 'global'; 'stack'. */
  origin: 'pre' | 'zero' | 'global' | 'stack';
  /** 0 live, 1 freed, 2 freed after an RCU grace period (kfree_rcu). */
  freed: 0 | 1 | 2;
  /** How the object was first reached, for traces: `group`, `gdev->group`. */
  label: string;
  /** Sub-objects that exist as objects of their own (a `struct device` later found inside a container): member path -> object. */
  embedded?: Record<string, number>;
  /** The container this object turned out to be embedded in. */
  parent?: { obj: number; path: string };
}

export interface LockState {
  /** Thread holding it exclusively. */
  owner: string | null;
  readers: string[];
  /** Display name: the access path it was first taken through (`group->mutex`). */
  name: string;
  /** Taken on entry because the entry function requires it (its caller's contract). */
  preheld?: boolean;
  /** Where the current owner took it. */
  at?: { file: string; line: number };
}

/** A work item, timer, hrtimer or kthread task. Absent from `async` = never touched (state unknown). */
export interface AsyncState {
  kind: 'work' | 'timer' | 'hrtimer' | 'kthread';
  state: 'idle' | 'pending' | 'running' | 'disabled';
  callback: string | null;
  /** Thread running the callback. */
  runner: string | null;
  name: string;
  /** kthread_stop was called. */
  stop?: boolean;
  /** For kthreads: the data argument. */
  data?: Value;
}

/** A list head. Elements are pointers to their embedded list_head nodes. */
export interface ListState {
  items: Value[];
  /** May hold further elements never observed (a list of a pre-existing object). */
  open: boolean;
  /** Known to hold at least one element not in `items`. */
  nonEmptyOpen: boolean;
}

export type Wait =
  | { kind: 'lock'; key: string; write: boolean }
  | { kind: 'async'; key: string; why: string }
  | { kind: 'thread'; tid: string };

export interface FrameState {
  /** Function key in the machine's registry (`file::name`). */
  fn: string;
  block: number;
  idx: number;
  prev: number;
  locals: Record<string, Value>;
  /** Locals whose storage is an object (struct locals, locals whose address was taken). */
  addr: Record<string, number>;
  loops: Record<number, number>;
  iters: Record<number, { items: Value[]; i: number }>;
}

export interface ThreadState {
  id: string;
  kind: 'main' | 'work' | 'timer' | 'hrtimer' | 'kthread';
  /** What it runs, for traces: `iommu_work_fn` on `gdev->work`. */
  label: string;
  frames: FrameState[];
  status: 'ready' | 'blocked' | 'done';
  wait: Wait | null;
  /** The async item it runs, if any. */
  asyncKey: string | null;
  /** A step that reached the thread's kill bound or BUG(). */
  killed?: string;
}

export interface ModelEvent {
  kind: 'assert' | 'double-lock' | 'warn' | 'bug' | 'use-after-free' | 'double-free' | 'unlock-not-held' | 'return';
  thread: string;
  file: string;
  line: number;
  text: string;
  /** Lock involved (display name) and its key. */
  lock?: string;
  lockKey?: string;
  detail: string;
  /** The call stack, innermost last: function, file and line of the current statement. */
  stack: { fn: string; file: string; line: number }[];
  /** For 'return' of the entry function: locks still held (names) and their keys. */
  held?: { name: string; key: string }[];
  /** For 'return': the value returned, and whether it is known to be zero (true), non-zero (false) or not known (null). */
  ret?: { text: string; zero: boolean | null };
  /** Length of the trace up to and including the step that reports the event. */
  traceLen?: number;
}

export interface TraceNode {
  thread: string;
  file: string;
  line: number;
  step: string;
  prev: TraceNode | null;
  len: number;
}

export interface State {
  threads: ThreadState[];
  objs: Record<number, ObjState>;
  nextObj: number;
  nextSym: number;
  nextThread: number;
  globals: Record<string, number>;
  /** Unconstrained values fixed on this path: sym id -> value. */
  bind: Record<number, Value>;
  /** Answers given on this path to questions about unconstrained values (`s3<0`). */
  facts: Record<string, boolean>;
  locks: Record<string, LockState>;
  async: Record<string, AsyncState>;
  lists: Record<string, ListState>;
  /** Keys of async items spontaneously started by the scenario (each at most once). */
  started: Record<string, true>;
  events: ModelEvent[];
  forks: number;
  steps: number;
  /** A bound hit on this path (the path stops there). */
  bound: string | null;
  /** Results of pure tree functions already called on this path, by function and arguments. */
  memo?: Record<string, Value>;
  /** The thread whose transition ended at a choice rather than a visible operation: it goes on alone. */
  cont?: string | null;
  /** The entry thread has executed the scenario's watched line on this path. */
  watched?: boolean;
  trace: TraceNode | null;
}

export function initialState(): State {
  return {
    threads: [],
    objs: {},
    nextObj: 1,
    nextSym: 1,
    nextThread: 0,
    globals: {},
    bind: {},
    facts: {},
    locks: {},
    async: {},
    lists: {},
    started: {},
    events: [],
    forks: 0,
    steps: 0,
    bound: null,
    trace: null,
  };
}

/**
 * Objects a state may change in place: those it made or copied since it was
 * last cloned. cloneState() shares the objects between the copy and the
 * original (most steps change one or two of them); whoever changes an object
 * gets it with mutableObj(), which copies it first when it is shared.
 * A state never cloned owns all its objects.
 */
const owned = new WeakMap<State, Set<number>>();

/** The object `id` of `s`, safe to change in place (copied first when another state shares it). */
export function mutableObj(s: State, id: number): ObjState | undefined {
  const o = s.objs[id];
  if (!o) return o;
  const mine = owned.get(s);
  if (!mine || mine.has(id)) return o;
  const c: ObjState = { ...o, fields: { ...o.fields }, embedded: o.embedded ? { ...o.embedded } : undefined };
  s.objs[id] = c;
  mine.add(id);
  return c;
}

/** Adds an object the state just made (its own). */
export function addObj(s: State, o: ObjState): void {
  s.objs[o.id] = o;
  owned.get(s)?.add(o.id);
}

/**
 * Copies every container of a state but the objects, which are shared until
 * one side changes them (mutableObj); values themselves are never mutated in
 * place, so they are shared.
 */
export function cloneState(s: State): State {
  const objs: Record<number, ObjState> = {};
  for (const k in s.objs) objs[k] = s.objs[k]!;
  const locks: Record<string, LockState> = {};
  for (const k in s.locks) {
    const l = s.locks[k]!;
    locks[k] = { ...l, readers: l.readers.slice() };
  }
  const asyncs: Record<string, AsyncState> = {};
  for (const k in s.async) asyncs[k] = { ...s.async[k]! };
  const lists: Record<string, ListState> = {};
  for (const k in s.lists) {
    const l = s.lists[k]!;
    lists[k] = { ...l, items: l.items.slice() };
  }
  const out: State = {
    threads: s.threads.map((t) => ({
      ...t,
      frames: t.frames.map((f) => {
        const iters: FrameState['iters'] = {};
        for (const k in f.iters) iters[k] = { ...f.iters[k]! };
        return { ...f, locals: { ...f.locals }, addr: { ...f.addr }, loops: { ...f.loops }, iters };
      }),
    })),
    objs,
    nextObj: s.nextObj,
    nextSym: s.nextSym,
    nextThread: s.nextThread,
    globals: { ...s.globals },
    bind: { ...s.bind },
    facts: { ...s.facts },
    locks,
    async: asyncs,
    lists,
    started: { ...s.started },
    events: s.events.slice(),
    forks: s.forks,
    steps: s.steps,
    bound: s.bound,
    cont: s.cont ?? null,
    watched: s.watched,
    memo: s.memo ? { ...s.memo } : undefined,
    trace: s.trace,
  };
  // From now on every object of `s` is shared with the copy.
  owned.set(s, new Set());
  owned.set(out, new Set());
  return out;
}

function sortedRecord(r: Record<string, unknown>, each: (v: unknown) => string): string {
  const keys = Object.keys(r);
  if (keys.length > 1) keys.sort();
  let out = '{';
  for (const k of keys) out += k + ':' + each(r[k]) + ',';
  return out + '}';
}
const J = (v: unknown) => JSON.stringify(v) ?? 'u';
/** A value, compactly (labels left out: they only name things in traces). */
function V(x: unknown): string {
  const v = x as Value;
  switch (v.k) {
    case 'int': return `${v.v}`;
    case 'null': return 'N';
    case 'ptr': return `&${v.obj}.${v.path}`;
    case 'fn': return `f${v.name}`;
    case 'str': return `"${v.v}"`;
    case 'sym': return `s${v.id}:${v.t ?? ''}`;
    case 'term': return `t${v.key}`;
  }
}
const P = (x: unknown) => String(x);

const objText = new WeakMap<ObjState, string>();

/** Hash of what decides the future of a state: not the trace, the events met, counters, labels or loop visits. */
export function hashState(s: State): string {
  let out = '';
  for (const t of s.threads) {
    out += `T${t.id}|${t.kind}|${t.status}|${J(t.wait)}|${t.asyncKey}|${t.killed ?? ''}[`;
    for (const f of t.frames) {
      out += `${f.fn}@${f.block}.${f.idx}<${f.prev}` + sortedRecord(f.locals, V) + sortedRecord(f.addr, P);
      for (const k in f.iters) out += `i${k}:${f.iters[k]!.i}:${f.iters[k]!.items.map(V).join(',')}`;
      out += ';';
    }
    out += ']';
  }
  const mine = owned.get(s);
  for (const k in s.objs) {
    const o = s.objs[k]!;
    // A shared object never changes again (its states copy it first): its text is kept.
    const shared = mine !== undefined && !mine.has(o.id);
    let t = shared ? objText.get(o) : undefined;
    if (t === undefined) {
      t = `${o.type}|${o.origin}|${o.freed}|${o.embedded ? J(o.embedded) : ''}|${o.parent ? J(o.parent) : ''}` + sortedRecord(o.fields, V);
      if (shared) objText.set(o, t);
    }
    out += `o${k}:${t}`;
  }
  out += sortedRecord(s.globals, P) + sortedRecord(s.bind, V) + sortedRecord(s.facts, P);
  out += sortedRecord(s.locks, (l) => {
    const x = l as LockState;
    return `${x.owner}|${x.readers.join(',')}|${x.preheld ? 1 : 0}`;
  });
  out += sortedRecord(s.async, (a) => {
    const x = a as AsyncState & { again?: boolean };
    return `${x.kind}|${x.state}|${x.callback}|${x.runner}|${x.stop ? 1 : 0}|${x.again ? 1 : 0}|${x.data ? V(x.data) : ''}`;
  });
  out += sortedRecord(s.lists, (l) => {
    const x = l as ListState;
    return `${x.open ? 1 : 0}${x.nonEmptyOpen ? 1 : 0}${x.items.map(V).join(',')}`;
  });
  out += sortedRecord(s.started, P) + sortedRecord(s.memo ?? {}, V) + `${s.bound}|${s.cont ?? ''}|${s.watched ? 1 : 0}`;
  return createHash('sha1').update(out).digest('base64');
}

export function addTrace(s: State, thread: string, file: string, line: number, step: string): void {
  s.trace = { thread, file, line, step, prev: s.trace, len: (s.trace?.len ?? 0) + 1 };
}

export function traceArray(t: TraceNode | null, upTo?: number): { thread: string; file: string; line: number; step: string }[] {
  const out: { thread: string; file: string; line: number; step: string }[] = [];
  for (let n = t; n; n = n.prev) if (upTo === undefined || n.len <= upTo) out.push({ thread: n.thread, file: n.file, line: n.line, step: n.step });
  return out.reverse();
}
