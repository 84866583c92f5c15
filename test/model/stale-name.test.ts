import { describe, expect, test } from 'vitest';
import { confirmFinding } from '../../src/model/confirm.js';
import { finding, fixture, lineOf, memIndex } from './helpers.js';

const F = 'drivers/widget/widget.c';
const T = fixture('stale-names.c');
const index = memIndex({ [F]: T });
const line = lineOf(T, 'Called from widget_release_all');

function named(message: string) {
  return confirmFinding(finding({ rule: 'comment-code-mismatch', file: F, line, function: 'widget_finish', message, related: [] }), index);
}

describe('comment-code-mismatch: names that no longer exist', () => {
  test('confirmed: nothing in the tree defines the function the comment names; the trace lists the lookups', () => {
    const c = named('the comment names widget_release_all(), which is not defined or used anywhere in the tree');
    expect(c.status, c.summary).toBe('confirmed');
    expect(c.summary).toMatch(/nothing in the tree defines widget_release_all\(\)/);
    expect(c.trace.map((s) => s.step)).toEqual([
      'functions(widget_release_all): no definition',
      'global(widget_release_all): no declaration',
      `#define widget_release_all in ${F}: none`,
    ]);
  });

  test('refuted: the function exists, and the summary says where', () => {
    const c = named('the comment names widget_commit(), which is not defined or used anywhere in the tree');
    expect(c.status, c.summary).toBe('refuted');
    expect(c.summary).toContain(`${F}:${lineOf(T, 'int widget_commit(')}`);
  });

  test('refuted: a macro of that name is defined in the file', () => {
    const c = named('the comment names WIDGET_RESET_MACRO(), which is not defined or used anywhere in the tree');
    expect(c.status, c.summary).toBe('refuted');
    expect(c.summary).toMatch(/macro defined at .*widget\.c:2\b/);
  });

  test('confirmed: the struct has no such field', () => {
    const c = named('the comment names w->refs, but struct widget has no field refs');
    expect(c.status, c.summary).toBe('confirmed');
    expect(c.summary).toMatch(/struct widget \(.*widget\.c:4\) has no field refs/);
    expect(c.trace[0]!.step).toMatch(/struct\(widget\).*3 fields, none named refs/);
  });

  test('refuted: the field exists', () => {
    const c = named('the comment names w->users, but struct widget has no field users');
    expect(c.status, c.summary).toBe('refuted');
    expect(c.summary).toMatch(/has a field users at line 6/);
  });
});
