import { describe, expect, test } from 'vitest';
import { withBounds } from '../../src/model/bounds.js';
import { runEntry } from '../../src/model/scenarios/common.js';
import type { ModelEvent } from '../../src/model/state.js';
import { traceArray } from '../../src/model/state.js';
import { finding, fixture, memIndex } from './helpers.js';

const F = 'drivers/misc/box.c';
const T = fixture('prims.c');
const index = memIndex({ [F]: T });

/** Runs a function from its entry and collects every event met on every path. */
function events(fn: string): { evs: ModelEvent[]; traces: string[][] } {
  const f = index.functions(fn)[0]!;
  const evs: ModelEvent[] = [];
  const traces: string[][] = [];
  runEntry({ finding: finding({ rule: 'double-lock', file: F, line: 1, function: fn }), index, bounds: withBounds() }, f, {
    concurrent: false,
    allocFail: false,
    spontaneous: [],
    watch: null,
    onEvent: (ev, s) => {
      evs.push(ev);
      traces.push(traceArray(s.trace, ev.traceLen).map((t) => t.step));
      return false;
    },
  });
  return { evs, traces };
}

describe('built-in models', () => {
  test('WARN_ON fires only on the path where its condition holds, with the values', () => {
    const { evs, traces } = events('box_check');
    const warns = evs.filter((e) => e.kind === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]!.detail).toMatch(/b->count = \?b->count/);
    expect(traces[evs.indexOf(warns[0]!)]!.some((s) => /assume b->items is empty/.test(s))).toBe(true);
  });

  test('lists: add, iterate, delete, first entry are exact on objects the code built', () => {
    const { evs } = events('box_fill');
    expect(evs.filter((e) => e.kind === 'warn')).toEqual([]);
    expect(evs.filter((e) => e.kind === 'return')).toHaveLength(1);
  });

  test('kref_put calls the release function; a later read is a use after free', () => {
    const { evs } = events('box_drop');
    const uaf = evs.filter((e) => e.kind === 'use-after-free');
    expect(uaf.length).toBeGreaterThan(0);
    expect(uaf[0]!.text).toBe('it->val');
    expect(uaf[0]!.detail).toMatch(/was freed/);
  });

  test('switch on an unconstrained value explores every arm', () => {
    const { evs } = events('box_mode');
    expect(evs.filter((e) => e.kind === 'return')).toHaveLength(3);
    expect(evs.filter((e) => e.kind === 'warn')).toHaveLength(1);
  });

  test('container_of on a pointer first met on its own finds the same object inside the container', () => {
    const { evs } = events('foo_show');
    expect(evs.filter((e) => e.kind === 'warn')).toEqual([]);
    expect(evs.filter((e) => e.kind === 'return')).toHaveLength(2);
  });
});
