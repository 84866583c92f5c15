/**
 * A small in-memory TreeIndex over C snippets, lowered by the real front end
 * (src/parse/c) and read by the real fact extractor, and a finding builder.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lowerFile, parseC, releaseParsed } from '../../src/parse/c/api.js';
import { extractFacts, type FileFacts } from '../../src/parse/index/extract.js';
import type { IrFunction } from '../../src/parse/ir.js';
import type { Binding, TreeIndex } from '../../src/parse/index/types.js';
import type { TreeView } from '../../src/parse/tree.js';
import type { Finding, Related } from '../../src/report/schema.js';

function overlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
}

export function memIndex(files: Record<string, string>): TreeIndex & { facts: FileFacts[] } {
  const facts: FileFacts[] = [];
  for (const [file, text] of Object.entries(files)) {
    const parsed = parseC(text, file);
    const fns = lowerFile(parsed);
    facts.push(extractFacts(parsed, fns));
    releaseParsed(parsed);
  }
  const view: TreeView = {
    root: '/nonexistent-kreview-model',
    read: (p) => files[p] ?? null,
    exists: (p) => p in files,
    changes: () => new Map(),
  };
  const allFns = (): IrFunction[] => facts.flatMap((f) => f.functions);
  const allBindings = (): Binding[] => facts.flatMap((f) => f.bindings);
  return {
    facts,
    view,
    functions: (name) => allFns().filter((f) => f.name === name),
    resolve: (name, fromFile) => {
      const defs = allFns().filter((f) => f.name === name);
      return defs.find((f) => f.file === fromFile) ?? defs.find((f) => !f.isStatic) ?? defs[0] ?? null;
    },
    functionsIn: (file) => allFns().filter((f) => f.file === file),
    callers: (name) => allFns().filter((f) => f.blocks.some((b) => b.instrs.some((i) => i.op === 'call' && i.callee === name))),
    struct: (name) => facts.flatMap((f) => f.structs).find((s) => s.name === name) ?? null,
    global: (name) => facts.flatMap((f) => f.globals).find((g) => g.name === name) ?? null,
    bindingsOf: (cb) => allBindings().filter((b) => b.callback === cb),
    bindingsFor: (struct, field) => allBindings().filter((b) => b.struct === struct && b.field !== null && overlap(b.field, field)),
    skipped: () => [],
  };
}

export function fixture(name: string): string {
  return readFileSync(join(import.meta.dirname, '../../fixtures/model', name), 'utf8');
}

/** The 1-based line of the first line containing `needle` (after `after`, if given). */
export function lineOf(text: string, needle: string, after?: string): number {
  const lines = text.split('\n');
  let start = 0;
  if (after) start = lines.findIndex((l) => l.includes(after));
  const i = lines.findIndex((l, k) => k >= start && l.includes(needle));
  if (i < 0) throw new Error(`no line with ${needle}`);
  return i + 1;
}

export function finding(p: {
  rule: Finding['rule'];
  file: string;
  line: number;
  function: string;
  lock?: string | null;
  message?: string;
  related?: Related[];
}): Finding {
  return {
    id: 'test',
    rule: p.rule,
    severity: 'error',
    file: p.file,
    line: p.line,
    column: 1,
    function: p.function,
    lock: p.lock ?? null,
    message: p.message ?? '',
    patch: null,
    related: p.related ?? [],
    confirmation: { status: 'unknown', summary: '', trace: [] },
  };
}
