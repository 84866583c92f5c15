/**
 * A whole-tree table "name -> files" built from one search for lines of a
 * given shape: declaration lines (where a definition can be), binder lines
 * (INIT_WORK, timer_setup, `.function =`, kthread_run: where a callback can
 * be bound). In a git work tree it is one `git grep -P` per commit, kept on
 * disk in 256 shards so that a later run reads one small shard per lookup;
 * elsewhere a scan of the files in memory. The caller rechecks files that
 * differ from HEAD: the table is about the commit.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LineTableSpec {
  /** Directory name under the cache directory; a new format gets a new name. */
  kind: string;
  /** The line shape, for `git grep -P`. */
  pcre: string;
  /** Print only the matched part (`-o`) rather than the whole line. */
  onlyMatching: boolean;
  /** Lines after each match that count too (a call whose arguments go on). */
  after: number;
  /** The names one output line contributes (`match` false for a context line). */
  namesOfLine(line: string, match: boolean, add: (name: string) => void): void;
  /** The names a whole file contributes: the same answer, from its text. */
  namesOfText(text: string): Set<string>;
}

/** Names -> numbers into `files`. */
export interface NameTable {
  files: string[];
  map: Map<string, number[]>;
}

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

function addName(t: NameTable, name: string, fileId: number): void {
  const list = t.map.get(name);
  if (list) list.push(fileId);
  else t.map.set(name, [fileId]);
}

function atomicWrite(path: string, data: string): void {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * Shard texts and metas read from disk, by path, for every table of the
 * process: a series' views and check's batches each have their own index,
 * and each used to read and split the same shards again. A shard is looked
 * up in its text (one line per name), not split into a map: a run asks a
 * few names of most shards.
 */
const shardTexts = new Map<string, string>();
const metas = new Map<string, { dirty: string[]; files: string[] }>();

function forgetDir(dir: string): void {
  for (const m of [shardTexts, metas]) for (const k of [...m.keys()]) if (k.startsWith(`${dir}/`)) m.delete(k);
}

/** The ids field of `name`'s line in a shard's text (which starts and ends with a newline). */
function idsIn(text: string, name: string): string | undefined {
  const at = text.indexOf(`\n${name}\t`);
  if (at < 0) return undefined;
  const from = at + name.length + 2;
  return text.slice(from, text.indexOf('\n', from));
}

export interface LineTableSource {
  root: string;
  /** git pathspecs of the search. */
  pathspecs: string[];
  /** Directory for this commit's shards (null: memory only). */
  dir: string | null;
  /** Files that differed from HEAD when the table is built: recorded beside it. */
  dirty: string[];
  timeoutMs: number;
  /** Every file of the tree in scope, for the scan without git. */
  files(): string[];
  read(file: string): string | null;
}

/** Where a table reports its work (the searcher's stats). */
export interface LineTableCounter {
  built(ms: number): void;
  shardLoaded(): void;
}

/**
 * One table of one shape for one tree view. `lookup` answers from the
 * shards on disk, or builds the table (git grep, or a scan) on first need.
 */
export class LineTable {
  private all: NameTable | null = null;
  private builtDirty: string[] = [];
  private meta: { dirty: string[]; files: string[] } | null = null;

  constructor(
    private readonly spec: LineTableSpec,
    private readonly src: LineTableSource,
    private readonly count: LineTableCounter,
    private readonly useGit: boolean,
  ) {}

  /** The files the table lists for `name`, and the files that were dirty when it was built. */
  lookup(name: string): { files: string[]; dirty: string[] } {
    if (this.all) {
      const t = this.all;
      return { files: (t.map.get(name) ?? []).map((i) => t.files[i]!), dirty: this.builtDirty };
    }
    const dir = this.useGit ? this.src.dir : null;
    if (dir) {
      try {
        const metaPath = join(dir, 'meta.json');
        if (!this.meta) {
          let m = metas.get(metaPath);
          if (!m) metas.set(metaPath, (m = JSON.parse(readFileSync(metaPath, 'utf8')) as { dirty: string[]; files: string[] }));
          this.meta = m;
        }
        const path = join(dir, `${shardOf(name)}.txt`);
        let shard = shardTexts.get(path);
        if (shard === undefined) {
          // `name\tfile,file` per line, files as numbers into meta.files.
          shard = `\n${readFileSync(path, 'utf8')}\n`;
          this.count.shardLoaded();
          shardTexts.set(path, shard);
        }
        const files = this.meta.files;
        const ids = idsIn(shard, name);
        return { files: ids ? ids.split(',').map((i) => files[Number(i)]!) : [], dirty: this.meta.dirty };
      } catch {
        // Not built for this commit yet, or damaged: build it.
        this.meta = null;
        forgetDir(dir);
      }
    }
    this.build(dir);
    return this.lookup(name);
  }

  /** Build (or find on disk) now. */
  prepare(): void {
    this.lookup('');
  }

  private scan(): NameTable {
    const table: NameTable = { files: [], map: new Map() };
    for (const f of this.src.files()) {
      const text = this.src.read(f);
      if (text === null) continue;
      const names = this.spec.namesOfText(text);
      if (!names.size) continue;
      const id = table.files.push(f) - 1;
      for (const n of names) addName(table, n, id);
    }
    return table;
  }

  private build(dir: string | null): void {
    const t0 = performance.now();
    this.builtDirty = [...this.src.dirty];
    const table = (this.useGit && this.grep()) || this.scan();
    this.count.built(performance.now() - t0);
    this.all = table;
    if (!dir) return;
    forgetDir(dir);
    const shards: string[][] = Array.from({ length: SHARDS }, () => []);
    for (const [n, ids] of table.map) shards[parseInt(shardOf(n), 16)]!.push(`${n}\t${ids.join(',')}`);
    try {
      mkdirSync(dir, { recursive: true });
      for (let i = 0; i < SHARDS; i++) atomicWrite(join(dir, `${i.toString(16).padStart(2, '0')}.txt`), shards[i]!.join('\n'));
      // Written last: its presence says the shards are complete.
      atomicWrite(join(dir, 'meta.json'), JSON.stringify({ dirty: this.builtDirty, files: table.files }));
    } catch {
      // best effort
    }
  }

  /** The table from one `git grep`, or null when git cannot (no PCRE, a timeout). */
  private grep(): NameTable | null {
    const args = ['-c', 'core.quotePath=false', 'grep', '-I', '--no-color', '--heading', '--break', '-n', '-P', this.spec.pcre];
    if (this.spec.onlyMatching) args.splice(args.length - 2, 0, '-o');
    if (this.spec.after > 0) args.splice(args.length - 2, 0, `-A${this.spec.after}`);
    const r = spawnSync('git', [...args, '--', ...this.src.pathspecs], {
      cwd: this.src.root,
      encoding: 'utf8',
      maxBuffer: 1 << 30,
      timeout: this.src.timeoutMs,
      killSignal: 'SIGKILL',
    });
    if (r.error || (r.status !== 0 && r.status !== 1)) return null;
    // `--heading --break -n`: a file name, then `N:text` (a match) or `N-text`
    // (context) lines with `--` between groups, then a blank line. Walked with
    // indexOf: the output is tens of megabytes for a kernel tree.
    const table: NameTable = { files: [], map: new Map() };
    const out = r.stdout;
    let fileId = -1;
    const names = new Set<string>();
    const add = (n: string): void => void names.add(n);
    const flush = (): void => {
      if (fileId >= 0) for (const n of names) addName(table, n, fileId);
      names.clear();
      fileId = -1;
    };
    for (let pos = 0; pos <= out.length; ) {
      let nl = out.indexOf('\n', pos);
      if (nl < 0) nl = out.length;
      if (nl === pos) {
        flush();
      } else if (fileId < 0) {
        fileId = table.files.push(out.slice(pos, nl)) - 1;
      } else {
        let i = pos;
        while (i < nl && out.charCodeAt(i) >= 48 && out.charCodeAt(i) <= 57) i++;
        const sep = out[i];
        if (i > pos && (sep === ':' || sep === '-')) this.spec.namesOfLine(out.slice(i + 1, nl), sep === ':', add);
      }
      pos = nl + 1;
    }
    flush();
    return table;
  }
}
