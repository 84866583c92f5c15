/**
 * A small in-memory TreeIndex over a map of C files, built with the real
 * front end (parseC + lowerFile + extractFacts), for rule tests.
 */
import { parseC, lowerFile, releaseParsed } from '../../src/parse/c/api.js';
import { extractFacts, type FileFacts } from '../../src/parse/index/extract.js';
import { functionMacros, macroFunction } from '../../src/parse/index/index.js';
import { fileConstant, objectMacros } from '../../src/parse/index/macro-values.js';
import type { IrFunction } from '../../src/parse/ir.js';
import type { Binding, TreeIndex } from '../../src/parse/index/types.js';
import type { TreeView } from '../../src/parse/tree.js';
import { defaultConfig, parseConfig, type Config } from '../../src/rules/config.js';
import { runRules } from '../../src/rules/engine.js';
import type { Finding } from '../../src/report/schema.js';

export function memView(files: Record<string, string>): TreeView {
  return {
    root: '/mem',
    read: (rel) => files[rel] ?? null,
    exists: (rel) => rel in files,
    changes: () => new Map(),
  };
}

export function memIndex(files: Record<string, string>): TreeIndex {
  const facts: FileFacts[] = [];
  for (const [file, text] of Object.entries(files)) {
    if (!/\.[ch]$/.test(file)) continue;
    const parsed = parseC(text, file);
    const fns = lowerFile(parsed);
    facts.push(extractFacts(parsed, fns));
    releaseParsed(parsed);
  }
  const all = facts.flatMap((f) => f.functions);
  const bindings: Binding[] = facts.flatMap((f) => f.bindings);
  // As the real index: a function-like macro is followed as a function (any file's, here).
  const macros = new Map<string, IrFunction | null>();
  const macro = (name: string): IrFunction | null => {
    if (!macros.has(name)) {
      let fn: IrFunction | null = null;
      for (const [file, text] of Object.entries(files)) {
        const def = /\.[ch]$/.test(file) ? functionMacros(text).get(name) : undefined;
        if (def) {
          fn = macroFunction(def, file);
          break;
        }
      }
      macros.set(name, fn);
    }
    return macros.get(name)!;
  };
  const callsTo = (fn: IrFunction, name: string) => fn.blocks.some((b) => b.instrs.some((i) => i.op === 'call' && i.callee === name));
  return {
    view: memView(files),
    functions: (name) => all.filter((f) => f.name === name),
    resolve: (name, fromFile) => all.find((f) => f.name === name && f.file === fromFile) ?? all.find((f) => f.name === name && !f.isStatic) ?? all.find((f) => f.name === name) ?? macro(name),
    functionsIn: (file) => all.filter((f) => f.file === file),
    callers: (name) => all.filter((f) => callsTo(f, name)),
    struct: (name, fromFile) => {
      const all = facts.flatMap((f) => f.structs).filter((s) => s.name === name);
      return all.find((s) => s.file === fromFile) ?? all[0] ?? null;
    },
    structs: (name) => facts.flatMap((f) => f.structs).filter((s) => s.name === name),
    // As the real index: the file's own definition first (a static is private to its file).
    global: (name, fromFile) => {
      const all = facts.flatMap((f) => f.globals).filter((g) => g.name === name);
      return all.find((g) => g.file === fromFile && !g.isExtern) ?? all.find((g) => !g.isStatic && !g.isExtern) ?? all[0] ?? null;
    },
    // As the real index: the file's own #define first, then (here) any other file's.
    constant: (name, fromFile) => {
      const order = [fromFile, ...Object.keys(files).filter((f) => f !== fromFile && /\.[ch]$/.test(f))];
      for (const f of order) {
        const v = fileConstant(files[f] ?? null, name);
        if (v !== null) return v;
      }
      return null;
    },
    objectMacro: (name, fromFile) => {
      for (const f of [fromFile, ...Object.keys(files).filter((f) => f !== fromFile)]) {
        const body = /\.[ch]$/.test(f) ? objectMacros(files[f] ?? '').get(name) : undefined;
        if (body !== undefined) return body;
      }
      return null;
    },
    bindingsOf: (cb) => bindings.filter((b) => b.callback === cb),
    bindingsFor: (st, field) => bindings.filter((b) => b.struct === st && b.field === field),
    skipped: () => [],
  };
}

/** Runs the rules (one or all) over C text given as one file `t.c` or a map of files. */
export function lint(src: string | Record<string, string>, opts: { rule?: string; config?: unknown } = {}): Finding[] {
  const files = typeof src === 'string' ? { 't.c': src } : src;
  const index = memIndex(files);
  const config: Config = opts.config ? parseConfig(opts.config) : defaultConfig();
  const found = runRules({ index, files: Object.keys(files).filter((f) => f.endsWith('.c')), config });
  return opts.rule ? found.filter((f) => f.rule === opts.rule) : found;
}

/** A struct prelude most cases share. */
export const PRELUDE = `
struct mutex { int x; };
struct work_struct { int x; };
struct grp {
	struct mutex mutex;
	int count;
};
struct item {
	struct grp *grp;
	struct work_struct work;
	struct mutex lock;
};
`;

/**
 * A helper that returns with the lock of an object it looked up itself
 * (lock_timer_base() in kernel/time/timer.c), unlocked by its caller under
 * the caller's own name for it.
 */
export const RETURNS_LOCKED = `
struct spinlock { int x; };
struct tbase { struct spinlock lock; int v; };
struct tmr { int cpu; struct work_struct work; struct mutex m; };
struct tbase *base_of(int cpu);
static struct tbase *lock_base(struct tmr *t)
{
	struct tbase *b = base_of(t->cpu);

	if (!b)
		return NULL;
	spin_lock(&b->lock);
	return b;
}
void tmr_touch(struct tmr *t)
{
	struct tbase *base = lock_base(t);

	if (!base)
		return;
	base->v++;
	spin_unlock(&base->lock);
}
`;
