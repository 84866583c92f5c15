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

export function cloneState(s: State): State {
  const trace = s.trace;
  const events = s.events;
  s.trace = null;
  s.events = [];
  const c = structuredClone(s);
  s.trace = trace;
  s.events = events;
  c.trace = trace;
  c.events = events.slice();
  return c;
}

/** Canonical JSON with sorted keys. */
function canon(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return '[' + v.map((x) => canon(x)).join(',') + ']';
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canon(o[k])).join(',') + '}';
}

/** Hash of what decides the future of a state: not the trace, the events met, counters or loop visits. */
export function hashState(s: State): string {
  const proj = {
    threads: s.threads.map((t) => ({ ...t, label: undefined, frames: t.frames.map((f) => ({ ...f, loops: undefined })) })),
    objs: s.objs,
    globals: s.globals,
    bind: s.bind,
    facts: s.facts,
    locks: s.locks,
    async: s.async,
    lists: s.lists,
    started: s.started,
    bound: s.bound,
  };
  return createHash('sha1').update(canon(proj)).digest('base64');
}

export function addTrace(s: State, thread: string, file: string, line: number, step: string): void {
  s.trace = { thread, file, line, step, prev: s.trace, len: (s.trace?.len ?? 0) + 1 };
}

export function traceArray(t: TraceNode | null): { thread: string; file: string; line: number; step: string }[] {
  const out: { thread: string; file: string; line: number; step: string }[] = [];
  for (let n = t; n; n = n.prev) out.push({ thread: n.thread, file: n.file, line: n.line, step: n.step });
  return out.reverse();
}
