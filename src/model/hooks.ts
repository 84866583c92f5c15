/**
 * The iterator hook: machine.ts runs `foreach` terminators, primitives.ts
 * (beside the list model) knows what the iterator macros mean. A separate
 * module so neither imports the other's values at load time.
 */
import type { Terminator } from '../parse/ir.js';
import type { Exec } from './machine.js';
import type { Value } from './values.js';

export type ForeachTerm = Extract<Terminator, { op: 'foreach' }>;

export const foreachImpl: {
  items(x: Exec, term: ForeachTerm): Value[] | null;
  bind(x: Exec, term: ForeachTerm, cur: Value, next: Value | undefined): void;
} = {
  items: () => null,
  bind: () => undefined,
};
