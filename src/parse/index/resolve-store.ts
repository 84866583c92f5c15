/**
 * Where names resolve (index.resolve() beyond the calling file), per tree
 * state, for every index of the thread and kept on disk between runs. A
 * lint of one patch resolves some 2,500 names from the files its callees
 * live in, each a search of the declaration table and a look at the
 * candidates' text; the answers depend only on the tree and on this code, so
 * the next run over the same commit takes them from here.
 *
 * The state is the tree's root, HEAD, the files that differ from HEAD with
 * their inode, size and mtime, and the index's options; the code stamp
 * covers the facts and the lookups that answer. An answer is a definition's
 * file and line, a function-like macro with its file, or "nothing"; the
 * values of named constants (`#define`s) are kept the same way.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { codeStamp } from './cache.js';

import type { MacroDef } from './index.js';

/** A definition's file and line; a function-like macro and where it is; or nothing. */
export type Answer = { file: string; line: number } | { file: string; macro: MacroDef } | false;

const FORMAT = 2;
/** Answers kept per state in memory: beyond this a whole-tree check keeps resolving, but stops remembering. */
const MAX_ANSWERS = 400_000;
/** A thread that keeps finding new answers (check's batches) writes them at most this often. */
const WRITE_EVERY_MS = 60_000;

const Stored = z.object({
  format: z.literal(FORMAT),
  state: z.string(),
  shard: z.string(),
  answers: z.array(
    z.union([
      z.tuple([z.string()]),
      z.tuple([z.string(), z.string(), z.number().int()]),
      z.tuple([z.string(), z.string(), z.number().int(), z.array(z.string()), z.string()]),
    ]),
  ),
  /** Named constants (`#define`) by calling file: their value, or null. */
  constants: z.array(z.tuple([z.string(), z.number().nullable()])),
});
type StoredAnswer = z.infer<typeof Stored>['answers'][number];

let stampMemo: string | null = null;

/** The facts' code stamp and the sources of the lookups that answer (the index and its searches). */
function stamp(): string {
  if (stampMemo) return stampMemo;
  const h = createHash('sha1').update(`resolve ${FORMAT}\n${codeStamp()}\n`);
  const here = dirname(fileURLToPath(import.meta.url));
  let names: string[] = [];
  try {
    names = readdirSync(here)
      .filter((n) => /^(?:index|files|line-table|text-scan|resolve-store)\.(?:js|ts)$/.test(n))
      .sort();
  } catch {
    names = [];
  }
  for (const n of names) {
    try {
      h.update(n).update(readFileSync(join(here, n)));
    } catch {
      // gone between readdir and read: nothing to hash
    }
  }
  stampMemo = h.digest('hex').slice(0, 16);
  return stampMemo;
}

interface Shard {
  answers: Map<string, Answer>;
  constants: Map<string, number | null>;
  added: number;
}

/**
 * Answers are kept per directory of the asking file (`drivers/iommu`,
 * `include/linux`, `fs/xfs/libxfs`): a whole-tree check leaves answers for
 * every directory,
 * and a lint that asks from a few hundred files then reads those
 * directories' answers only (one file of 5.6 MB, read whole, made lint
 * slower than asking the index again).
 */
function shardOf(fromFile: string): string {
  const i = fromFile.lastIndexOf('/');
  return i < 0 ? '.' : fromFile.slice(0, i);
}

export class ResolveStore {
  private readonly shards = new Map<string, Shard>();
  /** Answers and constants held, over every shard: the cap. */
  private held = 0;
  private lastWrite = 0;
  /** The state's directory of shard files, or null when nothing is kept on disk. */
  private readonly base: string | null;

  private constructor(
    dir: string | null,
    readonly state: string,
  ) {
    const name = createHash('sha1').update(`${stamp()}\0${state}`).digest('hex');
    this.base = dir ? join(dir, `resolve-v${FORMAT}`, name.slice(0, 2), name) : null;
  }

  private static open = new Map<string, ResolveStore>();

  /** The thread's store for a tree state (a few states at most are kept open: tests make many trees). */
  static for(dir: string | null, state: string): ResolveStore {
    const k = `${dir ?? ''}\0${state}`;
    let s = ResolveStore.open.get(k);
    if (!s) {
      if (ResolveStore.open.size >= 4) ResolveStore.open.delete(ResolveStore.open.keys().next().value!);
      s = new ResolveStore(dir, state);
      ResolveStore.open.set(k, s);
    }
    return s;
  }

  /** Forgets the thread's open stores: the next index reads them from disk again (tests). */
  static closeAll(): void {
    ResolveStore.open.clear();
  }

  get(fromFile: string, name: string): Answer | undefined {
    return this.shard(fromFile).answers.get(`${fromFile}\0${name}`);
  }

  set(fromFile: string, name: string, a: Answer): void {
    this.put(fromFile, name, (sh) => sh.answers, a);
  }

  constant(fromFile: string, name: string): number | null | undefined {
    return this.shard(fromFile).constants.get(`${fromFile}\0${name}`);
  }

  setConstant(fromFile: string, name: string, v: number | null): void {
    this.put(fromFile, name, (sh) => sh.constants, v);
  }

  /** The first answer to a question stays; past the cap, nothing more is kept. */
  private put<V>(fromFile: string, name: string, table: (sh: Shard) => Map<string, V>, v: V): void {
    const sh = this.shard(fromFile);
    const m = table(sh);
    const k = `${fromFile}\0${name}`;
    if (this.held >= MAX_ANSWERS || m.has(k)) return;
    m.set(k, v);
    sh.added++;
    this.held++;
  }

  /** Writes the shards with answers found since the last write: always the first time, then at most once a minute. */
  flush(now = Date.now()): void {
    if (!this.base || (this.lastWrite && now - this.lastWrite < WRITE_EVERY_MS)) return;
    let wrote = false;
    for (const [key, sh] of this.shards) {
      if (!sh.added) continue;
      const answers: StoredAnswer[] = [];
      for (const [k, a] of sh.answers) {
        answers.push(a === false ? [k] : 'macro' in a ? [k, a.file, a.macro.line, a.macro.params, a.macro.body] : [k, a.file, a.line]);
      }
      const body = JSON.stringify({ format: FORMAT, state: this.state, shard: key, answers, constants: [...sh.constants] });
      if (writeAtomically(this.pathOf(key), gzipSync(body, { level: 1 }))) sh.added = 0;
      wrote = true;
    }
    if (wrote) this.lastWrite = now;
  }

  private pathOf(shard: string): string {
    return join(this.base!, `${createHash('sha1').update(shard).digest('hex').slice(0, 16)}.json.gz`);
  }

  private shard(fromFile: string): Shard {
    const key = shardOf(fromFile);
    let sh = this.shards.get(key);
    if (!sh) {
      sh = { answers: new Map(), constants: new Map(), added: 0 };
      this.shards.set(key, sh);
      if (this.base) this.load(key, sh);
    }
    return sh;
  }

  private load(key: string, sh: Shard): void {
    let buf: Buffer;
    try {
      buf = readFileSync(this.pathOf(key));
    } catch {
      return;
    }
    try {
      const parsed = Stored.safeParse(JSON.parse(gunzipSync(buf).toString('utf8')));
      // A corrupt file, or one of another state or shard under the same name: start afresh (the next flush replaces it).
      if (!parsed.success || parsed.data.state !== this.state || parsed.data.shard !== key) return;
      for (const a of parsed.data.answers) {
        if (a.length === 1) sh.answers.set(a[0], false);
        else if (a.length === 3) sh.answers.set(a[0], { file: a[1], line: a[2] });
        else sh.answers.set(a[0], { file: a[1], macro: { name: a[0].slice(a[0].indexOf('\0') + 1), params: a[3], body: a[4], line: a[2] } });
      }
      for (const [k, v] of parsed.data.constants) sh.constants.set(k, v);
      this.held += sh.answers.size + sh.constants.size;
    } catch {
      return;
    }
  }
}

/** Temporary file and rename; false when the disk refuses (the answers stay in memory, the run goes on). */
function writeAtomically(path: string, data: Buffer): boolean {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, path);
    return true;
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
    return false;
  }
}
