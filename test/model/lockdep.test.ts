import { describe, expect, test } from 'vitest';
import { renderLockdepScenario } from '../../src/model/lockdep.js';

const step = (thread: string, line: number, s: string) => ({ thread, file: 'x.c', line, step: s });

describe('renderLockdepScenario', () => {
  test('a lock held across a wait for a work whose callback takes the lock', () => {
    const t = renderLockdepScenario([
      step('T0', 10, 'mutex_lock(&group->mutex)  [acquires group->mutex; T0 holds group->mutex]'),
      step('T1', 3, 'work_fn(&gdev#2->work)  [starts work gdev#2->work on T1, pending from before]'),
      step('T0', 12, 'cancel_work_sync(&gdev->work)  [waits for gdev->work: work_fn running on T1; T0 holds group->mutex]'),
      step('T1', 5, 'mutex_lock(&group->mutex)  [blocked on group->mutex, held by T0; T1 holds no lock]'),
    ]);
    expect(t).toBe(
      [
        ' Possible unsafe locking scenario:',
        '',
        '       CPU0                    CPU1',
        '       ----                    ----',
        '  lock(&group->mutex);',
        '                               lock((work_completion)(&gdev->work));',
        '                               lock(&group->mutex);',
        '  lock((work_completion)(&gdev->work));',
        '',
        ' *** DEADLOCK ***',
      ].join('\n'),
    );
  });

  test('AB-BA between two locks', () => {
    const t = renderLockdepScenario([
      step('T0', 1, 'mutex_lock(&a->m)  [acquires a->m; T0 holds a->m]'),
      step('T1', 2, 'mutex_lock(&b->m)  [acquires b->m; T1 holds b->m]'),
      step('T1', 3, 'mutex_lock(&a->m)  [blocked on a->m, held by T0; T1 holds b->m]'),
      step('T0', 4, 'mutex_lock(&b->m)  [blocked on b->m, held by T1; T0 holds a->m]'),
    ])!;
    expect(t.split('\n').filter((l) => l.includes('lock('))).toEqual([
      '  lock(&a->m);',
      '                               lock(&b->m);',
      '                               lock(&a->m);',
      '  lock(&b->m);',
    ]);
  });

  test('a recursive acquisition on one CPU', () => {
    const t = renderLockdepScenario([
      step('T0', 1, 'spin_lock(&p->lock)  [acquires p->lock; T0 holds p->lock]'),
      step('T0', 2, 'spin_lock(&p->lock)  [T0 already holds p->lock: blocks on itself (AA deadlock)]'),
    ])!;
    expect(t).toContain('       CPU0\n       ----\n  lock(&p->lock);\n  lock(&p->lock);');
  });

  test('no table for a trace without a deadlock', () => {
    expect(renderLockdepScenario([step('T0', 1, 'mutex_lock(&a->m)  [acquires a->m; T0 holds a->m]')])).toBeNull();
  });
});
