import { describe, expect, it } from 'vitest';
import { evalConstant, fileConstant, objectMacros } from '../../../src/parse/index/macro-values.js';

const none = () => null;

describe('evalConstant', () => {
  it('evaluates the literals and operators flags are written with', () => {
    expect(evalConstant('(1u << 2)', none)).toBe(4);
    expect(evalConstant('0x10UL', none)).toBe(16);
    expect(evalConstant('010', none)).toBe(8);
    expect(evalConstant('~0x3 & 0xff', none)).toBe(0xfc);
    expect(evalConstant('(1 << 4) | (1 << 0)', none)).toBe(17);
    expect(evalConstant('2 + 3 * 4', none)).toBe(14);
    expect(evalConstant('-1', none)).toBe(-1);
    expect(evalConstant('(__force u32)0x400u', none)).toBe(0x400);
    expect(evalConstant('(unsigned long)BIT(3)', none)).toBe(8);
    // `#define CAN_NOT_SLEEP false`: stdbool's constants, not names to look up.
    expect(evalConstant('false', none)).toBe(0);
    expect(evalConstant('(true)', none)).toBe(1);
    expect(evalConstant('!false', none)).toBe(1);
  });

  it('knows the kernel bit macros, up to bit 63', () => {
    expect(evalConstant('BIT(5)', none)).toBe(32);
    expect(evalConstant('GENMASK(7, 4)', none)).toBe(0xf0);
    expect(evalConstant('BIT_ULL(40)', none)).toBe(2 ** 40);
    expect(evalConstant('BIT_ULL(63)', none)).toBeNull(); // not a safe JavaScript integer: unknown, not wrong
    expect(evalConstant('BIT(64)', none)).toBeNull();
  });

  it('looks names up through the caller, and gives up on anything else', () => {
    const names: Record<string, number> = { A: 1, B: 4 };
    const look = (n: string) => names[n] ?? null;
    expect(evalConstant('(A | B)', look)).toBe(5);
    expect(evalConstant('A | C', look)).toBeNull();
    expect(evalConstant('sizeof(struct foo)', look)).toBeNull();
    expect(evalConstant('foo(1)', look)).toBeNull();
    expect(evalConstant('"str"', look)).toBeNull();
    expect(evalConstant('(1 <<', look)).toBeNull();
    expect(evalConstant('1 / 0', look)).toBeNull();
    expect(evalConstant('', look)).toBeNull();
  });
});

describe('object-like macros of a file', () => {
  const text = `#define LOCK_A	(1u << 0)	/* the first */
#define LOCK_B	(1u << 1)
#define LOCK_MASK	(LOCK_A | \\
			 LOCK_B)
#define FN_LIKE(x)	((x) + 1)
#define NAME	"text"
#define EMPTY
#define SELF	(SELF | 1)
#define LOOP_A	LOOP_B
#define LOOP_B	LOOP_A
`;

  it('keeps every object-like body, values and field aliases alike', () => {
    const m = objectMacros(text + '#define d_lock\td_lockref.lock\n');
    expect([...m.keys()]).toEqual(['LOCK_A', 'LOCK_B', 'LOCK_MASK', 'NAME', 'SELF', 'LOOP_A', 'LOOP_B', 'd_lock']);
    expect(m.get('d_lock')).toBe('d_lockref.lock');
    expect(m.get('LOCK_MASK')).toBe('(LOCK_A |  \t\t\t LOCK_B)');
  });

  it('evaluates through other macros of the file, and not around a cycle', () => {
    expect(fileConstant(text, 'LOCK_MASK')).toBe(3);
    expect(fileConstant(text, 'FN_LIKE')).toBeNull();
    expect(fileConstant(text, 'NAME')).toBeNull();
    expect(fileConstant(text, 'SELF')).toBeNull();
    expect(fileConstant(text, 'LOOP_A')).toBeNull();
    expect(fileConstant(null, 'LOCK_A')).toBeNull();
  });
});
