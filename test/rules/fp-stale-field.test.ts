/**
 * comment-code-mismatch (stale field names) on trees where one struct tag has
 * several definitions: a user-space copy under tools/, one per architecture,
 * one per driver. The claim stands only when no definition the code can see
 * has the field.
 */
import { describe, expect, it } from 'vitest';
import { lint } from './helpers.js';
import { visibleFrom } from '../../src/parse/index/index.js';

const rule = 'comment-code-mismatch';

const USER = `
void reg_user(struct regs *regs)
{
	/* Move on past the trap: regs->pc += 4. */
	regs->pc += 4;
}
`;

describe('stale field names with several definitions of the struct', () => {
  it('says which definitions code can see', () => {
    expect(visibleFrom('tools/testing/x/prog.c', 'arch/alpha/kernel/ptrace.c', true)).toBe(false);
    expect(visibleFrom('tools/lib/x.h', 'tools/lib/y.c', true)).toBe(true);
    expect(visibleFrom('arch/x86/include/asm/ptrace.h', 'arch/arm64/kernel/entry.c', true)).toBe(false);
    expect(visibleFrom('arch/x86/include/asm/ptrace.h', 'kernel/sched/core.c', true)).toBe(true);
    expect(visibleFrom('drivers/a/a.c', 'drivers/b/b.c', true)).toBe(false);
    // A function in another directory's .c file is linked, a type there is not seen.
    expect(visibleFrom('drivers/a/a.c', 'drivers/b/b.c', false)).toBe(true);
    expect(visibleFrom('drivers/b/priv.c', 'drivers/b/b.c', true)).toBe(true);
  });

  it('does not use a tools/ definition for kernel code', () => {
    const f = lint({
      'tools/testing/prog.c': 'struct regs { int unrelated; };\n',
      'arch/foo/include/asm/regs.h': 'struct regs { unsigned long pc; unsigned long sp; };\n',
      'arch/foo/kernel/trap.c': USER,
    }, { rule });
    expect(f).toEqual([]);
  });

  it('does not use another architecture\'s definition', () => {
    const f = lint({
      'arch/bar/include/asm/regs.h': 'struct regs { unsigned long ip; };\n',
      'arch/foo/include/asm/regs.h': 'struct regs { unsigned long pc; };\n',
      'arch/foo/kernel/trap.c': USER,
    }, { rule });
    expect(f).toEqual([]);
  });

  it('stays quiet when any visible definition has the field, reports when none has', () => {
    const files = {
      'drivers/a/hw.h': 'struct hw { int mac; };\n',
      'drivers/b/hw.h': 'struct hw { int phy; };\n',
      'drivers/b/user.c': `
void hw_user(struct hw *hw)
{
	/* Program hw->mac, then hw->gone. */
	hw->phy = 0;
}
`,
    };
    const f = lint(files, { rule });
    expect(f.map((x) => x.message)).toEqual([expect.stringMatching(/names hw->gone, but struct hw has no field gone/)]);
  });

  it('reports a stale field of the architecture\'s own definition', () => {
    const f = lint({
      'arch/bar/include/asm/regs.h': 'struct regs { unsigned long ip; };\n',
      'arch/foo/include/asm/regs.h': 'struct regs { unsigned long epc; };\n',
      'arch/foo/kernel/trap.c': USER.replace('regs->pc += 4;\n}', 'regs->epc += 4;\n}'),
    }, { rule });
    expect(f.map((x) => x.message)).toEqual([expect.stringMatching(/names regs->pc, but struct regs has no field pc/)]);
    expect(f[0]!.related[0]!.file).toBe('arch/foo/include/asm/regs.h');
  });

  it('does not read the tail of a longer path as a local', () => {
    const f = lint(`
struct st { int n; };
struct q { struct st *stats; };
void sum(struct st *stats, struct q *q)
{
	/* sum of q->stats->dropped and dev->x.stats->missed */
	stats->n = 0;
}
`, { rule });
    expect(f).toEqual([]);
  });
});
