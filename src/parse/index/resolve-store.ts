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

const FORMAT = 1;
/** Answers kept per state: beyond this a whole-tree check keeps resolving, but stops remembering. */
const MAX_ANSWERS = 400_000;
/** A thread that keeps finding new answers (check's batches) writes them at most this often. */
const WRITE_EVERY_MS = 60_000;

const Stored = z.object({
  format: z.literal(FORMAT),
  state: z.string(),
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

export class ResolveStore {
  private readonly answers = new Map<string, Answer>();
  private readonly constants = new Map<string, number | null>();
  private added = 0;
  private lastWrite = 0;
  private readonly path: string | null;

  private constructor(
    dir: string | null,
    readonly state: string,
  ) {
    const name = createHash('sha1').update(`${stamp()}\0${state}`).digest('hex');
    this.path = dir ? join(dir, `resolve-v${FORMAT}`, name.slice(0, 2), `${name}.json.gz`) : null;
    this.load();
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
    return this.answers.get(`${fromFile}\0${name}`);
  }

  set(fromFile: string, name: string, a: Answer): void {
    const k = `${fromFile}\0${name}`;
    if (this.answers.size >= MAX_ANSWERS || this.answers.has(k)) return;
    this.answers.set(k, a);
    this.added++;
  }

  constant(fromFile: string, name: string): number | null | undefined {
    return this.constants.get(`${fromFile}\0${name}`);
  }

  setConstant(fromFile: string, name: string, v: number | null): void {
    const k = `${fromFile}\0${name}`;
    if (this.constants.size >= MAX_ANSWERS || this.constants.has(k)) return;
    this.constants.set(k, v);
    this.added++;
  }

  /** Writes the answers found since the last write: always the first time, then at most once a minute. */
  flush(now = Date.now()): void {
    if (!this.path || !this.added || (this.lastWrite && now - this.lastWrite < WRITE_EVERY_MS)) return;
    const answers: StoredAnswer[] = [];
    for (const [k, a] of this.answers) {
      answers.push(a === false ? [k] : 'macro' in a ? [k, a.file, a.macro.line, a.macro.params, a.macro.body] : [k, a.file, a.line]);
    }
    const constants = [...this.constants];
    const tmp = `${this.path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      writeFileSync(tmp, gzipSync(JSON.stringify({ format: FORMAT, state: this.state, answers, constants }), { level: 1 }));
      renameSync(tmp, this.path);
      this.added = 0;
      this.lastWrite = now;
    } catch {
      // A read-only or full disk: the answers stay in memory, the run goes on.
      try {
        unlinkSync(tmp);
      } catch {
        // nothing was written
      }
    }
  }

  private load(): void {
    if (!this.path) return;
    let buf: Buffer;
    try {
      buf = readFileSync(this.path);
    } catch {
      return;
    }
    try {
      const parsed = Stored.safeParse(JSON.parse(gunzipSync(buf).toString('utf8')));
      // A corrupt file, or one of another state under the same name: start afresh (the next flush replaces it).
      if (!parsed.success || parsed.data.state !== this.state) return;
      for (const a of parsed.data.answers) {
        if (a.length === 1) this.answers.set(a[0], false);
        else if (a.length === 3) this.answers.set(a[0], { file: a[1], line: a[2] });
        else this.answers.set(a[0], { file: a[1], macro: { name: a[0].slice(a[0].indexOf('\0') + 1), params: a[3], body: a[4], line: a[2] } });
      }
      for (const [k, v] of parsed.data.constants) this.constants.set(k, v);
    } catch {
      return;
    }
  }
}
