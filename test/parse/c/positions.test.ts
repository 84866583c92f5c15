import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { collapse, lineStarts, posOf } from '../../../src/parse/c/positions.js';

describe('collapse', () => {
  it('equals collapsing every \\s run and trimming, for any text', () => {
    const piece = fc.constantFrom(
      'a', 'b_1', '->', '(', ' ', '  ', '\t', '\n', '\r\n', '\v', '\f', ' \t ', '\u00a0', '\u2028', '\ufeff', 'é', '\x01', '\x1f',
      '\x7f', '"x y"',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 16 }), (parts) => {
        const t = parts.join('');
        expect(collapse(t)).toBe(t.replace(/\s+/g, ' ').trim());
      }),
      { numRuns: 2000 },
    );
  });

  it('returns text that needs nothing unchanged and collapses the rest', () => {
    expect(collapse('spin_lock(&x->lock)')).toBe('spin_lock(&x->lock)');
    expect(collapse('a = b')).toBe('a = b');
    expect(collapse(' a\n\t  b ')).toBe('a b');
    expect(collapse('')).toBe('');
    expect(collapse(' ')).toBe('');
  });
});

describe('lineStarts and posOf', () => {
  it('answers for each text even when asked about several in turn', () => {
    const a = 'ab\ncd\n';
    const b = 'x\n\ny';
    expect(lineStarts(a)).toEqual([0, 3, 6]);
    expect(lineStarts(b)).toEqual([0, 2, 3]);
    expect(lineStarts(a)).toEqual([0, 3, 6]);
    expect(lineStarts(a.slice(0, 3))).toEqual([0, 3]);
  });

  it('gives 1-based lines and columns with an exclusive end column', () => {
    const t = 'int a;\n\tfoo(a);\n';
    const s = lineStarts(t);
    const at = t.indexOf('foo');
    expect(posOf(s, at, at + 6)).toEqual({ line: 2, column: 2, endLine: 2, endColumn: 8 });
    expect(posOf(s, 0, t.length)).toEqual({ line: 1, column: 1, endLine: 3, endColumn: 1 });
    expect(posOf(s, at, at)).toEqual({ line: 2, column: 2, endLine: 2, endColumn: 2 });
  });
});
