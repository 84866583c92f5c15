/**
 * comment-code-mismatch, for a comment naming a function or a struct field
 * the rule found nowhere in the tree. There are no threads to run here: the
 * claim is about the tree, so the "execution" is the lookup itself, made
 * with the index of the analysed (patched) tree. Confirmed when nothing
 * defines the name (the trace lists every lookup made); refuted when
 * something does (the summary says where).
 */
import type { TreeIndex } from '../../parse/index/types.js';
import type { Confirmation, Finding, TraceStep } from '../../report/schema.js';

export type StaleClaim = { kind: 'function'; name: string } | { kind: 'field'; base: string; struct: string; field: string };

/** The claim of a stale-name finding, read from its message (see src/rules/comment-code-mismatch.ts, part (c)). */
export function staleClaim(f: Finding): StaleClaim | null {
  let m = /^the comment names (\w+)\(\), which is not defined or used anywhere in the tree/.exec(f.message);
  if (m) return { kind: 'function', name: m[1]! };
  m = /^the comment names (\w+)->(\w+), but struct (\S+) has no field (\w+)/.exec(f.message);
  if (m) return { kind: 'field', base: m[1]!, struct: m[3]!, field: m[2]! };
  return null;
}

const LOOKUP = 'index';

function safe<T>(f: () => T, dflt: T): T {
  try {
    return f();
  } catch {
    return dflt;
  }
}

/** The finding's file and the local headers it includes (`#include "x.h"`), with their text. */
function localSources(index: TreeIndex, file: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const text = safe(() => index.view.read(file), null);
  if (text === null) return out;
  out.push({ file, text });
  const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '';
  for (const m of text.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
    const parts = (dir ? `${dir}/${m[1]}` : m[1]!).split('/');
    const norm: string[] = [];
    for (const p of parts) {
      if (p === '..') norm.pop();
      else if (p !== '.' && p !== '') norm.push(p);
    }
    const h = norm.join('/');
    const ht = safe(() => index.view.read(h), null);
    if (ht !== null) out.push({ file: h, text: ht });
  }
  return out;
}

function lineAt(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

export function confirmStaleName(index: TreeIndex, f: Finding, claim: StaleClaim): Confirmation {
  const trace: TraceStep[] = [];
  const step = (file: string, line: number, text: string): void => {
    trace.push({ thread: LOOKUP, file, line, step: text });
  };
  if (claim.kind === 'function') {
    const name = claim.name;
    const defs = safe(() => index.functions(name), []);
    step(f.file, f.line, `functions(${name}): ${defs.length ? defs.map((d) => `${d.file}:${d.pos.line}`).join(', ') : 'no definition'}`);
    if (defs.length) {
      const d = defs[0]!;
      return { status: 'refuted', summary: `${name}() is defined at ${d.file}:${d.pos.line}${defs.length > 1 ? ` (and ${defs.length - 1} more)` : ''}: the comment names a function that exists`, trace };
    }
    const g = safe(() => index.global(name, f.file), null);
    step(f.file, f.line, `global(${name}): ${g ? `${g.file}:${g.pos.line}${g.isExtern ? ' (extern declaration)' : ''}` : 'no declaration'}`);
    if (g) {
      return { status: 'refuted', summary: `${name} is declared at ${g.file}:${g.pos.line} (${g.type}): the comment names something that exists`, trace };
    }
    for (const src of localSources(index, f.file)) {
      const m = new RegExp(`^[ \\t]*#[ \\t]*define[ \\t]+${name}\\b`, 'm').exec(src.text);
      step(src.file, m ? lineAt(src.text, m.index) : 1, `#define ${name} in ${src.file}: ${m ? 'found' : 'none'}`);
      if (m) {
        const line = lineAt(src.text, m.index);
        return { status: 'refuted', summary: `${name}() is a macro defined at ${src.file}:${line}: the comment names something that exists`, trace };
      }
    }
    return {
      status: 'confirmed',
      summary: `nothing in the tree defines ${name}(): no function, no global, no macro in ${f.file} or its local headers (the comment refers to a name that no longer exists)`,
      trace,
    };
  }
  const { struct, field, base } = claim;
  const sd = safe(() => index.struct(struct, f.file), null);
  if (!sd) {
    step(f.file, f.line, `struct(${struct}): no definition`);
    return { status: 'unknown', summary: `the model could not find the definition of struct ${struct} to check ${base}->${field} against`, trace };
  }
  const names = sd.fields.map((x) => x.name);
  const hit = sd.fields.find((x) => x.name === field);
  step(sd.file, sd.pos.line, `struct(${struct}) at ${sd.file}:${sd.pos.line}: ${names.length} fields${hit ? `, ${field} at line ${hit.pos.line}` : `, none named ${field}`}`);
  if (hit) {
    return { status: 'refuted', summary: `struct ${struct} (${sd.file}:${sd.pos.line}) has a field ${field} at line ${hit.pos.line}: the comment names a field that exists`, trace };
  }
  // Another definition of the tag (a header variant) may still have it.
  const other = safe(() => index.struct(struct), null);
  if (other && (other.file !== sd.file || other.pos.line !== sd.pos.line)) {
    const h2 = other.fields.find((x) => x.name === field);
    step(other.file, other.pos.line, `struct(${struct}) at ${other.file}:${other.pos.line}: ${h2 ? `${field} at line ${h2.pos.line}` : `none named ${field}`}`);
    if (h2) {
      return { status: 'refuted', summary: `struct ${struct} as defined at ${other.file}:${other.pos.line} has a field ${field} (line ${h2.pos.line})`, trace };
    }
  }
  const near = names.filter((n) => n.includes(field) || field.includes(n)).slice(0, 3);
  return {
    status: 'confirmed',
    summary: `struct ${struct} (${sd.file}:${sd.pos.line}) has no field ${field}${near.length ? ` (closest: ${near.join(', ')})` : ''}: ${base}->${field} in the comment names a field that no longer exists`,
    trace,
  };
}
