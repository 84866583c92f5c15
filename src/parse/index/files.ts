/**
 * Finding the C files a question needs without parsing the tree: which files
 * mention an identifier (as a whole word), which contain a line of some
 * shape. In a git work tree this is `git grep` (tracked files as they are on
 * disk) plus the files `git status` reports as changed or untracked,
 * re-checked in memory; elsewhere a scan of the directory. Files the view
 * changes (an overlay with a patch applied) are always checked in memory.
 *
 * In a git tree the answer per identifier is also kept on disk, keyed by the
 * HEAD commit and by the set of files that differed from it then, so a
 * second run on the same tree needs no grep at all for the same names.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { InputError } from '../../errors.js';
import type { TreeView } from '../tree.js';
import { DECL_LINE_PCRE, declaredName, declaredNames } from './text-scan.js';

export const C_FILE = /\.[ch]$/;

/** Longest a single git command may take (a whole-kernel grep takes a second or two). */
const GIT_TIMEOUT_MS = 120_000;

const SKIP_DIRS = new Set(['node_modules', '.git', '.pc', '.repo']);

export interface SearchOptions {
  /** Path prefixes (files or directories, relative to the root) to restrict searches to. */
  scope?: string[];
  /** Cache directory for per-commit grep answers; null for none. */
  cacheDir?: string | null;
}

export interface SearchStats {
  greps: number;
  /** Declaration-index builds (one full-tree search each) and shard loads from disk. */
  declBuilds: number;
  declShardLoads: number;
  grepMs: number;
  scans: number;
  cachedAnswers: number;
}

/** Files of the view that mention any of `identifiers` as a whole word. */
export function filesMentioning(view: TreeView, identifiers: string[], scope?: string[]): string[] {
  const per = new FileSearch(view, { scope, cacheDir: null }).mentions(identifiers);
  const all = new Set<string>();
  for (const files of per.values()) for (const f of files) all.add(f);
  return [...all].sort();
}

/**
 * The .c and .h files under `paths` (files or directories relative to the
 * root, or absolute inside it) as the view has them: overlay additions in,
 * deletions out. Symbolic links are not followed.
 */
export function listCFiles(view: TreeView, paths: string[]): string[] {
  const out = new Set<string>();
  const rels = (paths.length ? paths : ['.']).map((p) => toRel(view.root, p));
  for (const rel of rels) {
    const abs = rel === '' ? view.root : join(view.root, rel);
    let st: ReturnType<typeof statSync> | null = null;
    try {
      st = statSync(abs);
    } catch {
      st = null;
    }
    if (st?.isDirectory()) walk(view.root, rel, (f) => out.add(f));
    else if (st?.isFile() && C_FILE.test(rel)) out.add(rel);
    else if (!st && !view.exists(rel) && ![...view.changes().keys()].some((c) => under(c, rel))) {
      throw new InputError(`${rel}: no such file or directory in the tree`);
    }
  }
  for (const [f, text] of view.changes()) {
    if (!C_FILE.test(f) || !rels.some((r) => under(f, r))) continue;
    if (text === null) out.delete(f);
    else out.add(f);
  }
  return [...out].sort();
}

function toRel(root: string, p: string): string {
  const abs = isAbsolute(p) ? p : join(root, p);
  const rel = relative(root, abs).split(sep).join('/');
  if (rel.startsWith('..') || isAbsolute(rel)) throw new InputError(`${p}: outside the tree ${root}`);
  return rel === '.' ? '' : rel;
}

function under(file: string, prefix: string): boolean {
  return prefix === '' || file === prefix || file.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}

/** Every .c/.h file below `rel`, skipping dot-directories, node_modules and symlinks. */
function walk(root: string, rel: string, add: (f: string) => void): void {
  const stack = [rel];
  while (stack.length) {
    const dir = stack.pop()!;
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir === '' ? root : join(root, dir), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const p = dir === '' ? e.name : `${dir}/${e.name}`;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) stack.push(p);
      } else if (e.isFile() && C_FILE.test(e.name)) {
        add(p);
      }
    }
  }
}

const WORD = /^[A-Za-z_]\w*$/;

const SHARDS = 256;

/** A stable shard of a name: FNV-1a, low byte, as two hex digits. */
function shardOf(name: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h & 0xff).toString(16).padStart(2, '0');
}

/** Declared names -> numbers into `files`. */
interface DeclTable {
  files: string[];
  map: Map<string, number[]>;
}

function addDecl(t: DeclTable, name: string, fileId: number): void {
  const list = t.map.get(name);
  if (list) list.push(fileId);
  else t.map.set(name, [fileId]);
}

function atomicWrite(path: string, data: string): void {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function wordRegex(ids: string[]): RegExp {
  const alt = ids.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  return new RegExp(`(?<![A-Za-z0-9_])(?:${alt})(?![A-Za-z0-9_])`, 'g');
}

interface GitInfo {
  head: string | null;
  /** Files (relative to the root) that differ from HEAD on disk, or are untracked. */
  dirty: Set<string>;
}

/**
 * One searcher per tree view. Answers are memoised for the life of the
 * object: the view is a snapshot.
 */
export class FileSearch {
  readonly stats: SearchStats = { greps: 0, declBuilds: 0, declShardLoads: 0, grepMs: 0, scans: 0, cachedAnswers: 0 };
  private readonly scope: string[];
  private readonly cacheDir: string | null;
  private git: GitInfo | null | undefined;
  private allFiles: string[] | null = null;
  private readonly memo = new Map<string, string[]>();
  private readonly declMemo = new Map<string, string[]>();
  private readonly declShards = new Map<string, Map<string, string>>();
  private declAll: DeclTable | null = null;
  private declDirty: string[] = [];
  private declMeta: { dirty: string[]; files: string[] } | null = null;
  private readonly diskDecls = new Map<string, Set<string>>();

  constructor(
    readonly view: TreeView,
    opts: SearchOptions = {},
  ) {
    this.scope = (opts.scope ?? []).map((s) => toRel(view.root, s)).filter((s) => s !== '');
    this.cacheDir = opts.cacheDir ?? null;
  }

  inScope(file: string): boolean {
    return C_FILE.test(file) && (this.scope.length === 0 || this.scope.some((s) => under(file, s)));
  }

  /** Whether the tree is searched with git. */
  isGit(): boolean {
    return this.gitInfo() !== null;
  }

  /**
   * Files with a line starting at column 0 that declares `name` (a function
   * definition or prototype, a global, a struct tag, a typedef): where a
   * definition can be, whatever the number of files that merely use the
   * name. Backed by one index of the whole tree per commit, built with a
   * single `git grep` and kept on disk in shards, so a lookup costs a shard
   * read; files changed since, and the view's changes, are read directly.
   */
  declarations(name: string): string[] {
    const hit = this.declMemo.get(name);
    if (hit) return hit;
    const out = new Set<string>();
    const recheck = new Set<string>();
    const git = this.gitInfo();
    if (git) {
      const found = this.declLookup(git, name);
      for (const f of found.files) out.add(f);
      for (const f of git.dirty) recheck.add(f);
      for (const f of found.dirty) recheck.add(f);
    } else {
      const all = this.scanDecls();
      for (const i of all.map.get(name) ?? []) out.add(all.files[i]!);
    }
    for (const f of recheck) {
      out.delete(f);
      if (this.inScope(f) && this.declsOfDisk(f).has(name)) out.add(f);
    }
    for (const [f, text] of this.view.changes()) {
      out.delete(f);
      if (text !== null && this.inScope(f) && declaredNames(text).has(name)) out.add(f);
    }
    const res = [...out].sort();
    this.declMemo.set(name, res);
    return res;
  }

  /** Build (or find on disk) the declaration index now. */
  prepareDeclarations(): void {
    const git = this.gitInfo();
    if (git) this.declLookup(git, '');
    else this.scanDecls();
  }

  private declsOfDisk(f: string): Set<string> {
    let d = this.diskDecls.get(f);
    if (!d) {
      const text = this.readDisk(f);
      d = text === null ? new Set() : declaredNames(text);
      this.diskDecls.set(f, d);
    }
    return d;
  }

  private scanDecls(): DeclTable {
    if (this.declAll) return this.declAll;
    this.stats.scans++;
    const table: DeclTable = { files: [], map: new Map() };
    for (const f of this.files()) {
      const id = table.files.push(f) - 1;
      for (const n of this.declsOfDisk(f)) addDecl(table, n, id);
    }
    this.declAll = table;
    return table;
  }

  private declDir(git: GitInfo): string | null {
    if (!this.cacheDir || !git.head) return null;
    const h = createHash('sha1').update(this.view.root).update('\0').update(this.scope.join('\0')).digest('hex').slice(0, 12);
    return join(this.cacheDir, 'decls-v2', `${git.head}-${h}`);
  }

  /** The files declaring `name` per the index of this commit, and the files that were dirty when it was built. */
  private declLookup(git: GitInfo, name: string): { files: string[]; dirty: string[] } {
    if (this.declAll) {
      const t = this.declAll;
      return { files: (t.map.get(name) ?? []).map((i) => t.files[i]!), dirty: this.declDirty };
    }
    const dir = this.declDir(git);
    if (dir) {
      try {
        this.declMeta ??= JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { dirty: string[]; files: string[] };
        const id = shardOf(name);
        let shard = this.declShards.get(id);
        if (!shard) {
          // `name\tfile,file` per line, files as numbers into meta.files.
          shard = new Map();
          for (const line of readFileSync(join(dir, `${id}.txt`), 'utf8').split('\n')) {
            const tab = line.indexOf('\t');
            if (tab > 0) shard.set(line.slice(0, tab), line.slice(tab + 1));
          }
          this.stats.declShardLoads++;
          this.declShards.set(id, shard);
        }
        const files = this.declMeta.files;
        const ids = shard.get(name);
        return { files: ids ? ids.split(',').map((i) => files[Number(i)]!) : [], dirty: this.declMeta.dirty };
      } catch {
        // Not built for this commit yet, or damaged: build it.
        this.declMeta = null;
        this.declShards.clear();
      }
    }
    this.buildDecls(git, dir);
    return this.declLookup(git, name);
  }

  private buildDecls(git: GitInfo, dir: string | null): void {
    const t0 = performance.now();
    const r = spawnSync(
      'git',
      ['-c', 'core.quotePath=false', 'grep', '-I', '--no-color', '--heading', '--break', '-o', '-P', DECL_LINE_PCRE, '--', ...this.pathspecs()],
      { cwd: this.view.root, encoding: 'utf8', maxBuffer: 1 << 30, timeout: GIT_TIMEOUT_MS, killSignal: 'SIGKILL' },
    );
    this.stats.declBuilds++;
    this.stats.grepMs += performance.now() - t0;
    this.declDirty = [...git.dirty];
    if (r.error || (r.status !== 0 && r.status !== 1)) {
      // git without PCRE: scan in memory instead (slower, same answers).
      this.scanDecls();
      return;
    }
    // `--heading --break`: a file name, its matches, a blank line. Walked with
    // indexOf: the output is tens of megabytes for a kernel tree.
    const table: DeclTable = { files: [], map: new Map() };
    const out = r.stdout;
    let fileId = -1;
    const names = new Set<string>();
    for (let pos = 0; pos <= out.length; ) {
      let nl = out.indexOf('\n', pos);
      if (nl < 0) nl = out.length;
      if (nl === pos) {
        for (const n of names) addDecl(table, n, fileId);
        names.clear();
        fileId = -1;
      } else if (fileId < 0) {
        fileId = table.files.push(out.slice(pos, nl)) - 1;
      } else {
        const n = declaredName(out.slice(pos, nl));
        if (n) names.add(n);
      }
      pos = nl + 1;
    }
    if (fileId >= 0) for (const n of names) addDecl(table, n, fileId);
    this.declAll = table;
    if (!dir) return;
    const shards: string[][] = Array.from({ length: SHARDS }, () => []);
    for (const [n, ids] of table.map) shards[parseInt(shardOf(n), 16)]!.push(`${n}\t${ids.join(',')}`);
    try {
      mkdirSync(dir, { recursive: true });
      for (let i = 0; i < SHARDS; i++) atomicWrite(join(dir, `${i.toString(16).padStart(2, '0')}.txt`), shards[i]!.join('\n'));
      // Written last: its presence says the shards are complete.
      atomicWrite(join(dir, 'meta.json'), JSON.stringify({ dirty: this.declDirty, files: table.files }));
    } catch {
      // best effort
    }
  }

  /** Files mentioning each identifier as a whole word, sorted. One search for all the new ones. */
  mentions(identifiers: string[]): Map<string, string[]> {
    const ids = [...new Set(identifiers.filter((s) => WORD.test(s)))];
    const missing = ids.filter((id) => !this.memo.has(id));
    if (missing.length) {
      const found = (this.gitInfo() && this.tryGit(() => this.gitMentions(missing))) || this.scanMentions(missing);
      const changed = this.view.changes();
      for (const id of missing) {
        const set = found.get(id) ?? new Set<string>();
        for (const f of changed.keys()) set.delete(f);
        this.memo.set(id, [...set]);
      }
      // Files the view changed, checked against every new identifier at once.
      const re = wordRegex(missing);
      for (const [f, text] of changed) {
        if (text === null || !this.inScope(f)) continue;
        for (const m of new Set(text.match(re) ?? [])) this.memo.get(m)?.push(f);
      }
      for (const id of missing) this.memo.get(id)!.sort();
    }
    const out = new Map<string, string[]>();
    for (const id of ids) out.set(id, this.memo.get(id)!);
    return out;
  }

  /** A file's text as the view has it, without going through the view's own read cache. */
  peek(rel: string): string | null {
    const changed = this.view.changes();
    if (changed.has(rel)) return changed.get(rel)!;
    return this.readDisk(rel);
  }

  /** Read below the root; a symbolic link (which could point out of the tree) reads as missing. */
  private readDisk(rel: string): string | null {
    let fd: number | null = null;
    try {
      fd = openSync(join(this.view.root, rel), constants.O_RDONLY | constants.O_NOFOLLOW);
      return readFileSync(fd, 'utf8');
    } catch {
      return null;
    } finally {
      if (fd !== null) closeSync(fd);
    }
  }

  private files(): string[] {
    if (!this.allFiles) {
      const all: string[] = [];
      for (const s of this.scope.length ? this.scope : ['']) {
        let isDir = true;
        try {
          isDir = s === '' || statSync(join(this.view.root, s)).isDirectory();
        } catch {
          continue;
        }
        if (isDir) walk(this.view.root, s, (f) => all.push(f));
        else if (C_FILE.test(s)) all.push(s);
      }
      this.allFiles = all.sort();
    }
    return this.allFiles;
  }

  private scanMentions(ids: string[]): Map<string, Set<string>> {
    this.stats.scans++;
    const out = new Map<string, Set<string>>(ids.map((id) => [id, new Set<string>()]));
    const re = wordRegex(ids);
    for (const f of this.files()) {
      const text = this.readDisk(f);
      if (text === null) continue;
      for (const m of new Set(text.match(re) ?? [])) out.get(m)?.add(f);
    }
    return out;
  }

  private gitInfo(): GitInfo | null {
    if (this.git !== undefined) return this.git;
    this.git = null;
    const prefix = this.run(['rev-parse', '--show-prefix']);
    if (prefix === null) return null;
    const pre = prefix.trim();
    const headOut = this.run(['rev-parse', '--verify', '-q', 'HEAD']);
    const head = headOut ? headOut.trim() : null;
    const dirty = new Set<string>();
    const status = this.run(['status', '--porcelain', '-z', '--untracked-files=all', '--no-renames', '--', '*.c', '*.h']);
    if (status === null) return null;
    for (const rec of status.split('\0')) {
      if (rec.length < 4) continue;
      const path = rec.slice(3);
      if (pre && !path.startsWith(pre)) continue;
      dirty.add(path.slice(pre.length));
    }
    this.git = { head, dirty };
    return this.git;
  }

  /**
   * A git search that fails or times out is not fatal: the plain scan gives
   * the same answer, only slower. (A git child that never reports back has
   * been seen to leave spawnSync waiting forever under load.)
   */
  private tryGit<T>(f: () => T): T | null {
    try {
      return f();
    } catch {
      return null;
    }
  }

  private run(args: string[]): string | null {
    const r = spawnSync('git', args, { cwd: this.view.root, encoding: 'utf8', maxBuffer: 1 << 30, timeout: GIT_TIMEOUT_MS, killSignal: 'SIGKILL' });
    if (r.error || r.status !== 0) return null;
    return r.stdout;
  }

  private pathspecs(): string[] {
    if (this.scope.length === 0) return ['*.c', '*.h'];
    return this.scope.map((s) => (C_FILE.test(s) ? `:(literal)${s}` : `:(glob)${s}/**/*.[ch]`));
  }

  /** Run git grep in the root; the output is returned raw (NUL-separated names with -z). */
  private gitGrep(args: string[]): string {
    const t0 = performance.now();
    const r = spawnSync('git', ['grep', '-z', '--no-color', '-I', ...args, '--', ...this.pathspecs()], {
      cwd: this.view.root,
      encoding: 'utf8',
      maxBuffer: 1 << 30,
      timeout: GIT_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    this.stats.greps++;
    this.stats.grepMs += performance.now() - t0;
    // Status 1 means "nothing found"; anything else is a failure we cannot recover from here.
    if (r.error || (r.status !== 0 && r.status !== 1)) {
      throw new Error(`git grep failed in ${this.view.root}: ${r.error?.message ?? r.stderr.trim()}`);
    }
    return r.stdout;
  }

  private gitMentions(ids: string[]): Map<string, Set<string>> {
    const git = this.gitInfo()!;
    const out = new Map<string, Set<string>>();
    const todo: string[] = [];
    const cached = new Map<string, Set<string>>();
    // Files that differed from HEAD when an answer was cached may have changed since: look again.
    const extra = new Set<string>();
    for (const id of ids) {
      const c = this.loadAnswer(git, id);
      if (c) {
        cached.set(id, c.files);
        for (const f of c.dirty) extra.add(f);
        this.stats.cachedAnswers++;
      } else {
        todo.push(id);
      }
    }
    for (const id of todo) out.set(id, new Set());
    if (todo.length === 1) {
      // One name: -l stops at the first hit in each file instead of printing every occurrence.
      const set = out.get(todo[0]!)!;
      for (const f of this.gitGrep(['-l', '-w', '-F', '-e', todo[0]!]).split('\0')) if (f) set.add(f);
      this.saveAnswer(git, todo[0]!, set);
    } else if (todo.length) {
      const args = ['-o', '-w', '-F', ...todo.flatMap((id) => ['-e', id])];
      const raw = this.gitGrep(args);
      // `-o -z` prints `path\0match\n` for every occurrence.
      for (const line of raw.split('\n')) {
        const nul = line.indexOf('\0');
        if (nul < 0) continue;
        const f = line.slice(0, nul);
        out.get(line.slice(nul + 1))?.add(f);
      }
      for (const id of todo) this.saveAnswer(git, id, out.get(id)!);
    }
    for (const [id, files] of cached) out.set(id, files);
    // Changed and untracked files: what is on disk now decides.
    const recheckFiles = new Set([...git.dirty, ...extra]);
    if (recheckFiles.size) {
      const re = wordRegex(ids);
      for (const f of recheckFiles) {
        for (const s of out.values()) s.delete(f);
        if (!this.inScope(f)) continue;
        const text = this.readDisk(f);
        if (text === null) continue;
        for (const m of new Set(text.match(re) ?? [])) out.get(m)?.add(f);
      }
    }
    return out;
  }

  private answerPath(git: GitInfo, id: string): string | null {
    if (!this.cacheDir || !git.head) return null;
    const h = createHash('sha1').update(this.view.root).update('\0').update(this.scope.join('\0')).update('\0').update(id).digest('hex');
    return join(this.cacheDir, 'mentions-v1', git.head, h.slice(0, 2), h);
  }

  private loadAnswer(git: GitInfo, id: string): { files: Set<string>; dirty: string[] } | null {
    const p = this.answerPath(git, id);
    if (!p) return null;
    try {
      const v = JSON.parse(readFileSync(p, 'utf8')) as { id?: string; files?: string[]; dirty?: string[] };
      if (v.id !== id || !Array.isArray(v.files) || !Array.isArray(v.dirty)) return null;
      return { files: new Set(v.files), dirty: v.dirty };
    } catch {
      return null;
    }
  }

  private saveAnswer(git: GitInfo, id: string, files: Set<string>): void {
    const p = this.answerPath(git, id);
    if (!p) return;
    const tmp = `${p}.${process.pid}.tmp`;
    try {
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(tmp, JSON.stringify({ id, files: [...files], dirty: [...git.dirty] }));
      renameSync(tmp, p);
    } catch {
      // best effort
    }
  }
}
