import { describe, expect, test } from 'vitest';
import { confirmFinding } from '../../src/model/confirm.js';
import { finding, fixture, lineOf, memIndex } from './helpers.js';

const F = 'drivers/iommu/pgroup.c';
const T = fixture('comment-check.c');
const index = memIndex({ [F]: T });

function claim(fn: string) {
  const line = lineOf(T, 'Once the group is empty', fn + '(');
  const check = lineOf(T, 'WARN_ON(', fn + '(');
  return confirmFinding(
    finding({
      rule: 'comment-code-mismatch',
      file: F,
      line,
      function: fn,
      message: 'comment and check disagree: the comment allows group->domain to be NULL, but WARN_ON() fires when group->domain is NULL (unless group->default_domain is NULL too)',
      related: [{ file: F, line: check, function: fn, message: 'the check' }],
    }),
    index,
  );
}

describe('comment-code-mismatch (values a checked field may take)', () => {
  test('confirmed: domain == NULL, which the comment allows, makes the WARN_ON fire', () => {
    const c = claim('pgroup_empty_check');
    expect(c.status, c.summary).toBe('confirmed');
    expect(c.summary).toMatch(/group->domain = NULL/);
    expect(c.trace.some((s) => /assume group->domain == NULL/.test(s.step))).toBe(true);
    expect(c.trace.at(-1)!.step).toMatch(/WARN_ON.*fires/);
  });

  test('refuted where the condition accepts NULL too', () => {
    expect(claim('pgroup_empty_check_ok').status).toBe('refuted');
  });
});
