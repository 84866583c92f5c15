/**
 * States share their objects after a clone (copy on write): a change on one
 * side never shows on the other, and the hash sees each side as it is.
 */
import { describe, expect, test } from 'vitest';
import { DEFAULT_BOUNDS } from '../../src/model/bounds.js';
import { TypeInfo, newObj, readField, writeField } from '../../src/model/heap.js';
import { cloneState, hashState, initialState, mutableObj } from '../../src/model/state.js';
import { int } from '../../src/model/values.js';
import { memIndex } from '../rules/helpers.js';

describe('cloned states and their objects', () => {
  const types = new TypeInfo(memIndex({ 'a.c': 'struct w { int a; int b; };\n' }));

  test('a write after a clone changes only the side that made it', () => {
    const s = initialState();
    const id = newObj(s, DEFAULT_BOUNDS, 'struct w', 'pre', 'w');
    writeField(s, id, 'a', int(1));
    const c = cloneState(s);
    expect(hashState(c)).toBe(hashState(s));
    writeField(c, id, 'a', int(2));
    expect(readField(s, types, id, 'a', 'w->a')).toEqual(int(1));
    expect(readField(c, types, id, 'a', 'w->a')).toEqual(int(2));
    expect(hashState(c)).not.toBe(hashState(s));
    // The original, written after the clone, copies its object too.
    writeField(s, id, 'a', int(2));
    expect(hashState(s)).toBe(hashState(c));
    expect(c.objs[id]).not.toBe(s.objs[id]);
  });

  test('a field created by a first read, and a free, stay on their side', () => {
    const s = initialState();
    const id = newObj(s, DEFAULT_BOUNDS, 'struct w', 'pre', 'w');
    const c = cloneState(s);
    const h = hashState(s);
    readField(c, types, id, 'b', 'w->b');
    mutableObj(c, id)!.freed = 1;
    expect(s.objs[id]!.fields).toEqual({});
    expect(s.objs[id]!.freed).toBe(0);
    expect(hashState(s)).toBe(h);
    expect(hashState(c)).not.toBe(h);
    // A state changes its own copy in place from then on.
    expect(mutableObj(c, id)).toBe(c.objs[id]);
  });
});
