/**
 * Every exploration of the model is bounded; when a bound is hit on a path
 * that did not already give an answer, the result is `unknown` naming it.
 */
export interface Bounds {
  /** Threads alive at once (the entry thread, workers, timers, kthreads). */
  threads: number;
  /** Instructions executed on one path, all threads together. */
  steps: number;
  /** Times one loop head is entered within one call frame; paths with more passes are not explored (named in the summary). */
  loop: number;
  /** Call depth of one thread. */
  depth: number;
  /** Choices made on one path (branches on unknown values, pointer forks). */
  forks: number;
  /** Distinct states explored for one scenario. */
  states: number;
  /** Elements materialised for a list whose contents were never fixed. */
  listElems: number;
  /** Existing objects an unknown pointer may alias. */
  aliases: number;
  /** Objects in one state. */
  objects: number;
  /** Wall-clock budget for one finding, in milliseconds. */
  timeMs: number;
}

export const DEFAULT_BOUNDS: Bounds = {
  threads: 4,
  steps: 4000,
  loop: 3,
  depth: 20,
  forks: 64,
  states: 20000,
  listElems: 2,
  aliases: 3,
  objects: 48,
  timeMs: 4000,
};

export function withBounds(b?: Partial<Bounds>): Bounds {
  return { ...DEFAULT_BOUNDS, ...(b ?? {}) };
}
