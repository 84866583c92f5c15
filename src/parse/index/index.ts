/**
 * The lazy tree index: answers "where is f defined, who calls f, what is in
 * struct s, what is bound to that work" by parsing only the files a text
 * search says can matter, with each file's facts cached by content hash
 * (src/parse/index/cache.ts) and every answer memoised for the life of the
 * index (a view is a snapshot).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { evalConstant, objectMacros } from './macro-values.js';
import type { IrFunction } from '../ir.js';
import type { TreeView } from '../tree.js';
import { extractFunctions, lowerFile, parseC, releaseParsed } from '../c/api.js';
import type { Binding, GlobalDef, StructDef, TreeIndex } from './types.js';
import { cacheDirFromEnv, FactsCache, type CacheStats } from './cache.js';
import { extractFacts, type FileFacts } from './extract.js';
import { FileSearch, type GitInfo, type SearchStats } from './files.js';
import { mayDeclareGlobal, mayDefineFunction, mayDefineTypedef } from './text-scan.js';
import { accessKey } from './types-of.js';
import { LRUCache } from 'lru-cache';
import { ResolveStore } from './resolve-store.js';

export interface IndexOptions {
  /** Restrict searches to these paths (relative to the root). */
  scope?: string[];
  /** Keep parse results on disk between runs (default true; KREVIEW_NO_CACHE=1 turns it off). */
  cache?: boolean;
  /** Cache directory; default from the environment (see cacheDirFromEnv). */
  cacheDir?: string;
  /** Environment to read the cache settings from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Files larger than this are not parsed and are reported by skipped() (default 4 MiB). */
  maxFileBytes?: number;
  /** Memory budget of the parse-result LRU, in source bytes (default 64 MiB). */
  memBytes?: number;
  /** Keep parse results in the thread's shared memory LRU, for indexes built one after another over one tree (check's batches). */
  sharedFacts?: boolean;
  /** The tree's git state, taken once for many indexes of one tree (FileSearch.gitSnapshot()). */
  git?: GitInfo | null;
}

export interface IndexStats {
  /** Files parsed in this index (cache misses). */
  parsed: number;
  /** Pre-pass and tree-sitter parse of those files, in milliseconds. */
  parseMs: number;
  /** Lowering to the IR and fact extraction, in milliseconds. */
  lowerMs: number;
  cache: CacheStats;
  search: SearchStats;
}

export interface Index extends TreeIndex {
  prefetch(names: string[]): void;
  typedef(name: string, fromFile?: string): string | null;
  /** Every definition of a struct tag (drivers reuse generic tags). */
  structs(name: string): StructDef[];
  /** Every file-scope definition or declaration of a global. */
  globals(name: string): GlobalDef[];
  /** Parse (or load from cache) these files now, e.g. every file `check` analyses. */
  loadFiles(files: string[]): void;
  /** Keeps what this index learnt for the next run (resolve-store.ts); called when an analysis ends. */
  flush(): void;
  /** Everything the index knows about one file, or null when it is missing or skipped. */
  facts(file: string): FileFacts | null;
  stats(): IndexStats;
}

const DEFAULT_MAX = 4 * 1024 * 1024;


/** Typedefs the analysis meets constantly that never name a struct worth a search. */
const SCALAR_TYPEDEFS = new Set([
  'u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64', '__u8', '__u16', '__u32', '__u64', '__le16', '__le32', '__le64',
  '__be16', '__be32', '__be64', 'size_t', 'ssize_t', 'bool', 'dma_addr_t', 'phys_addr_t', 'resource_size_t', 'gfp_t',
  'pid_t', 'uid_t', 'gid_t', 'loff_t', 'off_t', 'ktime_t', 'atomic_t', 'atomic64_t', 'atomic_long_t', 'refcount_t',
  'spinlock_t', 'raw_spinlock_t', 'rwlock_t', 'seqlock_t', 'seqcount_t', 'wait_queue_head_t', 'irqreturn_t', 'uintptr_t',
  'uint8_t', 'uint16_t', 'uint32_t', 'uint64_t', 'int8_t', 'int16_t', 'int32_t', 'int64_t', 'cpumask_t', 'nodemask_t',
  'umode_t', 'dev_t', 'sector_t', 'blk_status_t', 'vm_fault_t', 'netdev_tx_t', 'work_func_t', 'pgoff_t', 'pte_t',
]);

export function createIndex(view: TreeView, opts: IndexOptions = {}): Index {
  return new LazyIndex(view, opts);
}

function dirOf(f: string): string {
  const i = f.lastIndexOf('/');
  return i < 0 ? '' : f.slice(0, i);
}

/** The architecture a path belongs to (`x86` for arch/x86/...), or null. */
export function archOf(file: string): string | null {
  return /^arch\/([^/]+)\//.exec(file)?.[1] ?? null;
}

/** Trees that are not built into the kernel (user-space tools, host scripts, docs). */
const OUTSIDE_KERNEL = /^(tools|scripts|Documentation|usr)\//;

/**
 * Whether a definition in `file` can be what code in `fromFile` sees: never
 * one in tools/ or scripts/ for kernel code, never another architecture's for
 * arch code and, for a type (`types`), never one in another directory's .c
 * file (a .c file is not included; its non-static functions are linked).
 */
export function visibleFrom(file: string, fromFile: string | undefined, types = false): boolean {
  if (fromFile === undefined) return !OUTSIDE_KERNEL.test(file);
  if (file === fromFile) return true;
  const outside = OUTSIDE_KERNEL.exec(file)?.[1];
  if (outside && OUTSIDE_KERNEL.exec(fromFile)?.[1] !== outside) return false;
  const a = archOf(file);
  const b = archOf(fromFile);
  if (a !== null && b !== null && a !== b) return false;
  if (types && file.endsWith('.c') && dirOf(file) !== dirOf(fromFile)) return false;
  return true;
}

/** Lower is closer to `fromFile`: same file, same directory, the same arch, include/, the rest, arch/, then definitions it cannot see. */
function distance(file: string, fromFile: string | undefined, types: boolean): number {
  const hidden = visibleFrom(file, fromFile, types) ? 0 : 10;
  if (fromFile === undefined) return hidden + (file.startsWith('include/') ? 1 : file.startsWith('arch/') ? 3 : 2);
  if (file === fromFile) return -1;
  if (dirOf(file) === dirOf(fromFile)) return 0;
  if (!hidden && archOf(file) !== null && archOf(file) === archOf(fromFile)) return 0.5;
  if (file.startsWith('include/')) return hidden + 1;
  if (file.startsWith('arch/')) return hidden + 3;
  return hidden + 2;
}

/** A definition other files can call: not static, or static in a header they include. */
function isVisible(f: IrFunction): boolean {
  return !f.isStatic || f.file.endsWith('.h');
}

function closest<T extends { file: string }>(defs: T[], fromFile: string | undefined, types = false): T | null {
  let best: T | null = null;
  let bestD = Infinity;
  for (const d of defs) {
    const dist = distance(d.file, fromFile, types);
    if (dist < bestD || (dist === bestD && best && d.file < best.file)) {
      best = d;
      bestD = dist;
    }
  }
  return best;
}

/** A function-like macro: `#define name(params) body`. */
export interface MacroDef {
  name: string;
  params: string[];
  body: string;
  line: number;
}

const INCLUDE_RE = /^[ \t]*#[ \t]*include[ \t]*([<"])([^>"\n]+)[>"]/gm;
const DEFINE_RE = /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\(([^)]*)\)((?:[^\n\\]|\\[^\n]|\\\n)*)/gm;

/**
 * Whether a macro body is one call and nothing else (`mode_unlock(d)`,
 * `(__wake_up((x), 3, 1, NULL))`) of a function named in lower case: a
 * wrapper worth following. Statement macros (`do { ... } while (0)`) and
 * capitals (WARN_ON, EMIT4) are left alone: they are the kernel's plumbing,
 * and following them costs far more than it finds.
 */
function forwardingCall(body: string): boolean {
  let b = body.trim();
  while (b.startsWith('(') && matchingParen(b, 0) === b.length - 1) b = b.slice(1, -1).trim();
  const m = /^([A-Za-z_]\w*)\s*\(/.exec(b);
  if (!m || /^[A-Z0-9_]+$/.test(m[1]!)) return false;
  return matchingParen(b, m[0].length - 1) === b.length - 1;
}

/**
 * Whether a macro body is a field of one of its parameters (`(x)->ccwlock`,
 * `&(d)->lock`, `(p)->dev.mutex`): an accessor, as a function returning that
 * path, so that `spin_lock(get_ccwdev_lock(cdev))` and the unlock through
 * the same macro name one lock, `cdev->ccwlock`.
 */
function accessorBody(body: string, params: string[]): boolean {
  let b = body.trim();
  while (b.startsWith('(') && matchingParen(b, 0) === b.length - 1) b = b.slice(1, -1).trim();
  const m = /^&?\s*(?:\(\s*([A-Za-z_]\w*)\s*\)|([A-Za-z_]\w*))((?:\s*(?:->|\.)\s*[A-Za-z_]\w*)+)$/.exec(b);
  return !!m && params.includes((m[1] ?? m[2])!);
}

function matchingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

/** Function-like macros of a file that forward to one call (see forwardingCall) or read a field of a parameter (accessorBody), no `#` in them. */
export function functionMacros(text: string): Map<string, MacroDef> {
  const out = new Map<string, MacroDef>();
  if (!text.includes('#')) return out;
  for (const m of text.matchAll(DEFINE_RE)) {
    const name = m[1]!;
    if (out.has(name)) continue; // the first of #ifdef alternatives: usually the config-on one
    const params = m[2]!.split(',').map((p) => p.trim()).filter(Boolean);
    if (!params.every((p) => /^[A-Za-z_]\w*$/.test(p))) continue;
    const body = m[3]!
      .replace(/\\\n/g, ' ')
      .replace(/\/\*[\s\S]*?\*\//g, ' ')
      .replace(/\/\/.*$/, '')
      .trim();
    if (!body || body.includes('#') || /^[A-Z0-9_]+$/.test(name) || !(forwardingCall(body) || accessorBody(body, params))) continue;
    const line = text.slice(0, m.index).split('\n').length;
    out.set(name, { name, params, body, line });
  }
  return out;
}

/** The files `#include` lines of `file` name, as paths in the tree (those that exist are kept by the caller). */
export function includedPaths(text: string, file: string): string[] {
  const out: string[] = [];
  const arch = archOf(file);
  for (const m of text.matchAll(INCLUDE_RE)) {
    const rel = m[2]!.trim();
    if (m[1] === '"') out.push(joinPath(dirOf(file), rel));
    else if (rel.startsWith('asm/')) {
      // Outside arch/, <asm/...> is the built arch's: s390's drivers are s390's, the rest taken as x86's.
      out.push(`arch/${arch ?? (file.startsWith('drivers/s390/') ? 's390' : 'x86')}/include/${rel}`, `include/asm-generic/${rel.slice(4)}`);
    } else {
      if (arch) out.push(`arch/${arch}/include/${rel}`);
      out.push(`include/${rel}`);
    }
  }
  return out.filter((p) => p && !p.startsWith('..') && !p.includes('/../') && !OUTSIDE_KERNEL.test(p));
}

function joinPath(dir: string, rel: string): string {
  const parts = dir ? dir.split('/') : [];
  for (const p of rel.split('/')) {
    if (p === '..') parts.pop();
    else if (p !== '.') parts.push(p);
  }
  return parts.join('/');
}

/**
 * A macro as a function, so that the analysis follows a call of it like a
 * call of an inline helper (`#define release_direct(d) mode_unlock(d)`). The
 * parameters and result have no type (the macro has none).
 */
export function macroFunction(def: MacroDef, file: string): IrFunction | null {
  const b = def.body;
  const stmt = /^(do\b|\{|if\b|for\b|while\b|switch\b)/.test(b) || /;$/.test(b);
  const body = stmt ? `{ ${b.replace(/;$/, '')}; }` : `{ return (${b}); }`;
  const params = def.params.length ? def.params.map((p) => `long ${p}`).join(', ') : 'void';
  const text = `${'\n'.repeat(def.line - 1)}static inline long ${def.name}(${params}) ${body}\n`;
  let fns: IrFunction[];
  try {
    fns = extractFunctions(text, file);
  } catch {
    return null;
  }
  const fn = fns.length === 1 ? fns[0]! : null;
  if (!fn || fn.name !== def.name || fn.parseErrors > 0) return null;
  return { ...fn, returnType: '', params: fn.params.map((p) => ({ ...p, type: '' })) };
}

/** What the macro lookups take from one file. */
interface MacroInfo {
  macros: Map<string, MacroDef>;
  /** As written (includedPaths); searchUp() is the view's. */
  includes: string[];
  /** Object-like macros, read on first need (most files are walked for function-like ones only). */
  values: Map<string, string> | null;
}

const NO_VALUES: ReadonlyMap<string, string> = new Map();

/**
 * MacroInfo of files as they are on disk, by absolute path, for every index
 * of the thread; kept while inode, size and mtime stay. Bounded by an
 * estimate of its heap, not by a count of files: by count (40,000), each of
 * the two threads of a whole-kernel check held most of the tree's macros.
 */
const MACRO_CACHE_BYTES = 96 * 1024 * 1024;
let diskInfo = new LRUCache<string, { stamp: string; info: MacroInfo }>({ maxSize: MACRO_CACHE_BYTES });

/** The thread's macro cache: entries and estimated bytes against its budget. */
export function macroCacheStats(): { entries: number; bytes: number; budget: number } {
  return { entries: diskInfo.size, bytes: diskInfo.calculatedSize, budget: diskInfo.maxSize };
}

/** Empties the thread's macro cache and gives it a new budget (tests; the default is 96 MiB). */
export function resetMacroCache(budget = MACRO_CACHE_BYTES): void {
  diskInfo = new LRUCache({ maxSize: budget });
}

function statKey(abs: string): string {
  try {
    const st = statSync(abs);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return 'absent';
  }
}

/** The diskInfo key of an entry, to weigh it again when its values are read. */
const infoPath = new WeakMap<MacroInfo, string>();

/** Heap bytes of a MacroInfo, roughly: strings are two bytes a character, plus a map entry's overhead each. */
function infoBytes(info: MacroInfo): number {
  let n = 200;
  for (const m of info.macros.values()) n += 2 * (m.name.length + m.body.length + m.params.join().length) + 120;
  for (const i of info.includes) n += 2 * i.length + 40;
  if (info.values) for (const [k, v] of info.values) n += 2 * (k.length + v.length) + 80;
  return n;
}

/** How many headers, and how deep in the include graph, are searched for a macro definition (each header is read once). */
const MAX_MACRO_FILES = 800;
const MAX_INCLUDE_DEPTH = 5;

export function fieldsOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
}

class LazyIndex implements Index {
  private readonly cache: FactsCache;
  private readonly search: FileSearch;
  private readonly maxBytes: number;
  private readonly keys = new Map<string, string | null>();
  private readonly skips = new Map<string, string>();
  private parsedCount = 0;
  private parseMs = 0;
  private lowerMs = 0;
  private readonly fnMemo = new Map<string, IrFunction[]>();
  /** The model resolves the same calls step after step: one search per file and name. */
  private readonly resolveMemo = new Map<string, IrFunction | null>();
  private readonly callerMemo = new Map<string, IrFunction[]>();
  private readonly structMemo = new Map<string, StructDef[]>();
  private readonly globalMemo = new Map<string, GlobalDef[]>();
  private readonly typedefMemo = new Map<string, { file: string; type: string }[]>();
  private readonly bindOfMemo = new Map<string, Binding[]>();
  private readonly bindForMemo = new Map<string, Binding[]>();
  private readonly resolvedBindings = new WeakMap<Binding, Binding>();
  private readonly fileMacros = new Map<string, { macros: Map<string, MacroDef>; includes: string[] } | null>();
  private readonly reachMemo = new Map<string, string[]>();
  private readonly macroFnMemo = new Map<string, IrFunction | null>();
  private readonly macroUseMemo = new Map<string, IrFunction | null>();
  private readonly constMemo = new Map<string, number | null>();
  private readonly constVisiting = new Set<string>();

  constructor(
    readonly view: TreeView,
    opts: IndexOptions,
  ) {
    const env = opts.env ?? process.env;
    const dir = opts.cache === false ? null : (opts.cacheDir ?? cacheDirFromEnv(env));
    this.cache = new FactsCache({ dir, memBytes: opts.memBytes, shared: opts.sharedFacts });
    this.search = new FileSearch(view, { scope: opts.scope, cacheDir: dir, ...(opts.git !== undefined ? { git: opts.git } : {}) });
    this.maxBytes = opts.maxFileBytes ?? DEFAULT_MAX;
    this.cacheDir = dir;
    this.scopeKey = (opts.scope ?? []).join('\n');
  }

  private readonly scopeKey: string;
  private readonly cacheDir: string | null;

  stats(): IndexStats {
    return { parsed: this.parsedCount, parseMs: this.parseMs, lowerMs: this.lowerMs, cache: { ...this.cache.stats }, search: { ...this.search.stats } };
  }

  skipped(): { file: string; reason: string }[] {
    return [...this.skips].map(([file, reason]) => ({ file, reason }));
  }

  /**
   * Definitions (functions(), resolve(), struct(), global(), typedef()) come
   * from the declaration index, built once for the whole tree by the first
   * of them: prefetching means building it now. Uses (callers(),
   * bindingsOf()) are searched one name at a time, each answer kept per commit.
   */
  prefetch(_names: string[]): void {
    this.search.prepareDeclarations();
  }

  mentions(name: string): string[] {
    return this.mentioning(name);
  }

  prefetchCallers(names: string[]): void {
    this.search.mentions(names.filter((n) => !this.callerMemo.has(n)));
  }

  loadFiles(files: string[]): void {
    for (const f of files) this.facts(f);
  }

  facts(file: string): FileFacts | null {
    // No file has an empty name: a caller with no location (a model step before any frame) asks for none.
    if (file === '') return null;
    const known = this.keys.get(file);
    if (known === null) return null;
    if (known !== undefined) {
      const hit = this.cache.get(known);
      if (hit) return hit;
    }
    const text = this.read(file);
    if (text === null) {
      this.keys.set(file, null);
      return null;
    }
    if (text.length > this.maxBytes) {
      this.keys.set(file, null);
      this.skips.set(file, `larger than ${this.maxBytes} bytes (${text.length})`);
      return null;
    }
    const key = this.cache.key(file, text);
    this.keys.set(file, key);
    if (known !== key) {
      const hit = this.cache.get(key);
      if (hit) return hit;
    }
    let t0 = performance.now();
    let facts: FileFacts;
    try {
      const parsed = parseC(text, file);
      const t1 = performance.now();
      this.parseMs += t1 - t0;
      t0 = t1;
      const fns = lowerFile(parsed);
      facts = extractFacts(parsed, fns);
      releaseParsed(parsed);
    } catch (err) {
      this.skips.set(file, `parse failed: ${(err as Error).message}`);
      facts = { file, functions: [], structs: [], globals: [], bindings: [], typedefs: {} };
    }
    this.lowerMs += performance.now() - t0;
    this.parsedCount++;
    this.cache.set(key, facts, text.length);
    return facts;
  }

  private factsOf(files: Iterable<string>): FileFacts[] {
    const out: FileFacts[] = [];
    for (const f of files) {
      const x = this.facts(f);
      if (x) out.push(x);
    }
    return out;
  }

  private mentioning(name: string): string[] {
    return this.search.mentions([name]).get(name) ?? [];
  }

  /** Files with a declaration line for `name` whose text also passes `test`. */
  private declaring(name: string, test: (text: string) => boolean): string[] {
    return this.search.declarations(name).filter((f) => {
      const t = this.search.peek(f);
      return t !== null && test(t);
    });
  }

  private read(file: string): string | null {
    try {
      return this.view.read(file);
    } catch (err) {
      this.skips.set(file, `unreadable: ${(err as Error).message}`);
      return null;
    }
  }

  functions(name: string): IrFunction[] {
    const hit = this.fnMemo.get(name);
    if (hit) return hit;
    // A definition's name is on a line that starts at column 0 in kernel style,
    // followed by its body; calls are indented, prototypes end in `;`.
    const out: IrFunction[] = [];
    for (const f of this.factsOf(this.declaring(name, (t) => mayDefineFunction(t, name)))) for (const fn of f.functions) if (fn.name === name) out.push(fn);
    out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.pos.line - b.pos.line));
    this.fnMemo.set(name, out);
    return out;
  }

  resolve(name: string, fromFile: string): IrFunction | null {
    // The caller's own file first: no search needed.
    const own = this.facts(fromFile)?.functions.find((f) => f.name === name);
    if (own) return own;
    const k = `${fromFile}\0${name}`;
    const memo = this.resolveMemo.get(k);
    if (memo !== undefined) return memo;
    const known = this.fnMemo.get(name);
    const out = known ? (closest(known.filter(isVisible), fromFile) ?? this.macro(name, fromFile)) : this.resolveFar(name, fromFile);
    this.resolveMemo.set(k, out);
    return out;
  }

  /**
   * A definition in another file, else a function-like macro, through the
   * answers kept for the tree state (resolve-store.ts) when the view is the
   * disk at a known commit.
   */
  private resolveFar(name: string, fromFile: string): IrFunction | null {
    const store = this.answers();
    const hit = store?.get(fromFile, name);
    if (hit === false) return null;
    if (hit && 'macro' in hit) return this.macroAs(hit.macro, hit.file);
    if (hit) {
      const fn = this.facts(hit.file)?.functions.find((f) => f.name === name && f.pos.line === hit.line);
      if (fn) return fn;
    }
    const def = this.closestDefinition(name, fromFile);
    if (def) {
      store?.set(fromFile, name, { file: def.file, line: def.pos.line });
      return def;
    }
    const m = this.macroDef(name, fromFile);
    store?.set(fromFile, name, m ? { file: m.file, macro: m.def } : false);
    return m ? this.macroAs(m.def, m.file) : null;
  }

  private store: ResolveStore | null | undefined;

  /** The answers of this tree state, or null when the view is not the disk at a known commit. */
  private answers(): ResolveStore | null {
    if (this.store !== undefined) return this.store;
    let git: GitInfo | null = null;
    try {
      git = this.view.changes().size === 0 ? this.search.gitSnapshot() : null;
    } catch {
      git = null;
    }
    if (git?.head == null) return (this.store = null);
    // Files that differ from the commit are read from disk as they are: their inode, size and mtime stand in for their text.
    const dirty = [...git.dirty].sort().map((f) => `${f}:${statKey(join(this.view.root, f))}`);
    const state = `${this.view.root}\0${git.head}\0${dirty.join('\n')}\0${this.maxBytes}\0${this.scopeKey}`;
    return (this.store = ResolveStore.for(this.cacheDir, state));
  }

  /** Writes the answers found since the last write (resolve-store.ts), at the end of an analysis. */
  flush(): void {
    this.store?.flush();
  }

  /**
   * What closest() would pick among every visible definition of `name`,
   * without parsing every file that has one: a name defined once per arch
   * (or per driver, static) has dozens, and only the nearest is wanted.
   * Candidate files are tried nearest first (distance, then name, as
   * closest() breaks ties); the first that holds a visible definition wins.
   */
  private closestDefinition(name: string, fromFile: string): IrFunction | null {
    const files = this.search
      .declarations(name)
      .map((file) => ({ file, d: distance(file, fromFile, false) }))
      .sort((a, b) => a.d - b.d || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    for (const { file } of files) {
      const text = this.search.peek(file);
      if (text === null || !mayDefineFunction(text, name)) continue;
      let best: IrFunction | null = null;
      for (const fn of this.facts(file)?.functions ?? []) {
        if (fn.name === name && fn.file === file && isVisible(fn) && (!best || fn.pos.line < best.pos.line)) best = fn;
      }
      if (best) return best;
    }
    return null;
  }

  /** The file's function-like macros and includes (memoised; null when unreadable). */
  private macrosOf(file: string): { macros: Map<string, MacroDef>; includes: string[] } | null {
    if (this.fileMacros.has(file)) return this.fileMacros.get(file)!;
    const info = this.textInfo(file);
    const v = info === null ? null : { macros: info.macros, includes: info.includes.map((p) => this.searchUp(p, file)) };
    this.fileMacros.set(file, v);
    return v;
  }

  /**
   * What the macro lookups read of a file: from the process-wide cache when
   * the file is the disk's (check's batches, a series' views and every
   * lookup of a run walk the same headers), else from this view's text.
   */
  private textInfo(file: string): MacroInfo | null {
    if (!/\.[ch]$/.test(file)) return null;
    const changed = this.view.changes().has(file);
    let stamp: string | null = null;
    const abs = join(this.view.root, file);
    if (!changed) {
      // Views not backed by the disk (tests' in-memory trees) fail here and are read below, uncached.
      try {
        const st = statSync(abs);
        if (st.isFile()) stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
      } catch {
        stamp = null;
      }
      const hit = stamp === null ? undefined : diskInfo.get(abs);
      if (hit?.stamp === stamp) return hit!.info;
    }
    let exists = false;
    try {
      exists = this.view.exists(file);
    } catch {
      exists = false;
    }
    const text = exists ? this.read(file) : null;
    if (text === null) return null;
    const info: MacroInfo = { macros: functionMacros(text), includes: includedPaths(text, file), values: null };
    if (stamp !== null) {
      infoPath.set(info, abs);
      diskInfo.set(abs, { stamp, info }, { size: infoBytes(info) });
    }
    return info;
  }

  /**
   * A quoted include missing from the including file's directory, looked
   * for in the directories above it: subsystems put `-I $(src)` in their
   * Makefile, so fs/xfs/libxfs/xfs_bmap.c's "xfs_inode.h" is fs/xfs/xfs_inode.h.
   */
  private searchUp(path: string, file: string): string {
    const dir = dirOf(file);
    if (!dir || !path.startsWith(`${dir}/`) || this.existsSafe(path)) return path;
    const rel = path.slice(dir.length + 1);
    let up = dir;
    for (let i = 0; i < 2 && up.includes('/'); i++) {
      up = dirOf(up);
      if (this.existsSafe(`${up}/${rel}`)) return `${up}/${rel}`;
    }
    return path;
  }

  private existsSafe(path: string): boolean {
    try {
      return this.view.exists(path);
    } catch {
      return false;
    }
  }

  /** `fromFile`, the headers it includes and the headers those include, nearest first. */
  private reachable(fromFile: string): string[] {
    const hit = this.reachMemo.get(fromFile);
    if (hit) return hit;
    const out: string[] = [];
    const seen = new Set<string>([fromFile]);
    let level = [fromFile];
    for (let depth = 0; depth < MAX_INCLUDE_DEPTH && level.length && out.length < MAX_MACRO_FILES; depth++) {
      const next: string[] = [];
      for (const f of level) {
        const m = this.macrosOf(f);
        if (!m) continue;
        out.push(f);
        for (const inc of m.includes) if (!seen.has(inc)) (seen.add(inc), next.push(inc));
      }
      level = next;
    }
    const r = out.slice(0, MAX_MACRO_FILES);
    this.reachMemo.set(fromFile, r);
    return r;
  }

  /** A function-like macro `name` visible from `fromFile`, as a function. */
  private macro(name: string, fromFile: string): IrFunction | null {
    const seen = `${fromFile}\0${name}`;
    const hit = this.macroUseMemo.get(seen);
    if (hit !== undefined) return hit;
    const m = this.macroDef(name, fromFile);
    const out = m ? this.macroAs(m.def, m.file) : null;
    this.macroUseMemo.set(seen, out);
    return out;
  }

  /** The function-like macro `name` seen from `fromFile`: the nearest definition through its includes. */
  private macroDef(name: string, fromFile: string): { def: MacroDef; file: string } | null {
    if (!/^[A-Za-z_]\w*$/.test(name)) return null;
    for (const f of this.reachable(fromFile)) {
      const def = this.macrosOf(f)?.macros.get(name);
      if (def) return { def, file: f };
    }
    return null;
  }

  private macroAs(def: MacroDef, file: string): IrFunction | null {
    const k = `${file}\0${def.name}`;
    if (!this.macroFnMemo.has(k)) this.macroFnMemo.set(k, macroFunction(def, file));
    return this.macroFnMemo.get(k)!;
  }

  /**
   * The value of an object-like macro visible from `fromFile` (the file
   * itself, then its includes nearest first), names in its body looked up
   * from `fromFile` too, as the preprocessor expands them where they are used.
   */
  constant(name: string, fromFile: string): number | null {
    const k = `${fromFile}\0${name}`;
    const hit = this.constMemo.get(k);
    if (hit !== undefined) return hit;
    const store = this.answers();
    const kept = store?.constant(fromFile, name);
    if (kept !== undefined) {
      this.constMemo.set(k, kept);
      return kept;
    }
    // A macro defined in terms of itself, or a cycle: unknown (and not memoised half-way).
    if (this.constVisiting.has(k) || this.constVisiting.size > 16) return null;
    this.constVisiting.add(k);
    let out: number | null = null;
    try {
      const body = this.objectMacro(name, fromFile);
      if (body !== null) out = evalConstant(body, (n) => this.constant(n, fromFile));
    } finally {
      this.constVisiting.delete(k);
    }
    this.constMemo.set(k, out);
    // Not an answer cut short by a cycle or the nesting bound: those depend on what was being evaluated.
    if (!this.constVisiting.size) store?.setConstant(fromFile, name, out);
    return out;
  }

  /** The body of an object-like macro visible from `fromFile` (`d_lockref.lock` for `d_lock`), or null. */
  objectMacro(name: string, fromFile: string): string | null {
    if (!/^[A-Za-z_]\w*$/.test(name)) return null;
    for (const f of this.reachable(fromFile)) {
      const body = this.valuesOf(f).get(name);
      if (body !== undefined) return body;
    }
    return null;
  }

  private valuesOf(file: string): ReadonlyMap<string, string> {
    const info = this.textInfo(file);
    if (!info) return NO_VALUES;
    if (!info.values) {
      info.values = objectMacros(this.read(file) ?? '');
      // Weigh the entry again with its object-like macros.
      const abs = infoPath.get(info);
      const e = abs === undefined ? undefined : diskInfo.peek(abs);
      // A new entry object: lru-cache keeps the old size when the value set is the same object.
      if (e?.info === info) diskInfo.set(abs!, { stamp: e.stamp, info }, { size: infoBytes(info) });
    }
    return info.values;
  }

  functionsIn(file: string): IrFunction[] {
    return this.facts(file)?.functions ?? [];
  }

  callers(name: string): IrFunction[] {
    const hit = this.callerMemo.get(name);
    if (hit) return hit;
    const out: IrFunction[] = [];
    for (const f of this.factsOf(this.mentioning(name))) {
      for (const fn of f.functions) {
        if (fn.blocks.some((b) => b.instrs.some((i) => i.op === 'call' && i.callee === name))) out.push(fn);
      }
    }
    this.callerMemo.set(name, out);
    return out;
  }

  structs(name: string): StructDef[] {
    const hit = this.structMemo.get(name);
    if (hit) return hit;
    let out: StructDef[] = [];
    const sep = name.indexOf('::');
    if (sep > 0) {
      // An anonymous member's type lives beside its owner.
      const files = new Set(this.structs(name.slice(0, sep)).map((s) => s.file));
      for (const f of this.factsOf(files)) out.push(...f.structs.filter((s) => s.name === name));
    } else if (/^[A-Za-z_]\w*$/.test(name)) {
      const js = new RegExp(`(?:struct|union)\\s+(?:[A-Za-z_]\\w*\\s+){0,4}${name}\\s*\\{`);
      for (const f of this.factsOf(this.declaring(name, (t) => js.test(t)))) out.push(...f.structs.filter((s) => s.name === name));
      if (out.length === 0) {
        // `typedef struct { ... } name;` is indexed under the typedef's name.
        for (const t of this.typedefDefs(name)) {
          out.push(...(this.facts(t.file)?.structs.filter((s) => s.name === name) ?? []));
        }
      }
    }
    out = out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    this.structMemo.set(name, out);
    return out;
  }

  struct(name: string, fromFile?: string): StructDef | null {
    if (fromFile) {
      const own = this.facts(fromFile)?.structs.find((s) => s.name === name);
      if (own) return own;
    }
    return closest(this.structs(name), fromFile, true);
  }

  globals(name: string): GlobalDef[] {
    const hit = this.globalMemo.get(name);
    if (hit) return hit;
    const out: GlobalDef[] = [];
    for (const f of this.factsOf(this.declaring(name, (t) => mayDeclareGlobal(t, name)))) out.push(...f.globals.filter((g) => g.name === name));
    this.globalMemo.set(name, out);
    return out;
  }

  global(name: string, fromFile?: string): GlobalDef | null {
    if (fromFile) {
      const own = this.facts(fromFile)?.globals.find((g) => g.name === name && !g.isExtern);
      if (own) return own;
    }
    const all = this.globals(name);
    // A static in another .c file is invisible from `fromFile`; without one, any definition will do.
    const defs = all.filter((g) => !g.isExtern && (!g.isStatic || fromFile === undefined || g.file === fromFile || g.file.endsWith('.h')));
    return closest(defs, fromFile) ?? closest(all.filter((g) => g.isExtern), fromFile);
  }

  private typedefDefs(name: string): { file: string; type: string }[] {
    const hit = this.typedefMemo.get(name);
    if (hit) return hit;
    const out: { file: string; type: string }[] = [];
    if (!SCALAR_TYPEDEFS.has(name)) {
      for (const f of this.factsOf(this.declaring(name, (t) => mayDefineTypedef(t, name)))) {
        const t = f.typedefs[name];
        if (t !== undefined) out.push({ file: f.file, type: t });
      }
    }
    this.typedefMemo.set(name, out);
    return out;
  }

  typedef(name: string, fromFile?: string): string | null {
    if (fromFile) {
      const own = this.facts(fromFile)?.typedefs[name];
      if (own !== undefined) return own;
    }
    return closest(this.typedefDefs(name), fromFile, true)?.type ?? null;
  }

  /** A binding whose target the file alone could not type, resolved with the whole index. */
  private resolved(b: Binding, facts: FileFacts): Binding {
    if (b.struct !== null || b.field === null || !b.field.includes('->') || !b.target || !b.function) return b;
    const memo = this.resolvedBindings.get(b);
    if (memo) return memo;
    const fn = facts.functions.find((f) => f.name === b.function && f.pos.line <= b.pos.line && f.pos.endLine >= b.pos.line);
    const key = fn ? accessKey(fn, b.target, this) : null;
    const r = key?.resolved ? { ...b, struct: key.struct, field: key.field } : b;
    this.resolvedBindings.set(b, r);
    return r;
  }

  bindingsOf(callback: string): Binding[] {
    const hit = this.bindOfMemo.get(callback);
    if (hit) return hit;
    const out: Binding[] = [];
    for (const f of this.factsOf(this.search.binders(callback))) {
      for (const b of f.bindings) if (b.callback === callback) out.push(this.resolved(b, f));
    }
    this.bindOfMemo.set(callback, out);
    return out;
  }

  bindingsFor(struct: string | null, field: string): Binding[] {
    const memoKey = `${struct ?? ''}\0${field}`;
    const hit = this.bindForMemo.get(memoKey);
    if (hit) return hit;
    // A file that binds `x->field` has the field's name on (or just below) a
    // binder line; for a field of a struct it also names the struct somewhere
    // (the type of x); a struct reached only through a typedef is missed.
    const last = (struct === null ? field.split('.')[0]! : field.split('.').pop()!).replace(/\[\]$/, '');
    let files = this.search.binders(last);
    if (struct !== null) {
      const structName = struct.split('::')[0]!;
      files = files.filter((f) => this.search.structTags(f).has(structName));
    }
    const out: Binding[] = [];
    for (const f of this.factsOf(files)) {
      for (const b of f.bindings) {
        const r = this.resolved(b, f);
        if (r.struct === struct && r.field !== null && fieldsOverlap(r.field, field)) out.push(r);
      }
    }
    this.bindForMemo.set(memoKey, out);
    return out;
  }
}
