/**
 * Control signals thrown while one thread takes a step. A step is re-run
 * from the state before it for each option of a choice, so nothing a step
 * did before throwing is kept.
 */
import type { State } from './state.js';

export interface ChoiceOption {
  label: string;
  apply(s: State): void;
}

/** The step needs an answer about an unconstrained value: explore each option. */
export class NeedChoice {
  constructor(readonly labels: string[]) {}
}

/** A bound was hit: the path stops and the scenario's answer can at best be `unknown`. */
export class BoundHit {
  /** `soft`: a background thread's loop (a kthread polling loop) was cut; the answer may still be a refutation. */
  constructor(
    readonly bound: string,
    readonly soft = false,
  ) {}
}

/** The path cannot happen in a correct kernel (NULL dereference of a pointer the code assumes valid). */
export class Infeasible {
  constructor(readonly why: string) {}
}

/** The model cannot run this code; the path stops with the reason. */
export class Unmodelled {
  constructor(readonly why: string) {}
}
