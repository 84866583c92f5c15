/**
 * Writes the C text of one synthetic driver file, line by line, so the
 * line of every planted bug is known exactly when it is written.
 *
 * Everything here is made up for the benchmark: the shapes follow kernel
 * idioms (mutex + spinlock + work + timer per device, lockdep-asserting
 * helpers, guard()/scoped_guard(), goto unwinding, list iteration) but no
 * kernel code is copied. The code must parse with plain tree-sitter-c with
 * no ERROR node, so `container_of(x, struct T, m)` (an ERROR there) only
 * appears inside #define bodies.
 */
import { Rng } from './rng.js';

export type PlantedRule = 'assert-held-caller' | 'sync-under-lock' | 'double-lock' | 'lock-imbalance';
export const PLANTED_RULES: readonly PlantedRule[] = [
  'assert-held-caller',
  'sync-under-lock',
  'double-lock',
  'lock-imbalance',
];

/** One bug written on purpose; `line` is the line of the offending statement. */
export interface PlantedBug {
  rule: PlantedRule;
  file: string;
  function: string;
  line: number;
  /** The lock as an access path from the function's parameters. */
  lock: string;
  /** The statement at `line`, trimmed. */
  statement: string;
  note: string;
}

type LockStyle = 'mutex_lock' | 'guard' | 'scoped_guard';
const LOCK_STYLES: readonly LockStyle[] = ['mutex_lock', 'guard', 'scoped_guard'];

const PHRASES = [
  'the hardware latches the value on the next tick',
  'keep the fast path free of allocations',
  'stale entries are dropped by the work function',
  'counters wrap; only differences are meaningful',
  'the state machine never goes back to idle from here',
  'the firmware expects the items in submission order',
  'reading the stats without the lock is fine for debugfs',
  'this mirrors what the reset path does',
];

class Lines {
  readonly out: string[] = [];
  /** 1-based number of the next line to be written. */
  get next(): number {
    return this.out.length + 1;
  }
  push(indent: number, text: string): number {
    const n = this.next;
    this.out.push(text === '' ? '' : '\t'.repeat(indent) + text);
    return n;
  }
}

interface Ctx {
  rng: Rng;
  p: string;
  /** The devices' struct lock is held, so the item list may be walked. */
  locked: boolean;
  compute: string[];
}

/** Lock-free filler statements: they never take or assert a lock and never call a function that does. */
function filler(w: Lines, ctx: Ctx, indent: number, budget: number, depth = 0): void {
  const { rng, p } = ctx;
  const start = w.next;
  while (w.next - start < budget) {
    const left = budget - (w.next - start);
    const r = rng.int(0, 15);
    if (r <= 2) {
      w.push(indent, `d->stats[${rng.int(0, 3)}] += ${rng.pick(['sum', 'i', '1', 'd->count', `${rng.int(2, 64)}`])};`);
    } else if (r === 3) {
      w.push(indent, `d->state = ${rng.pick([`${p.toUpperCase()}_STATE_IDLE`, `${p.toUpperCase()}_STATE_RUN`, 'ret ? -1 : d->state'])};`);
    } else if (r === 4) {
      w.push(indent, `pr_debug("%s: state %d count %u\\n", __func__, d->state, d->count);`);
    } else if (r === 5 && ctx.compute.length > 0) {
      w.push(indent, `sum += ${rng.pick(ctx.compute)}(d, ${rng.pick(['i', 'sum', '0', 'd->count'])});`);
    } else if (r === 6) {
      w.push(indent, `/* ${rng.pick(PHRASES)} */`);
    } else if (r === 7 && depth < 2 && left > 4) {
      w.push(indent, `if (${rng.pick(['d->count > ' + rng.int(1, 200), 'sum & 1', '!d->running', `d->state == ${p.toUpperCase()}_STATE_RUN`, 'ret < 0'])}) {`);
      filler(w, ctx, indent + 1, rng.int(1, Math.min(5, left - 2)), depth + 1);
      if (rng.chance(0.3)) {
        w.push(indent, '} else {');
        filler(w, ctx, indent + 1, 1, depth + 1);
      }
      w.push(indent, '}');
    } else if (r === 8 && depth < 2 && left > 4) {
      w.push(indent, `for (i = 0; i < ${rng.pick([`${p.toUpperCase()}_MAX_ITEMS`, '4', `${rng.int(2, 32)}`])}; i++) {`);
      filler(w, ctx, indent + 1, rng.int(1, Math.min(4, left - 2)), depth + 1);
      w.push(indent, '}');
    } else if (r === 9 && depth < 2 && left > 7) {
      w.push(indent, 'switch (d->state) {');
      w.push(indent, `case ${p.toUpperCase()}_STATE_IDLE:`);
      filler(w, ctx, indent + 1, 1, depth + 1);
      w.push(indent + 1, 'break;');
      w.push(indent, `case ${p.toUpperCase()}_STATE_RUN:`);
      w.push(indent + 1, `sum += d->stats[${rng.int(0, 3)}];`);
      w.push(indent + 1, 'fallthrough;');
      w.push(indent, 'default:');
      w.push(indent + 1, 'break;');
      w.push(indent, '}');
    } else if (r === 10 && ctx.locked && depth < 2 && left > 5) {
      w.push(indent, 'list_for_each_entry(it, &d->items, node) {');
      w.push(indent + 1, `if (it->flags & BIT(${rng.int(0, 7)}))`);
      w.push(indent + 2, 'continue;');
      w.push(indent + 1, 'sum += it->value;');
      w.push(indent, '}');
    } else if (r === 11) {
      w.push(indent, `WRITE_ONCE(d->stats[${rng.int(0, 3)}], sum);`);
    } else if (r === 12) {
      w.push(indent, `sum = (sum << ${rng.int(1, 7)}) ^ (u64)i;`);
    } else if (r === 13) {
      w.push(indent, `ret = ${rng.pick(['ret', '0', '-EAGAIN', 'sum > 0 ? 0 : -EINVAL'])};`);
    } else {
      w.push(indent, `i = (i + ${rng.int(1, 9)}) % ${p.toUpperCase()}_MAX_ITEMS;`);
    }
  }
}

function locals(w: Lines, withItem: boolean): void {
  if (withItem) w.push(1, 'struct ' + '%ITEM%' + ' *it;');
  w.push(1, 'u64 sum = 0;');
  w.push(1, 'int i = 0, ret = 0;');
}

function kdoc(w: Lines, name: string, summary: string, params: [string, string][], context?: string, ret?: string): void {
  w.push(0, '/**');
  w.push(0, ` * ${name}() - ${summary}`);
  for (const [n, d] of params) w.push(0, ` * @${n}: ${d}`);
  if (context || ret) w.push(0, ' *');
  if (context) w.push(0, ` * Context: ${context}`);
  if (ret) w.push(0, ` * Return: ${ret}`);
  w.push(0, ' */');
}

export interface DriverSpec {
  file: string;
  /** Identifier prefix, e.g. `qarvex3`. */
  p: string;
  subsys: string;
  targetBytes: number;
  /** Bugs to plant in this file. */
  bugs: PlantedRule[];
}

/** Takes the lock in `style`; returns the indent of the locked region and a closer. */
function takeLock(w: Lines, style: LockStyle, lock: string, indent: number): { inner: number; close: () => void } {
  if (style === 'mutex_lock') {
    w.push(indent, `mutex_lock(&${lock});`);
    return { inner: indent, close: () => w.push(indent, `mutex_unlock(&${lock});`) };
  }
  if (style === 'guard') {
    w.push(indent, `guard(mutex)(&${lock});`);
    return { inner: indent, close: () => undefined };
  }
  w.push(indent, `scoped_guard(mutex, &${lock}) {`);
  return { inner: indent + 1, close: () => w.push(indent, '}') };
}

export function writeDriver(spec: DriverSpec, rng: Rng, planted: PlantedBug[]): string {
  const { p, subsys } = spec;
  const P = p.toUpperCase();
  const w = new Lines();
  const ctx: Ctx = { rng, p, locked: false, compute: [] };
  const helpers: string[] = [];
  const bytes = () => w.out.reduce((n, l) => n + l.length + 1, 0);
  let uniq = 0;

  w.push(0, '// SPDX-License-Identifier: GPL-2.0');
  w.push(0, '/*');
  w.push(0, ` * ${p}: a synthetic ${subsys} driver generated by the kreview benchmark.`);
  w.push(0, ' * Not kernel code; the shapes only follow kernel idioms.');
  w.push(0, ' */');
  w.push(0, '');
  for (const h of ['list', 'module', 'mutex', 'slab', 'spinlock', 'timer', 'workqueue']) w.push(0, `#include <linux/${h}.h>`);
  w.push(0, `#include <linux/${subsys}.h>`);
  w.push(0, '');
  w.push(0, `#define ${P}_MAX_ITEMS\t${rng.pick([16, 32, 64, 128])}`);
  w.push(0, `#define ${P}_STATE_IDLE\t0`);
  w.push(0, `#define ${P}_STATE_RUN\t1`);
  w.push(0, `#define to_${p}_dev(w)\tcontainer_of(w, struct ${p}_dev, work)`);
  w.push(0, `#define dwork_to_${p}_dev(w)\tcontainer_of(to_delayed_work(w), struct ${p}_dev, dwork)`);
  w.push(0, '');
  w.push(0, `struct ${p}_item {`);
  w.push(1, 'struct list_head node;');
  w.push(1, 'u32 id;');
  w.push(1, 'u64 value;');
  w.push(1, 'unsigned long flags;');
  w.push(0, '};');
  w.push(0, '');
  w.push(0, '/**');
  w.push(0, ` * struct ${p}_dev - per-device state`);
  w.push(0, ' * @lock: protects @items, @count, @state and @running');
  w.push(0, ' * @slock: protects @ticks; taken from the timer');
  w.push(0, ' * @work: drains @items');
  w.push(0, ' * @dwork: periodic housekeeping');
  w.push(0, ' * @timer: watchdog');
  w.push(0, ' */');
  w.push(0, `struct ${p}_dev {`);
  w.push(1, 'struct mutex lock;');
  w.push(1, 'spinlock_t slock;');
  w.push(1, 'struct work_struct work;');
  w.push(1, 'struct delayed_work dwork;');
  w.push(1, 'struct timer_list timer;');
  w.push(1, 'struct list_head items;');
  w.push(1, 'struct list_head node;');
  w.push(1, `struct ${subsys}_core *core;`);
  w.push(1, 'unsigned int count;');
  w.push(1, 'unsigned long ticks;');
  w.push(1, 'int state;');
  w.push(1, 'u64 stats[4];');
  w.push(1, 'bool running;');
  w.push(0, '};');
  w.push(0, '');

  const sig = (ret: string, name: string, params: string, exported = false) => {
    w.push(0, `${exported ? '' : 'static '}${ret} ${name}(${params})`);
    w.push(0, '{');
  };
  const end = (name?: string) => {
    w.push(0, '}');
    if (name) w.push(0, `EXPORT_SYMBOL_GPL(${name});`);
    w.push(0, '');
  };
  const body = (budget: number, locked: boolean, indent = 1) => {
    ctx.locked = locked;
    filler(w, ctx, indent, budget);
    ctx.locked = false;
  };

  // Lock-free computations and lock-asserting helpers come first so that later code can call them.
  const computeFn = () => {
    const name = `${p}_compute${uniq++}`;
    kdoc(w, name, 'derive a figure from the counters', [['d', 'the device'], ['seed', 'mixed into the result']], undefined, 'the figure.');
    sig('u64', name, `struct ${p}_dev *d, u64 seed`);
    w.push(1, 'u64 sum = seed;');
    w.push(1, 'int i = 0, ret = 0;');
    w.push(0, '');
    body(rng.int(6, 62), false);
    w.push(1, 'return sum + ret;');
    end();
    ctx.compute.push(name);
  };
  const lockedHelper = (name: string) => {
    kdoc(w, name, 'fold @n into the statistics', [['d', 'the device'], ['n', 'how many events']], 'Caller must hold @d->lock.');
    sig('void', name, `struct ${p}_dev *d, unsigned int n`);
    locals(w, true);
    w.push(0, '');
    w.push(1, 'lockdep_assert_held(&d->lock);');
    w.push(1, 'd->count += n;');
    body(rng.int(5, 62), true);
    end();
    helpers.push(name);
  };
  lockedHelper(`${p}_update_locked`);
  computeFn();

  const callerFn = () => {
    const name = `${p}_op${uniq++}`;
    const style = rng.pick(LOCK_STYLES);
    const exported = rng.chance(0.3);
    kdoc(w, name, 'run one operation on the device', [['d', 'the device']], 'Takes and releases @d->lock.', '0 or a negative error.');
    sig('int', name, `struct ${p}_dev *d`, exported);
    locals(w, true);
    w.push(0, '');
    body(rng.int(1, 12), false);
    if (style === 'mutex_lock') {
      w.push(1, 'mutex_lock(&d->lock);');
      w.push(1, 'if (!d->running) {');
      w.push(2, 'ret = -ENODEV;');
      w.push(2, 'goto out_unlock;');
      w.push(1, '}');
      body(rng.int(2, 34), true);
      w.push(1, `${rng.pick(helpers)}(d, ${rng.int(1, 8)});`);
      body(rng.int(0, 16), true);
      w.push(0, 'out_unlock:');
      w.push(1, 'mutex_unlock(&d->lock);');
      w.push(1, 'return ret;');
    } else {
      const lk = takeLock(w, style, 'd->lock', 1);
      body(rng.int(2, 34), true, lk.inner);
      w.push(lk.inner, `${rng.pick(helpers)}(d, ${rng.int(1, 8)});`);
      body(rng.int(0, 16), true, lk.inner);
      lk.close();
      w.push(1, 'return ret;');
    }
    end(exported ? name : undefined);
  };

  // The work function, the delayed work function and the timer callback.
  const workStyle = rng.pick(LOCK_STYLES);
  kdoc(w, `${p}_work_fn`, 'drain the item list', [['work', 'the device\'s work item']], 'Process context; takes @d->lock.');
  sig('void', `${p}_work_fn`, 'struct work_struct *work');
  w.push(1, `struct ${p}_dev *d = to_${p}_dev(work);`);
  locals(w, true);
  w.push(0, '');
  {
    const lk = takeLock(w, workStyle, 'd->lock', 1);
    w.push(lk.inner, 'list_for_each_entry(it, &d->items, node) {');
    w.push(lk.inner + 1, 'sum += it->value;');
    w.push(lk.inner + 1, 'it->flags = 0;');
    w.push(lk.inner, '}');
    body(rng.int(2, 15), true, lk.inner);
    w.push(lk.inner, `${p}_update_locked(d, 1);`);
    lk.close();
  }
  end();

  kdoc(w, `${p}_dwork_fn`, 'periodic housekeeping', [['work', 'embedded in the device\'s delayed work']], 'Process context; takes @d->lock.');
  sig('void', `${p}_dwork_fn`, 'struct work_struct *work');
  w.push(1, `struct ${p}_dev *d = dwork_to_${p}_dev(work);`);
  locals(w, true);
  w.push(1, 'bool again;');
  w.push(0, '');
  w.push(1, 'scoped_guard(mutex, &d->lock) {');
  body(rng.int(2, 12), true, 2);
  w.push(2, 'again = d->running;');
  w.push(1, '}');
  w.push(1, 'if (again)');
  w.push(2, 'schedule_delayed_work(&d->dwork, HZ);');
  end();

  kdoc(w, `${p}_timer_fn`, 'watchdog tick', [['t', 'the device\'s timer']], 'Softirq; takes @d->slock.');
  sig('void', `${p}_timer_fn`, 'struct timer_list *t');
  w.push(1, `struct ${p}_dev *d = timer_container_of(d, t, timer);`);
  w.push(1, 'unsigned long flags;');
  w.push(0, '');
  w.push(1, 'spin_lock_irqsave(&d->slock, flags);');
  w.push(1, 'd->ticks++;');
  w.push(1, 'spin_unlock_irqrestore(&d->slock, flags);');
  w.push(1, 'schedule_work(&d->work);');
  w.push(1, 'mod_timer(&d->timer, jiffies + HZ);');
  end();

  kdoc(w, `${p}_add_item`, 'queue one item for the work function', [['d', 'the device'], ['id', 'item id'], ['value', 'item value']], 'Takes and releases @d->lock.', '0 or -ENOMEM.');
  sig('int', `${p}_add_item`, `struct ${p}_dev *d, u32 id, u64 value`);
  w.push(1, `struct ${p}_item *it;`);
  w.push(0, '');
  w.push(1, 'it = kzalloc(sizeof(*it), GFP_KERNEL);');
  w.push(1, 'if (!it)');
  w.push(2, 'return -ENOMEM;');
  w.push(1, 'it->id = id;');
  w.push(1, 'it->value = value;');
  w.push(0, '');
  w.push(1, 'mutex_lock(&d->lock);');
  w.push(1, 'list_add_tail(&it->node, &d->items);');
  w.push(1, `${p}_update_locked(d, 1);`);
  w.push(1, 'mutex_unlock(&d->lock);');
  w.push(1, 'schedule_work(&d->work);');
  w.push(1, 'return 0;');
  end();

  // Fill to the target size with a mix of computations, helpers and callers.
  const reserve = 2600; // what the teardown, create and bug functions below add
  while (bytes() + reserve < spec.targetBytes) {
    const r = rng.next();
    if (r < 0.2) computeFn();
    else if (r < 0.35) lockedHelper(`${p}_fold${uniq++}_locked`);
    else callerFn();
  }

  // One core call per file, under the core's lock (correct).
  kdoc(w, `${p}_report`, 'account the device\'s events to the subsystem core', [['d', 'the device']], 'Takes and releases @d->core->lock.');
  sig('void', `${p}_report`, `struct ${p}_dev *d`);
  w.push(1, `mutex_lock(&d->core->lock);`);
  w.push(1, `${subsys}_core_account(d->core, d->count);`);
  w.push(1, `mutex_unlock(&d->core->lock);`);
  end();

  // The planted bugs: each in a function of its own, exported so it is an entry point.
  for (const rule of spec.bugs) {
    const name = `${p}_${{ 'assert-held-caller': 'reset', 'sync-under-lock': 'quiesce', 'double-lock': 'refill', 'lock-imbalance': 'set_state' }[rule]}${uniq++}`;
    const plant = (line: number, lock: string, note: string) =>
      planted.push({ rule, file: spec.file, function: name, line, lock, statement: w.out[line - 1]!.trim(), note });
    if (rule === 'assert-held-caller') {
      const viaCore = rng.chance(0.4);
      // The helper is called after the caller released the lock itself: a bug
      // whatever the callers of this function hold.
      kdoc(w, name, 'clear the statistics', [['d', 'the device']], viaCore ? 'Takes and releases @d->core->lock.' : 'Takes and releases @d->lock.');
      sig('void', name, `struct ${p}_dev *d`, true);
      if (viaCore) {
        w.push(1, 'mutex_lock(&d->core->lock);');
        w.push(1, 'd->core->events = 0;');
        w.push(1, 'mutex_unlock(&d->core->lock);');
        const l = w.push(1, `${subsys}_core_account(d->core, 0);`);
        plant(l, 'd->core->lock', `${subsys}_core_account() asserts core->lock, released just before`);
      } else {
        const helper = rng.pick(helpers);
        w.push(1, 'mutex_lock(&d->lock);');
        w.push(1, 'd->stats[0] = 0;');
        w.push(1, 'd->stats[1] = 0;');
        w.push(1, 'mutex_unlock(&d->lock);');
        const l = w.push(1, `${helper}(d, 0);`);
        plant(l, 'd->lock', `${helper}() asserts d->lock, released just before`);
      }
      end(name);
    } else if (rule === 'sync-under-lock') {
      const v = rng.int(0, 2);
      kdoc(w, name, 'stop the device\'s background work', [['d', 'the device']], 'Takes and releases @d->lock.');
      sig('void', name, `struct ${p}_dev *d`, true);
      if (v === 0) {
        w.push(1, 'mutex_lock(&d->lock);');
        w.push(1, 'd->running = false;');
        const l = w.push(1, 'cancel_work_sync(&d->work);');
        w.push(1, 'mutex_unlock(&d->lock);');
        plant(l, 'd->lock', `${p}_work_fn() takes d->lock`);
      } else if (v === 1) {
        w.push(1, 'guard(mutex)(&d->lock);');
        w.push(1, 'd->running = false;');
        const l = w.push(1, 'cancel_delayed_work_sync(&d->dwork);');
        plant(l, 'd->lock', `${p}_dwork_fn() takes d->lock`);
      } else {
        w.push(1, 'scoped_guard(mutex, &d->lock) {');
        w.push(2, 'd->running = false;');
        const l = w.push(2, 'flush_work(&d->work);');
        w.push(1, '}');
        plant(l, 'd->lock', `${p}_work_fn() takes d->lock`);
      }
      end(name);
    } else if (rule === 'double-lock') {
      const direct = rng.chance(0.3);
      kdoc(w, name, 'top the item list up', [['d', 'the device']], 'Takes and releases @d->lock.', '0 or a negative error.');
      sig('int', name, `struct ${p}_dev *d`, true);
      w.push(1, 'int ret = 0;');
      w.push(0, '');
      if (direct) {
        w.push(1, 'guard(mutex)(&d->lock);');
        w.push(1, 'if (d->count == 0) {');
        const l = w.push(2, 'mutex_lock(&d->lock);');
        w.push(2, 'd->state = 0;');
        w.push(2, 'mutex_unlock(&d->lock);');
        w.push(1, '}');
        plant(l, 'd->lock', 'd->lock taken again under guard(mutex)');
      } else {
        w.push(1, 'mutex_lock(&d->lock);');
        w.push(1, `if (d->count < ${P}_MAX_ITEMS)`);
        const l = w.push(2, `ret = ${p}_add_item(d, d->count, 0);`);
        plant(l, 'd->lock', `${p}_add_item() takes d->lock`);
        w.push(1, 'mutex_unlock(&d->lock);');
      }
      w.push(1, 'return ret;');
      end(name);
    } else {
      const viaGoto = rng.chance(0.5);
      kdoc(w, name, 'move the device to a new state', [['d', 'the device'], ['state', 'the new state']], 'Takes and releases @d->lock.', '0 or -EINVAL.');
      sig('int', name, `struct ${p}_dev *d, int state`, true);
      w.push(1, 'int ret = 0;');
      w.push(0, '');
      w.push(1, 'mutex_lock(&d->lock);');
      if (viaGoto) {
        w.push(1, 'if (state < 0) {');
        w.push(2, 'ret = -EINVAL;');
        const l = w.push(2, 'goto out;');
        w.push(1, '}');
        w.push(1, 'd->state = state;');
        w.push(1, 'mutex_unlock(&d->lock);');
        w.push(0, 'out:');
        w.push(1, 'return ret;');
        plant(l, 'd->lock', 'the error path jumps past mutex_unlock()');
      } else {
        w.push(1, 'if (state < 0)');
        const l = w.push(2, 'return -EINVAL;');
        w.push(1, 'd->state = state;');
        w.push(1, 'mutex_unlock(&d->lock);');
        w.push(1, 'return ret;');
        plant(l, 'd->lock', 'returns with d->lock held');
      }
      end(name);
    }
  }

  // Teardown done right: the waits happen outside the lock their callbacks take.
  kdoc(w, `${p}_stop`, 'stop the device', [['d', 'the device']], 'Process context; takes @d->lock, then waits for the work and timer.');
  sig('void', `${p}_stop`, `struct ${p}_dev *d`);
  w.push(1, 'mutex_lock(&d->lock);');
  w.push(1, 'd->running = false;');
  w.push(1, 'mutex_unlock(&d->lock);');
  w.push(0, '');
  w.push(1, 'timer_delete_sync(&d->timer);');
  w.push(1, 'cancel_delayed_work_sync(&d->dwork);');
  w.push(1, 'cancel_work_sync(&d->work);');
  end();

  kdoc(w, `${p}_destroy`, 'free a device', [['d', 'the device']]);
  sig('void', `${p}_destroy`, `struct ${p}_dev *d`, true);
  w.push(1, `struct ${p}_item *it, *tmp;`);
  w.push(0, '');
  w.push(1, `${p}_stop(d);`);
  w.push(1, 'mutex_lock(&d->lock);');
  w.push(1, 'list_for_each_entry_safe(it, tmp, &d->items, node) {');
  w.push(2, 'list_del(&it->node);');
  w.push(2, 'kfree(it);');
  w.push(1, '}');
  w.push(1, 'mutex_unlock(&d->lock);');
  w.push(1, 'kfree(d);');
  end(`${p}_destroy`);

  kdoc(w, `${p}_create`, 'allocate and start a device', [['core', 'the subsystem core to register with']], 'Process context.', 'the device or an ERR_PTR().');
  sig(`struct ${p}_dev *`, `${p}_create`, `struct ${subsys}_core *core`, true);
  w.push(1, `struct ${p}_dev *d;`);
  w.push(1, 'int i, ret;');
  w.push(0, '');
  w.push(1, 'd = kzalloc(sizeof(*d), GFP_KERNEL);');
  w.push(1, 'if (!d)');
  w.push(2, 'return ERR_PTR(-ENOMEM);');
  w.push(0, '');
  w.push(1, 'mutex_init(&d->lock);');
  w.push(1, 'spin_lock_init(&d->slock);');
  w.push(1, 'INIT_LIST_HEAD(&d->items);');
  w.push(1, `INIT_WORK(&d->work, ${p}_work_fn);`);
  w.push(1, `INIT_DELAYED_WORK(&d->dwork, ${p}_dwork_fn);`);
  w.push(1, `timer_setup(&d->timer, ${p}_timer_fn, 0);`);
  w.push(1, 'd->core = core;');
  w.push(1, 'd->running = true;');
  w.push(0, '');
  w.push(1, `for (i = 0; i < ${rng.int(1, 8)}; i++) {`);
  w.push(2, `ret = ${p}_add_item(d, i, 0);`);
  w.push(2, 'if (ret)');
  w.push(3, 'goto err_destroy;');
  w.push(1, '}');
  w.push(0, '');
  w.push(1, `ret = ${subsys}_core_register(core, &d->node);`);
  w.push(1, 'if (ret)');
  w.push(2, 'goto err_destroy;');
  w.push(1, `${p}_report(d);`);
  w.push(1, 'mod_timer(&d->timer, jiffies + HZ);');
  w.push(1, 'schedule_delayed_work(&d->dwork, HZ);');
  w.push(1, 'return d;');
  w.push(0, '');
  w.push(0, 'err_destroy:');
  w.push(1, `${p}_destroy(d);`);
  w.push(1, 'return ERR_PTR(ret);');
  end(`${p}_create`);

  w.push(0, `MODULE_DESCRIPTION("synthetic ${subsys} driver ${p}");`);
  w.push(0, 'MODULE_LICENSE("GPL");');
  return w.out.join('\n').replaceAll('%ITEM%', `${p}_item`) + '\n';
}

/** The subsystem's header: the core struct and its API. */
export function writeHeader(subsys: string): string {
  const S = subsys.toUpperCase();
  return [
    '/* SPDX-License-Identifier: GPL-2.0 */',
    '/*',
    ` * The synthetic ${subsys} subsystem core, generated by the kreview benchmark.`,
    ' * Not kernel code.',
    ' */',
    `#ifndef _LINUX_BENCH_${S}_H`,
    `#define _LINUX_BENCH_${S}_H`,
    '',
    '#include <linux/list.h>',
    '#include <linux/mutex.h>',
    '',
    '/**',
    ` * struct ${subsys}_core - one instance of the subsystem`,
    ' * @lock: protects @devices, @nr_devices and @events',
    ' * @devices: registered devices',
    ' * @nr_devices: how many',
    ' * @events: events accounted by the drivers',
    ' */',
    `struct ${subsys}_core {`,
    '\tstruct mutex lock;',
    '\tstruct list_head devices;',
    '\tunsigned int nr_devices;',
    '\tu64 events;',
    '};',
    '',
    '/**',
    ` * ${subsys}_core_account() - account events to the core`,
    ' * @core: the core',
    ' * @n: how many events',
    ' *',
    ' * Context: Caller must hold @core->lock.',
    ' */',
    `void ${subsys}_core_account(struct ${subsys}_core *core, unsigned int n);`,
    `int ${subsys}_core_register(struct ${subsys}_core *core, struct list_head *node);`,
    '',
    `static inline bool ${subsys}_core_busy(const struct ${subsys}_core *core)`,
    '{',
    '\treturn READ_ONCE(core->nr_devices) > 0;',
    '}',
    '',
    `#endif /* _LINUX_BENCH_${S}_H */`,
    '',
  ].join('\n');
}

/** drivers/<subsys>/core.c: the core's implementation. */
export function writeCore(subsys: string, rng: Rng): string {
  const lines = [
    '// SPDX-License-Identifier: GPL-2.0',
    '/*',
    ` * The synthetic ${subsys} subsystem core, generated by the kreview benchmark.`,
    ' * Not kernel code.',
    ' */',
    '',
    '#include <linux/module.h>',
    `#include <linux/${subsys}.h>`,
    '',
    `void ${subsys}_core_account(struct ${subsys}_core *core, unsigned int n)`,
    '{',
    '\tlockdep_assert_held(&core->lock);',
    '\tcore->events += n;',
    `\tif (core->events > ${rng.int(1000, 100000)})`,
    '\t\tcore->events = 0;',
    '}',
    `EXPORT_SYMBOL_GPL(${subsys}_core_account);`,
    '',
    `int ${subsys}_core_register(struct ${subsys}_core *core, struct list_head *node)`,
    '{',
    '\tguard(mutex)(&core->lock);',
    '\tlist_add_tail(node, &core->devices);',
    '\tcore->nr_devices++;',
    `\t${subsys}_core_account(core, 1);`,
    '\treturn 0;',
    '}',
    `EXPORT_SYMBOL_GPL(${subsys}_core_register);`,
    '',
    `MODULE_DESCRIPTION("synthetic ${subsys} core");`,
    'MODULE_LICENSE("GPL");',
    '',
  ];
  return lines.join('\n');
}
