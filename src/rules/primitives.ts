/**
 * The kernel's lock, assert and waiting primitives, by name. This table is
 * the only place that knows them; rcu_read_lock() is deliberately absent
 * (it is not a lock for these rules).
 */
import type { Config, WaitKind } from './config.js';

export type LockKind = 'mutex' | 'spinlock' | 'raw_spinlock' | 'rwlock' | 'rwsem';
export type LockMode = 'excl' | 'shared';

export interface AcquirePrim {
  kind: LockKind;
  mode: LockMode;
  /** trylock: acquired when the result is non-zero; interruptible/killable: acquired when it is zero. */
  cond: 'none' | 'nonzero' | 'zero';
  /** `_nested` variants: lockdep subclass, the caller says nesting is intended. */
  nested: boolean;
}

export interface ReleasePrim {
  kind: LockKind;
}

const acquire = new Map<string, AcquirePrim>();
const release = new Map<string, ReleasePrim>();

function acq(names: string[], kind: LockKind, mode: LockMode, cond: AcquirePrim['cond'] = 'none'): void {
  for (const n of names) acquire.set(n, { kind, mode, cond, nested: /_nested|_nest_lock/.test(n) });
}
function rel(names: string[], kind: LockKind): void {
  for (const n of names) release.set(n, { kind });
}

acq(['mutex_lock', 'mutex_lock_nested', 'mutex_lock_io', 'mutex_lock_io_nested', 'mutex_lock_nest_lock'], 'mutex', 'excl');
acq(['mutex_lock_interruptible', 'mutex_lock_killable', 'mutex_lock_interruptible_nested', 'mutex_lock_killable_nested'], 'mutex', 'excl', 'zero');
acq(['mutex_trylock', 'mutex_trylock_nested'], 'mutex', 'excl', 'nonzero');
rel(['mutex_unlock'], 'mutex');
// Wound/wait mutexes (dma_resv, drm modeset locks): a ww_mutex is a mutex to these rules; the
// acquire context's back-off (-EDEADLK) is a failed acquisition.
acq(['ww_mutex_lock', 'ww_mutex_lock_interruptible', 'ww_mutex_lock_slow_interruptible'], 'mutex', 'excl', 'zero');
acq(['ww_mutex_lock_slow'], 'mutex', 'excl');
acq(['ww_mutex_trylock'], 'mutex', 'excl', 'nonzero');
rel(['ww_mutex_unlock'], 'mutex');

for (const [pre, kind] of [['spin', 'spinlock'], ['raw_spin', 'raw_spinlock']] as const) {
  acq([`${pre}_lock`, `${pre}_lock_bh`, `${pre}_lock_irq`, `${pre}_lock_irqsave`, `${pre}_lock_nested`, `${pre}_lock_irqsave_nested`, `${pre}_lock_nest_lock`, `${pre}_lock_bh_nested`], kind, 'excl');
  acq([`${pre}_trylock`, `${pre}_trylock_bh`, `${pre}_trylock_irq`, `${pre}_trylock_irqsave`], kind, 'excl', 'nonzero');
  rel([`${pre}_unlock`, `${pre}_unlock_bh`, `${pre}_unlock_irq`, `${pre}_unlock_irqrestore`], kind);
}
for (const rw of ['read', 'write'] as const) {
  const mode: LockMode = rw === 'read' ? 'shared' : 'excl';
  acq([`${rw}_lock`, `${rw}_lock_bh`, `${rw}_lock_irq`, `${rw}_lock_irqsave`], 'rwlock', mode);
  acq([`${rw}_trylock`], 'rwlock', mode, 'nonzero');
  rel([`${rw}_unlock`, `${rw}_unlock_bh`, `${rw}_unlock_irq`, `${rw}_unlock_irqrestore`], 'rwlock');
  acq([`down_${rw}`, `down_${rw}_nested`, `down_${rw}_non_owner`], 'rwsem', mode);
  acq([`down_${rw}_killable`, `down_${rw}_interruptible`, `down_${rw}_killable_nested`], 'rwsem', mode, 'zero');
  acq([`down_${rw}_trylock`], 'rwsem', mode, 'nonzero');
  rel([`up_${rw}`, `up_${rw}_non_owner`], 'rwsem');
}

export function acquirePrim(name: string): AcquirePrim | undefined {
  return acquire.get(name);
}
export function releasePrim(name: string): ReleasePrim | undefined {
  return release.get(name);
}
/** `downgrade_write(&sem)`: still held, now shared. */
export function isDowngrade(name: string): boolean {
  return name === 'downgrade_write';
}

/** Guard classes of `guard(C)(&l)` / `scoped_guard(C, &l)` / `scoped_cond_guard(C, fail, &l)`. */
const guards = new Map<string, { kind: LockKind; mode: LockMode }>([
  ['mutex', { kind: 'mutex', mode: 'excl' }],
  ['mutex_intr', { kind: 'mutex', mode: 'excl' }],
  ['mutex_try', { kind: 'mutex', mode: 'excl' }],
  ['spinlock', { kind: 'spinlock', mode: 'excl' }],
  ['spinlock_irq', { kind: 'spinlock', mode: 'excl' }],
  ['spinlock_irqsave', { kind: 'spinlock', mode: 'excl' }],
  ['spinlock_bh', { kind: 'spinlock', mode: 'excl' }],
  ['spinlock_try', { kind: 'spinlock', mode: 'excl' }],
  ['spinlock_nested', { kind: 'spinlock', mode: 'excl' }],
  ['raw_spinlock', { kind: 'raw_spinlock', mode: 'excl' }],
  ['raw_spinlock_irq', { kind: 'raw_spinlock', mode: 'excl' }],
  ['raw_spinlock_irqsave', { kind: 'raw_spinlock', mode: 'excl' }],
  ['raw_spinlock_bh', { kind: 'raw_spinlock', mode: 'excl' }],
  ['raw_spinlock_nested', { kind: 'raw_spinlock', mode: 'excl' }],
  ['rwsem_read', { kind: 'rwsem', mode: 'shared' }],
  ['rwsem_read_intr', { kind: 'rwsem', mode: 'shared' }],
  ['rwsem_read_try', { kind: 'rwsem', mode: 'shared' }],
  ['rwsem_write', { kind: 'rwsem', mode: 'excl' }],
  ['rwsem_write_try', { kind: 'rwsem', mode: 'excl' }],
  ['read_lock', { kind: 'rwlock', mode: 'shared' }],
  ['read_lock_irq', { kind: 'rwlock', mode: 'shared' }],
  ['read_lock_irqsave', { kind: 'rwlock', mode: 'shared' }],
  ['read_lock_bh', { kind: 'rwlock', mode: 'shared' }],
  ['write_lock', { kind: 'rwlock', mode: 'excl' }],
  ['write_lock_irq', { kind: 'rwlock', mode: 'excl' }],
  ['write_lock_irqsave', { kind: 'rwlock', mode: 'excl' }],
  ['write_lock_bh', { kind: 'rwlock', mode: 'excl' }],
]);

export function guardPrim(cls: string): { kind: LockKind; mode: LockMode } | undefined {
  return guards.get(cls);
}

/** Asserts: the lock is argument 0. `lockdep_assert(lockdep_is_held(x))` is recognised by the caller of this table. */
const asserts = new Map<string, 'held' | 'not_held'>([
  ['lockdep_assert_held', 'held'],
  ['lockdep_assert_held_once', 'held'],
  ['lockdep_assert_held_write', 'held'],
  ['lockdep_assert_held_read', 'held'],
  ['lockdep_assert_held_exclusive', 'held'],
  ['lockdep_assert_not_held', 'not_held'],
  ['assert_spin_locked', 'held'],
  ['assert_raw_spin_locked', 'held'],
]);

export function assertPrim(name: string): 'held' | 'not_held' | undefined {
  return asserts.get(name);
}
/** Macros whose argument is a condition on `lockdep_is_held(x)`. */
export const ASSERT_COND = new Set(['lockdep_assert', 'lockdep_assert_once', 'WARN_ON_ONCE_LOCKDEP']);
export const IS_HELD = new Set(['lockdep_is_held', 'lockdep_is_held_type', 'mutex_is_locked', 'spin_is_locked']);

export interface WaitPrim {
  waitsFor: WaitKind;
  arg: number;
}

const waits = new Map<string, WaitPrim>();
function wait(names: string[], waitsFor: WaitKind, arg = 0): void {
  for (const n of names) waits.set(n, { waitsFor, arg });
}
wait(
  [
    'cancel_work_sync', 'cancel_delayed_work_sync', 'disable_work_sync', 'disable_delayed_work_sync',
    'flush_work', 'flush_delayed_work', 'flush_rcu_work', 'flush_delayed_work_sync',
  ],
  'work',
);
wait(['kthread_flush_work', 'kthread_cancel_work_sync', 'kthread_cancel_delayed_work_sync'], 'work');
wait(['flush_workqueue', 'drain_workqueue', 'destroy_workqueue'], 'workqueue');
wait(['kthread_flush_worker', 'kthread_destroy_worker'], 'workqueue');
wait(
  ['del_timer_sync', 'timer_delete_sync', 'timer_shutdown_sync', 'hrtimer_cancel', 'del_singleshot_timer_sync', 'timer_delete_sync_try'],
  'timer',
);
wait(['kthread_stop', 'kthread_stop_put', 'kthread_park'], 'kthread');
// Not waiting (listed so nobody adds them by mistake): cancel_work, cancel_delayed_work,
// del_timer, timer_delete, hrtimer_try_to_cancel, disable_work.
waits.delete('timer_delete_sync_try');

/** The waiting primitive `name`, from the built-in table or the configuration. */
export function waitPrim(name: string, config?: Config): WaitPrim | undefined {
  const w = waits.get(name);
  if (w) return w;
  const extra = config?.waitPrimitives.find((p) => p.name === name);
  return extra ? { waitsFor: extra.waitsFor, arg: extra.arg } : undefined;
}

/** Calls that queue work on a workqueue: (wq arg, work arg). */
export const QUEUE_ON_WQ = new Map<string, { wq: number; work: number }>([
  ['queue_work', { wq: 0, work: 1 }],
  ['queue_work_on', { wq: 1, work: 2 }],
  ['queue_delayed_work', { wq: 0, work: 1 }],
  ['queue_delayed_work_on', { wq: 1, work: 2 }],
  ['mod_delayed_work', { wq: 0, work: 1 }],
  ['mod_delayed_work_on', { wq: 1, work: 2 }],
  ['queue_rcu_work', { wq: 0, work: 1 }],
  ['kthread_queue_work', { wq: 0, work: 1 }],
  ['kthread_queue_delayed_work', { wq: 0, work: 1 }],
  ['kthread_mod_delayed_work', { wq: 0, work: 1 }],
]);

/** Anything in this file: calls to these are never resolved as ordinary functions. */
export function isPrimitive(name: string): boolean {
  return acquire.has(name) || release.has(name) || guards.has(name) || asserts.has(name) || waits.has(name) || isDowngrade(name) || ASSERT_COND.has(name) || IS_HELD.has(name);
}

/**
 * Debug instrumentation the analysis does not follow: lockdep's hooks
 * (`lock_acquire()` runs inside every `rcu_read_lock()`), the KASAN, KCSAN
 * and KMSAN runtimes. Followed, `lock_acquire()` reached kasan_report()'s
 * `report_lock` from every RCU reader, and 116 sync-under-lock findings of
 * the whole-tree run were that chain. Their locks are the checker's, not the
 * code's; the asserts (`lockdep_assert_held()`) are primitives and still read.
 */
const INSTRUMENTATION = /^(?:lock_(?:acquire|release|acquired|contended|sync)|lockdep_(?:init_map|set_class|hardirqs_|softirqs_|off|on|rcu_suspicious|register_key|unregister_key)\w*|__?(?:kasan|kcsan|kmsan)_\w+|(?:kasan|kcsan|kmsan)_\w+)$/;

export function isInstrumentation(name: string): boolean {
  return INSTRUMENTATION.test(name);
}

