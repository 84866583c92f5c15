import { describe, expect, test } from 'vitest';
import { confirmFinding } from '../../src/model/confirm.js';
import { Machine } from '../../src/model/machine.js';
import { DEFAULT_BOUNDS } from '../../src/model/bounds.js';
import { homeDir, inScope, scopeOf } from '../../src/model/scope.js';
import { LockSlice } from '../../src/model/slice.js';
import type { Confirmation, Finding } from '../../src/report/schema.js';
import { finding, fixture, lineOf, memIndex } from './helpers.js';

const F = 'drivers/widget/shapes.c';
const T = fixture('real-shapes.c');
const index = memIndex({ [F]: T });

const show = (c: Confirmation) => `${c.status}: ${c.summary}\n${c.trace.map((t) => `  ${t.thread} ${t.line}: ${t.step}`).join('\n')}`;

function at(rule: Finding['rule'], fn: string, needle: string, lock: string, extra: Partial<Finding> = {}): Confirmation {
  return confirmFinding({ ...finding({ rule, file: F, line: lineOf(T, needle, `${fn}(struct`), function: fn, lock }), ...extra }, index);
}

describe('lock-imbalance: the return value tells the lock state', () => {
  test('refuted: returns 0 holding the lock and an error without it (a conditional acquire)', () => {
    const c = at('lock-imbalance', 'ctx_take_all', 'return 0;', 'c->creation_lock');
    expect(c.status, show(c)).toBe('refuted');
    expect(c.summary).toMatch(/conditionally.*returns 0 \(line \d+\).*returns an error/);
  });

  test('confirmed: an error returned with the lock still held is a missing unlock', () => {
    const c = at('lock-imbalance', 'ctx_update', 'return rc;', 'c->lock');
    expect(c.status, show(c)).toBe('confirmed');
    expect(c.summary).toMatch(/returns holding c->lock at .*:\d+ but without it at/);
  });
});

describe('dma_resv_lock / dma_resv_unlock are the reservation\'s ww_mutex', () => {
  test('refuted: every path unlocks the reservation', () => {
    const c = at('lock-imbalance', 'resv_map', 'return rc;', 'o->resv->lock.base');
    expect(c.status, show(c)).toBe('refuted');
    expect(c.summary).toMatch(/always returns without it/);
  });

  test('confirmed: the error path returns with the reservation locked', () => {
    const c = at('lock-imbalance', 'resv_map_leak', 'return rc;', 'o->resv->lock.base');
    expect(c.status, show(c)).toBe('confirmed');
  });
});

describe('double-lock: correlated list checks and locks of the same name in other structs', () => {
  test('refuted: the node is unlinked with list_del_init before destroy checks list_empty again', () => {
    const c = at('double-lock', 'item_abort', 'item_destroy(it);', 'it->pool->mutex');
    expect(c.status, show(c)).toBe('refuted');
  });

  test('confirmed: without the unlink, destroy takes the mutex the caller asserts held', () => {
    const c = at('double-lock', 'item_abort_bad', 'item_destroy(it);', 'it->pool->mutex');
    expect(c.status, show(c)).toBe('confirmed');
    expect(c.summary).toMatch(/taken twice/);
  });

  test('the slice keeps a function taking pool::mutex and drops one taking other::mutex', () => {
    const m = new Machine(index, DEFAULT_BOUNDS, { concurrent: false, allocFail: false, entryThread: 'T0' });
    const fn = (n: string) => index.functions(n)[0]!;
    const typed = new LockSlice(m, 'mutex', { struct: 'pool', field: 'mutex' });
    expect(typed.touches(fn('item_destroy'))).toBe(true);
    expect(typed.touches(fn('other_drain'))).toBe(false);
    // By member name alone both may be the lock.
    expect(new LockSlice(m, 'mutex').touches(fn('other_drain'))).toBe(true);
    expect(new LockSlice(m, 'lock').touches(fn('other_drain'))).toBe(false);
  });
});

describe('sync-under-lock: the holder the finding names does not hold the lock at its call', () => {
  const wait = lineOf(T, 'cancel_work_sync(&d->work);');
  const sync = (holder: string): Confirmation =>
    confirmFinding(
      finding({
        rule: 'sync-under-lock',
        file: F,
        line: wait,
        function: 'dev_teardown',
        lock: 'd->lock',
        message: `cancel_work_sync(&d->work) waits for dev_work(), which takes d->lock; ${holder}() may hold d->lock when it calls dev_teardown(): deadlock if dev_work() is running`,
        related: [{ file: F, line: lineOf(T, 'dev_teardown(d);', `void ${holder}(`), function: holder, message: 'calls dev_teardown(d) with d->lock held' }],
      }),
      index,
    );

  test('refuted: dev_stop() releases the lock before it calls into the wait, on every path', () => {
    const c = sync('dev_stop');
    expect(c.status, show(c)).toBe('refuted');
    expect(c.summary).toMatch(/no thread reaches the wait holding d->lock: dev_teardown\(\) at .*, dev_stop\(\) at .* are reached/);
  });

  test('confirmed: dev_stop_bad() calls it with the lock held, and the cycle goes through d->lock', () => {
    const c = sync('dev_stop_bad');
    expect(c.status, show(c)).toBe('confirmed');
    expect(c.summary).toMatch(/deadlock \(entered through dev_stop_bad\(\)\).*d->lock/);
  });
});

describe('scope: the code a lock scenario runs', () => {
  test('the subsystem directory of a file', () => {
    expect(homeDir('drivers/iommu/iommufd/pages.c')).toBe('drivers/iommu/');
    expect(homeDir('drivers/net/wireless/ath/ath9k/main.c')).toBe('drivers/net/wireless/ath/');
    expect(homeDir('net/mac80211/util.c')).toBe('net/mac80211/');
  });

  test('functions of the subsystem and functions the finding names run; core code elsewhere does not', () => {
    const f = finding({
      rule: 'sync-under-lock', file: 'drivers/iommu/dma-iommu.c', line: 1, function: 'iommu_dma_free_fq', lock: 'l',
      message: 'waits for fq_flush_timeout(), which takes l (through folio_put() -> folio_lruvec_lock_irqsave())',
      related: [{ file: 'include/linux/memcontrol.h', line: 1, function: 'folio_lruvec_lock_irqsave', message: 'l taken here' }],
    });
    const s = scopeOf(f);
    expect(s.dirs).toEqual(['drivers/iommu/']);
    const fn = (name: string, file: string) => ({ name, file }) as Parameters<typeof inScope>[1];
    expect(inScope(s, fn('iopt_unmap', 'drivers/iommu/iommufd/io_pagetable.c'))).toBe(true);
    expect(inScope(s, fn('folio_put', 'include/linux/mm.h'))).toBe(true);
    expect(inScope(s, fn('rb_erase', 'lib/rbtree.c'))).toBe(false);
    expect(inScope(s, fn('memset', 'drivers/firmware/efi/libstub/intrinsics.c'))).toBe(false);
  });
});

describe('sync-under-lock: a timer of a struct embedded in the lock\'s owner', () => {
  test('confirmed: the timer of sc->coex runs, blocks on sc->pm_lock held by the waiter', () => {
    const c = confirmFinding(
      finding({
        rule: 'sync-under-lock',
        file: F,
        line: lineOf(T, 'timer_delete_sync(&c->stomp_timer);'),
        function: 'coex_stop_timer',
        lock: 'sc->pm_lock',
        message: 'timer_delete_sync(&c->stomp_timer) waits for coex_stomp_timer(), which takes sc->pm_lock; softc_restore() holds sc->pm_lock when it calls coex_stop_timer(): deadlock if coex_stomp_timer() is running',
        related: [{ file: F, line: lineOf(T, 'coex_stop_timer(sc);', 'void softc_restore('), function: 'softc_restore', message: 'calls coex_stop_timer(sc) with sc->pm_lock held' }],
      }),
      index,
    );
    expect(c.status, show(c)).toBe('confirmed');
    expect(c.summary).toMatch(/waits for sc->pm_lock held by T0/);
  });
});

describe('resolution: an empty config stub loses to the definition with code', () => {
  test('the machine runs the real function the finding names when the index resolves the call to a header stub', () => {
    const H = 'drivers/widget/coex.h';
    const files = { [F]: T, [H]: 'static inline void coex_stop_timer(struct softc *sc)\n{\n}\n' };
    const base = memIndex(files);
    const stub = base.functions('coex_stop_timer').find((f) => f.file === H)!;
    const ix = { ...base, resolve: (name: string, from: string) => (name === 'coex_stop_timer' ? stub : base.resolve(name, from)) };
    const named = new Machine(ix, DEFAULT_BOUNDS, { concurrent: false, allocFail: false, entryThread: 'T0' });
    named.scope = { dirs: ['drivers/widget/'], names: new Set(['coex_stop_timer']) };
    expect(named.resolve('coex_stop_timer', F)?.file).toBe(F);
    // A function the finding does not name keeps the index's answer (debug options stay off).
    const other = new Machine(ix, DEFAULT_BOUNDS, { concurrent: false, allocFail: false, entryThread: 'T0' });
    other.scope = { dirs: ['drivers/widget/'], names: new Set() };
    expect(other.resolve('coex_stop_timer', F)?.file).toBe(H);
  });
});

describe('sync-under-lock: the waiting function drops its callers\' lock around the wait', () => {
  test('refuted: the lock asserted held on entry is released before the wait on every path', () => {
    const c = confirmFinding(
      finding({
        rule: 'sync-under-lock',
        file: F,
        line: lineOf(T, 'timer_delete_sync(&fr->frag_timer);'),
        function: 'frag_flush',
        lock: 'base_lock',
        message: 'timer_delete_sync(&fr->frag_timer) waits for frag_timer_fn(), which takes fr->base; frag_caller() holds base_lock when it calls frag_flush(): deadlock if frag_timer_fn() is running',
        related: [],
      }),
      index,
    );
    expect(c.status, show(c)).toBe('refuted');
    expect(c.summary).toMatch(/starts holding base_lock \(its callers' lock\) and releases it before the wait/);
  });
});

describe('list_splice: a work that takes over its queue', () => {
  test('confirmed: the spliced elements are processed, under the lock the canceller holds', () => {
    const c = confirmFinding(
      finding({
        rule: 'sync-under-lock',
        file: F,
        line: lineOf(T, 'cancel_work_sync(&r->update_work);'),
        function: 'radio_stop',
        lock: 'r->conf_lock',
        message: 'cancel_work_sync(&r->update_work) waits for radio_update_work(), which takes r->conf_lock; r->conf_lock is held here: deadlock if radio_update_work() is running',
      }),
      index,
    );
    expect(c.status, show(c)).toBe('confirmed');
    expect(c.trace.some((s) => /list_splice_tail_init.*local: 0\+ element/.test(s.step))).toBe(true);
  });
});
