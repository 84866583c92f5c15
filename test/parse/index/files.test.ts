import { execFileSync } from 'node:child_process';
import { symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSearch, filesMentioning, listCFiles } from '../../../src/parse/index/files.js';
import { TestView, writeFixture, removeTmpDirs, tmpDir } from './fixture.js';

afterAll(removeTmpDirs);

for (const git of [true, false]) {
  describe(`filesMentioning (${git ? 'git grep' : 'directory scan'})`, () => {
    const root = writeFixture({ git });

    it('finds whole words in .c and .h files only', () => {
      const view = new TestView(root);
      expect(filesMentioning(view, ['shared_fn'])).toEqual(['drv/a.c', 'drv/b.c', 'include/linux/foo.h', 'other/c.c', 'other/x.c']);
      expect(filesMentioning(view, ['helpe'])).toEqual([]);
      expect(filesMentioning(view, ['foo_cb', 'a_only'])).toEqual(['drv/a.c', 'drv/b.c', 'drv/priv.h']);
      expect(new FileSearch(view).isGit()).toBe(git);
    });

    it('answers per identifier in one search', () => {
      const s = new FileSearch(new TestView(root));
      const m = s.mentions(['foo_cb', 'x_caller', 'nothing_here']);
      expect(m.get('foo_cb')).toEqual(['drv/a.c', 'drv/b.c']);
      expect(m.get('x_caller')).toEqual(['other/x.c']);
      expect(m.get('nothing_here')).toEqual([]);
      expect(s.stats.greps + s.stats.scans).toBe(1);
      s.mentions(['foo_cb']);
      expect(s.stats.greps + s.stats.scans).toBe(1);
    });

    it('sees the view: changed, added and deleted files', () => {
      const view = new TestView(
        root,
        new Map<string, string | null>([
          ['other/x.c', 'int x_caller(void) { return 0; }\n'],
          ['new/n.c', 'void n(void) { shared_fn(1); }\n'],
          ['drv/b.c', null],
          ['new/notes.txt', 'shared_fn'],
        ]),
      );
      expect(filesMentioning(view, ['shared_fn'])).toEqual(['drv/a.c', 'include/linux/foo.h', 'new/n.c', 'other/c.c']);
    });

    it('restricts to a scope', () => {
      const view = new TestView(root);
      expect(filesMentioning(view, ['shared_fn'], ['other'])).toEqual(['other/c.c', 'other/x.c']);
      expect(filesMentioning(view, ['shared_fn'], ['drv/b.c', 'include'])).toEqual(['drv/b.c', 'include/linux/foo.h']);
    });

    it('finds binder lines and the lines just below them, and no other uses', () => {
      const s = new FileSearch(new TestView(root));
      expect(s.binders('foo_work_fn')).toEqual(['drv/a.c']);
      expect(s.binders('foo_hrt_old_fn')).toEqual(['drv/a.c']);
      expect(s.binders('global_dwork_fn')).toEqual(['drv/a.c']);
      // Named in other/x.c, but never on or under a binder line there.
      expect(s.binders('x_caller')).toEqual([]);
      // A call split over lines: the callback two lines below INIT_DELAYED_WORK.
      const split = new TestView(root, new Map([['new/split.c', 'void s(struct foo_dev *fd)\n{\n\tINIT_DELAYED_WORK(&fd->dw,\n\t\t\tsplit_fn);\n}\n']]));
      expect(new FileSearch(split).binders('split_fn')).toEqual(['new/split.c']);
    });

    it('looks up many names with one search, with the same answers as one at a time', () => {
      const ids = ['foo_cb', 'x_caller', 'shared_fn', 'helper', 'a_only', 'nothing_here'];
      const batch = new FileSearch(new TestView(root));
      const all = batch.mentions(ids);
      expect(batch.stats.greps + batch.stats.scans).toBe(1);
      for (const id of ids) expect(all.get(id)).toEqual(new FileSearch(new TestView(root)).mentions([id]).get(id));
    });

    it('finds declaration lines, not uses', () => {
      const s = new FileSearch(new TestView(root));
      expect(s.declarations('shared_fn')).toEqual(['drv/b.c', 'include/linux/foo.h', 'other/c.c']);
      expect(s.declarations('priv')).toEqual(['drv/priv.h', 'other/c.c']);
      expect(s.declarations('foo_shared_t')).toEqual(['include/linux/foo.h']);
      expect(s.declarations('helper')).toEqual(['drv/a.c', 'drv/b.c']);
    });
  });
}

describe('filesMentioning in a git tree with local changes', () => {
  it('counts untracked and modified files as they are on disk', () => {
    const root = writeFixture({ git: true });
    writeFileSync(join(root, 'other/untracked.c'), 'void u(void) { shared_fn(2); }\n');
    writeFileSync(join(root, 'other/x.c'), 'int x_caller(void) { return 1; }\n');
    unlinkSync(join(root, 'drv/b.c'));
    expect(filesMentioning(new TestView(root), ['shared_fn'])).toEqual(['drv/a.c', 'include/linux/foo.h', 'other/c.c', 'other/untracked.c']);
  });

  it('leaves out ignored files in a search for many names, as git grep does', () => {
    const root = writeFixture({ git: true });
    writeFileSync(join(root, '.gitignore'), '*.mod.c\n');
    writeFileSync(join(root, 'other/gen.mod.c'), 'void g(void) { shared_fn(3); x_caller(); }\n');
    writeFileSync(join(root, 'other/untracked.c'), 'void u(void) { x_caller(); }\n');
    const s = new FileSearch(new TestView(root));
    const m = s.mentions(['shared_fn', 'x_caller']);
    expect(m.get('shared_fn')).not.toContain('other/gen.mod.c');
    expect(m.get('x_caller')).toEqual(['other/untracked.c', 'other/x.c']);
  });

  it('reuses answers kept on disk for the same commit, and still sees later edits', () => {
    const root = writeFixture({ git: true });
    const cacheDir = tmpDir('kreview-mentions-');
    const first = new FileSearch(new TestView(root), { cacheDir });
    expect(first.mentions(['shared_fn']).get('shared_fn')).toContain('other/x.c');
    expect(first.stats.greps).toBe(1);

    writeFileSync(join(root, 'other/x.c'), 'int x_caller(void) { return 1; }\n');
    const second = new FileSearch(new TestView(root), { cacheDir });
    expect(second.mentions(['shared_fn']).get('shared_fn')).toEqual(['drv/a.c', 'drv/b.c', 'include/linux/foo.h', 'other/c.c']);
    expect(second.stats.greps).toBe(0);
    expect(second.stats.cachedAnswers).toBe(1);

    // Undo the edit: the file that was dirty when the answer was cached is looked at again.
    execFileSync('git', ['checkout', '-q', '--', 'other/x.c'], { cwd: root });
    const third = new FileSearch(new TestView(root), { cacheDir });
    expect(third.mentions(['shared_fn']).get('shared_fn')).toContain('other/x.c');
    expect(third.stats.greps).toBe(0);
  });
});

describe('listCFiles', () => {
  const root = writeFixture({ git: false });

  it('lists .c and .h files under the given paths, with the view changes', () => {
    const view = new TestView(root, new Map<string, string | null>([['drv/new.c', 'int z;\n'], ['drv/b.c', null]]));
    expect(listCFiles(view, ['drv'])).toEqual(['drv/a.c', 'drv/new.c', 'drv/priv.h']);
    expect(listCFiles(view, ['other/c.c', join(root, 'include')])).toEqual(['include/linux/foo.h', 'other/c.c']);
    expect(listCFiles(view, [])).toContain('other/typed.c');
  });

  it('refuses paths outside the tree and missing paths', () => {
    const view = new TestView(root);
    expect(() => listCFiles(view, ['../etc'])).toThrow(/outside the tree/);
    expect(() => listCFiles(view, ['nope'])).toThrow(/no such file/);
  });
});

describe('hostile trees', () => {
  it('does not read through a symbolic link out of the tree', () => {
    const root = writeFixture({ git: false });
    const outside = tmpDir('kreview-outside-');
    writeFileSync(join(outside, 'secret.c'), 'int shared_fn_secret;\n');
    symlinkSync(join(outside, 'secret.c'), join(root, 'other/link.c'));
    const s = new FileSearch(new TestView(root));
    expect(s.mentions(['shared_fn_secret']).get('shared_fn_secret')).toEqual([]);
    expect(s.peek('other/link.c')).toBeNull();
  });
});

describe('a git snapshot shared by many searches', () => {
  it('runs git status once and answers as a search that took its own', () => {
    const root = writeFixture({ git: true });
    writeFileSync(join(root, 'other/x.c'), 'int x_caller(void) { return 1; }\n');
    const snap = new FileSearch(new TestView(root)).gitSnapshot();
    expect([...snap!.dirty]).toEqual(['other/x.c']);
    const own = new FileSearch(new TestView(root));
    const shared = [1, 2].map(() => new FileSearch(new TestView(root), { git: snap }));
    for (const s of shared) {
      expect(s.mentions(['shared_fn']).get('shared_fn')).toEqual(own.mentions(['shared_fn']).get('shared_fn'));
      expect(s.declarations('shared_fn')).toEqual(own.declarations('shared_fn'));
      expect(s.stats.gitStatus).toBe(0);
    }
    expect(own.stats.gitStatus).toBe(1);
    // Outside git: null, and a search given null does not try git.
    const plain = writeFixture({ git: false });
    expect(new FileSearch(new TestView(plain)).gitSnapshot()).toBeNull();
    expect(new FileSearch(new TestView(root), { git: null }).isGit()).toBe(false);
  });
});
