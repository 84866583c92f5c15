import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Expr, IrFunction } from '../../../src/parse/ir.js';
import { createIndex, macroCacheStats, resetMacroCache } from '../../../src/parse/index/index.js';
import { accessKey, typeOfExpr } from '../../../src/parse/index/types-of.js';
import { ResolveStore } from '../../../src/parse/index/resolve-store.js';
import { FILES, TestView, putFile, writeFixture, removeTmpDirs, tmpDir } from './fixture.js';

afterAll(removeTmpDirs);

const noCache = { cache: false } as const;

function callArg(fn: IrFunction, callee: string, n = 0): Expr {
  for (const b of fn.blocks) for (const i of b.instrs) if (i.op === 'call' && i.callee === callee) return i.args[n]!;
  throw new Error(`no call to ${callee} in ${fn.name}`);
}

for (const git of [true, false]) {
  describe(`tree index (${git ? 'git' : 'plain directory'})`, () => {
    const root = writeFixture({ git });

    it('finds every definition of a name, static ones in several files too', () => {
      const ix = createIndex(new TestView(root), noCache);
      const helpers = ix.functions('helper');
      expect(helpers.map((f) => [f.file, f.isStatic])).toEqual([
        ['drv/a.c', true],
        ['drv/b.c', true],
      ]);
      expect(ix.functions('shared_fn').map((f) => f.file)).toEqual(['drv/b.c', 'other/c.c']);
      expect(ix.functions('no_such_function')).toEqual([]);
    });

    it('only parses files that may define the name', () => {
      const ix = createIndex(new TestView(root), noCache);
      ix.functions('shared_fn');
      // Mentioned in five files; other/x.c and drv/a.c only call it, the header only declares it.
      expect(ix.stats().parsed).toBe(2);
    });

    it('resolves a call to the static in the same file, then the nearest visible definition', () => {
      const ix = createIndex(new TestView(root), noCache);
      expect(ix.resolve('helper', 'drv/a.c')?.file).toBe('drv/a.c');
      expect(ix.resolve('helper', 'drv/b.c')?.file).toBe('drv/b.c');
      expect(ix.resolve('helper', 'other/x.c')).toBeNull();
      expect(ix.resolve('shared_fn', 'drv/a.c')?.file).toBe('drv/b.c');
      expect(ix.resolve('shared_fn', 'other/x.c')?.file).toBe('other/c.c');
      expect(ix.resolve('foo_inline', 'drv/a.c')?.file).toBe('include/linux/foo.h');
    });

    it('finds callers', () => {
      const ix = createIndex(new TestView(root), noCache);
      expect(ix.callers('shared_fn').map((f) => `${f.file}:${f.name}`).sort()).toEqual([
        'drv/a.c:foo_init',
        'other/c.c:other_caller',
        'other/x.c:x_caller',
      ]);
      expect(ix.callers('helper').map((f) => `${f.file}:${f.name}`).sort()).toEqual([
        'drv/a.c:foo_dwork_fn',
        'drv/a.c:foo_init',
        'drv/a.c:foo_timer_fn',
        'drv/a.c:foo_work_fn',
        'drv/b.c:foo_probe',
        'drv/b.c:foo_remove',
      ]);
      expect(ix.functionsIn('other/c.c').map((f) => f.name)).toEqual(['shared_fn', 'other_caller', 'priv_user']);
    });

    it('finds structs in headers, preferring the definition nearest the asking file', () => {
      const ix = createIndex(new TestView(root), noCache);
      expect(ix.struct('foo_dev')?.file).toBe('drv/priv.h');
      expect(ix.structs('priv').map((s) => s.file)).toEqual(['drv/priv.h', 'other/c.c']);
      expect(ix.struct('priv', 'other/c.c')?.fields.map((f) => f.name)).toEqual(['lock', 'c_only']);
      expect(ix.struct('priv', 'drv/a.c')?.fields.map((f) => f.name)).toEqual(['lock', 'a_only']);
      expect(ix.struct('foo_dev::named')?.fields.map((f) => f.name)).toEqual(['a', 'slock']);
      expect(ix.struct('foo_shared_t')?.file).toBe('include/linux/foo.h');
      expect(ix.typedef('foo_ctx_t')).toBe('struct foo_ctx');
      expect(ix.struct('nothing')).toBeNull();
    });

    it('finds globals: ops tables, macro objects, definitions over extern declarations', () => {
      const ix = createIndex(new TestView(root), noCache);
      expect(ix.global('a_ops')?.initFields.probe).toBe('foo_probe');
      expect(ix.global('a_lock', 'drv/a.c')?.type).toBe('struct mutex');
      const g = ix.global('foo_default_ops', 'other/x.c');
      expect(g?.file).toBe('drv/b.c');
      expect(g?.isExtern).toBeUndefined();
    });

    it('finds bindings by callback and by struct field, resolving targets across files', () => {
      const ix = createIndex(new TestView(root), noCache);
      expect(ix.bindingsOf('foo_work_fn').map((b) => `${b.via} ${b.struct}:${b.field}`).sort()).toEqual([
        'INIT_WORK foo_dev:work',
        'INIT_WORK_ONSTACK null:w',
      ]);
      // The target type needs struct foo_dev from the header: the index resolves it.
      expect(ix.bindingsOf('ctx_work_fn2')[0]).toMatchObject({ struct: 'foo_ctx', field: 'w2' });
      expect(ix.bindingsFor('foo_dev', 'work').map((b) => b.callback)).toEqual(['foo_work_fn']);
      expect(ix.bindingsFor('foo_dev', 'dw.work').map((b) => b.callback)).toEqual(['foo_dwork_fn']);
      expect(ix.bindingsFor('foo_dev', 'hrt2')[0]).toMatchObject({ kind: 'hrtimer', callback: 'foo_hrt_old_fn' });
      expect(ix.bindingsFor('foo_dev', 'task')[0]).toMatchObject({ kind: 'kthread', callback: 'foo_thread' });
      expect(ix.bindingsFor('foo_ctx', 'w2').map((b) => b.callback)).toEqual(['ctx_work_fn2']);
      // Through a typedef: found by callback (by field it is a known gap: the file never names foo_ctx).
      expect(ix.bindingsOf('typed_work_fn')[0]).toMatchObject({ struct: 'foo_ctx', field: 'w2' });
      expect(ix.bindingsFor(null, 'global_work')[0]).toMatchObject({ via: 'DECLARE_WORK', callback: 'global_work_fn' });
      expect(ix.bindingsFor(null, 'h.dw')[0]).toMatchObject({ callback: 'holder_dfn' });
      expect(ix.bindingsFor('foo_dev', 'lock')).toEqual([]);
    });

    it('types access paths through params, locals, container_of, nested structs and typedefs', () => {
      const ix = createIndex(new TestView(root), noCache);
      const init = ix.functions('foo_init')[0]!;
      const fd: Expr = { k: 'id', name: 'fd' };
      const ctx: Expr = { k: 'field', base: fd, name: 'ctx', arrow: true };
      expect(typeOfExpr(init, fd, ix)).toBe('struct foo_dev *');
      expect(typeOfExpr(init, { k: 'field', base: fd, name: 'work', arrow: true }, ix)).toBe('struct work_struct');
      expect(typeOfExpr(init, { k: 'field', base: ctx, name: 'w2', arrow: true }, ix)).toBe('struct work_struct');
      const named: Expr = { k: 'field', base: fd, name: 'named', arrow: true };
      expect(typeOfExpr(init, { k: 'field', base: named, name: 'slock', arrow: false }, ix)).toBe('spinlock_t');
      expect(typeOfExpr(init, callArg(init, 'INIT_WORK', 0), ix)).toBe('struct work_struct *');
      // $t1 = shared_fn(i): the callee's return type.
      expect(typeOfExpr(init, { k: 'id', name: '$t1' }, ix)).toBe('int');

      const work = ix.functions('foo_work_fn')[0]!;
      const c: Expr = { k: 'container_of', ptr: { k: 'id', name: 'work' }, type: 'struct foo_dev', member: 'work' };
      expect(typeOfExpr(work, { k: 'field', base: c, name: 'lock', arrow: true }, ix)).toBe('struct mutex');
      expect(typeOfExpr(work, { k: 'field', base: { k: 'id', name: 'fd' }, name: 'dw', arrow: true }, ix)).toBe('struct delayed_work');

      const typed = ix.functions('typed_init')[0]!;
      const lockArg = callArg(typed, 'mutex_lock');
      expect(typeOfExpr(typed, lockArg, ix)).toBe('struct mutex *');
      expect(accessKey(typed, lockArg, ix)).toMatchObject({ struct: 'foo_shared_t', field: 'big_lock' });

      // The same key for a binding and a cancel of the same field from another file.
      const probe = ix.functions('foo_probe')[0]!;
      expect(accessKey(probe, callArg(probe, 'cancel_work_sync'), ix)).toMatchObject({ struct: 'foo_dev', field: 'work' });
      expect(accessKey(probe, { k: 'id', name: 'global_work' }, ix)).toMatchObject({ struct: null, field: 'global_work' });
      expect(typeOfExpr(probe, { k: 'id', name: 'nobody' }, ix)).toBeNull();
    });

    it('sees overlay changes instead of the disk', () => {
      const view = new TestView(
        root,
        new Map<string, string | null>([
          ['drv/b.c', FILES['drv/b.c']!.replace('int shared_fn(int x)\n{\n\treturn x * 2;\n}\n', '')],
          ['new/n.c', 'int shared_fn(int x)\n{\n\treturn 0;\n}\n\nstatic void n_caller(void)\n{\n\tshared_fn(1);\n}\n'],
          ['other/x.c', null],
        ]),
      );
      const ix = createIndex(view, noCache);
      expect(ix.functions('shared_fn').map((f) => f.file)).toEqual(['new/n.c', 'other/c.c']);
      expect(ix.callers('shared_fn').map((f) => f.name).sort()).toEqual(['foo_init', 'n_caller', 'other_caller']);
    });

    it('skips files above the size cap and says so', () => {
      const view = new TestView(root, new Map([['big/huge.c', `int shared_fn(int x)\n{\n\treturn 1;\n}\n/*${'x'.repeat(5000)}*/\n`]]));
      const ix = createIndex(view, { ...noCache, maxFileBytes: 4096 });
      expect(ix.functions('shared_fn').map((f) => f.file)).toEqual(['drv/b.c', 'other/c.c']);
      expect(ix.skipped()).toEqual([{ file: 'big/huge.c', reason: expect.stringMatching(/larger than 4096/) }]);
    });

    it('keeps searches inside its scope', () => {
      const ix = createIndex(new TestView(root), { ...noCache, scope: ['other'] });
      expect(ix.functions('shared_fn').map((f) => f.file)).toEqual(['other/c.c']);
    });
  });
}

describe('tree index cache', () => {
  it('parses nothing on a second run, reparses what changed, survives a corrupt entry', () => {
    const root = writeFixture({ git: true });
    const cacheDir = tmpDir('kreview-ixcache-');
    const opts = { cacheDir, env: {} };

    const first = createIndex(new TestView(root), opts);
    const n = first.callers('shared_fn').length;
    // Every file that mentions it: a caller can be anywhere.
    expect(first.stats().parsed).toBe(5);
    expect(first.stats().cache.writes).toBe(5);

    const second = createIndex(new TestView(root), opts);
    expect(second.callers('shared_fn').length).toBe(n);
    expect(second.stats().parsed).toBe(0);
    expect(second.stats().cache.diskHits).toBe(5);
    // The per-commit grep answer was kept too.
    expect(second.stats().search.greps).toBe(0);

    writeFileSync(join(root, 'other/x.c'), FILES['other/x.c']!.replace('return shared_fn(4);', 'return shared_fn(5) + shared_fn(6);'));
    const third = createIndex(new TestView(root), opts);
    expect(third.callers('shared_fn').map((f) => f.name).sort()).toEqual(['foo_init', 'other_caller', 'x_caller']);
    expect(third.stats().parsed).toBe(1);

    // Corrupt every entry: the next run parses again and rewrites them.
    const fourthView = new TestView(root);
    const probe = createIndex(fourthView, opts);
    probe.loadFiles(['drv/a.c']);
    const key = (probe as unknown as { cache: { key(f: string, t: string): string; pathOf(k: string): string } }).cache;
    writeFileSync(key.pathOf(key.key('drv/a.c', FILES['drv/a.c']!)), 'garbage');
    const fifth = createIndex(new TestView(root), opts);
    expect(fifth.functionsIn('drv/a.c').length).toBeGreaterThan(5);
    expect(fifth.stats().cache.corrupt).toBe(1);
    expect(fifth.stats().parsed).toBe(1);
    const sixth = createIndex(new TestView(root), opts);
    sixth.functionsIn('drv/a.c');
    expect(sixth.stats().parsed).toBe(0);
  });

  it('is off with cache: false and with KREVIEW_NO_CACHE', () => {
    const root = writeFixture({ git: false });
    const cacheDir = tmpDir('kreview-ixcache-');
    createIndex(new TestView(root), { env: { KREVIEW_CACHE_DIR: cacheDir, KREVIEW_NO_CACHE: '1' } }).loadFiles(['drv/a.c']);
    const again = createIndex(new TestView(root), { env: { KREVIEW_CACHE_DIR: cacheDir } });
    again.loadFiles(['drv/a.c']);
    expect(again.stats().parsed).toBe(1);
  });
});

describe('resolving a name defined in many files', () => {
  // One definition per arch and one generic (the kernel's arch_* and __weak fallbacks):
  // only the file that wins is worth parsing.
  const root = tmpDir('kreview-resolve-');
  const def = (rel: string, body: string) => putFile(root, rel, body);
  for (const arch of ['alpha', 'beta', 'gamma', 'delta']) def(`arch/${arch}/kernel/time.c`, `int read_clock(int c)\n{\n\treturn c + 1;\n}\n`);
  def('lib/clock.c', 'int read_clock(int c)\n{\n\treturn c;\n}\n');
  def('drivers/tick/tick.c', 'int tick(int c)\n{\n\treturn read_clock(c);\n}\n');
  def('drivers/tick/peer.c', 'static int read_clock(int c)\n{\n\treturn 0;\n}\n');
  def('arch/beta/kernel/irq.c', 'int beta_irq(int c)\n{\n\treturn read_clock(c);\n}\n');

  it('picks what the nearest-definition rule picks, parsing only the files it has to', () => {
    const ix = createIndex(new TestView(root), noCache);
    // The static in the same directory is not visible; the generic one beats every arch's.
    expect(ix.resolve('read_clock', 'drivers/tick/tick.c')?.file).toBe('lib/clock.c');
    // The asking file, the invisible static (same directory, tried first) and the winner.
    expect(ix.stats().parsed).toBe(3);
    expect(ix.resolve('read_clock', 'arch/beta/kernel/irq.c')?.file).toBe('arch/beta/kernel/time.c');
    // Once every definition is known (functions()), the same answers.
    expect(ix.functions('read_clock')).toHaveLength(6);
    expect(ix.resolve('read_clock', 'drivers/tick/tick.c')?.file).toBe('lib/clock.c');
    expect(ix.resolve('read_clock', 'arch/beta/kernel/irq.c')?.file).toBe('arch/beta/kernel/time.c');
  });
});

describe('resolutions kept for the thread', () => {
  it('answers a later index of the same commit without searching, and searches again once a file changes', () => {
    const root = writeFixture({ git: true });
    const searched = (view: TestView) => {
      const ix = createIndex(view, noCache);
      const file = ix.resolve('shared_fn', 'drv/a.c')?.file;
      return { file, builds: ix.stats().search.declBuilds };
    };
    // Without a disk cache, the first definition question of an index builds the declaration table.
    expect(searched(new TestView(root))).toEqual({ file: 'drv/b.c', builds: 1 });
    expect(searched(new TestView(root))).toEqual({ file: 'drv/b.c', builds: 0 });
    // A view with changes of its own searches (its answer may differ).
    const gone = FILES['drv/b.c']!.replace('int shared_fn(int x)', 'int shared_gone(int x)');
    expect(searched(new TestView(root, new Map([['drv/b.c', gone]])))).toEqual({ file: 'other/c.c', builds: 1 });
    // The definition leaves drv/b.c on disk: a dirty file, a new tree state, a new search.
    writeFileSync(join(root, 'drv/b.c'), gone);
    expect(searched(new TestView(root))).toEqual({ file: 'other/c.c', builds: 1 });
    expect(searched(new TestView(root))).toEqual({ file: 'other/c.c', builds: 0 });
  });
});

describe('resolutions kept on disk', () => {
  it('answers the next run of the same commit from disk, names, macros and constants alike', () => {
    const root = writeFixture({ git: true });
    putFile(root, 'drv/flags.h', '#define DRV_FLAG_A\t(1u << 3)\n#define drv_call(x)\tshared_fn(x)\n');
    putFile(root, 'drv/d.c', '#include "flags.h"\nint d_user(int x)\n{\n\treturn drv_call(x) + shared_fn(DRV_FLAG_A);\n}\n');
    execFileSync('git', ['add', '-A'], { cwd: root });
    execFileSync('git', ['-c', 'user.email=t@example.net', '-c', 'user.name=t', 'commit', '-qm', 'more'], { cwd: root });
    const cacheDir = tmpDir('kreview-answers-');
    const ask = () => {
      const view = new TestView(root);
      const ix = createIndex(view, { cacheDir, env: {} });
      const out = {
        fn: ix.resolve('shared_fn', 'drv/d.c')?.file,
        macro: ix.resolve('drv_call', 'drv/d.c')?.name,
        none: ix.resolve('no_such_fn', 'drv/d.c'),
        flag: ix.constant!('DRV_FLAG_A', 'drv/d.c'),
      };
      ix.flush();
      return { out, shards: ix.stats().search.declShardLoads + ix.stats().search.declBuilds, reads: view.reads };
    };
    const want = { fn: 'drv/b.c', macro: 'drv_call', none: null, flag: 8 };
    ResolveStore.closeAll();
    const first = ask();
    expect(first.out).toEqual(want);
    expect(first.shards).toBeGreaterThan(0);
    ResolveStore.closeAll();
    const second = ask();
    expect(second.out).toEqual(want);
    // Nothing searched, no header read for the macro or the constant.
    expect(second.shards).toBe(0);
    expect(second.reads).not.toContain('drv/flags.h');
    // A corrupt file is a miss: searched again, and written anew.
    const dir = join(cacheDir, 'resolve-v2');
    const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    // One file per directory of the asking files: drv/ here.
    expect(files.length).toBe(1);
    for (const f of files) writeFileSync(join(f.parentPath, f.name), 'garbage');
    ResolveStore.closeAll();
    const third = ask();
    expect(third.out).toEqual(want);
    expect(third.shards).toBeGreaterThan(0);
    ResolveStore.closeAll();
    expect(ask().shards).toBe(0);
  });
});

describe('constants kept on disk', () => {
  it('many constants answered from disk leave the next one to be evaluated as usual', () => {
    const root = writeFixture({ git: true });
    const names = Array.from({ length: 24 }, (_, i) => `ZK_FLAG_${i}`);
    putFile(root, 'drv/zk.h', names.map((n, i) => `#define ${n}\t(1u << ${i % 20})\n`).join('') + '#define ZK_LATE\t(ZK_FLAG_1 | ZK_FLAG_2)\n');
    putFile(root, 'drv/zk.c', '#include "zk.h"\n');
    execFileSync('git', ['add', '-A'], { cwd: root });
    execFileSync('git', ['-c', 'user.email=t@example.net', '-c', 'user.name=t', 'commit', '-qm', 'zk'], { cwd: root });
    const cacheDir = tmpDir('kreview-consts-kept-');
    ResolveStore.closeAll();
    const first = createIndex(new TestView(root), { cacheDir, env: {} });
    names.forEach((n, i) => expect(first.constant!(n, 'drv/zk.c')).toBe(2 ** (i % 20)));
    first.flush();
    ResolveStore.closeAll();
    const second = createIndex(new TestView(root), { cacheDir, env: {} });
    names.forEach((n, i) => expect(second.constant!(n, 'drv/zk.c')).toBe(2 ** (i % 20)));
    // Not kept: evaluated now, after 24 answers from disk.
    expect(second.constant!('ZK_LATE', 'drv/zk.c')).toBe(6);
  });
});

describe('declaration index', () => {
  it('answers every definition question from one search of the tree, kept per commit', () => {
    const root = writeFixture({ git: true });
    const cacheDir = tmpDir('kreview-decls-');
    const ix = createIndex(new TestView(root), { cacheDir, env: {} });
    ix.prefetch(['shared_fn', 'helper']);
    for (const n of ['shared_fn', 'helper', 'foo_init', 'foo_inline', 'nothing']) ix.functions(n);
    ix.struct('foo_dev');
    ix.global('a_ops');
    ix.typedef('foo_ctx_t');
    expect(ix.stats().search).toMatchObject({ declBuilds: 1, greps: 0 });
    // Uses are searched per name.
    expect(ix.callers('mutex_lock').map((f) => f.name).sort()).toEqual(['helper', 'priv_user', 'typed_init']);
    expect(ix.stats().search.greps).toBe(1);

    // A second run reads shards from disk; a file edited since is read directly.
    writeFileSync(join(root, 'other/x.c'), 'int late_fn(void)\n{\n\treturn 0;\n}\n');
    const again = createIndex(new TestView(root), { cacheDir, env: {} });
    expect(again.functions('late_fn').map((f) => f.file)).toEqual(['other/x.c']);
    expect(again.functions('shared_fn').map((f) => f.file)).toEqual(['drv/b.c', 'other/c.c']);
    expect(again.stats().search.declBuilds).toBe(0);
    expect(again.stats().search.declShardLoads).toBeGreaterThan(0);
  });
});

describe('macro values', () => {
  const root = tmpDir('kreview-consts-');
  const put = (rel: string, body: string) => putFile(root, rel, body);
  put('include/linux/bits.h', '#define BITS_PER_FLAG 1\n');
  put('fs/xf/xf_inode.h', '#include <linux/bits.h>\n#define XF_IOLOCK_EXCL\t(1u << 0)\n#define XF_ILOCK_EXCL\t(1u << 2)\n#define XF_ILOCK_SHARED\t(1u << 3)\n#define XF_ILOCK_ANY\t(XF_ILOCK_EXCL | XF_ILOCK_SHARED | XF_LOCAL)\n');
  put('fs/xf/xf_inode.c', '#include "xf_inode.h"\n#define XF_LOCAL 64\nint f(void)\n{\n\treturn 0;\n}\n');
  put('fs/other/o.c', '#define XF_ILOCK_EXCL 99\n');
  put('fs/xf/libxf/bmap.c', '#include "xf_inode.h"\n');

  it('reads a #define through the includes of the asking file, names in it expanded there', () => {
    const ix = createIndex(new TestView(root), noCache);
    expect(ix.constant!('XF_ILOCK_SHARED', 'fs/xf/xf_inode.c')).toBe(8);
    expect(ix.constant!('BITS_PER_FLAG', 'fs/xf/xf_inode.c')).toBe(1);
    // XF_LOCAL is the .c file's own: the header's macro expands where it is used.
    expect(ix.constant!('XF_ILOCK_ANY', 'fs/xf/xf_inode.c')).toBe(76);
    // Another file's definition is its own; a file that includes nothing sees nothing.
    expect(ix.constant!('XF_ILOCK_EXCL', 'fs/other/o.c')).toBe(99);
    expect(ix.constant!('XF_ILOCK_SHARED', 'fs/other/o.c')).toBeNull();
    expect(ix.constant!('f', 'fs/xf/xf_inode.c')).toBeNull();
  });

  it('reads a header once for every index of the process, again when it changes or the view changes it', () => {
    put('fs/yf/yf.h', '#define YF_EXCL\t(1u << 0)\n');
    put('fs/yf/yf.c', '#include "yf.h"\n');
    const first = new TestView(root);
    expect(createIndex(first, noCache).constant!('YF_EXCL', 'fs/yf/yf.c')).toBe(1);
    expect(first.reads).toContain('fs/yf/yf.h');
    const second = new TestView(root);
    expect(createIndex(second, noCache).constant!('YF_EXCL', 'fs/yf/yf.c')).toBe(1);
    expect(second.reads).not.toContain('fs/yf/yf.h');
    // A view that changes the header reads its own text.
    const patched = new TestView(root, new Map([['fs/yf/yf.h', '#define YF_EXCL (1u << 5)\n']]));
    expect(createIndex(patched, noCache).constant!('YF_EXCL', 'fs/yf/yf.c')).toBe(32);
    // An edit on disk is seen by the next index.
    put('fs/yf/yf.h', '#define YF_EXCL\t(1u << 7)  \n');
    expect(createIndex(new TestView(root), noCache).constant!('YF_EXCL', 'fs/yf/yf.c')).toBe(128);
  });

  it('keeps what it read of headers within a byte budget, reading an evicted one again', () => {
    // Object-like: read on a constant's first lookup, which weighs the entry again.
    const macros = (p: string) => Array.from({ length: 12 }, (_, i) => `#define ${p.toUpperCase()}_V${i}\t(${'1 + '.repeat(8)}${i})\n`).join('');
    const names = ['za', 'zb', 'zc', 'zd', 'ze', 'zf'];
    for (const n of names) put(`fs/zz/${n}.h`, `#define ${n.toUpperCase()}_FLAG\t(1u << ${names.indexOf(n)})\n${macros(n)}`);
    put('fs/zz/zz.c', names.map((n) => `#include "${n}.h"\n`).join(''));
    resetMacroCache(6_000);
    try {
      const first = new TestView(root);
      const ix = createIndex(first, noCache);
      names.forEach((n, i) => expect(ix.constant!(`${n.toUpperCase()}_FLAG`, 'fs/zz/zz.c')).toBe(2 ** i));
      const st = macroCacheStats();
      expect(st.bytes).toBeLessThanOrEqual(6_000);
      expect(st.entries).toBeGreaterThan(0);
      expect(st.entries).toBeLessThan(names.length + 1);
      // The next index finds the evicted headers gone and reads them again, with the same answers.
      const second = new TestView(root);
      const again = createIndex(second, noCache);
      names.forEach((n, i) => expect(again.constant!(`${n.toUpperCase()}_FLAG`, 'fs/zz/zz.c')).toBe(2 ** i));
      expect(second.reads.filter((f) => f.startsWith('fs/zz/') && f.endsWith('.h')).length).toBeGreaterThan(0);
      expect(macroCacheStats().bytes).toBeLessThanOrEqual(6_000);
    } finally {
      resetMacroCache();
    }
  });

  it('finds a quoted include in the directories above, as `-I $(src)` does', () => {
    const ix = createIndex(new TestView(root), noCache);
    expect(ix.constant!('XF_ILOCK_EXCL', 'fs/xf/libxf/bmap.c')).toBe(4);
    expect(ix.objectMacro!('XF_ILOCK_ANY', 'fs/xf/libxf/bmap.c')).toBe('(XF_ILOCK_EXCL | XF_ILOCK_SHARED | XF_LOCAL)');
    expect(ix.objectMacro!('XF_LOCAL', 'fs/xf/libxf/bmap.c')).toBeNull();
  });
});
