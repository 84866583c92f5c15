/**
 * Built-in models of the kernel primitives the scenarios depend on: locks,
 * lockdep assertions, the workqueue, timers and hrtimers, kthreads, lists,
 * allocation and free, refcounts, WARN_ON/BUG_ON and a few pure helpers.
 * A builtin wins over a definition of the same name found in the tree (the
 * tree's headers define many of these as inline functions).
 */
import type { CallInstr, Expr, Terminator } from '../parse/ir.js';
import { exprText, lockName, parsePath } from './exprtext.js';
import { locKey } from './heap.js';
import { foreachImpl } from './hooks.js';
import { noteText } from './deps.js';
import type { Exec } from './machine.js';
import { NeedChoice, Infeasible, Unmodelled } from './signals.js';
import { addTrace, mutableObj, type AsyncState, type ListState, type Wait } from './state.js';
import { NULLV, ONE, ZERO, bool, int, normType, pointee, ptr, sameValue, structName, valueKey, type Value } from './values.js';

export type PrimResult =
  | Value
  | void
  | { block: Wait }
  | { call: string; args: Value[]; result?: Value }
  | { end: string };

export interface Prim {
  /** A scheduling point: other threads may run before it. */
  visible: boolean;
  /** Visible even in a single-threaded scenario (so the trace shows it as its own step). */
  alwaysVisible?: boolean;
  /** Ends the transition after it (sleeps). */
  yields?: boolean;
  /** Computes a value and changes nothing the scenarios look at. */
  pure?: boolean;
  /** Takes or releases the lock its first argument names; `member` when the lock is a fixed member of it (`base`). */
  lock?: { member?: string };
  run(x: Exec, args: Expr[], ins: CallInstr, vals?: Value[]): PrimResult;
}

export const PRIMITIVES: Record<string, Prim> = Object.create(null);

function def(names: string[], p: Prim): void {
  for (const n of names) PRIMITIVES[n] = p;
}

function arg(x: Exec, args: Expr[], i: number): Value {
  const e = args[i];
  return e ? x.eval(e) : NULLV;
}

// ---- locks -----------------------------------------------------------------

export type LockMode = 'excl' | 'read' | 'write';

export function guardLockMode(cls: string): LockMode | null {
  const c = cls.replace(/\s+/g, '');
  if (/^(mutex|mutex_intr|mutex_try|spinlock|spinlock_irq|spinlock_irqsave|spinlock_bh|spinlock_try|raw_spinlock|raw_spinlock_irq|raw_spinlock_irqsave|raw_spinlock_bh|raw_spinlock_nested|spinlock_nested|mutex_nested)$/.test(c)) return 'excl';
  if (/^(rwsem_read|rwsem_read_intr|rwsem_read_try|read_lock|read_lock_irq|read_lock_irqsave|read_lock_bh)$/.test(c)) return 'read';
  if (/^(rwsem_write|rwsem_write_kill|rwsem_write_try|write_lock|write_lock_irq|write_lock_irqsave|write_lock_bh)$/.test(c)) return 'write';
  return null;
}

function heldBy(x: Exec): string {
  const names = Object.values(x.s.locks)
    .filter((l) => l.owner === x.t.id || l.readers.includes(x.t.id))
    .map((l) => l.name);
  return names.length ? `${x.t.id} holds ${names.join(', ')}` : `${x.t.id} holds no lock`;
}

/** Takes a lock; 'blocked' when another thread (or this one: AA) holds it; false for a failed trylock. */
export function lockAcquire(x: Exec, e: Expr | undefined, mode: LockMode, text: string, trylock = false): 'blocked' | boolean {
  const loc = x.locOf(e, text);
  const name = lockName(e);
  const l = (x.s.locks[loc.key] ??= { owner: null, readers: [], name });
  const me = x.t.id;
  const selfHeld = l.owner === me || (mode !== 'read' && l.readers.includes(me));
  if (selfHeld) {
    if (trylock) {
      x.trace(`${text}  [trylock fails: ${l.name} already held by ${me}]`);
      return false;
    }
    x.event('double-lock', text, `${l.name} taken again by ${me}, which already holds it${l.at ? ` (taken at ${l.at.file}:${l.at.line})` : ''}`, { lock: l.name, lockKey: loc.key });
    x.trace(`${text}  [${me} already holds ${l.name}: blocks on itself (AA deadlock)]`);
    x.t.status = 'blocked';
    x.t.wait = { kind: 'lock', key: loc.key, write: mode !== 'read' };
    return 'blocked';
  }
  const busy = l.owner !== null || (mode !== 'read' && l.readers.length > 0);
  if (busy) {
    const holder = l.owner ?? l.readers.join(', ');
    if (trylock) {
      x.trace(`${text}  [trylock fails: ${l.name} is held by ${holder}]`);
      return false;
    }
    x.trace(`${text}  [blocked on ${l.name}, held by ${holder}; ${heldBy(x)}]`);
    x.t.status = 'blocked';
    x.t.wait = { kind: 'lock', key: loc.key, write: mode !== 'read' };
    return 'blocked';
  }
  if (mode === 'read') l.readers.push(me);
  else l.owner = me;
  l.at = x.here();
  if (!l.preheld) l.name = name;
  x.m.onAcquire?.(x, l.name, loc.key);
  x.trace(`${text}  [acquires ${l.name}; ${heldBy(x)}]`);
  return true;
}

export function lockRelease(x: Exec, e: Expr | undefined, mode: LockMode, text: string): void {
  const loc = x.locOf(e, text);
  const l = x.s.locks[loc.key];
  const me = x.t.id;
  if (!l) {
    // Released without being taken on this path: the caller's lock (`__releases`).
    x.s.locks[loc.key] = { owner: null, readers: [], name: lockName(e), preheld: true };
    x.trace(`${text}  [releases ${lockName(e)} (taken by the caller)]`);
    return;
  }
  if (mode === 'read' ? !l.readers.includes(me) : l.owner !== me) {
    if (l.owner === null && l.readers.length === 0) {
      x.event('unlock-not-held', text, `${l.name} released but not held`, { lock: l.name, lockKey: loc.key });
      x.trace(`${text}  [releases ${l.name}, which is not held]`);
      return;
    }
    // Held by someone else (or read-held): release anyway, the code says so.
  }
  if (mode === 'read') l.readers = l.readers.filter((r) => r !== me);
  else if (l.owner === me) l.owner = null;
  else if (l.readers.includes(me)) l.readers = l.readers.filter((r) => r !== me);
  else l.owner = null;
  delete l.at;
  x.trace(`${text}  [releases ${l.name}; ${heldBy(x)}]`);
}

function lockPrim(mode: LockMode): Prim {
  return {
    lock: {},
    visible: true,
    alwaysVisible: true,
    run(x, args, ins) {
      const r = lockAcquire(x, args[0], mode, ins.text);
      if (r === 'blocked') return { block: x.t.wait! };
      return ZERO;
    },
  };
}
function tryPrim(mode: LockMode): Prim {
  return {
    lock: {},
    visible: true,
    alwaysVisible: true,
    run(x, args, ins) {
      const r = lockAcquire(x, args[0], mode, ins.text, true);
      if (r === 'blocked') return { block: x.t.wait! };
      return bool(r);
    },
  };
}
function unlockPrim(mode: LockMode): Prim {
  return {
    lock: {},
    visible: true,
    alwaysVisible: true,
    run(x, args, ins) {
      lockRelease(x, args[0], mode, ins.text);
      return ZERO;
    },
  };
}

def(
  [
    'mutex_lock', 'mutex_lock_nested', 'mutex_lock_interruptible', 'mutex_lock_interruptible_nested', 'mutex_lock_killable',
    'mutex_lock_killable_nested', 'mutex_lock_io', 'mutex_lock_nest_lock',
    'spin_lock', 'spin_lock_bh', 'spin_lock_irq', 'spin_lock_irqsave', 'spin_lock_nested', 'spin_lock_irqsave_nested', 'spin_lock_nest_lock',
    'raw_spin_lock', 'raw_spin_lock_bh', 'raw_spin_lock_irq', 'raw_spin_lock_irqsave', 'raw_spin_lock_nested',
    'write_lock', 'write_lock_bh', 'write_lock_irq', 'write_lock_irqsave', 'down_write', 'down_write_killable', 'down_write_nested',
  ],
  lockPrim('excl'),
);
def(['read_lock', 'read_lock_bh', 'read_lock_irq', 'read_lock_irqsave', 'down_read', 'down_read_killable', 'down_read_interruptible', 'down_read_nested'], lockPrim('read'));
def(
  ['mutex_trylock', 'spin_trylock', 'spin_trylock_bh', 'spin_trylock_irq', 'spin_trylock_irqsave', 'raw_spin_trylock', 'raw_spin_trylock_irqsave', 'write_trylock', 'down_write_trylock'],
  tryPrim('excl'),
);
def(['read_trylock', 'down_read_trylock'], tryPrim('read'));
def(
  [
    'mutex_unlock', 'spin_unlock', 'spin_unlock_bh', 'spin_unlock_irq', 'spin_unlock_irqrestore', 'raw_spin_unlock', 'raw_spin_unlock_bh',
    'raw_spin_unlock_irq', 'raw_spin_unlock_irqrestore', 'write_unlock', 'write_unlock_bh', 'write_unlock_irq', 'write_unlock_irqrestore', 'up_write',
  ],
  unlockPrim('excl'),
);
def(['read_unlock', 'read_unlock_bh', 'read_unlock_irq', 'read_unlock_irqrestore', 'up_read'], unlockPrim('read'));

// down_write_nest_lock(sem, outer) and mutex_lock_nest_lock: lockdep annotations of the same acquisition.
def(['down_write_nest_lock'], lockPrim('excl'));

// Wound/wait mutexes and dma-buf reservations: the lock is the ww_mutex's `base` mutex
// (`&obj->lock.base`), which is what the rules name. With a NULL acquire context the
// lock cannot fail with -EDEADLK; the model takes it and returns 0.
function wwBase(e: Expr | undefined, resv: boolean): Expr | undefined {
  if (!e) return e;
  if (resv) return { k: 'unary', op: '&', arg: { k: 'field', base: { k: 'field', base: e, name: 'lock', arrow: true }, name: 'base', arrow: false } };
  if (e.k === 'unary' && e.op === '&') return { k: 'unary', op: '&', arg: { k: 'field', base: e.arg, name: 'base', arrow: false } };
  return { k: 'unary', op: '&', arg: { k: 'field', base: e, name: 'base', arrow: true } };
}
function wwPrim(resv: boolean, what: 'lock' | 'try' | 'unlock'): Prim {
  return {
    lock: { member: 'base' },
    visible: true,
    alwaysVisible: true,
    run(x, args, ins) {
      const e = wwBase(args[0], resv);
      if (what === 'unlock') {
        lockRelease(x, e, 'excl', ins.text);
        return ZERO;
      }
      const r = lockAcquire(x, e, 'excl', ins.text, what === 'try');
      if (r === 'blocked') return { block: x.t.wait! };
      return what === 'try' ? bool(r) : ZERO;
    },
  };
}
def(['dma_resv_lock', 'dma_resv_lock_interruptible', 'dma_resv_lock_slow', 'dma_resv_lock_slow_interruptible'], wwPrim(true, 'lock'));
def(['dma_resv_trylock'], wwPrim(true, 'try'));
def(['dma_resv_unlock'], wwPrim(true, 'unlock'));
def(['ww_mutex_lock', 'ww_mutex_lock_interruptible', 'ww_mutex_lock_slow', 'ww_mutex_lock_slow_interruptible'], wwPrim(false, 'lock'));
def(['ww_mutex_trylock'], wwPrim(false, 'try'));
def(['ww_mutex_unlock'], wwPrim(false, 'unlock'));

def(['mutex_init', '__mutex_init', 'spin_lock_init', 'raw_spin_lock_init', 'rwlock_init', 'init_rwsem', '__init_rwsem'], {
  visible: false,
  run(x, args) {
    const loc = x.locOf(args[0], 'lock init');
    x.s.locks[loc.key] = { owner: null, readers: [], name: lockName(args[0]) };
    return ZERO;
  },
});

def(['mutex_is_locked', 'spin_is_locked', 'raw_spin_is_locked', 'rwsem_is_locked'], {
  visible: false,
  run(x, args) {
    const loc = x.locOf(args[0], 'is_locked');
    const l = x.s.locks[loc.key];
    if (!l) return x.chooseFact(`locked(${loc.key})`, `${lockName(args[0])} is locked`) ? ONE : ZERO;
    return bool(l.owner !== null || l.readers.length > 0);
  },
});

/** lockdep_assert_held and kin. */
function assertHeld(x: Exec, e: Expr | undefined, text: string): void {
  const loc = x.locOf(e, text);
  if (x.holds(loc.key)) return;
  const name = lockName(e);
  const l = x.s.locks[loc.key];
  if (x.t.id === x.m.opts.entryThread && x.depth === 1 && (!l || (l.owner === null && l.readers.length === 0 && !l.at && l.preheld === undefined && !touched(x, loc.key)))) {
    // The entry function states its caller's contract: start with the lock held.
    x.s.locks[loc.key] = { owner: x.t.id, readers: [], name, preheld: true, at: x.here() };
    x.trace(`${text}  [entry requires ${name}: assumed held by the caller]`);
    return;
  }
  const holder = l?.owner ? `; held by ${l.owner}` : '';
  x.event('assert', text, `${name} is not held by ${x.t.id}${holder}`, { lock: name, lockKey: loc.key });
  x.trace(`${text}  [assertion fails: ${name} not held by ${x.t.id}${holder}]`);
}

function touched(x: Exec, key: string): boolean {
  return key in x.s.locks;
}

def(['lockdep_assert_held', 'lockdep_assert_held_once', 'lockdep_assert_held_write', 'lockdep_assert_held_read', '__must_hold'], {
  visible: false,
  run(x, args, ins) {
    assertHeld(x, args[0], ins.text);
    return ZERO;
  },
});
def(['lockdep_is_held', 'lockdep_is_held_type'], {
  visible: false,
  run(x, args) {
    const loc = x.locOf(args[0], 'lockdep_is_held');
    return bool(x.holds(loc.key));
  },
});
def(['lockdep_assert', 'lockdep_assert_once'], {
  visible: false,
  run(x, args, ins) {
    // lockdep_assert(lockdep_is_held(&l)): the inner call was hoisted; the
    // argument is its result. Recognise the direct form too.
    const a = args[0];
    if (a && a.k === 'unknown') {
      const m = /lockdep_is_held\s*\((.*)\)\s*$/.exec(a.text);
      const e = m ? parsePath(m[1]!.trim()) : null;
      if (e) {
        assertHeld(x, e, ins.text);
        return ZERO;
      }
    }
    if (!x.truth(arg(x, args, 0))) {
      x.event('assert', ins.text, `${a ? exprText(a) : '?'} is false`);
      x.trace(`${ins.text}  [assertion fails]`);
    }
    return ZERO;
  },
});
def(['lockdep_assert_not_held'], {
  visible: false,
  run(x, args, ins) {
    const loc = x.locOf(args[0], ins.text);
    if (x.holds(loc.key)) {
      x.event('assert', ins.text, `${lockName(args[0])} is held by ${x.t.id}`, { lock: lockName(args[0]), lockKey: loc.key });
      x.trace(`${ins.text}  [assertion fails: ${lockName(args[0])} is held]`);
    }
    return ZERO;
  },
});

// ---- work, timers, kthreads ---------------------------------------------------

type AsyncKind = AsyncState['kind'];

/** The callback bound to a work/timer field by the tree (INIT_WORK, timer_setup...), from the index. */
export function boundCallbacks(x: Exec, obj: number, path: string, kind: AsyncKind): string[] {
  const o = x.s.objs[obj];
  if (!o) return [];
  const sname = o.origin === 'global' && !path ? null : structName(o.type);
  const field = o.origin === 'global' && !path ? o.label : path;
  const fields = kind === 'work' && field.endsWith('.work') ? [field, field.slice(0, -5)] : [field];
  const out = new Set<string>();
  for (const f of fields) {
    try {
      for (const b of x.m.index.bindingsFor(sname, f)) out.add(b.callback);
    } catch {
      /* index without bindings */
    }
  }
  return [...out];
}

function asyncLoc(x: Exec, e: Expr | undefined, delayed: boolean, what: string): { key: string; obj: number; path: string; name: string } {
  const loc = x.locOf(e, what);
  const path = delayed ? (loc.path ? `${loc.path}.work` : 'work') : loc.path;
  return { key: locKey(loc.obj, path), obj: loc.obj, path, name: lockName(e) };
}

function getAsync(x: Exec, l: { key: string; obj: number; path: string; name: string }, kind: AsyncKind): AsyncState {
  let a = x.s.async[l.key];
  if (!a) {
    const cbs = boundCallbacks(x, l.obj, l.path, kind);
    a = { kind, state: 'idle', callback: cbs[0] ?? null, runner: null, name: l.name };
    x.s.async[l.key] = a;
  }
  return a;
}

function fnName(x: Exec, e: Expr | undefined): string | null {
  if (!e) return null;
  if (e.k === 'id') return e.name;
  const v = x.norm(x.eval(e));
  return v.k === 'fn' ? v.name : null;
}

function initAsync(kind: AsyncKind, delayed: boolean, cbArg: number): Prim {
  return {
    visible: false,
    run(x, args, ins) {
      const l = asyncLoc(x, args[0], delayed, ins.text);
      const cb = fnName(x, args[cbArg]);
      x.s.async[l.key] = { kind, state: 'idle', callback: cb, runner: null, name: l.name };
      return ZERO;
    },
  };
}

def(['INIT_WORK', '__INIT_WORK', 'INIT_WORK_ONSTACK'], initAsync('work', false, 1));
def(['INIT_DELAYED_WORK', 'INIT_DEFERRABLE_WORK', 'INIT_DELAYED_WORK_ONSTACK'], initAsync('work', true, 1));
def(['timer_setup', 'setup_timer', 'timer_setup_on_stack'], initAsync('timer', false, 1));
def(['hrtimer_setup'], initAsync('hrtimer', false, 1));
def(['hrtimer_init'], {
  visible: false,
  run(x, args, ins) {
    const l = asyncLoc(x, args[0], false, ins.text);
    x.s.async[l.key] = { kind: 'hrtimer', state: 'idle', callback: null, runner: null, name: l.name };
    return ZERO;
  },
});

function queuePrim(kind: AsyncKind, delayed: boolean, workArg: number): Prim {
  return {
    visible: true,
    alwaysVisible: true,
    run(x, args, ins) {
      const l = asyncLoc(x, args[workArg], delayed, ins.text);
      const a = getAsync(x, l, kind);
      if (kind === 'hrtimer' && !a.callback) {
        const f = x.norm(x.loadAt(l.obj, l.path ? `${l.path}.function` : 'function', `${l.name}.function`));
        if (f.k === 'fn') a.callback = f.name;
      }
      if (a.state === 'disabled') {
        x.trace(`${ins.text}  [${l.name} is disabled: not queued]`);
        return ZERO;
      }
      if (a.state === 'pending') return ZERO;
      if (a.state === 'running') {
        if (kind === 'kthread') return ZERO;
        (a as AsyncState & { again?: boolean }).again = true;
        x.trace(`${ins.text}  [${l.name} re-queued while running]`);
        return ONE;
      }
      a.state = 'pending';
      x.trace(`${ins.text}  [${l.name} pending${a.callback ? ` (runs ${a.callback})` : ' (no callback bound)'}]`);
      return ONE;
    },
  };
}

def(['schedule_work'], queuePrim('work', false, 0));
def(['queue_work', 'queue_work_node'], queuePrim('work', false, 1));
def(['queue_work_on'], queuePrim('work', false, 2));
def(['schedule_delayed_work'], queuePrim('work', true, 0));
def(['queue_delayed_work', 'mod_delayed_work'], queuePrim('work', true, 1));
def(['queue_delayed_work_on', 'mod_delayed_work_on'], queuePrim('work', true, 2));
def(['mod_timer', 'add_timer', 'timer_reduce', 'mod_timer_pending'], queuePrim('timer', false, 0));
def(['add_timer_on'], queuePrim('timer', false, 0));
def(['hrtimer_start', 'hrtimer_start_range_ns', 'hrtimer_start_expires'], queuePrim('hrtimer', false, 0));

interface CancelOpts {
  kind: AsyncKind;
  delayed: boolean;
  wait: boolean;
  disable: boolean;
  flush: boolean;
}

function cancelPrim(o: CancelOpts): Prim {
  return {
    visible: true,
    alwaysVisible: true,
    run(x, args, ins) {
      const l = asyncLoc(x, args[0], o.delayed, ins.text);
      const a = x.s.async[l.key];
      if (!a && o.wait && startPreexisting(x, l, o.kind)) {
        const b = x.s.async[l.key]!;
        x.trace(`${ins.text}  [waits for ${l.name}: ${b.callback} was already running, on ${b.runner}; ${heldBy(x)}]`);
        return { block: { kind: 'async', key: l.key, why: 'run' } };
      }
      if (!a) {
        // Never touched on this path: not running.
        const cbs = boundCallbacks(x, l.obj, l.path, o.kind);
        x.s.async[l.key] = { kind: o.kind, state: o.disable ? 'disabled' : 'idle', callback: cbs[0] ?? null, runner: null, name: l.name };
        x.trace(`${ins.text}  [${l.name} not pending, not running${o.disable ? '; now disabled' : ''}]`);
        return ZERO;
      }
      if (o.wait && a.state === 'running' && a.runner) {
        const runner = x.s.threads.find((t) => t.id === a.runner);
        const self = a.runner === x.t.id;
        x.trace(
          `${ins.text}  [waits for ${l.name}: ${self ? 'the running callback is this thread' : `${a.callback ?? 'callback'} running on ${a.runner}`}${runner?.status === 'blocked' ? ' (blocked)' : ''}; ${heldBy(x)}]`,
        );
        return { block: { kind: 'async', key: l.key, why: 'run' } };
      }
      if (o.flush && a.state === 'pending') {
        x.trace(`${ins.text}  [waits for pending ${l.name} to run; ${heldBy(x)}]`);
        return { block: { kind: 'async', key: l.key, why: 'flush' } };
      }
      const wasPending = a.state === 'pending';
      if (!o.flush) {
        if (a.state === 'pending' || a.state === 'idle') a.state = 'idle';
        (a as AsyncState & { again?: boolean }).again = false;
      }
      if (o.disable) a.state = a.state === 'running' ? 'running' : 'disabled';
      x.trace(`${ins.text}  [${l.name}: ${wasPending ? 'pending, removed' : 'not pending'}${o.disable ? '; disabled' : ''}]`);
      return bool(wasPending);
    },
  };
}

const W = (delayed: boolean, wait: boolean, disable = false, flush = false): CancelOpts => ({ kind: 'work', delayed, wait, disable, flush });
def(['cancel_work_sync'], cancelPrim(W(false, true)));
def(['cancel_delayed_work_sync'], cancelPrim(W(true, true)));
def(['disable_work_sync'], cancelPrim(W(false, true, true)));
def(['disable_delayed_work_sync'], cancelPrim(W(true, true, true)));
def(['flush_work'], cancelPrim(W(false, true, false, true)));
def(['flush_delayed_work'], cancelPrim(W(true, true, false, true)));
def(['cancel_work'], cancelPrim(W(false, false)));
def(['cancel_delayed_work'], cancelPrim(W(true, false)));
def(['disable_work'], cancelPrim(W(false, false, true)));
def(['disable_delayed_work'], cancelPrim(W(true, false, true)));
const T = (kind: AsyncKind, wait: boolean, disable = false): CancelOpts => ({ kind, delayed: false, wait, disable, flush: false });
def(['del_timer_sync', 'timer_delete_sync', 'try_to_del_timer_sync'], cancelPrim(T('timer', true)));
def(['timer_shutdown_sync'], cancelPrim(T('timer', true, true)));
def(['del_timer', 'timer_delete'], cancelPrim(T('timer', false)));
def(['timer_shutdown'], cancelPrim(T('timer', false, true)));
def(['hrtimer_cancel'], cancelPrim(T('hrtimer', true)));
def(['hrtimer_try_to_cancel'], cancelPrim(T('hrtimer', false)));

/**
 * A work or timer of an object that existed before the scenario may be running
 * its callback when the scenario waits for it (the scenario lists which
 * callbacks may). A choice: not running, or running (a worker thread starts now).
 */
function startPreexisting(x: Exec, l: { key: string; obj: number; path: string; name: string }, kind: AsyncKind): boolean {
  const o = x.s.objs[l.obj];
  if (!o || (o.origin !== 'pre' && o.origin !== 'global') || x.s.started[l.key]) return false;
  const sname = o.origin === 'global' && !l.path ? null : structName(o.type);
  const field = o.origin === 'global' && !l.path ? o.label : l.path;
  const srcs = x.m.spontaneous.filter((sp) => {
    if (sp.kind !== kind) return false;
    const f = sp.delayed ? `${sp.field}.work` : sp.field;
    if (sp.struct === sname) return f === field;
    // The bound struct embedded in the object (`sc->btcoex.no_stomp_timer` for a timer of struct ath_btcoex).
    if (sp.struct === null || o.origin === 'global' || !field.endsWith(`.${f}`)) return false;
    const prefix = field.slice(0, field.length - f.length - 1);
    return structName(x.m.types.pathType(o.type, prefix)) === sp.struct;
  });
  if (!srcs.length) return false;
  const opts = [
    { label: `${l.name} is not running`, apply: (s: typeof x.s) => { s.started[l.key] = true; } },
    ...srcs.map((sp) => ({
      label: `${sp.callback}() is running on ${l.name}`,
      apply: (s: typeof x.s) => {
        s.started[l.key] = true;
        const f = x.m.resolve(sp.callback, sp.file) ?? x.m.index.functions(sp.callback)[0] ?? null;
        if (!f) return;
        const th = x.m.spawn(s, kind === 'work' ? 'work' : kind, `${kind === 'work' ? 'kworker' : kind} ${sp.callback}`, f, [ptr(l.obj, l.path)], l.key);
        s.async[l.key] = { kind, state: 'running', callback: sp.callback, runner: th.id, name: l.name };
        addTrace(s, th.id, f.file, f.pos.line, `${sp.callback}(&${l.name})  [starts ${kind} ${l.name} on ${th.id}, pending from before]`);
      },
    })),
  ];
  if (x.m.preferRunning) opts.push(opts.shift()!);
  x.choose(opts);
  return x.s.async[l.key]?.state === 'running';
}

def(['enable_work', 'enable_delayed_work'], {
  visible: true,
  alwaysVisible: true,
  run(x, args, ins) {
    const l = asyncLoc(x, args[0], ins.callee === 'enable_delayed_work', ins.text);
    const a = getAsync(x, l, 'work');
    if (a.state === 'disabled') a.state = 'idle';
    return ONE;
  },
});

def(['flush_workqueue', 'drain_workqueue', 'destroy_workqueue', 'flush_scheduled_work'], {
  visible: true,
  alwaysVisible: true,
  run(x, _args, ins) {
    for (const [key, a] of Object.entries(x.s.async)) {
      if (a.kind !== 'work') continue;
      if ((a.state === 'running' && a.runner) || a.state === 'pending') {
        x.trace(`${ins.text}  [waits for ${a.name}${a.runner ? ` running on ${a.runner}` : ' (pending)'}; ${heldBy(x)}]`);
        return { block: { kind: 'async', key, why: 'flush' } };
      }
    }
    return ZERO;
  },
});

def(['work_pending', 'delayed_work_pending', 'timer_pending', 'hrtimer_active', 'hrtimer_is_queued'], {
  visible: false,
  run(x, args, ins) {
    const delayed = ins.callee === 'delayed_work_pending';
    const l = asyncLoc(x, args[0], delayed, ins.text);
    const a = x.s.async[l.key];
    if (!a) return x.chooseFact(`pending(${l.key})`, `${l.name} pending`) ? ONE : ZERO;
    return bool(a.state === 'pending' || (ins.callee === 'hrtimer_active' && a.state === 'running'));
  },
});

def(['to_delayed_work'], {
  visible: false,
  run(x, args) {
    return x.containerOf(arg(x, args, 0), 'struct delayed_work', 'work');
  },
});
def(['from_timer', 'timer_container_of', 'from_work', 'hrtimer_container_of'], {
  visible: false,
  run(x, args) {
    // from_timer(var, timer, field): the type is the one of `var`.
    const v = args[0];
    const t = v ? pointee(x.declaredType(v)) : null;
    const member = args[2] ? exprText(args[2]) : '';
    if (!t) throw new Unmodelled(`from_timer: unknown type of ${v ? exprText(v) : '?'}`);
    return x.containerOf(arg(x, args, 1), t, member);
  },
});

function kthreadCreate(run: boolean): Prim {
  return {
    visible: true,
    alwaysVisible: true,
    run(x, args, ins) {
      const cb = fnName(x, args[0]);
      const data = arg(x, args, 1);
      const task = x.newObj('struct task_struct', 'zero', `kthread ${cb ?? '?'}`);
      const key = locKey(task, '');
      const a: AsyncState = { kind: 'kthread', state: 'idle', callback: cb, runner: null, name: `kthread ${cb ?? '?'}`, data };
      x.s.async[key] = a;
      if (run) startKthread(x, key, a, ins.text);
      return ptr(task, '');
    },
  };
}

function startKthread(x: Exec, key: string, a: AsyncState, text: string): void {
  const f = a.callback ? x.m.resolve(a.callback, x.fn.file) : null;
  if (!f) {
    x.trace(`${text}  [${a.name}: thread function not in the tree]`);
    return;
  }
  const th = x.m.spawn(x.s, 'kthread', `kthread ${a.callback}`, f, [a.data ?? NULLV], key);
  a.state = 'running';
  a.runner = th.id;
  x.trace(`${text}  [starts ${th.id} running ${a.callback}()]`);
}

def(['kthread_run', 'kthread_run_on_cpu'], kthreadCreate(true));
def(['kthread_create', 'kthread_create_on_node', 'kthread_create_on_cpu'], kthreadCreate(false));
def(['wake_up_process'], {
  visible: true,
  run(x, args, ins) {
    const v = x.norm(arg(x, args, 0));
    if (v.k !== 'ptr') return ZERO;
    const key = locKey(v.obj, v.path);
    const a = x.s.async[key];
    if (a && a.kind === 'kthread' && a.state === 'idle' && !a.runner && !a.stop) startKthread(x, key, a, ins.text);
    return ONE;
  },
});
def(['kthread_stop', 'kthread_stop_put'], {
  visible: true,
  alwaysVisible: true,
  run(x, args, ins) {
    const v = x.norm(arg(x, args, 0));
    if (v.k !== 'ptr') {
      if (v.k === 'sym') {
        const p = x.deref(v, args[0] ? exprText(args[0]) : 'task', 'struct task_struct');
        void p;
      }
      return ZERO;
    }
    const key = locKey(v.obj, v.path);
    const a = x.s.async[key];
    if (!a || a.kind !== 'kthread') {
      x.trace(`${ins.text}  [no thread known to run on ${x.show(v)}]`);
      return ZERO;
    }
    a.stop = true;
    const live = a.runner && x.s.threads.some((t) => t.id === a.runner && t.status !== 'done');
    if (live) {
      x.trace(`${ins.text}  [waits for kthread ${a.callback} on ${a.runner} to exit; ${heldBy(x)}]`);
      return { block: { kind: 'async', key, why: 'exit' } };
    }
    x.trace(`${ins.text}  [${a.name} has exited]`);
    return ZERO;
  },
});
def(['kthread_should_stop'], {
  visible: true,
  run(x) {
    const a = x.t.asyncKey ? x.s.async[x.t.asyncKey] : undefined;
    return bool(!!a?.stop);
  },
});

// Sleeping calls: scheduling points with no other effect.
def(['msleep', 'ssleep', 'usleep_range', 'fsleep', 'schedule', 'schedule_timeout', 'schedule_timeout_interruptible', 'schedule_timeout_uninterruptible',
  'cond_resched', 'msleep_interruptible', 'wait_for_completion', 'wait_for_completion_timeout', 'wait_for_completion_interruptible', 'synchronize_rcu', 'synchronize_srcu'], {
  visible: true,
  yields: true,
  run() {
    return ZERO;
  },
});

// ---- lists -------------------------------------------------------------------

function listAt(x: Exec, e: Expr | undefined, what: string): { key: string; obj: number; path: string; name: string } {
  const loc = x.locOf(e, what);
  return { ...loc, name: lockName(e) };
}

function getList(x: Exec, l: { key: string; obj: number }): ListState {
  let ls = x.s.lists[l.key];
  if (!ls) {
    const o = x.s.objs[l.obj];
    const open = !o || o.origin === 'pre' || o.origin === 'global';
    // An element node not heading a list: it is on some list, so not empty.
    ls = { items: [], open, nonEmptyOpen: false };
    x.s.lists[l.key] = ls;
  }
  return ls;
}

function findNode(x: Exec, node: Value): string | null {
  for (const [k, ls] of Object.entries(x.s.lists)) if (ls.items.some((i) => sameValue(i, node))) return k;
  return null;
}

function removeNode(x: Exec, node: Value): void {
  const k = findNode(x, node);
  if (k) x.s.lists[k]!.items = x.s.lists[k]!.items.filter((i) => !sameValue(i, node));
}

/** Makes the unobserved elements of an open list concrete: 0..listElems fresh elements (a choice). */
function materialise(x: Exec, l: { key: string; obj: number; name: string }, elemType: string | null, member: string | null, atLeast: number): ListState {
  const ls = getList(x, l);
  if (!ls.open) return ls;
  const lo = Math.max(ls.nonEmptyOpen ? 1 : 0, atLeast - ls.items.length, 0);
  const hi = Math.max(lo, x.bounds.listElems);
  const opts = [];
  for (let n = lo; n <= hi; n++) {
    opts.push({
      label: `${l.name} holds ${n} more element(s)`,
      apply: (s: typeof x.s) => {
        const st = s.lists[l.key] ?? { items: [], open: true, nonEmptyOpen: false };
        for (let i = 0; i < n; i++) {
          const id = s.nextObj++;
          s.objs[id] = { id, type: normType(elemType), fields: {}, origin: 'pre', freed: 0, label: `${elemType ? elemType.replace(/^struct /, '') : 'entry'}#${id}` };
          st.items.push(ptr(id, member ?? ''));
        }
        st.open = false;
        st.nonEmptyOpen = false;
        s.lists[l.key] = st;
      },
    });
  }
  if (Object.keys(x.s.objs).length + hi > x.bounds.objects) {
    opts.splice(1 + Math.max(0, x.bounds.objects - Object.keys(x.s.objs).length));
  }
  x.choose(opts);
  return x.s.lists[l.key]!;
}

function listAdd(tail: boolean): Prim {
  return {
    visible: true,
    run(x, args, ins) {
      const node = x.norm(arg(x, args, 0));
      const l = listAt(x, args[1], ins.text);
      removeNode(x, node);
      const ls = getList(x, l);
      if (tail) ls.items.push(node);
      else ls.items.unshift(node);
      x.trace(`${ins.text}  [${l.name}: ${ls.items.length}${ls.open ? '+' : ''} element(s)]`);
      return ZERO;
    },
  };
}
def(['list_add', 'list_add_rcu', 'hlist_add_head', 'hlist_add_head_rcu'], listAdd(false));
def(['list_add_tail', 'list_add_tail_rcu', 'hlist_add_tail_rcu'], listAdd(true));
def(['list_del', 'list_del_init', 'list_del_rcu', 'hlist_del', 'hlist_del_init', 'hlist_del_rcu', 'list_del_init_careful'], {
  visible: true,
  run(x, args, ins) {
    const node = x.norm(arg(x, args, 0));
    removeNode(x, node);
    if (node.k === 'ptr' && /_init/.test(ins.callee ?? '')) x.s.lists[locKey(node.obj, node.path)] = { items: [], open: false, nonEmptyOpen: false };
    x.trace(`${ins.text}`);
    return ZERO;
  },
});
// list_splice*(list, head): the elements of `list` join `head` (at its front, or its tail);
// `list` is left empty (re-initialised by the _init forms, not to be used by the others).
function listSplice(tail: boolean): Prim {
  return {
    visible: true,
    run(x, args, ins) {
      const src = getList(x, listAt(x, args[0], ins.text));
      const dl = listAt(x, args[1], ins.text);
      const dst = getList(x, dl);
      const items = tail ? [...dst.items, ...src.items] : [...src.items, ...dst.items];
      const key = dl.key;
      const moved = { items, open: dst.open || src.open, nonEmptyOpen: dst.nonEmptyOpen || src.nonEmptyOpen };
      src.items = [];
      src.open = false;
      src.nonEmptyOpen = false;
      x.s.lists[key] = moved;
      x.trace(`${ins.text}  [${dl.name}: ${items.length}${moved.open ? '+' : ''} element(s)]`);
      return ZERO;
    },
  };
}
def(['list_splice', 'list_splice_init', 'list_splice_rcu', 'hlist_move_list'], listSplice(false));
def(['list_splice_tail', 'list_splice_tail_init'], listSplice(true));

def(['list_move', 'list_move_tail'], {
  visible: true,
  run(x, args, ins) {
    const node = x.norm(arg(x, args, 0));
    removeNode(x, node);
    const ls = getList(x, listAt(x, args[1], ins.text));
    if (ins.callee === 'list_move_tail') ls.items.push(node);
    else ls.items.unshift(node);
    return ZERO;
  },
});
def(['INIT_LIST_HEAD', 'INIT_HLIST_HEAD', 'INIT_LIST_HEAD_RCU'], {
  visible: false,
  run(x, args, ins) {
    const l = listAt(x, args[0], ins.text);
    x.s.lists[l.key] = { items: [], open: false, nonEmptyOpen: false };
    return ZERO;
  },
});
def(['list_empty', 'list_empty_careful', 'hlist_empty'], {
  visible: false,
  run(x, args, ins) {
    const l = listAt(x, args[0], ins.text);
    const head = x.norm(arg(x, args, 0));
    if (!x.s.lists[l.key] && findNode(x, head)) return ZERO;
    const ls = getList(x, l);
    if (ls.items.length > 0 || ls.nonEmptyOpen) return ZERO;
    if (!ls.open) return ONE;
    const key = l.key;
    x.choose([
      { label: `${l.name} is empty`, apply: (s) => { s.lists[key] = { items: [], open: false, nonEmptyOpen: false }; } },
      { label: `${l.name} is not empty`, apply: (s) => { s.lists[key] = { items: ls.items, open: true, nonEmptyOpen: true }; } },
    ]);
    return bool(!x.s.lists[key]!.nonEmptyOpen);
  },
});
def(['list_is_singular'], {
  visible: false,
  run(x, args, ins) {
    const l = listAt(x, args[0], ins.text);
    const ls = materialise(x, l, null, null, 0);
    return bool(ls.items.length === 1);
  },
});

function typeText(e: Expr | undefined): string {
  if (!e) return '';
  if (e.k === 'id') return e.name;
  if (e.k === 'unknown') return e.text;
  return exprText(e);
}

/**
 * `head->next` / `head->prev` of a list head the model tracks (the lowering
 * turns list_first_entry() into container_of(head->next, ...)): the first or
 * last element's node, or the head itself when the list is empty.
 */
export function listEnd(x: Exec, head: { obj: number; path: string }, which: 'next' | 'prev', elemType: string | null, member: string | null): Value | null {
  const key = locKey(head.obj, head.path);
  const o = x.s.objs[head.obj];
  if (!x.s.lists[key] && !(elemType && member && o)) return null;
  const name = o ? `${o.label}${head.path ? '->' + head.path : ''}` : key;
  const ls = elemType && member ? materialise(x, { key, obj: head.obj, name }, elemType, member, 0) : x.s.lists[key]!;
  if (ls.open) return null;
  if (ls.items.length === 0) return ptr(head.obj, head.path);
  return which === 'next' ? ls.items[0]! : ls.items[ls.items.length - 1]!;
}

def(['list_first_entry', 'list_first_entry_or_null', 'list_last_entry', 'hlist_entry_safe'], {
  visible: false,
  run(x, args, ins) {
    const l = listAt(x, args[0], ins.text);
    const type = normType(typeText(args[1]));
    const member = typeText(args[2]);
    const orNull = ins.callee === 'list_first_entry_or_null' || ins.callee === 'hlist_entry_safe';
    const ls = materialise(x, l, type, member, orNull ? 0 : 1);
    if (ls.items.length === 0) {
      if (orNull) return NULLV;
      throw new Infeasible(`${ins.callee} on the empty list ${l.name}`);
    }
    const node = ins.callee === 'list_last_entry' ? ls.items[ls.items.length - 1]! : ls.items[0]!;
    return x.containerOf(node, type ?? '', member);
  },
});
def(['list_entry', 'container_of', 'hlist_entry', 'list_entry_rcu', 'container_of_const'], {
  visible: false,
  run(x, args) {
    return x.containerOf(arg(x, args, 0), typeText(args[1]), typeText(args[2]));
  },
});

/** Known iterator macros: which argument is the cursor, the head, the member; whether the cursor is an entry. */
const ITERATORS: Record<string, { pos: number; next?: number; head: number; member?: number; reverse?: boolean }> = {
  list_for_each_entry: { pos: 0, head: 1, member: 2 },
  list_for_each_entry_rcu: { pos: 0, head: 1, member: 2 },
  list_for_each_entry_srcu: { pos: 0, head: 1, member: 2 },
  list_for_each_entry_lockless: { pos: 0, head: 1, member: 2 },
  list_for_each_entry_reverse: { pos: 0, head: 1, member: 2, reverse: true },
  list_for_each_entry_safe: { pos: 0, next: 1, head: 2, member: 3 },
  list_for_each_entry_safe_reverse: { pos: 0, next: 1, head: 2, member: 3, reverse: true },
  hlist_for_each_entry: { pos: 0, head: 1, member: 2 },
  hlist_for_each_entry_rcu: { pos: 0, head: 1, member: 2 },
  hlist_for_each_entry_safe: { pos: 0, next: 1, head: 2, member: 3 },
  list_for_each: { pos: 0, head: 1 },
  list_for_each_rcu: { pos: 0, head: 1 },
  list_for_each_safe: { pos: 0, next: 1, head: 2 },
  list_for_each_prev: { pos: 0, head: 1, reverse: true },
};

/** A file-local iterator macro (`for_each_group_device(group, pos)`) expanded one level from its #define. */
type MacroExpansion = { params: string[]; macro: string; args: string[] } | null;
/** Per view of the tree: a series analysis runs the model over several views whose files differ. */
const macroCache = new WeakMap<object, Map<string, MacroExpansion>>();
function expandMacro(x: Exec, file: string, macro: string): MacroExpansion {
  const view = x.m.index.view;
  let cache = macroCache.get(view);
  if (!cache) macroCache.set(view, (cache = new Map()));
  const ck = `${file}\0${macro}`;
  let res = cache.get(ck);
  if (res === undefined) {
    let text: string | null = null;
    try {
      text = view.read(file);
    } catch {
      text = null;
    }
    res = iteratorMacro(text, macro);
    cache.set(ck, res);
  }
  noteText(x.m.index, 'macro', file, macro, JSON.stringify(res), (t) => JSON.stringify(iteratorMacro(t, macro)));
  return res;
}

function iteratorMacro(text: string | null, macro: string): MacroExpansion {
  if (!text) return null;
  const re = new RegExp(`#\\s*define\\s+${macro}\\s*\\(([^)]*)\\)((?:[^\\n]*\\\\\\n)*[^\\n]*)`);
  const m = re.exec(text);
  if (!m) return null;
  const params = m[1]!.split(',').map((p) => p.trim());
  const body = m[2]!.replace(/\\\n/g, ' ').trim();
  const inner = /^([A-Za-z_]\w*)\s*\(([\s\S]*)\)\s*$/.exec(body);
  return inner && ITERATORS[inner[1]!] ? { params, macro: inner[1]!, args: splitArgs(inner[2]!) } : null;
}

function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(' || ch === '[') depth++;
    if (ch === ')' || ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

function iteratorOf(x: Exec, term: Extract<Terminator, { op: 'foreach' }>): { spec: (typeof ITERATORS)[string]; args: Expr[] } | null {
  const spec = ITERATORS[term.macro];
  if (spec) return { spec, args: term.args };
  const exp = expandMacro(x, x.fn.file, term.macro);
  if (!exp) return null;
  const actual = new Map(exp.params.map((p, i) => [p, term.args[i] ? exprText(term.args[i]!) : p]));
  const args: Expr[] = [];
  for (const a of exp.args) {
    const substituted = a.replace(/[A-Za-z_]\w*/g, (id) => (actual.has(id) ? `(${actual.get(id)})` : id));
    const e = parsePath(substituted);
    if (!e) return null;
    args.push(e);
  }
  return { spec: ITERATORS[exp.macro]!, args };
}

foreachImpl.items = (x, term) => {
  const it = iteratorOf(x, term);
  if (!it) return null;
  const { spec, args } = it;
  const posE = args[spec.pos];
  const member = spec.member !== undefined ? typeText(args[spec.member]) : null;
  const elemType = member && posE ? pointee(x.declaredType(posE)) : null;
  const l = listAt(x, args[spec.head], term.text);
  const ls = materialise(x, l, elemType, member, 0);
  let items = ls.items.slice();
  if (spec.reverse) items.reverse();
  if (member) items = items.map((n) => x.containerOf(n, elemType ?? '', member));
  return items;
};

foreachImpl.bind = (x, term, cur, next) => {
  const it = iteratorOf(x, term);
  if (!it) return;
  const posE = it.args[it.spec.pos];
  if (posE) x.store(x.lval(posE), cur, posE);
  const nE = it.spec.next !== undefined ? it.args[it.spec.next] : undefined;
  if (nE) x.store(x.lval(nE), next ?? x.newSym(null, 'list end'), nE);
};

// ---- memory -----------------------------------------------------------------

function allocType(x: Exec, args: Expr[], ins: CallInstr): string | null {
  for (const a of args) {
    if (a.k === 'sizeof') {
      const t = a.text.trim();
      const m = /^\*\s*([A-Za-z_]\w*)$/.exec(t) ?? /^\*\s*\(?\s*([A-Za-z_][\w>.-]*)\s*\)?$/.exec(t);
      if (m) {
        const e = parsePath(m[1]!);
        if (e) return pointee(x.exprType(e));
      }
      if (/^(struct|union)\s+\w+$/.test(t)) return normType(t);
    }
  }
  return ins.result ? pointee(x.declaredType(ins.result)) : null;
}

function allocPrim(zero: boolean): Prim {
  return {
    visible: false,
    run(x, args, ins) {
      const type = allocType(x, args, ins);
      const r = x.newSym(type ? `${type} *` : null, `${ins.callee}()`);
      if (x.s.bind[r.id] !== undefined) return x.norm(r);
      const succeed = (s: typeof x.s) => {
        const id = s.nextObj++;
        s.objs[id] = { id, type, fields: {}, origin: zero ? 'zero' : 'pre', freed: 0, label: `${type ? type.replace(/^struct /, '') : 'object'}#${id}` };
        s.bind[r.id] = ptr(id, '');
      };
      if (!x.m.opts.allocFail) {
        succeed(x.s);
        return x.norm(r);
      }
      x.choose([
        { label: `${ins.callee}() succeeds`, apply: succeed },
        { label: `${ins.callee}() fails`, apply: (s) => { s.bind[r.id] = NULLV; } },
      ]);
      return x.norm(r);
    },
  };
}
def(['kzalloc', 'kcalloc', 'kvzalloc', 'kvcalloc', 'devm_kzalloc', 'devm_kcalloc', 'kzalloc_node', 'kmem_cache_zalloc', 'kzalloc_obj', 'kzalloc_flex'], allocPrim(true));
def(['kmalloc', 'kvmalloc', 'kmalloc_array', 'devm_kmalloc', 'kmemdup', 'kmalloc_node', 'kmem_cache_alloc', 'vmalloc', 'vzalloc'], allocPrim(false));

function freePrim(rcu: boolean, argIdx: number): Prim {
  return {
    visible: true,
    run(x, args, ins, vals) {
      const v0 = vals?.[0] ?? arg(x, args, argIdx);
      const v = x.norm(v0);
      if (v.k === 'null' || (v.k === 'int' && v.v === 0)) return ZERO;
      if (v.k === 'int') return ZERO;
      const p = v.k === 'ptr' ? v : x.deref(v, args[argIdx] ? exprText(args[argIdx]!) : 'ptr', null);
      const o = x.s.objs[p.obj];
      if (!o) return ZERO;
      if (o.freed === 1 || (o.freed === 2 && !rcu)) {
        x.event('double-free', ins.text, `${o.label} freed twice`);
        x.trace(`${ins.text}  [double free of ${o.label}]`);
        return ZERO;
      }
      mutableObj(x.s, p.obj)!.freed = rcu ? 2 : 1;
      x.trace(`${ins.text}  [frees ${o.label}${rcu ? ' after an RCU grace period' : ''}]`);
      return ZERO;
    },
  };
}
def(['kfree', 'kvfree', 'kfree_sensitive', 'kvfree_sensitive', 'vfree', 'kzfree'], freePrim(false, 0));
def(['devm_kfree', 'kmem_cache_free'], freePrim(false, 1));
def(['kfree_rcu', 'kvfree_rcu', 'kfree_rcu_mightsleep'], freePrim(true, 0));

// ---- counters ---------------------------------------------------------------

function counterLoc(x: Exec, e: Expr | undefined, what: string): { obj: number; path: string; name: string } {
  const loc = x.locOf(e, what);
  return { obj: loc.obj, path: loc.path, name: lockName(e) };
}
function addTo(x: Exec, v: Value, d: number): Value {
  const n = x.norm(v);
  if (n.k === 'int') return int(n.v + d);
  return { k: 'term', key: `(${valueKey(n)} ${d < 0 ? '-' : '+'} ${Math.abs(d)})` };
}
def(['refcount_set', 'atomic_set', 'atomic64_set', 'atomic_long_set'], {
  visible: true,
  run(x, args, ins) {
    const l = counterLoc(x, args[0], ins.text);
    x.storeAt(l.obj, l.path, arg(x, args, 1));
    return ZERO;
  },
});
def(['kref_init'], {
  visible: false,
  run(x, args, ins) {
    const l = counterLoc(x, args[0], ins.text);
    x.storeAt(l.obj, l.path, ONE);
    return ZERO;
  },
});
function incPrim(d: number, ret: 'old' | 'new' | 'none' | 'nonzero'): Prim {
  return {
    visible: true,
    run(x, args, ins) {
      const l = counterLoc(x, args[0], ins.text);
      const old = x.loadAt(l.obj, l.path, l.name);
      if (ret === 'nonzero' && !x.truth(old)) return ZERO;
      const nv = addTo(x, old, d);
      x.storeAt(l.obj, l.path, nv);
      return ret === 'old' ? old : ret === 'new' ? nv : ret === 'nonzero' ? ONE : ZERO;
    },
  };
}
def(['refcount_inc', 'atomic_inc', 'atomic64_inc', 'atomic_long_inc', 'kref_get'], incPrim(1, 'none'));
def(['refcount_dec', 'atomic_dec', 'atomic64_dec', 'atomic_long_dec'], incPrim(-1, 'none'));
def(['atomic_inc_return', 'atomic64_inc_return'], incPrim(1, 'new'));
def(['atomic_dec_return', 'atomic64_dec_return'], incPrim(-1, 'new'));
def(['refcount_inc_not_zero', 'kref_get_unless_zero', 'atomic_inc_not_zero'], incPrim(1, 'nonzero'));
def(['refcount_read', 'atomic_read', 'atomic64_read', 'atomic_long_read', 'kref_read'], {
  visible: false,
  run(x, args, ins) {
    const l = counterLoc(x, args[0], ins.text);
    return x.loadAt(l.obj, l.path, l.name);
  },
});
function decAndTest(release: number | null): Prim {
  return {
    visible: true,
    run(x, args, ins) {
      const l = counterLoc(x, args[0], ins.text);
      const old = x.loadAt(l.obj, l.path, l.name);
      const last = x.compare(old, ONE, '==');
      const nv = last ? ZERO : addTo(x, old, -1);
      x.storeAt(l.obj, l.path, nv);
      if (last && release !== null) {
        const rel = fnName(x, args[release]);
        x.trace(`${ins.text}  [last reference dropped: calls ${rel ?? 'release'}]`);
        if (rel) return { call: rel, args: [ptr(l.obj, l.path)], result: ONE };
      }
      return bool(last);
    },
  };
}
def(['refcount_dec_and_test', 'atomic_dec_and_test', 'atomic64_dec_and_test', 'atomic_long_dec_and_test'], decAndTest(null));
def(['kref_put', 'kref_put_mutex', 'kref_put_lock'], decAndTest(1));

// ---- WARN_ON / BUG_ON -------------------------------------------------------

/** `group->owner_cnt = 0, group->domain = blocking_domain#4` for the leaves of a condition. */
export function conditionValues(x: Exec, e: Expr): string {
  const leaves: Expr[] = [];
  const walk = (n: Expr): void => {
    switch (n.k) {
      case 'id':
      case 'field':
      case 'index':
        leaves.push(n);
        return;
      case 'unary':
        if (n.op === '*') leaves.push(n);
        else walk(n.arg);
        return;
      case 'binary':
        walk(n.left);
        walk(n.right);
        return;
      case 'cond':
        walk(n.test);
        walk(n.then);
        walk(n.else);
        return;
      case 'cast':
        walk(n.arg);
        return;
      default:
        return;
    }
  };
  walk(e);
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const l of leaves) {
    const t = exprText(l);
    if (seen.has(t) || t.startsWith('$')) continue;
    seen.add(t);
    x.peeking = true;
    try {
      parts.push(`${t} = ${x.show(x.eval(l))}`);
    } catch (err) {
      if (!(err instanceof NeedChoice)) throw err;
    } finally {
      x.peeking = false;
    }
  }
  return parts.join(', ');
}

function warnPrim(kind: 'warn' | 'bug'): Prim {
  return {
    visible: false,
    run(x, args, ins) {
      const c = args[0];
      if (!c) return ZERO;
      const b = x.truth(x.eval(c));
      const vals = conditionValues(x, c);
      if (b) {
        x.event(kind, ins.text, `condition true${vals ? `: ${vals}` : ''}`);
        x.trace(`${ins.text}  [fires${vals ? `: ${vals}` : ''}]`);
        if (kind === 'bug') return { end: 'BUG_ON' };
      } else {
        x.trace(`${ins.text}  [does not fire${vals ? `: ${vals}` : ''}]`);
      }
      return bool(b);
    },
  };
}
def(['WARN_ON', 'WARN_ON_ONCE', 'WARN', 'WARN_ONCE', 'WARN_TAINT', 'WARN_TAINT_ONCE', 'WARN_ON_SMP'], warnPrim('warn'));
def(['BUG_ON', 'VM_BUG_ON'], warnPrim('bug'));

// ---- pure helpers -----------------------------------------------------------

const passFirst: Prim = { visible: false, pure: true, run: (x, args) => arg(x, args, 0) };
def(['likely', 'unlikely', 'READ_ONCE', 'rcu_dereference', 'rcu_dereference_protected', 'rcu_dereference_raw', 'rcu_dereference_check',
  'rcu_access_pointer', 'srcu_dereference', 'rcu_dereference_bh', 'rcu_dereference_sched', 'data_race', 'ERR_CAST', 'no_free_ptr', 'return_ptr'], passFirst);
def(['WRITE_ONCE', 'rcu_assign_pointer', 'RCU_INIT_POINTER'], {
  visible: true,
  run(x, args) {
    const t = args[0];
    if (!t) return ZERO;
    const v = arg(x, args, 1);
    x.store(x.lval(t), v, t);
    return ZERO;
  },
});
def(['rcu_replace_pointer'], {
  visible: true,
  run(x, args) {
    const t = args[0];
    if (!t) return ZERO;
    const old = x.eval(t);
    x.store(x.lval(t), arg(x, args, 1), t);
    return old;
  },
});
def(['smp_load_acquire'], {
  visible: false,
  run(x, args) {
    const e = args[0];
    if (!e) return ZERO;
    return x.eval(e.k === 'unary' && e.op === '&' ? e.arg : { k: 'unary', op: '*', arg: e });
  },
});
def(['smp_store_release'], {
  visible: true,
  run(x, args) {
    const e = args[0];
    if (!e) return ZERO;
    const t: Expr = e.k === 'unary' && e.op === '&' ? e.arg : { k: 'unary', op: '*', arg: e };
    x.store(x.lval(t), arg(x, args, 1), t);
    return ZERO;
  },
});
def(['IS_ERR', 'IS_ERR_VALUE'], {
  visible: false,
  run(x, args) {
    const v = x.norm(arg(x, args, 0));
    return bool(isErr(x, v));
  },
});
def(['IS_ERR_OR_NULL'], {
  visible: false,
  run(x, args) {
    const v = x.norm(arg(x, args, 0));
    if (!x.truth(v)) return ONE;
    return bool(isErr(x, x.norm(v)));
  },
});
function isErr(x: Exec, v: Value): boolean {
  if (v.k === 'int') return v.v < 0 && v.v >= -4095;
  if (v.k === 'sym') {
    const key = `iserr(s${v.id})`;
    const f = x.s.facts[key];
    if (f !== undefined) return f;
    x.choose([
      { label: `${v.label} is an error pointer`, apply: (s) => { s.facts[key] = true; s.bind[v.id] = int(-22); } },
      { label: `${v.label} is not an error pointer`, apply: (s) => { s.facts[key] = false; } },
    ]);
    return isErr(x, x.norm(v));
  }
  if (v.k === 'term') return x.chooseFact(`iserr(${v.key})`, `${v.key} is an error`);
  return false;
}
def(['PTR_ERR', 'ERR_PTR', 'PTR_ERR_OR_ZERO'], {
  visible: false,
  run(x, args, ins) {
    const v = x.norm(arg(x, args, 0));
    if (ins.callee === 'PTR_ERR_OR_ZERO') return v.k === 'int' && v.v < 0 ? v : v.k === 'ptr' || v.k === 'null' ? ZERO : isErr(x, v) ? x.norm(v) : ZERO;
    // ERR_PTR() is given an errno: a value known to be non-zero makes an error pointer
    // (else IS_ERR() on it would be asked again, and a failed call could pass for a pointer).
    if (ins.callee === 'ERR_PTR' && v.k === 'sym' && x.s.facts[`nz(s${v.id})`] === true && x.s.facts[`iserr(s${v.id})`] === undefined) {
      x.s.facts[`iserr(s${v.id})`] = true;
    }
    return v;
  },
});
function minmax(isMin: boolean): Prim {
  return {
    visible: false,
    run(x, args) {
      const a = x.norm(arg(x, args, 0));
      const b = x.norm(arg(x, args, 1));
      if (a.k === 'int' && b.k === 'int') return int(isMin ? Math.min(a.v, b.v) : Math.max(a.v, b.v));
      return { k: 'term', key: `${isMin ? 'min' : 'max'}(${valueKey(a)},${valueKey(b)})` };
    },
  };
}
def(['min', 'min_t', 'umin'], minmax(true));
def(['max', 'max_t', 'umax'], minmax(false));
function drvdata(set: boolean, field: string): Prim {
  return {
    visible: set,
    run(x, args, ins) {
      const p = x.deref(arg(x, args, 0), args[0] ? exprText(args[0]) : 'dev', null);
      if (set) {
        x.storeAt(p.obj, `${p.path ? p.path + '.' : ''}${field}`, arg(x, args, 1));
        return ZERO;
      }
      return x.loadAt(p.obj, `${p.path ? p.path + '.' : ''}${field}`, ins.text);
    },
  };
}
def(['dev_set_drvdata', 'platform_set_drvdata', 'pci_set_drvdata', 'i2c_set_clientdata', 'spi_set_drvdata'], drvdata(true, '__drvdata'));
def(['dev_get_drvdata', 'platform_get_drvdata', 'pci_get_drvdata', 'i2c_get_clientdata', 'spi_get_drvdata'], drvdata(false, '__drvdata'));
def(['netdev_priv', 'wiphy_priv', 'ieee80211_priv'], drvdata(false, '__priv'));
// Entering/leaving RCU read sections and irq-off regions change nothing the model checks.
def(['rcu_read_lock', 'rcu_read_unlock', 'rcu_read_lock_bh', 'rcu_read_unlock_bh', 'local_irq_save', 'local_irq_restore', 'local_irq_disable',
  'local_irq_enable', 'preempt_disable', 'preempt_enable', 'might_sleep', 'might_lock', 'lockdep_set_class', 'lockdep_register_key',
  'lockdep_unregister_key', 'barrier', 'smp_mb', 'smp_wmb', 'smp_rmb', 'kmemleak_not_leak'], { visible: false, run: () => ZERO });

// Value helpers that change nothing: a function calling only these (and writing no memory) is pure.
for (const n of ['IS_ERR', 'IS_ERR_VALUE', 'IS_ERR_OR_NULL', 'PTR_ERR', 'ERR_PTR', 'PTR_ERR_OR_ZERO', 'min', 'min_t', 'umin', 'max', 'max_t', 'umax',
  'list_entry', 'container_of', 'hlist_entry', 'list_entry_rcu', 'container_of_const', 'to_delayed_work', 'from_timer', 'timer_container_of',
  'dev_get_drvdata', 'platform_get_drvdata', 'pci_get_drvdata', 'netdev_priv', 'list_empty', 'list_empty_careful', 'smp_load_acquire',
  'refcount_read', 'atomic_read', 'kref_read', 'mutex_is_locked', 'lockdep_is_held']) {
  const p = PRIMITIVES[n];
  if (p) PRIMITIVES[n] = { ...p, pure: true };
}
