/**
 * The C front end on hostile source: the pre-pass keeps length and line
 * breaks, parsing and lowering never throw and stay within a time bound,
 * and every position points into the file, at the text it names.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractFunctions, lowerFile, parseC } from '../../src/parse/c/api.js';
import { prepass } from '../../src/parse/c/prepass.js';
import type { IrFunction, Pos } from '../../src/parse/ir.js';
import { FIXTURE_C, nastyC, tokenSoup, truncatedC } from './c-cases.js';
import { runs, timed } from './helpers.js';

/** Offsets of every line break (\n and \r), the things the pre-pass must keep in place. */
function breaks(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) if (s[i] === '\n' || s[i] === '\r') out += `${i}${s[i] === '\n' ? 'n' : 'r'},`;
  return out;
}

/** Every position a function carries: its own, its doc comment's, and each instruction's and terminator's. */
function positions(fn: IrFunction): { pos: Pos; text: string | null; what: string }[] {
  const out: { pos: Pos; text: string | null; what: string }[] = [{ pos: fn.pos, text: null, what: `function ${fn.name}` }];
  if (fn.docComment) out.push({ pos: fn.docComment.pos, text: fn.docComment.text, what: 'doc comment' });
  for (const b of fn.blocks) {
    for (const i of b.instrs) {
      out.push({ pos: i.pos, text: i.text, what: i.op });
      for (const c of i.comments) out.push({ pos: c.pos, text: c.text, what: 'comment' });
    }
    const t = b.term;
    if ('pos' in t) out.push({ pos: t.pos, text: t.text, what: t.op });
  }
  return out;
}

/** The checks on one source text; returns how many positions were checked. */
function checkC(name: string, text: string, boundMs: number): number {
  const pre = timed(`${name}: prepass`, boundMs, () => prepass(text));
  expect(pre.text.length).toBe(text.length);
  expect(breaks(pre.text)).toBe(breaks(text));
  const fns = timed(`${name}: extractFunctions`, boundMs, () => extractFunctions(text, name));
  const lines = text.split('\n');
  let checked = 0;
  for (const fn of fns) {
    for (const { pos, text: t, what } of positions(fn)) {
      // A block the lowering never terminated carries an empty `unreachable` at line 0.
      if (what === 'unreachable' && t === '' && pos.line === 0) continue;
      const where = `${name}: ${fn.name}: ${what} at ${pos.line}:${pos.column}`;
      expect(pos.line, where).toBeGreaterThanOrEqual(1);
      expect(pos.endLine, where).toBeLessThanOrEqual(lines.length);
      expect(pos.endLine, where).toBeGreaterThanOrEqual(pos.line);
      expect(pos.column, where).toBeGreaterThanOrEqual(1);
      expect(pos.column - 1, where).toBeLessThanOrEqual(lines[pos.line - 1]!.length);
      if (t) {
        // The first word of the instruction's text is what stands at its position in the real file.
        const first = t.trimStart().split(/\s/)[0]!.slice(0, 6);
        let at = lines.slice(pos.line - 1, pos.line + 3).join('\n').slice(pos.column - 1, pos.column - 1 + 200);
        // In broken code tree-sitter puts a MISSING node where the previous token ended, so a
        // statement that starts with one begins there, before the blank that precedes its text.
        if (fn.parseErrors > 0) at = at.trimStart();
        if (first && !['return', 'switch', '}'].includes(first)) expect(at.startsWith(first), `${where}: '${first}' vs '${at.slice(0, 30)}'`).toBe(true);
      }
      checked++;
    }
  }
  return checked;
}

describe('nasty C', () => {
  for (const [name, text] of Object.entries(nastyC())) {
    it(`${name}: prepass keeps length and line breaks; lowering never throws, within 15 s; positions in range`, () => {
      checkC(name, text, 15_000);
    });
  }

  it('parseC + lowerFile of every fixture file: positions point at their text', () => {
    let checked = 0;
    for (const [name, text] of FIXTURE_C) {
      checked += checkC(name, text, 5000);
      expect(lowerFile(parseC(text, name)).length).toBeGreaterThanOrEqual(0);
    }
    expect(checked).toBeGreaterThan(200);
  });
});

describe('C properties', () => {
  it('fixture files cut at random offsets', () => {
    fc.assert(fc.property(truncatedC, ({ name, text }) => void checkC(name, text, 5000)), { numRuns: runs(60, 2000) });
  });

  it('random token soup', () => {
    fc.assert(fc.property(tokenSoup, (text) => void checkC('soup.c', text, 5000)), { numRuns: runs(150, 5000) });
  });

  it('random strings (any UTF-16, lone surrogates and NULs included)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => void checkC('rand.c', text, 5000)), { numRuns: runs(100, 3000) });
  });
});
