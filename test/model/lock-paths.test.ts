import { describe, expect, test } from 'vitest';
import { confirmFinding } from '../../src/model/confirm.js';
import type { Confirmation, Finding } from '../../src/report/schema.js';
import { finding, fixture, lineOf, memIndex } from './helpers.js';

const F = 'drivers/iommu/groups.c';
const T = fixture('lock-paths.c');
const index = memIndex({ [F]: T });
const ASSERT_LINE = lineOf(T, 'lockdep_assert_held(&group->mutex);');

function run(rule: Finding['rule'], fn: string, needle: string, lock = 'group->mutex', nth = 0): Confirmation {
  const lines = T.split('\n');
  const start = lines.findIndex((l) => l.includes(`${fn}(`) && !l.includes(';'));
  let line = -1;
  let seen = 0;
  for (let i = start; i < lines.length; i++) {
    if (lines[i]!.includes(needle)) {
      if (seen++ === nth) {
        line = i + 1;
        break;
      }
    }
  }
  const related = rule === 'assert-held-caller' ? [{ file: F, line: ASSERT_LINE, function: 'group_set_domain', message: 'asserts group->mutex' }] : [];
  return confirmFinding(finding({ rule, file: F, line, function: fn, lock, related }), index);
}

const show = (c: Confirmation) => `${c.status}: ${c.summary}\n${c.trace.map((t) => `  ${t.thread} ${t.line}: ${t.step}`).join('\n')}`;

describe('assert-held-caller', () => {
  test('confirmed on the branch that skips the lock, and the trace shows the branch', () => {
    const c = run('assert-held-caller', 'group_attach', 'group_set_domain(group, d);');
    expect(c.status, show(c)).toBe('confirmed');
    expect(c.trace.some((s) => /fast.*: true/.test(s.step))).toBe(true);
    expect(c.trace.at(-1)!.step).toMatch(/assertion fails: group->mutex not held by T0/);
    expect(c.trace.at(-1)!.line).toBe(ASSERT_LINE);
  });

  test('confirmed after the unlock on the error path, and the trace shows the unlock', () => {
    const c = run('assert-held-caller', 'group_reset', 'group_set_domain(group, d);');
    expect(c.status, show(c)).toBe('confirmed');
    expect(c.trace.some((s) => /mutex_unlock.*releases group->mutex/.test(s.step))).toBe(true);
  });

  test('refuted where a guard holds the mutex on every path', () => {
    const c = run('assert-held-caller', 'group_attach_guarded', 'group_set_domain(group, d);');
    expect(c.status, show(c)).toBe('refuted');
  });

  test('refuted where the caller itself asserts the lock (its callers hold it)', () => {
    const c = run('assert-held-caller', 'group_set_default', 'group_set_domain(group, group->default_domain);');
    expect(c.status, show(c)).toBe('refuted');
  });
});

describe('entry contracts', () => {
  test('__must_hold on the entry function: the scenario starts with the lock held', () => {
    const fn = index.functions('group_set_default_annotated')[0]!;
    expect(fn.annotations.mustHold.join()).toContain('group->mutex');
    const c = run('assert-held-caller', 'group_set_default_annotated', 'group_set_domain(group, group->default_domain);');
    expect(c.status, show(c)).toBe('refuted');
  });

  test('a finding in a function the index does not know is unknown, not an error', () => {
    const c = confirmFinding(finding({ rule: 'double-lock', file: F, line: 3, function: 'no_such_function' }), index);
    expect(c.status).toBe('unknown');
    expect(c.summary).toMatch(/could not find no_such_function/);
  });

  test('a warn-reachable finding its rule did not explore with this index stays unknown, saying so', () => {
    const c = confirmFinding(finding({ rule: 'warn-reachable', file: F, line: 3, function: 'group_attach' }), index);
    expect(c.status).toBe('unknown');
    expect(c.summary).toMatch(/not explored with this index/);
  });
});

describe('double-lock', () => {
  test('confirmed through the helper on the busy path', () => {
    const c = run('double-lock', 'group_claim', 'group_lock_helper(group);');
    expect(c.status, show(c)).toBe('confirmed');
    expect(c.summary).toContain('CPU0');
    expect(c.trace.some((s) => /busy.*: true/.test(s.step))).toBe(true);
    expect(c.trace.at(-1)!.step).toMatch(/already holds group->mutex/);
  });

  test('the summary says when the witness path needs a WARN_ON to fire first', () => {
    const c = run('double-lock', 'pdomain_free', 'client_disable(c);', 'c->lock');
    expect(c.status, show(c)).toBe('confirmed');
    expect(c.summary).toMatch(/on this path WARN_ON\(!list_empty\(&d->clients\)\) at .*fires first/);
    expect(c.trace.some((s) => /assume d->clients is not empty/.test(s.step))).toBe(true);
  });

  test('refuted when the helper runs after the unlock', () => {
    const c = run('double-lock', 'group_claim_ok', 'group_lock_helper(group);');
    expect(c.status, show(c)).toBe('refuted');
  });
});

describe('lock-imbalance', () => {
  test('confirmed: the allocation-failure path returns holding the mutex', () => {
    const c = run('lock-imbalance', 'group_add', 'return -ENOMEM;');
    expect(c.status, show(c)).toBe('confirmed');
    expect(c.trace.some((s) => /kzalloc\(\) fails/.test(s.step))).toBe(true);
    expect(c.trace.at(-1)!.step).toMatch(/holds group->mutex/);
  });

  test('refuted when every path unlocks through the label', () => {
    const c = run('lock-imbalance', 'group_add_ok', 'return ret;');
    expect(c.status, show(c)).toBe('refuted');
  });
});

describe('bounds', () => {
  test('an endless loop ends with unknown naming the loop bound', () => {
    const c = run('lock-imbalance', 'group_spin', 'for (;;)');
    expect(c.status, show(c)).toBe('unknown');
    expect(c.summary).toMatch(/loop unrolling \(3\) in group_spin\(\)/);
  });

  test('endless recursion ends with unknown naming the depth bound', () => {
    const c = run('lock-imbalance', 'group_depth', 'return group_depth');
    expect(c.status, show(c)).toBe('unknown');
    expect(c.summary).toMatch(/call depth \(20\)/);
  });

  test('a tight state bound gives unknown naming it', () => {
    const line = lineOf(T, 'group_set_domain(group, d);', 'group_reset(');
    const c = confirmFinding(
      finding({ rule: 'assert-held-caller', file: F, line: line + 1000, function: 'group_reset', lock: 'group->mutex' }),
      index,
      { states: 3 },
    );
    expect(c.status).toBe('unknown');
    expect(c.summary).toMatch(/states \(3\)/);
  });
});
