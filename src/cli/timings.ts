/**
 * The writer side of the KREVIEW_TIMINGS contract (bench/README.md; the
 * reader is bench/timings.ts): per-phase times of an analysing command,
 * written as one JSON object to the file the variable names when the
 * command ends.
 *
 * The sums live in a SharedArrayBuffer handed to every worker thread through
 * the environment data, so the workers of `check --jobs` and `scan --jobs`
 * add to the same totals without any command passing them back: a worker
 * records synchronously before its task returns, so once the main thread has
 * every result, the sums are complete.
 *
 * Where each phase comes from (all milliseconds, summed over threads):
 * - parse, lower: the index's own parseMs and lowerMs (src/parse/index),
 *   whenever they happened (loading, rule lookups, the model's lookups);
 * - index: the index's search time (grepMs: text searches and the declaration
 *   index) plus the part of loading the files under review that is not parse
 *   or lower (reading, hashing, cache reads and writes);
 * - rules: runRules' wall time minus the parse, lower and search it caused;
 * - model: each finding's confirmation, minus the same; the slowest scenario
 *   is measured the same way, so it never exceeds `model`;
 * - cache: hits = files read from the disk cache or found in memory, loaded by an earlier batch of the thread; misses = files parsed.
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { getEnvironmentData, setEnvironmentData } from 'node:worker_threads';
import type { Io } from './io.js';

export type Phase = 'parse' | 'lower' | 'index' | 'rules' | 'model';

export interface SlowestScenario {
  ms: number;
  rule?: string;
  function?: string;
  file?: string;
  finding?: string;
  status?: string;
  /** States the model explored, when its summary says. */
  states?: number;
}

export interface Timings {
  version: 1;
  parse: number;
  lower: number;
  index: number;
  rules: number;
  model: number;
  wall: number;
  slowestScenario: SlowestScenario | null;
  cache: { hits: number; misses: number };
}

const KEY = 'kreview:timings';
const PHASES: Phase[] = ['parse', 'lower', 'index', 'rules', 'model'];
// Layout: an Int32 lock, then Float64 slots (the phases, cache hits and
// misses, the slowest scenario's ms), then the slowest scenario as JSON.
const SLOT = { hits: 5, misses: 6, slowest: 7 } as const;
const FLOATS_AT = 8;
const FLOATS = 8;
const TEXT_LEN_AT = FLOATS_AT + FLOATS * 8;
const TEXT_AT = TEXT_LEN_AT + 4;
const TEXT_MAX = 4096;

const shared = sharedBuffer();
const lock = new Int32Array(shared, 0, 1);
const sums = new Float64Array(shared, FLOATS_AT, FLOATS);
const textLen = new Uint32Array(shared, TEXT_LEN_AT, 1);
const text = new Uint8Array(shared, TEXT_AT, TEXT_MAX);

function sharedBuffer(): SharedArrayBuffer {
  const inherited = getEnvironmentData(KEY);
  if (inherited instanceof SharedArrayBuffer) return inherited;
  const sab = new SharedArrayBuffer(TEXT_AT + TEXT_MAX);
  // Workers started from now on (piscina pools) inherit it.
  setEnvironmentData(KEY, sab);
  new Float64Array(sab, FLOATS_AT, FLOATS)[SLOT.slowest] = -1;
  return sab;
}

function locked(fn: () => void): void {
  while (Atomics.compareExchange(lock, 0, 0, 1) !== 0) Atomics.wait(lock, 0, 1, 1);
  try {
    fn();
  } finally {
    Atomics.store(lock, 0, 0);
    Atomics.notify(lock, 0, 1);
  }
}

/** Zero the sums: the start of a command (tests run several in one process). */
export function resetTimings(): void {
  locked(() => {
    sums.fill(0);
    sums[SLOT.slowest] = -1;
    textLen[0] = 0;
  });
}

export function recordPhase(phase: Phase, ms: number): void {
  if (!(ms > 0)) return;
  locked(() => {
    sums[PHASES.indexOf(phase)]! += ms;
  });
}

export function recordCache(hits: number, misses: number): void {
  if (hits <= 0 && misses <= 0) return;
  locked(() => {
    sums[SLOT.hits]! += Math.max(0, hits);
    sums[SLOT.misses]! += Math.max(0, misses);
  });
}

/** Keeps the scenario if it is the slowest so far (any thread). */
export function recordScenario(s: SlowestScenario): void {
  if (!(s.ms >= 0)) return;
  locked(() => {
    if (s.ms <= sums[SLOT.slowest]!) return;
    const bytes = new TextEncoder().encode(JSON.stringify(s));
    if (bytes.length > TEXT_MAX) return;
    sums[SLOT.slowest] = s.ms;
    text.set(bytes);
    textLen[0] = bytes.length;
  });
}

/** The contract's object, with `wall` given by the caller. */
export function currentTimings(wallMs: number): Timings {
  let out!: Timings;
  locked(() => {
    const slowest = sums[SLOT.slowest]! >= 0 && textLen[0]! > 0
      ? (JSON.parse(new TextDecoder().decode(text.slice(0, textLen[0]!))) as SlowestScenario)
      : null;
    out = {
      version: 1,
      parse: round(sums[0]!),
      lower: round(sums[1]!),
      index: round(sums[2]!),
      rules: round(sums[3]!),
      model: round(sums[4]!),
      wall: round(Math.max(0, wallMs)),
      slowestScenario: slowest ? { ...slowest, ms: round(slowest.ms) } : null,
      cache: { hits: sums[SLOT.hits]!, misses: sums[SLOT.misses]! },
    };
  });
  return out;
}

function round(ms: number): number {
  return Math.round(Math.max(0, ms) * 10) / 10;
}

/** Writes the timings when KREVIEW_TIMINGS names a file; a failure is one warning, never an error. */
export function writeTimings(io: Io, wallMs: number): void {
  const file = io.env.KREVIEW_TIMINGS;
  if (!file) return;
  try {
    writeFileSync(file, JSON.stringify(currentTimings(wallMs), null, 2) + '\n');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    io.stderr(`kreview: warning: cannot write the timings to ${file} (KREVIEW_TIMINGS): ${why}\n`);
  }
}

/** Runs an analysing command with fresh sums and writes the timings when it ends, however it ends. */
export async function timed<T>(io: Io, command: () => Promise<T>): Promise<T> {
  resetTimings();
  const t0 = performance.now();
  try {
    return await command();
  } finally {
    writeTimings(io, performance.now() - t0);
  }
}

/** What an index reports (src/parse/index/index.ts IndexStats), read loosely: its shape may grow. */
interface IndexStatsLike {
  parsed?: number;
  parseMs?: number;
  lowerMs?: number;
  cache?: { diskHits?: number; sharedHits?: number };
  search?: { grepMs?: number };
}

interface Seen {
  parsed: number;
  parseMs: number;
  lowerMs: number;
  diskHits: number;
  grepMs: number;
}

const seen = new WeakMap<object, Seen>();

/**
 * Records what an index did since the last call for it (parse, lower,
 * search, cache) and returns those milliseconds, for the caller to take off
 * the wall time of its own phase.
 */
export function settleIndex(index: object): number {
  const stats = (index as { stats?: () => IndexStatsLike }).stats;
  if (typeof stats !== 'function') return 0;
  const s = stats.call(index);
  const now: Seen = {
    parsed: s.parsed ?? 0,
    parseMs: s.parseMs ?? 0,
    lowerMs: s.lowerMs ?? 0,
    diskHits: (s.cache?.diskHits ?? 0) + (s.cache?.sharedHits ?? 0),
    grepMs: s.search?.grepMs ?? 0,
  };
  const before = seen.get(index) ?? { parsed: 0, parseMs: 0, lowerMs: 0, diskHits: 0, grepMs: 0 };
  seen.set(index, now);
  const parse = now.parseMs - before.parseMs;
  const lower = now.lowerMs - before.lowerMs;
  const grep = now.grepMs - before.grepMs;
  recordPhase('parse', parse);
  recordPhase('lower', lower);
  recordPhase('index', grep);
  recordCache(now.diskHits - before.diskHits, now.parsed - before.parsed);
  return Math.max(0, parse) + Math.max(0, lower) + Math.max(0, grep);
}
