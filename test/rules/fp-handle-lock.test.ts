/**
 * Modelled on hfs_find_init()/hfs_find_exit(): the init stores the tree in
 * the caller's search handle (`fd->tree = tree`) and locks `tree->tree_lock`;
 * the exit unlocks `fd->tree->tree_lock`. The caller passed
 * `HFSPLUS_SB(sb)->attr_tree` and `&fd`: before, it saw two locks, one taken
 * and never released and one released and never taken (two lock-imbalance
 * findings per caller, 45 in fs/hfs and fs/hfsplus in the whole-tree run).
 */
import { describe, expect, it } from 'vitest';
import { lint } from './helpers.js';

const FIND = `
struct mutex { int x; };
struct btree { struct mutex tree_lock; int max; };
struct find_data { struct btree *tree; void *key; };
struct sb_info { struct btree *attr_tree; };

int find_attr(struct find_data *fd, int name);

int find_init(struct btree *tree, struct find_data *fd)
{
	void *ptr;

	fd->tree = tree;
	ptr = kzalloc(tree->max, GFP_KERNEL);
	if (!ptr)
		return -12;
	fd->key = ptr;
	mutex_lock(&tree->tree_lock);
	return 0;
}

void find_exit(struct find_data *fd)
{
	kfree(fd->key);
	mutex_unlock(&fd->tree->tree_lock);
	fd->tree = NULL;
}
`;

const imbalances = (src: string) => lint(FIND + src, { rule: 'lock-imbalance' }).map((f) => [f.function, f.lock, f.line]);
const lineOf = (src: string, text: string) => (FIND + src).split('\n').findIndex((l) => l.includes(text)) + 1;

describe('a lock taken through one parameter and stored in a handle', () => {
  it('is the lock the handle releases', () => {
    expect(
      imbalances(`
int attr_exists(struct sb_info *sbi, int name)
{
	struct find_data fd;
	int err;

	if (!sbi->attr_tree)
		return 0;
	err = find_init(sbi->attr_tree, &fd);
	if (err)
		return 0;
	err = find_attr(&fd, name);
	if (err)
		goto not_found;
	find_exit(&fd);
	return 1;
not_found:
	find_exit(&fd);
	return 0;
}
`),
    ).toEqual([]);
  });

  it('a path that forgets the exit is reported, under the name the handle gives it', () => {
    const src = `
int attr_exists(struct sb_info *sbi, int name)
{
	struct find_data fd;
	int err;

	err = find_init(sbi->attr_tree, &fd);
	if (err)
		return 0;
	err = find_attr(&fd, name);
	if (err)
		return err;
	find_exit(&fd);
	return 1;
}
`;
    expect(imbalances(src)).toEqual([['attr_exists', 'fd.tree->tree_lock', lineOf(src, 'return err;')]]);
  });

  it('a handle field stored twice is no name for the lock', () => {
    const src = `
int find_init2(struct btree *tree, struct find_data *fd)
{
	fd->tree = tree;
	mutex_lock(&tree->tree_lock);
	fd->tree = NULL;
	return 0;
}

int attr_walk(struct sb_info *sbi)
{
	struct find_data fd;

	find_init2(sbi->attr_tree, &fd);
	mutex_unlock(&sbi->attr_tree->tree_lock);
	return 0;
}
`;
    // Taken and released under the name the caller gave it: nothing to report.
    expect(imbalances(src)).toEqual([]);
  });

  it('a field stored on some paths only records something, it does not name the lock (i915 ww->contended)', () => {
    const src = `
int obj_lock(struct btree *tree, struct find_data *fd, int busy)
{
	mutex_lock(&tree->tree_lock);
	if (busy)
		fd->tree = tree;
	return 0;
}

int obj_user(struct sb_info *sbi, int busy)
{
	struct find_data fd;

	obj_lock(sbi->attr_tree, &fd, busy);
	if (busy)
		return 1;
	mutex_unlock(&sbi->attr_tree->tree_lock);
	return 0;
}
`;
    // The early return forgot the unlock of the lock the caller named.
    expect(imbalances(src)).toEqual([['obj_user', 'sbi->attr_tree->tree_lock', lineOf(src, 'return 1;')]]);
  });
});
