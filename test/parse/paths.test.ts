import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertInsideTree, assertSafeRelPath, unsafePathReason } from '../../src/parse/paths.js';
import { InputError } from '../../src/errors.js';

describe('unsafePathReason', () => {
  it.each([
    ['drivers/iommu/iommu.c', null],
    ['Makefile', null],
    ['a/.hidden/b..c', null],
    ['', 'empty path'],
    ['/etc/passwd', 'absolute path'],
    ['C:/x', 'absolute path (drive letter)'],
    ['../x', "contains a '..' component"],
    ['a/../../x', "contains a '..' component"],
    ['a/..', "contains a '..' component"],
    ['a\\..\\..\\x', 'contains a backslash'],
    ['a\0b', 'contains a NUL byte'],
    ['a//b', 'contains an empty component'],
    ['./a', "contains a '.' component"],
    ['~/x', 'path starts with ~'],
  ])('%j -> %j', (p, reason) => {
    expect(unsafePathReason(p)).toBe(reason);
  });

  it('assertSafeRelPath throws an InputError naming the path', () => {
    expect(() => assertSafeRelPath('../x', '0001.patch')).toThrow(
      new InputError(`0001.patch: unsafe path "../x": contains a '..' component`),
    );
    expect(assertSafeRelPath('ok/file.c')).toBe('ok/file.c');
  });
});

describe('assertInsideTree', () => {
  let base: string;
  let tree: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'kreview-paths-'));
    tree = join(base, 'tree');
    mkdirSync(join(tree, 'drivers/iommu'), { recursive: true });
    mkdirSync(join(base, 'outside'));
    writeFileSync(join(tree, 'drivers/iommu/iommu.c'), 'int x;\n');
    writeFileSync(join(base, 'outside/secret'), 'secret\n');
    symlinkSync(join(base, 'outside'), join(tree, 'escape'));
    symlinkSync('../../outside/secret', join(tree, 'drivers/leak'));
    symlinkSync('iommu', join(tree, 'drivers/alias'));
    symlinkSync(join(base, 'nowhere'), join(tree, 'dangling'));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('accepts existing and not-yet-existing paths inside the tree, and symlinks that stay inside', () => {
    expect(() => assertInsideTree(tree, 'drivers/iommu/iommu.c')).not.toThrow();
    expect(() => assertInsideTree(tree, 'drivers/iommu/new.c')).not.toThrow();
    expect(() => assertInsideTree(tree, 'new/dir/file.c')).not.toThrow();
    expect(() => assertInsideTree(tree, 'drivers/alias/iommu.c')).not.toThrow();
  });

  it('refuses a path that leaves the tree through a symlink, existing or not', () => {
    expect(() => assertInsideTree(tree, 'escape/secret')).toThrow(/leaves the tree through a symlink/);
    expect(() => assertInsideTree(tree, 'escape/new-file')).toThrow(/leaves the tree through a symlink/);
    expect(() => assertInsideTree(tree, 'escape')).toThrow(/leaves the tree through a symlink/);
    expect(() => assertInsideTree(tree, 'drivers/leak')).toThrow(/leaves the tree through a symlink/);
  });

  it('refuses a dangling symlink and lexically unsafe paths', () => {
    expect(() => assertInsideTree(tree, 'dangling')).toThrow(/dangling symlink/);
    expect(() => assertInsideTree(tree, 'dangling/x')).toThrow(/dangling symlink/);
    expect(() => assertInsideTree(tree, '../outside/secret')).toThrow(InputError);
    expect(() => assertInsideTree(tree, '/etc/passwd')).toThrow(InputError);
  });
});
