/**
 * Parse results of one file (functions, structs, globals, bindings) kept
 * between runs, keyed by a hash of the file's path and text and of the code
 * that produced them, so an edit to the C front end or the extractor never
 * serves stale facts. Disk entries are gzipped JSON (JSON.parse beats
 * v8.deserialize on this data, and gzip -1 makes it 6x smaller for little
 * time), written atomically
 * (temporary file + rename) and a corrupt one is treated as a miss and
 * overwritten. A byte-weighted LRU in memory sits on top.
 *
 * Each function's blocks are stored as a JSON string of their own and parsed
 * on first use: a file is loaded for one callee or one struct far more often
 * than for all its functions, and on a large tree parsing every block of
 * every reached file was most of the index's time and memory.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { LRUCache } from 'lru-cache';
import type { FileFacts } from './extract.js';
import type { IrFunction } from '../ir.js';

/** Bump when FileFacts changes shape in a way the code stamp would not catch. */
export const CACHE_FORMAT = 3;

/**
 * `KREVIEW_NO_CACHE=1` disables it; `KREVIEW_CACHE_DIR` overrides the
 * place; else `$XDG_CACHE_HOME/kreview` or `~/.cache/kreview`.
 */
export function cacheDirFromEnv(env: NodeJS.ProcessEnv): string | null {
  if (env.KREVIEW_NO_CACHE && env.KREVIEW_NO_CACHE !== '0') return null;
  if (env.KREVIEW_CACHE_DIR) return env.KREVIEW_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'kreview');
  const home = env.HOME || homedir();
  return home ? join(home, '.cache', 'kreview') : null;
}

let stampMemo: string | null = null;

/**
 * A hash of the package version and of the sources that shape the facts:
 * the C front end and the extractor (whatever their extension: .ts under the
 * test runner, .js when built), read once per process.
 */
export function codeStamp(): string {
  if (stampMemo) return stampMemo;
  const h = createHash('sha1');
  h.update(`format ${CACHE_FORMAT}\n`);
  const here = dirname(fileURLToPath(import.meta.url));
  h.update(`version ${packageVersion(here)}\n`);
  // What shapes the facts: the C front end, the IR, the extractor and its
  // helpers, and this file's encoding. Not the index's lookups (index.ts,
  // files.ts, ...): editing those must not throw away a whole tree's parse.
  const FACTS = /^(?:extract|types|types-of|ctype|cache)\.(?:js|ts)$/;
  for (const [dir, only] of [[here, FACTS], [join(here, '..', 'c'), null], [join(here, '..'), /^(?:ir|expr-text)\.(?:js|ts)$/]] as const) {
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((n) => /\.(?:js|ts)$/.test(n) && !n.endsWith('.d.ts') && (!only || only.test(n))).sort();
    } catch {
      continue;
    }
    for (const n of names) {
      try {
        h.update(n);
        h.update(readFileSync(join(dir, n)));
      } catch {
        // A file that vanished between readdir and read changes nothing we can know.
      }
    }
  }
  stampMemo = h.digest('hex').slice(0, 16);
  return stampMemo;
}

function packageVersion(from: string): string {
  let dir = from;
  for (let i = 0; i < 8; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'kreview') return String(pkg.version);
    } catch {
      // keep walking up
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return '0.0.0';
}

export interface CacheStats {
  memHits: number;
  /** Memory hits on entries another cache of the thread put there (a parse this cache did not have to do). */
  sharedHits: number;
  diskHits: number;
  misses: number;
  writes: number;
  corrupt: number;
}

export interface FactsCacheOptions {
  /** Directory for disk entries; null keeps the cache in memory only. */
  dir: string | null;
  /**
   * Budget of the memory LRU, in bytes of the facts as JSON (default 192 MiB,
   * about 500 MB of heap). Weighing entries by their source size, as before,
   * let the LRU hold 0.7 GB of one check batch's 1 GB heap.
   */
  memBytes?: number;
  /** Overrides the code stamp (tests). */
  stamp?: string;
  /** Use the thread's shared memory LRU (its budget is the first sharer's) instead of one of its own. */
  shared?: boolean;
}

export class FactsCache {
  readonly dir: string | null;
  readonly stats: CacheStats = { memHits: 0, sharedHits: 0, diskHits: 0, misses: 0, writes: 0, corrupt: 0 };
  private readonly lru: Lru;
  /** Keys this cache has put in or served, to tell a shared hit from a repeated one. */
  private readonly own = new Set<string>();
  private readonly stamp: string;
  private readonly madeDirs = new Set<string>();

  constructor(opts: FactsCacheOptions) {
    this.dir = opts.dir ? join(opts.dir, `facts-v${CACHE_FORMAT}`) : null;
    const budget = opts.memBytes ?? 192 * 1024 * 1024;
    if (opts.shared) {
      shared ??= newLru(budget);
      this.lru = shared;
    } else this.lru = newLru(budget);
    this.stamp = opts.stamp ?? codeStamp();
  }

  key(file: string, text: string): string {
    return createHash('sha1').update(this.stamp).update('\0').update(file).update('\0').update(text).digest('hex');
  }

  get(key: string): FileFacts | undefined {
    const m = this.lru.get(key);
    if (m) {
      this.stats.memHits++;
      if (!this.own.has(key)) {
        this.own.add(key);
        this.stats.sharedHits++;
      }
      return m;
    }
    if (this.dir) {
      const path = this.pathOf(key);
      let buf: Buffer | null = null;
      try {
        buf = readFileSync(path);
      } catch {
        buf = null;
      }
      if (buf) {
        const d = decode(buf);
        if (d) {
          this.stats.diskHits++;
          this.remember(key, d.facts, d.bytes);
          return d.facts;
        }
        this.stats.corrupt++;
      }
    }
    this.stats.misses++;
    return undefined;
  }

  /** `sourceBytes`: the size of the file's text, to estimate the facts' weight without a disk entry to measure. */
  set(key: string, facts: FileFacts, sourceBytes: number): void {
    if (!this.dir) {
      this.remember(key, facts, sourceBytes * FACTS_PER_SOURCE_BYTE);
      return;
    }
    const json = encode(facts);
    this.remember(key, facts, json.length);
    const path = this.pathOf(key);
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      const sub = dirname(path);
      if (!this.madeDirs.has(sub)) {
        mkdirSync(sub, { recursive: true });
        this.madeDirs.add(sub);
      }
      writeFileSync(tmp, gzipSync(json, { level: 1 }));
      renameSync(tmp, path);
      this.stats.writes++;
    } catch {
      // The cache is an optimisation: a read-only or full disk must not fail the analysis.
      try {
        unlinkSync(tmp);
      } catch {
        // nothing was written
      }
    }
  }

  pathOf(key: string): string {
    return join(this.dir ?? '', key.slice(0, 2), `${key}.json.gz`);
  }

  private remember(key: string, facts: FileFacts, weight: number): void {
    this.own.add(key);
    this.lru.set(key, facts, { size: Math.max(1, Math.round(weight)) });
  }

}

/** Least recently used facts, weighed in bytes. */
/** Byte-weighted: a file's facts are kept by the size of their JSON, not counted as one. */
type Lru = LRUCache<string, FileFacts>;

function newLru(budget: number): Lru {
  // An entry over the whole budget is not kept at all; files over limits.maxFileBytes are never parsed, so none comes near.
  return new LRUCache<string, FileFacts>({ maxSize: budget });
}

/**
 * The memory LRU shared by the caches that ask for it (one per thread): the
 * batches of a large check run one after another on a thread, and each
 * reaches the same headers and core files. Entries are keyed by content, so
 * sharing them cannot change what a batch sees.
 */
let shared: Lru | null = null;

/** What goes to disk: the facts with each function's blocks as a string of JSON. */
interface Stored {
  format: number;
  facts: Omit<FileFacts, 'functions'> & { functions: (Omit<IrFunction, 'blocks'> & { blocks: string })[] };
}

function encode(facts: FileFacts): string {
  const functions = facts.functions.map((fn) => ({ ...fn, blocks: JSON.stringify(fn.blocks) }));
  const v: Stored = { format: CACHE_FORMAT, facts: { ...facts, functions } };
  return JSON.stringify(v);
}

/** The blocks text of a function not yet parsed, for a cheap "does it mention X" test. */
const pending = new WeakMap<IrFunction, string>();

/**
 * Whether `fn` may contain `needle` in its blocks: answered from the stored
 * text while the blocks are still unparsed, true otherwise.
 */
export function blocksMayMention(fn: IrFunction, needle: string): boolean {
  const text = pending.get(fn);
  return text === undefined || text.includes(needle);
}

function lazyBlocks(fn: Omit<IrFunction, 'blocks'> & { blocks: unknown }, text: string): IrFunction {
  const out = fn as IrFunction;
  pending.set(out, text);
  Object.defineProperty(out, 'blocks', {
    configurable: true,
    enumerable: true,
    get(): IrFunction['blocks'] {
      let blocks: IrFunction['blocks'] = [];
      try {
        blocks = JSON.parse(text) as IrFunction['blocks'];
      } catch {
        // Inside a gzip stream whose checksum held: not reachable short of a bug; an empty body beats a crash.
      }
      Object.defineProperty(out, 'blocks', { value: blocks, writable: true, enumerable: true, configurable: true });
      pending.delete(out);
      return blocks;
    },
  });
  return out;
}

/** Facts as JSON are about 5x the C they come from (dm-thin.c 6.8x, workqueue.c 5.1x, a header 1.7x). */
const FACTS_PER_SOURCE_BYTE = 5;

function decode(buf: Buffer): { facts: FileFacts; bytes: number } | null {
  try {
    const text = gunzipSync(buf).toString('utf8');
    const v = JSON.parse(text) as Partial<Stored>;
    const f = v?.facts;
    if (v?.format !== CACHE_FORMAT || !f || typeof f.file !== 'string') return null;
    if (!Array.isArray(f.functions) || !Array.isArray(f.structs) || !Array.isArray(f.globals) || !Array.isArray(f.bindings)) return null;
    if (!f.functions.every((fn) => fn && typeof fn.blocks === 'string' && typeof fn.name === 'string')) return null;
    const functions = f.functions.map((fn) => lazyBlocks(fn, fn.blocks));
    return { facts: { ...f, functions }, bytes: text.length };
  } catch {
    return null;
  }
}
