import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lint, memIndex, PRELUDE, RETURNS_LOCKED } from './helpers.js';
import { runRules } from '../../src/rules/engine.js';
import { defaultConfig } from '../../src/rules/config.js';

const rule = 'sync-under-lock';
const WORKER = `
static void item_worker(struct work_struct *work)
{
	struct item *it = container_of(work, struct item, work);

	mutex_lock(&it->grp->mutex);
	it->grp->count++;
	mutex_unlock(&it->grp->mutex);
}

static void item_init(struct item *it)
{
	INIT_WORK(&it->work, item_worker);
}
`;

describe('sync-under-lock', () => {
  it('finds cancel_work_sync() under the mutex the work function takes', () => {
    const f = lint(PRELUDE + WORKER + `
void item_free(struct item *it)
{
	mutex_lock(&it->grp->mutex);
	cancel_work_sync(&it->work);
	mutex_unlock(&it->grp->mutex);
}
`, { rule });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ rule, function: 'item_free', lock: 'it->grp->mutex', severity: 'error' });
    expect(f[0]!.message).toMatch(/cancel_work_sync\(&it->work\) waits for item_worker\(\)/);
    expect(f[0]!.related.map((r) => r.message).join('\n')).toMatch(/item_worker\(\) takes/);
  });

  const WITH_WORK = RETURNS_LOCKED + `
static void tmr_work(struct work_struct *w)
{
	struct tmr *t = container_of(w, struct tmr, work);

	tmr_touch(t);
}
void tmr_init(struct tmr *t)
{
	INIT_WORK(&t->work, tmr_work);
}
`;

  it('does not leak a lock returned by a helper and dropped by its caller into the callers above', () => {
    expect(lint(PRELUDE + WITH_WORK + `
void tmr_stop(struct tmr *t)
{
	tmr_touch(t);
	cancel_work_sync(&t->work);
}
`, { rule })).toEqual([]);
  });

  it('still reports that helper lock when the canceller holds it for sure', () => {
    const f = lint(PRELUDE + WITH_WORK + `
void tmr_stop_locked(struct tmr *t)
{
	struct tbase *b = base_of(t->cpu);

	spin_lock(&b->lock);
	cancel_work_sync(&t->work);
	spin_unlock(&b->lock);
}
`, { rule });
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toMatch(/b->lock is held here \(matched by lock class struct tbase::lock only\)/);
  });

  it('does not report when the lock is released before the cancel', () => {
    expect(lint(PRELUDE + WORKER + `
void item_free(struct item *it)
{
	mutex_lock(&it->grp->mutex);
	it->grp->count--;
	mutex_unlock(&it->grp->mutex);
	cancel_work_sync(&it->work);
}
`, { rule })).toEqual([]);
  });

  it('does not report when the work function takes a different lock', () => {
    expect(lint(PRELUDE + `
static void item_worker(struct work_struct *work)
{
	struct item *it = container_of(work, struct item, work);

	mutex_lock(&it->lock);
	mutex_unlock(&it->lock);
}
void item_setup(struct item *it) { INIT_WORK(&it->work, item_worker); }
void item_free(struct item *it)
{
	mutex_lock(&it->grp->mutex);
	cancel_work_sync(&it->work);
	mutex_unlock(&it->grp->mutex);
}
`, { rule })).toEqual([]);
  });

  it('does not report cancel_work(), which does not wait', () => {
    expect(lint(PRELUDE + WORKER + `
void item_free(struct item *it)
{
	mutex_lock(&it->grp->mutex);
	cancel_work(&it->work);
	mutex_unlock(&it->grp->mutex);
}
`, { rule })).toEqual([]);
  });

  it('finds the wait inside a helper called under the lock, and a lock the worker takes through a callee', () => {
    const f = lint(PRELUDE + `
static void grp_bump(struct grp *g)
{
	mutex_lock(&g->mutex);
	g->count++;
	mutex_unlock(&g->mutex);
}
static void item_worker(struct work_struct *work)
{
	struct item *it = container_of(work, struct item, work);

	grp_bump(it->grp);
}
void item_setup(struct item *it) { INIT_WORK(&it->work, item_worker); }
static void item_release(struct item *it)
{
	disable_work_sync(&it->work);
}
void item_free(struct grp *g, struct item *it)
{
	mutex_lock(&g->mutex);
	item_release(it);
	mutex_unlock(&g->mutex);
}
`, { rule });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ function: 'item_release', lock: 'g->mutex', severity: 'error' });
    expect(f[0]!.message).toMatch(/disable_work_sync\(&it->work\) waits for item_worker\(\), which takes .* \(through grp_bump\(\)\); item_free\(\) holds g->mutex when it calls item_release\(\)/);
    expect(f[0]!.message).toMatch(/matched by lock class struct grp::mutex only/);
  });

  it('finds del_timer_sync() under a spinlock the timer callback takes', () => {
    const f = lint(`
struct spinlock { int x; };
struct timer_list { int x; };
struct port { struct spinlock lock; struct timer_list timer; };
static void port_timeout(struct timer_list *t)
{
	struct port *p = container_of(t, struct port, timer);
	spin_lock(&p->lock);
	spin_unlock(&p->lock);
}
void port_init(struct port *p) { timer_setup(&p->timer, port_timeout, 0); }
void port_stop(struct port *p)
{
	unsigned long flags;
	spin_lock_irqsave(&p->lock, flags);
	del_timer_sync(&p->timer);
	spin_unlock_irqrestore(&p->lock, flags);
}
`, { rule });
    expect(f.map((x) => [x.function, x.lock])).toEqual([['port_stop', 'p->lock']]);
  });

  it('finds a work that waits for itself, and two works that wait for each other', () => {
    const f = lint(`
struct work_struct { int x; };
struct ctl { struct work_struct a, b, c; };
static void self_fn(struct work_struct *w)
{
	struct ctl *c = container_of(w, struct ctl, c);
	flush_work(&c->c);
}
static void a_fn(struct work_struct *w)
{
	struct ctl *c = container_of(w, struct ctl, a);
	cancel_work_sync(&c->b);
}
static void b_fn(struct work_struct *w)
{
	struct ctl *c = container_of(w, struct ctl, b);
	cancel_work_sync(&c->a);
}
void ctl_init(struct ctl *c)
{
	INIT_WORK(&c->a, a_fn);
	INIT_WORK(&c->b, b_fn);
	INIT_WORK(&c->c, self_fn);
}
`, { rule });
    expect(f.map((x) => x.function).sort()).toEqual(['a_fn', 'b_fn', 'self_fn']);
    expect(f.find((x) => x.function === 'self_fn')!.message).toMatch(/waits for itself/);
    expect(f.find((x) => x.function === 'a_fn')!.message).toMatch(/b_fn\(\) waits for a_fn\(\)/);
  });

  it('on the seed-shaped fixture: the free under the mutex is found, the deferred free is not', () => {
    const text = readFileSync(new URL('../../fixtures/rules/seed/group.c', import.meta.url), 'utf8');
    const f = lint({ 'drivers/dgroup.c': text }, { rule });
    // At the cancel_work_sync() in the free path, naming the lock its caller holds and the worker.
    expect(f.map((x) => [x.function, x.line])).toEqual([['dgroup_free_gdev', 41]]);
    expect(f[0]!.lock).toBe('group->mutex');
    expect(f[0]!.message).toMatch(/cancel_work_sync\(&gdev->work\) waits for dgroup_quarantine_worker\(\), which takes group->mutex; dgroup_remove_locked\(\) holds group->mutex when it calls dgroup_free_gdev\(\)/);
    expect(f[0]!.related.map((r) => r.function)).toEqual(['dgroup_remove_locked', 'dgroup_remove_locked', 'dgroup_add', 'dgroup_quarantine_worker']);
    // Reviewing only the waiter, or only the holder, finds the same finding.
    const index = memIndex({ 'drivers/dgroup.c': text });
    const only = (name: string) => runRules({ index, files: ['drivers/dgroup.c'], functions: new Set([name]), config: defaultConfig() }).filter((x) => x.rule === rule).map((x) => x.id);
    expect(only('dgroup_free_gdev')).toEqual([f[0]!.id]);
    expect(only('dgroup_remove_locked')).toEqual([f[0]!.id]);
    expect(only('dgroup_remove_deferred')).toEqual([]);
  });
});

describe('sync-under-lock, maybe held', () => {
  it('gives a warning when the lock is held on some paths only', () => {
    const f = lint(PRELUDE + WORKER + `
void item_free(struct item *it, int locked)
{
	if (locked)
		mutex_lock(&it->grp->mutex);
	cancel_work_sync(&it->work);
}
`, { rule });
    expect(f.map((x) => [x.function, x.severity])).toEqual([['item_free', 'warning']]);
    expect(f[0]!.message).toMatch(/maybe held/);
  });

  it('finds flush_workqueue() under a lock that a work queued on that workqueue takes', () => {
    const f = lint(PRELUDE + WORKER + `
struct workqueue_struct;
struct ctx { struct workqueue_struct *wq; struct item *it; };
void kick(struct ctx *c)
{
	queue_work(c->wq, &c->it->work);
}
void drain(struct ctx *c)
{
	mutex_lock(&c->it->grp->mutex);
	flush_workqueue(c->wq);
	mutex_unlock(&c->it->grp->mutex);
}
`, { rule });
    expect(f.map((x) => [x.function, x.lock])).toEqual([['drain', 'c->it->grp->mutex']]);
  });
});

describe('sync-under-lock and guards', () => {
  it('counts a worker guard(mutex) as taking the lock, and guard(srcu) as not a lock', () => {
    const src = (cls: string, lock: string) => PRELUDE + `
struct srcu_struct { int x; };
struct box { struct mutex m; struct srcu_struct s; struct work_struct work; };
static void box_worker(struct work_struct *work)
{
	struct box *b = container_of(work, struct box, work);

	guard(${cls})(&b->${lock});
	b->m.x++;
}
void box_init(struct box *b) { INIT_WORK(&b->work, box_worker); }
void box_stop(struct box *b)
{
	mutex_lock(&b->m);
	flush_work(&b->work);
	mutex_unlock(&b->m);
}
`;
    expect(lint(src('mutex', 'm'), { rule }).map((x) => x.lock)).toEqual(['b->m']);
    expect(lint(src('srcu', 's'), { rule })).toEqual([]);
  });

  it('kthread_stop() on a local task pointer waits for that thread only, not every kthread bound to a variable of the same name', () => {
    const other = `
static DEFINE_MUTEX(big_lock);

static int poller(void *data)
{
	mutex_lock(&big_lock);
	mutex_unlock(&big_lock);
	return 0;
}

void poller_start(void)
{
	struct task_struct *t;

	t = kthread_run(poller, NULL, "poller");
}
`;
    const mine = `
static DEFINE_MUTEX(big_lock);

static int quiet(void *data)
{
	return 0;
}

void quiet_run(void)
{
	struct task_struct *t;

	mutex_lock(&big_lock);
	t = kthread_run(quiet, NULL, "quiet");
	kthread_stop(t);
	mutex_unlock(&big_lock);
}
`;
    expect(lint({ 'a.c': other, 'b.c': mine }, { rule })).toEqual([]);
  });

  it('one finding per wait when several callers hold the lock, naming every holder', () => {
    const f = lint(PRELUDE + WORKER + `
static void item_free(struct item *it)
{
	cancel_work_sync(&it->work);
}

void item_remove(struct item *it)
{
	mutex_lock(&it->grp->mutex);
	item_free(it);
	mutex_unlock(&it->grp->mutex);
}

void item_abort(struct item *it)
{
	mutex_lock(&it->grp->mutex);
	it->grp->count = 0;
	item_free(it);
	mutex_unlock(&it->grp->mutex);
}
`, { rule });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ function: 'item_free' });
    expect(f[0]!.message).toMatch(/; item_remove\(\) and item_abort\(\) hold it->grp->mutex when they call item_free\(\)/);
    const calls = f[0]!.related.filter((r) => r.message.startsWith('calls item_free(it) with'));
    expect(calls.map((r) => r.function).sort()).toEqual(['item_abort', 'item_remove']);
  });

  it('one finding per wait when callers hold different locks the worker takes, naming the other locks', () => {
    const f = lint(PRELUDE + `
static void item_worker(struct work_struct *work)
{
	struct item *it = container_of(work, struct item, work);

	mutex_lock(&it->lock);
	mutex_lock(&it->grp->mutex);
	it->grp->count++;
	mutex_unlock(&it->grp->mutex);
	mutex_unlock(&it->lock);
}

static void item_init(struct item *it)
{
	INIT_WORK(&it->work, item_worker);
}

static void item_free(struct item *it)
{
	cancel_work_sync(&it->work);
}

void item_remove(struct item *it)
{
	mutex_lock(&it->grp->mutex);
	item_free(it);
	mutex_unlock(&it->grp->mutex);
}

void item_detach(struct item *it)
{
	mutex_lock(&it->lock);
	item_free(it);
	mutex_unlock(&it->lock);
}
`, { rule });
    expect(f.map((x) => [x.function, x.lock])).toEqual([['item_free', 'it->grp->mutex']]);
    expect(f[0]!.message).toMatch(/; also held when this wait is reached: it->lock$/);
    const other = f[0]!.related.filter((r) => /also held at this wait/.test(r.message));
    expect(other.map((r) => [r.function, r.message])).toEqual([['item_detach', 'it->lock: also held at this wait, from here']]);
  });
});

describe('sync-under-lock: a callee that drops the caller\'s lock before it waits', () => {
  const DROPS = (body: string) => PRELUDE + WORKER + `
static void grp_stop_item(struct item *it)
{
${body}
}

void grp_remove(struct item *it)
{
	mutex_lock(&it->grp->mutex);
	grp_stop_item(it);
	mutex_unlock(&it->grp->mutex);
}
`;

  it('is not reported (wlcore drops wl->mutex around its cancels)', () => {
    expect(lint(DROPS(`	it->grp->count--;
	mutex_unlock(&it->grp->mutex);
	cancel_work_sync(&it->work);
	mutex_lock(&it->grp->mutex);`), { rule: 'sync-under-lock' }).map((x) => x.message)).toEqual([]);
  });

  it('is reported when the callee waits with the lock still held', () => {
    const f = lint(DROPS(`	it->grp->count--;
	cancel_work_sync(&it->work);`), { rule: 'sync-under-lock' });
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toMatch(/grp_remove\(\) holds it->grp->mutex when it calls grp_stop_item\(\)/);
  });
});

describe('sync-under-lock: searching the callers of a waiting function', () => {
  const waiter = (body: string) => PRELUDE + `
static void item_worker(struct work_struct *work)
{
	struct item *it = container_of(work, struct item, work);
${body}
}

static void item_init(struct item *it)
{
	INIT_WORK(&it->work, item_worker);
}

void item_stop(struct item *it)
{
	cancel_work_sync(&it->work);
}
`;
  const asked = (text: string): string[] => {
    const index = memIndex({ 'drivers/item.c': text });
    const names: string[] = [];
    const callers = index.callers.bind(index);
    index.callers = (name) => {
      names.push(name);
      return callers(name);
    };
    runRules({ index, files: ['drivers/item.c'], config: defaultConfig() });
    return names;
  };

  it('searches them when the callback takes a lock', () => {
    expect(asked(waiter('\tmutex_lock(&it->grp->mutex);\n\tit->grp->count++;\n\tmutex_unlock(&it->grp->mutex);'))).toContain('item_stop');
  });

  it('does not search them when the callback takes no lock: no caller can deadlock with it', () => {
    expect(asked(waiter('\tit->grp->count++;'))).not.toContain('item_stop');
  });
});

/** Modelled on lockdep's lock_acquire() reaching kasan's report_lock from every RCU reader. */
const INSTRUMENTED = (worker: string) => `
struct spinlock { int x; };
struct work_struct { int x; };
struct dev { struct work_struct work; int n; };
static struct spinlock report_lock;

void lock_acquire(void *map)
{
	spin_lock(&report_lock);
	spin_unlock(&report_lock);
}

static inline void reader_lock(void)
{
	lock_acquire(0);
}

static void dev_work(struct work_struct *work)
{
	struct dev *d = container_of(work, struct dev, work);

${worker}
	d->n++;
}

void dev_init(struct dev *d)
{
	INIT_WORK(&d->work, dev_work);
}

void dev_stop(struct dev *d)
{
	spin_lock(&report_lock);
	cancel_work_sync(&d->work);
	spin_unlock(&report_lock);
}
`;

describe('sync-under-lock: debug instrumentation', () => {
  it('is not followed: the lock lockdep takes inside lock_acquire() is not the work function\'s', () => {
    expect(lint(INSTRUMENTED('\treader_lock();'), { rule })).toEqual([]);
  });

  it('the same lock taken by the work function itself still is', () => {
    const f = lint(INSTRUMENTED('\tspin_lock(&report_lock);\n\tspin_unlock(&report_lock);'), { rule });
    expect(f.map((x) => [x.function, x.lock])).toEqual([['dev_stop', 'report_lock']]);
  });
});

/** Modelled on dm-bufio: dm_bufio_lock() takes the spinlock or the mutex by one condition, dm_bufio_unlock() drops it by the same. */
const BUFIO = (body: string) => `
struct spinlock { int x; };
struct mutex { int x; };
struct work_struct { int x; };
struct client { struct spinlock spinlock; struct mutex lock; struct work_struct shrink_work; int no_sleep; int n; };

static void client_lock(struct client *c)
{
	if (c->no_sleep)
		spin_lock_bh(&c->spinlock);
	else
		mutex_lock(&c->lock);
}

static void client_unlock(struct client *c)
{
	if (c->no_sleep)
		spin_unlock_bh(&c->spinlock);
	else
		mutex_unlock(&c->lock);
}

static void shrink_work(struct work_struct *w)
{
	struct client *c = container_of(w, struct client, shrink_work);

	client_lock(c);
	c->n = 0;
	client_unlock(c);
}

void client_create(struct client *c)
{
	INIT_WORK(&c->shrink_work, shrink_work);
}

void client_destroy(struct client *c)
{
${body}
}
`;

describe('sync-under-lock: a conditional lock helper and its unlock twin', () => {
  it('after the pair nothing is held: the flush is not under the lock', () => {
    expect(lint(BUFIO('\tclient_lock(c);\n\tc->n++;\n\tclient_unlock(c);\n\tflush_work(&c->shrink_work);'), { rule })).toEqual([]);
  });

  it('a flush between the two is', () => {
    const f = lint(BUFIO('\tclient_lock(c);\n\tflush_work(&c->shrink_work);\n\tclient_unlock(c);'), { rule });
    expect(f.map((x) => x.function)).toContain('client_destroy');
  });
});
