import { describe, expect, it } from 'vitest';
import type { Expr } from '../../src/parse/ir.js';
import { defaultConfig } from '../../src/rules/config.js';
import { exprText, lockRef, makeScope, mapToCaller, normalize, parsePath, parseType, sameLock } from '../../src/rules/lockpath.js';
import { addr, block, fld, fn, handIndex, id, ret } from './ir-builder.js';

describe('lock access paths', () => {
  it('parses configured paths and types', () => {
    expect(exprText(parsePath('&dev->iommu_group->mutex')!)).toBe('dev->iommu_group->mutex');
    expect(parsePath('a + b')).toBeNull();
    expect(parseType('const struct iommu_group *')).toEqual({ base: 'iommu_group', isStruct: true, ptr: 1 });
  });

  it('folds container_of(&x->member, T, member) back to x', () => {
    const e: Expr = { k: 'field', base: { k: 'container_of', ptr: addr(fld(id('gdev'), 'work')), type: 'struct gdev', member: 'work' }, name: 'group', arrow: true };
    expect(exprText(normalize(e))).toBe('gdev->group');
    expect(exprText(normalize({ k: 'field', base: addr(id('s')), name: 'lock', arrow: true }))).toBe('s.lock');
  });

  it('maps a callee lock into the caller through the argument, with its class', () => {
    const callee = fn('helper', [['group', 'struct grp *']], [block(0, [], ret())]);
    const caller = fn('caller', [['gdev', 'struct item *']], [block(0, [], ret())]);
    const index = handIndex([callee, caller]);
    const cs = makeScope(callee, index, defaultConfig());
    const inCallee = lockRef(addr(fld(id('group'), 'mutex')), cs, 'mutex');
    expect(inCallee).toMatchObject({ key: 'group->mutex', cls: 'struct grp::mutex', root: 'param' });
    const mapped = mapToCaller(inCallee, callee, [fld(id('gdev'), 'grp')], makeScope(caller, index, defaultConfig()));
    expect(mapped).toMatchObject({ key: 'gdev->grp->mutex', path: 'gdev->grp->mutex', cls: 'struct grp::mutex' });
    expect(sameLock(mapped, inCallee)).toBe('class');
    expect(sameLock(mapped, { ...inCallee, kind: 'spinlock' })).toBeNull();
  });

  it('expands single-assignment locals so two spellings of one lock match by path', () => {
    const f = fn('f', [['dev', 'struct device *']], [block(0, [{ op: 'assign', target: id('group'), value: fld(id('dev'), 'grp'), pos: { line: 1, column: 1, endLine: 1, endColumn: 2 }, text: 'group = dev->grp', comments: [] }], ret())], { group: 'struct grp *' });
    const s = makeScope(f, handIndex([f]), defaultConfig());
    const a = lockRef(addr(fld(id('group'), 'mutex')), s, 'mutex');
    const b = lockRef(addr(fld(fld(id('dev'), 'grp'), 'mutex')), s, 'mutex');
    expect(a.path).toBe('group->mutex');
    expect(sameLock(a, b)).toBe('path');
  });
});
