/**
 * A small kernel-like C tree written for these tests: two drivers that
 * reuse static function names, a private header with nested and anonymous
 * members, an include/ header, and every way of binding a work item, timer
 * or kthread the index knows.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TreeView } from '../../../src/parse/tree.js';

export const FILES: Record<string, string> = {
  'include/linux/foo.h': `#ifndef FOO_H
#define FOO_H
struct foo_ops {
	int (*probe)(struct foo_dev *fd);
	void (*remove)(struct foo_dev *fd);
	struct {
		void (*cb)(void);
	} nested;
	unsigned long flags;
};

typedef struct foo_ctx foo_ctx_t;

typedef struct {
	int refs;
	struct mutex big_lock;
} foo_shared_t;

static inline int foo_inline(int x)
{
	return x + 1;
}

int shared_fn(int x);
extern struct foo_ops *foo_default_ops;
#endif
`,
  'drv/priv.h': `#include <linux/foo.h>

struct foo_ctx {
	struct {
		struct work_struct work;
	} inner;
	struct work_struct w2;
};

struct foo_dev {
	struct mutex lock;
	struct work_struct work;
	struct delayed_work dw;
	struct timer_list timer, old_timer;
	struct hrtimer hrt;
	struct hrtimer hrt2;
	struct foo_ctx *ctx;
	struct task_struct *task;
	struct task_struct *task2;
	struct iommu_domain __rcu *domain;
	union {
		struct list_head node;
		struct rcu_head rcu;
	};
	struct {
		int a;
		spinlock_t slock;
	} named;
	void (*release)(struct foo_dev *fd);
#ifdef CONFIG_FOO_DEBUG
	int debug_level;
#endif
	DECLARE_BITMAP(bits, 64);
	struct work_struct works[4];
};

struct priv {
	spinlock_t lock;
	int a_only;
};
`,
  'drv/a.c': `// Written for the kreview tests
#include "priv.h"

static DEFINE_MUTEX(a_lock);

/* The helper takes the device lock. */
static void helper(struct foo_dev *fd)
{
	mutex_lock(&fd->lock);
	fd->named.a = 1;
	mutex_unlock(&fd->lock);
}

static void foo_work_fn(struct work_struct *work)
{
	struct foo_dev *fd = container_of(work, struct foo_dev, work);

	helper(fd);
}

static void foo_dwork_fn(struct work_struct *work)
{
	struct foo_dev *fd = container_of(to_delayed_work(work), struct foo_dev, dw);

	helper(fd);
}

static void foo_timer_fn(struct timer_list *t)
{
	struct foo_dev *fd = from_timer(fd, t, timer);

	helper(fd);
}

static enum hrtimer_restart foo_hrt_fn(struct hrtimer *t)
{
	return HRTIMER_NORESTART;
}

static enum hrtimer_restart foo_hrt_old_fn(struct hrtimer *t)
{
	return HRTIMER_NORESTART;
}

static int foo_thread(void *data)
{
	return 0;
}

static void ctx_work_fn(struct work_struct *work)
{
}

static void ctx_work_fn2(struct work_struct *work)
{
}

static void array_work_fn(struct work_struct *work)
{
}

int foo_init(struct foo_dev *fd, int i)
{
	struct foo_ctx *ctx = fd->ctx;
	struct task_struct *t;

	INIT_WORK(&fd->work, foo_work_fn);
	INIT_DELAYED_WORK(&fd->dw, foo_dwork_fn);
	INIT_WORK(&ctx->inner.work, ctx_work_fn);
	INIT_WORK(&fd->ctx->w2, ctx_work_fn2);
	INIT_WORK(&fd->works[i], array_work_fn);
	timer_setup(&fd->timer, foo_timer_fn, 0);
	setup_timer(&fd->old_timer, foo_timer_fn, 0);
	hrtimer_setup(&fd->hrt, foo_hrt_fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	hrtimer_init(&fd->hrt2, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	fd->hrt2.function = foo_hrt_old_fn;
	fd->task = kthread_run(foo_thread, fd, "foo/%d", i);
	t = kthread_create(foo_thread, fd, "foo-c");
	fd->task2 = kthread_create_on_node(foo_thread, fd, 0, "foo-n");
	kthread_run_on_cpu(foo_thread, fd, 1, "foo-cpu");
	helper(fd);
	return shared_fn(i) + foo_inline(i);
}

void foo_onstack(struct foo_dev *fd)
{
	struct work_struct w;

	INIT_WORK_ONSTACK(&w, foo_work_fn);
	flush_work(&w);
}

static DECLARE_WORK(global_work, global_work_fn);
static DECLARE_DELAYED_WORK(global_dwork, global_dwork_fn);

static struct foo_ops a_ops = {
	.probe = foo_probe,
	.remove = &foo_remove,
	.nested = {
		.cb = foo_cb,
	},
	.flags = FOO_FLAG,
};

struct holder {
	struct work_struct w;
	struct delayed_work dw;
};

static struct holder h = {
	.w = __WORK_INITIALIZER(h.w, holder_fn),
	.dw = __DELAYED_WORK_INITIALIZER(h.dw, holder_dfn, 0),
};
`,
  'drv/b.c': `// Written for the kreview tests
#include "priv.h"

struct foo_ops *foo_default_ops;

static void helper(struct foo_dev *fd)
{
	flush_work(&fd->work);
}

int shared_fn(int x)
{
	return x * 2;
}

int foo_probe(struct foo_dev *fd)
{
	helper(fd);
	cancel_work_sync(&fd->work);
	return 0;
}

void foo_remove(struct foo_dev *fd)
{
	helper(fd);
}

static void foo_cb(void)
{
}
`,
  'other/c.c': `// Written for the kreview tests
int shared_fn(int x)
{
	return x;
}

static int other_caller(void)
{
	return shared_fn(3);
}

struct priv {
	struct mutex lock;
	int c_only;
};

static void priv_user(struct priv *p)
{
	mutex_lock(&p->lock);
	mutex_unlock(&p->lock);
}
`,
  'other/x.c': `// Written for the kreview tests
int x_caller(void)
{
	return shared_fn(4);
}
`,
  'other/typed.c': `// Written for the kreview tests
#include <linux/foo.h>

static void typed_work_fn(struct work_struct *work)
{
}

void typed_init(foo_ctx_t *c, foo_shared_t *s)
{
	INIT_WORK(&c->w2, typed_work_fn);
	mutex_lock(&s->big_lock);
	mutex_unlock(&s->big_lock);
}
`,
  'docs/readme.txt': 'helper shared_fn (not C)\n',
};

const made: string[] = [];

/** A new temporary directory, removed by removeTmpDirs(). */
export function tmpDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Writes `body` at `rel` under `root`, making the directories on the way. */
export function putFile(root: string, rel: string, body: string): void {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  writeFileSync(join(root, rel), body);
}

export function removeTmpDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Write the fixture into a new temporary directory; `git` makes it a committed git work tree. */
export function writeFixture(opts: { git: boolean }): string {
  const root = tmpDir('kreview-index-');
  for (const [rel, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  if (opts.git) {
    const git = (...args: string[]): void => {
      execFileSync('git', args, { cwd: root, stdio: 'ignore' });
    };
    git('init', '-q');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.org', 'commit', '-q', '-m', 'fixture');
  }
  return root;
}

/** A view of a directory with in-memory changes on top, like an overlay with a patch applied. */
export class TestView implements TreeView {
  readonly reads: string[] = [];
  constructor(
    readonly root: string,
    private readonly changed: Map<string, string | null> = new Map(),
  ) {}

  read(rel: string): string | null {
    this.reads.push(rel);
    if (this.changed.has(rel)) return this.changed.get(rel)!;
    try {
      return readFileSync(join(this.root, rel), 'utf8');
    } catch {
      return null;
    }
  }

  exists(rel: string): boolean {
    if (this.changed.has(rel)) return this.changed.get(rel) !== null;
    return existsSync(join(this.root, rel));
  }

  changes(): ReadonlyMap<string, string | null> {
    return this.changed;
  }
}
