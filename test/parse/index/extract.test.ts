import { describe, expect, it } from 'vitest';
import { lowerFile, parseC } from '../../../src/parse/c/api.js';
import { extractFacts, type FileFacts } from '../../../src/parse/index/extract.js';
import { normType } from '../../../src/parse/index/ctype.js';
import { FILES } from './fixture.js';

function facts(file: string, text = FILES[file]!): FileFacts {
  const p = parseC(text, file);
  return extractFacts(p, lowerFile(p));
}

function fieldsOf(f: FileFacts, struct: string): Record<string, string> {
  const s = f.structs.find((x) => x.name === struct);
  if (!s) throw new Error(`no struct ${struct}`);
  return Object.fromEntries(s.fields.map((x) => [x.name, x.type]));
}

describe('normType', () => {
  it('drops qualifiers and annotations and spaces pointers one way', () => {
    expect(normType('const struct iommu_ops*')).toBe('struct iommu_ops *');
    expect(normType('struct  iommu_domain __rcu  * *')).toBe('struct iommu_domain **');
    expect(normType('unsigned long')).toBe('unsigned long');
    expect(normType('void __iomem *')).toBe('void *');
    expect(normType('__le32')).toBe('__le32');
    expect(normType('struct foo __aligned(8)')).toBe('struct foo');
  });
});

describe('struct extraction', () => {
  const priv = facts('drv/priv.h');

  it('records field types, normalised, in order', () => {
    const f = fieldsOf(priv, 'foo_dev');
    expect(f.lock).toBe('struct mutex');
    expect(f.work).toBe('struct work_struct');
    expect(f.dw).toBe('struct delayed_work');
    expect(f.timer).toBe('struct timer_list');
    expect(f.old_timer).toBe('struct timer_list');
    expect(f.hrt).toBe('struct hrtimer');
    expect(f.ctx).toBe('struct foo_ctx *');
    expect(f.release).toBe('void (*)(struct foo_dev *fd)');
    expect(f.bits).toBe('unsigned long []');
    expect(f.works).toBe('struct work_struct [4]');
    const names = priv.structs.find((s) => s.name === 'foo_dev')!.fields.map((x) => x.name);
    expect(names.indexOf('lock')).toBeLessThan(names.indexOf('work'));
  });

  it('keeps __rcu fields with their annotation and fields under #ifdef', () => {
    const dev = priv.structs.find((s) => s.name === 'foo_dev')!;
    const domain = dev.fields.find((x) => x.name === 'domain')!;
    expect(domain.type).toBe('struct iommu_domain *');
    expect(domain.annotations).toContain('__rcu');
    expect(dev.fields.some((x) => x.name === 'debug_level')).toBe(true);
  });

  it('flattens anonymous unions with a note and names anonymous members owner::member', () => {
    const dev = priv.structs.find((s) => s.name === 'foo_dev')!;
    const node = dev.fields.find((x) => x.name === 'node')!;
    expect(node.type).toBe('struct list_head');
    expect(node.via).toBe('anonymous union');
    const f = fieldsOf(priv, 'foo_dev');
    expect(f.named).toBe('struct foo_dev::named');
    expect(f['named.slock']).toBe('spinlock_t');
    expect(fieldsOf(priv, 'foo_dev::named')).toEqual({ a: 'int', slock: 'spinlock_t' });
    expect(fieldsOf(priv, 'foo_ctx')['inner.work']).toBe('struct work_struct');
  });

  it('gives positions in the real file', () => {
    const dev = priv.structs.find((s) => s.name === 'foo_dev')!;
    const lines = FILES['drv/priv.h']!.split('\n');
    expect(lines[dev.pos.line - 1]).toContain('struct foo_dev {');
    const lock = dev.fields.find((x) => x.name === 'lock')!;
    expect(lines[lock.pos.line - 1]!.slice(lock.pos.column - 1)).toMatch(/^lock;/);
  });

  it('reads typedefs of named and anonymous structs', () => {
    const h = facts('include/linux/foo.h');
    expect(h.typedefs.foo_ctx_t).toBe('struct foo_ctx');
    expect(h.typedefs.foo_shared_t).toBe('struct foo_shared_t');
    expect(fieldsOf(h, 'foo_shared_t').big_lock).toBe('struct mutex');
    expect(fieldsOf(h, 'foo_ops')['nested.cb']).toBe('void (*)(void)');
  });
});

describe('global extraction', () => {
  const a = facts('drv/a.c');

  it('reads ops tables as .field = function pairs, constants left out', () => {
    const ops = a.globals.find((g) => g.name === 'a_ops')!;
    expect(ops.type).toBe('struct foo_ops');
    expect(ops.isStatic).toBe(true);
    expect(ops.initFields).toEqual({ probe: 'foo_probe', remove: 'foo_remove', 'nested.cb': 'foo_cb' });
  });

  it('types objects defined by macros', () => {
    const byName = Object.fromEntries(a.globals.map((g) => [g.name, g]));
    expect(byName.a_lock!.type).toBe('struct mutex');
    expect(byName.a_lock!.isStatic).toBe(true);
    expect(byName.global_work!.type).toBe('struct work_struct');
    expect(byName.global_dwork!.type).toBe('struct delayed_work');
  });

  it('tells extern declarations from definitions and skips prototypes', () => {
    const h = facts('include/linux/foo.h');
    expect(h.globals.map((g) => g.name)).toEqual(['foo_default_ops']);
    expect(h.globals[0]!.isExtern).toBe(true);
    const b = facts('drv/b.c');
    const d = b.globals.find((g) => g.name === 'foo_default_ops')!;
    expect(d.isExtern).toBeUndefined();
    expect(d.isStatic).toBe(false);
    expect(d.type).toBe('struct foo_ops *');
  });
});

describe('binding extraction', () => {
  const a = facts('drv/a.c');
  const by = (cb: string, via?: string) => a.bindings.filter((b) => b.callback === cb && (!via || b.via === via));

  it('resolves INIT_WORK targets through the parameter type', () => {
    const [b] = by('foo_work_fn', 'INIT_WORK');
    expect(b).toMatchObject({ kind: 'work', struct: 'foo_dev', field: 'work', function: 'foo_init', file: 'drv/a.c' });
    expect(FILES['drv/a.c']!.split('\n')[b!.pos.line - 1]).toContain('INIT_WORK(&fd->work, foo_work_fn)');
  });

  it('reads delayed work, nested paths through locals, and array elements', () => {
    expect(by('foo_dwork_fn')[0]).toMatchObject({ kind: 'delayed_work', struct: 'foo_dev', field: 'dw', via: 'INIT_DELAYED_WORK' });
    expect(by('ctx_work_fn')[0]).toMatchObject({ struct: 'foo_ctx', field: 'inner.work' });
    expect(by('array_work_fn')[0]).toMatchObject({ struct: 'foo_dev', field: 'works[]' });
  });

  it('leaves a target that needs another file unresolved, marked by ->', () => {
    expect(by('ctx_work_fn2')[0]).toMatchObject({ struct: null, field: 'fd->ctx->w2' });
  });

  it('reads timers, hrtimers and the hrtimer_init + .function form', () => {
    expect(by('foo_timer_fn', 'timer_setup')[0]).toMatchObject({ kind: 'timer', struct: 'foo_dev', field: 'timer' });
    expect(by('foo_timer_fn', 'setup_timer')[0]).toMatchObject({ kind: 'timer', struct: 'foo_dev', field: 'old_timer' });
    expect(by('foo_hrt_fn')[0]).toMatchObject({ kind: 'hrtimer', via: 'hrtimer_setup', struct: 'foo_dev', field: 'hrt' });
    expect(by('foo_hrt_old_fn')[0]).toMatchObject({ kind: 'hrtimer', via: 'hrtimer_init + .function', struct: 'foo_dev', field: 'hrt2' });
  });

  it('reads kthreads with where their task is stored', () => {
    const k = by('foo_thread');
    expect(k.map((b) => b.via).sort()).toEqual(['kthread_create', 'kthread_create_on_node', 'kthread_run', 'kthread_run_on_cpu']);
    for (const b of k) expect(b.kind).toBe('kthread');
    expect(k.find((b) => b.via === 'kthread_run')).toMatchObject({ target: null, struct: 'foo_dev', field: 'task' });
    expect(k.find((b) => b.via === 'kthread_create_on_node')).toMatchObject({ struct: 'foo_dev', field: 'task2' });
    expect(k.find((b) => b.via === 'kthread_run_on_cpu')).toMatchObject({ struct: null, field: null });
  });

  it('reads on-stack work, DECLARE_WORK and initialiser macros at file scope', () => {
    expect(by('foo_work_fn', 'INIT_WORK_ONSTACK')[0]).toMatchObject({ struct: null, field: 'w', function: 'foo_onstack' });
    expect(by('global_work_fn')[0]).toMatchObject({ kind: 'work', via: 'DECLARE_WORK', struct: null, field: 'global_work', function: null });
    expect(by('global_dwork_fn')[0]).toMatchObject({ kind: 'delayed_work', via: 'DECLARE_DELAYED_WORK', field: 'global_dwork' });
    expect(by('holder_fn')[0]).toMatchObject({ kind: 'work', via: '__WORK_INITIALIZER', struct: null, field: 'h.w' });
    expect(by('holder_dfn')[0]).toMatchObject({ kind: 'delayed_work', via: '__DELAYED_WORK_INITIALIZER', field: 'h.dw' });
  });

  it('does not take any `.function =` assignment for a timer', () => {
    const text = `struct ops { void (*function)(void); };
static void f(void) {}
void g(struct ops *o)
{
	o->function = f;
}
`;
    expect(facts('x.c', text).bindings).toEqual([]);
  });

  it('survives broken C', () => {
    const text = 'struct broken { int a; struct x *; int b;\nstatic int f(void { INIT_WORK(&;\n';
    const f = facts('broken.c', text);
    expect(Array.isArray(f.structs)).toBe(true);
  });
});
