/**
 * The tree index's answers behind two false-positive families: which of
 * several struct definitions code can see (not tools/, not another
 * architecture's), and calls of function-like macros followed as functions
 * through the headers a file includes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskTree } from '../../src/parse/disk-tree.js';
import { createIndex } from '../../src/parse/index/index.js';

const FILES: Record<string, string> = {
  'tools/testing/prog.c': 'struct regs { int unrelated; };\n',
  'arch/bar/include/asm/regs.h': 'struct regs { unsigned long ip; };\n',
  'arch/foo/include/asm/regs.h': 'struct regs { unsigned long pc; };\n',
  'arch/foo/kernel/trap.c': '#include <asm/regs.h>\nvoid trap(struct regs *r) { r->pc = 0; }\n',
  'include/linux/core.h': `#include <linux/mode.h>
void mode_unlock(int *d);
`,
  'include/linux/mode.h': `#define release_direct(d) \\
	mode_unlock(d)
#define STRINGIFY(x) #x
`,
  'drivers/x/drv.c': `#include <linux/core.h>
#define local_op(a, b) (helper2((a), (b)))
#define stmt_op(a) do { helper(a); helper(a); } while (0)
#define WRAP_OP(a) helper(a)
void use(int *d) { release_direct(d); local_op(d, d); stmt_op(d); WRAP_OP(d); }
`,
};

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'kreview-fp-index-'));
  dirs.push(root);
  for (const [rel, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

describe('index lookups', () => {
  it('picks the struct definition of the own architecture, never a tools/ one', () => {
    const ix = createIndex(new DiskTree(tree()), { cache: false });
    expect(ix.structs('regs').map((s) => s.file).sort()).toEqual(['arch/bar/include/asm/regs.h', 'arch/foo/include/asm/regs.h', 'tools/testing/prog.c']);
    expect(ix.struct('regs', 'arch/foo/kernel/trap.c')?.file).toBe('arch/foo/include/asm/regs.h');
    expect(ix.struct('regs', 'kernel/sched/core.c')?.file).not.toBe('tools/testing/prog.c');
    expect(ix.struct('regs')?.file).not.toBe('tools/testing/prog.c');
  });

  it('follows a wrapper macro from an included header, and one of the file itself, as a function', () => {
    const ix = createIndex(new DiskTree(tree()), { cache: false });
    const rel = ix.resolve('release_direct', 'drivers/x/drv.c');
    expect(rel).toMatchObject({ name: 'release_direct', file: 'include/linux/mode.h', params: [{ name: 'd', type: '' }] });
    const calls = rel!.blocks.flatMap((b) => b.instrs).filter((i) => i.op === 'call').map((i) => (i.op === 'call' ? i.callee : null));
    expect(calls).toEqual(['mode_unlock']);
    expect(ix.resolve('local_op', 'drivers/x/drv.c')?.pos.line).toBe(2);
    // Not reachable from a file that does not include it; a macro with `#` is no function.
    expect(ix.resolve('release_direct', 'arch/foo/kernel/trap.c')).toBeNull();
    expect(ix.resolve('STRINGIFY', 'drivers/x/drv.c')).toBeNull();
    // Only wrappers of one call are followed: not statement macros, not capitals.
    expect(ix.resolve('stmt_op', 'drivers/x/drv.c')).toBeNull();
    expect(ix.resolve('WRAP_OP', 'drivers/x/drv.c')).toBeNull();
  });
});
