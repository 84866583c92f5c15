import { describe, expect, test } from 'vitest';
import { confirmFinding, renderLockdepScenario } from '../../src/model/confirm.js';
import type { Confirmation } from '../../src/report/schema.js';
import { finding, fixture, lineOf, memIndex } from './helpers.js';

function sync(file: string, text: string, fn: string, needle: string, lock: string, message = ''): Confirmation {
  const index = memIndex({ [file]: text });
  const line = lineOf(text, needle, fn + '(');
  return confirmFinding(finding({ rule: 'sync-under-lock', file, line, function: fn, lock, message }), index);
}

const show = (c: Confirmation) => `${c.status}: ${c.summary}\n${c.trace.map((t) => `  ${t.thread} ${t.line}: ${t.step}`).join('\n')}`;

describe('sync-under-lock: iommu-like group (cancel_work_sync under group->mutex)', () => {
  const F = 'drivers/iommu/iommu-like.c';
  const T = fixture('iommu-like.c');

  test('confirmed through the helper that cancels, with the cycle and a lockdep table', () => {
    const c = sync(F, T, 'grp_remove_device_bad', 'gdev_free(group, gdev);', 'group->mutex');
    expect(c.status, show(c)).toBe('confirmed');
    expect(c.summary).toMatch(/T0 waits for .*work held by T1; T1 waits for group->mutex held by T0/);
    // The trace shows who holds and who waits.
    expect(c.trace.some((s) => s.thread === 'T0' && /acquires group->mutex/.test(s.step))).toBe(true);
    expect(c.trace.some((s) => s.thread === 'T0' && /cancel_work_sync\(&gdev->work\).*waits for/.test(s.step))).toBe(true);
    expect(c.trace.some((s) => s.thread === 'T1' && /blocked on group->mutex, held by T0/.test(s.step))).toBe(true);
    const table = renderLockdepScenario(c.trace)!;
    expect(table).toContain('Possible unsafe locking scenario');
    expect(table.split('\n').filter((l) => l.includes('lock('))).toEqual([
      '  lock(&group->mutex);',
      '                               lock((work_completion)(&gdev->work));',
      '                               lock(&group->mutex);',
      '  lock((work_completion)(&gdev->work));',
    ]);
  });

  test('refuted when the device is freed after the mutex is released', () => {
    const c = sync(F, T, 'grp_remove_device_good', 'gdev_free(group, found);', 'group->mutex');
    expect(c.status, show(c)).toBe('refuted');
  });

  test('refuted when the work is disabled before the lock is taken', () => {
    const c = sync(F, T, 'grp_remove_device_disabled', 'cancel_work_sync(&gdev->work);', 'group->mutex');
    expect(c.status, show(c)).toBe('refuted');
  });
});

describe('sync-under-lock: other subsystem shapes', () => {
  test('network driver: delayed work taking the lock two calls deep is confirmed', () => {
    const F = 'drivers/net/ethernet/nic.c';
    const T = fixture('netdrv.c');
    const c = sync(F, T, 'nic_stop_bad', 'cancel_delayed_work_sync', 'priv->lock');
    expect(c.status, show(c)).toBe('confirmed');
    expect(c.trace.some((s) => /blocked on priv->lock/.test(s.step))).toBe(true);
    expect(c.trace.some((s) => s.line === lineOf(T, 'mutex_lock(&priv->lock);'))).toBe(true);
    const good = sync(F, T, 'nic_stop_good', 'cancel_delayed_work_sync', 'priv->lock');
    expect(good.status, show(good)).toBe('refuted');
  });

  test('timer callback with a spinlock: del_timer_sync under it is confirmed', () => {
    const F = 'drivers/watchdog/wdog.c';
    const T = fixture('timer-spin.c');
    const c = sync(F, T, 'wdog_stop_bad', 'del_timer_sync', 'wd->lock');
    expect(c.status, show(c)).toBe('confirmed');
    expect(renderLockdepScenario(c.trace)).toContain('lock((&wd->timer));');
    const good = sync(F, T, 'wdog_stop_good', 'del_timer_sync', 'wd->lock');
    expect(good.status, show(good)).toBe('refuted');
  });

  test('kthread_stop under a mutex the thread function takes is confirmed', () => {
    const F = 'drivers/misc/poller.c';
    const T = fixture('kthread-stop.c');
    const c = sync(F, T, 'poller_stop_bad', 'kthread_stop', 'p->lock');
    expect(c.status, show(c)).toBe('confirmed');
    expect(c.summary).toMatch(/T0 waits for kthread poller_fn/);
    const good = sync(F, T, 'poller_stop_good', 'kthread_stop', 'p->lock');
    expect(good.status, show(good)).toBe('refuted');
  });
});

describe('sync-under-lock: refuted although a static rule fires', () => {
  const F = 'drivers/misc/node.c';
  const T = fixture('refute-cases.c');

  test('the work was never initialised with any callback', () => {
    const c = sync(F, T, 'widget_stop', 'cancel_work_sync', 'w->lock', 'cancel_work_sync(&w->never_work) waits for node_work()');
    expect(c.status, show(c)).toBe('refuted');
    expect(c.summary).toMatch(/no callback is ever bound to w->never_work/);
  });

  test('the worker only trylocks and gives up', () => {
    const c = sync(F, T, 'node_stop_trylock', 'cancel_work_sync', 'n->lock');
    expect(c.status, show(c)).toBe('refuted');
  });

  test('the lock held is a different instance of the same type', () => {
    const c = sync(F, T, 'node_add_child', 'cancel_work_sync', 'parent->lock');
    expect(c.status, show(c)).toBe('refuted');
  });
});
