/**
 * A unified-diff parser for what `git format-patch` and `diff -u` produce.
 * Hunks are read by their header counts (not by the look of their lines), so
 * a removed line that reads `-- ` or `--- x` stays a hunk line; anything
 * outside a file header (commit message, diffstat, signature) is skipped.
 */
import { InputError } from '../errors.js';
import { quotePath, unsafePathReason } from './paths.js';
import type { FileDiff, FileStatus, Hunk, HunkLine } from './diff-schema.js';

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(?: ?(.*))?$/;

interface Draft {
  gitOld: string | null;
  gitNew: string | null;
  oldPath: string | null | undefined;
  newPath: string | null | undefined;
  renameFrom: string | null;
  renameTo: string | null;
  copyFrom: string | null;
  copyTo: string | null;
  newFileMode: string | null;
  deletedFileMode: string | null;
  oldMode: string | null;
  newMode: string | null;
  oldBlob: string | null;
  newBlob: string | null;
  indexMode: string | null;
  similarity: number | null;
  /** Saw the `---`/`+++` pair, so hunks may follow. */
  hasFileLines: boolean;
  hunks: Hunk[];
  isGit: boolean;
}

function newDraft(isGit: boolean): Draft {
  return {
    gitOld: null,
    gitNew: null,
    oldPath: undefined,
    newPath: undefined,
    renameFrom: null,
    renameTo: null,
    copyFrom: null,
    copyTo: null,
    newFileMode: null,
    deletedFileMode: null,
    oldMode: null,
    newMode: null,
    oldBlob: null,
    newBlob: null,
    indexMode: null,
    similarity: null,
    hasFileLines: false,
    hunks: [],
    isGit,
  };
}

/** Undoes git's C-style quoting of a path (`"a/sp\303\244ce"`). */
export function unquoteCPath(quoted: string): string {
  const bytes: number[] = [];
  const body = quoted.slice(1, -1);
  const enc = new TextEncoder();
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      bytes.push(...enc.encode(c));
      continue;
    }
    const n = body[++i];
    if (n === undefined) break;
    if (/[0-7]/.test(n)) {
      const oct = body.slice(i, i + 3);
      bytes.push(parseInt(oct, 8) & 0xff);
      i += oct.length - 1;
      continue;
    }
    const simple: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '"': 34, '\\': 92 };
    bytes.push(simple[n] ?? n.charCodeAt(0));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** Reads one path token at the start of `s`: quoted, or up to a tab (diff -u puts the timestamp after one). */
function readPathToken(s: string): string {
  if (s.startsWith('"')) {
    const end = findClosingQuote(s);
    if (end > 0) return unquoteCPath(s.slice(0, end + 1));
  }
  const tab = s.indexOf('\t');
  const raw = tab >= 0 ? s.slice(0, tab) : s;
  // git adds no timestamp; old diffs separate it with spaces: "x.c  2024-01-01 ...".
  // A lookbehind and trimEnd rather than /^(.*?)\s{2,}date/ and /\s+$/: those are quadratic on a
  // header line with a long run of blanks (a hostile patch can send one).
  const spaced = /(?<=\s\s)\d{4}-\d\d-\d\d /.exec(raw);
  return (spaced ? raw.slice(0, spaced.index) : raw).trimEnd();
}

function findClosingQuote(s: string): number {
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}

/** Strips the first component (`a/`, `b/`, `linux.orig/`), as `patch -p1` does. */
function stripPrefix(p: string): string {
  const slash = p.indexOf('/');
  return slash >= 0 ? p.slice(slash + 1) : p;
}

/** The two paths of `diff --git a/x b/y`, which are ambiguous when they hold spaces. */
function parseGitHeaderPaths(rest: string): [string | null, string | null] {
  if (rest.startsWith('"')) {
    const end = findClosingQuote(rest);
    if (end < 0) return [null, null];
    const a = unquoteCPath(rest.slice(0, end + 1));
    const tail = rest.slice(end + 1).trimStart();
    const b = tail.startsWith('"') ? unquoteCPath(tail) : tail;
    return [stripPrefix(a), stripPrefix(b)];
  }
  const q = rest.indexOf(' "');
  if (q >= 0) return [stripPrefix(rest.slice(0, q)), stripPrefix(unquoteCPath(rest.slice(q + 1)))];
  // Same name on both sides (every diff but a rename): "a/N b/N".
  if (rest.length % 2 === 1) {
    const mid = (rest.length - 1) / 2;
    const a = rest.slice(0, mid);
    const b = rest.slice(mid + 1);
    if (rest[mid] === ' ' && stripPrefix(a) === stripPrefix(b)) return [stripPrefix(a), stripPrefix(b)];
  }
  const sp = rest.lastIndexOf(' b/');
  if (sp >= 0) return [stripPrefix(rest.slice(0, sp)), stripPrefix(rest.slice(sp + 1))];
  const parts = rest.split(' ');
  if (parts.length === 2) return [stripPrefix(parts[0]!), stripPrefix(parts[1]!)];
  return [null, null];
}

function fileLinePath(s: string): string | null {
  const p = readPathToken(s);
  // `diff -N` marks a missing side with the epoch as its timestamp.
  if (/\t(1970-01-01 00:00:00|1969-12-31 \d\d:00:00)/.test(s)) return null;
  return p === '/dev/null' ? null : stripPrefix(p);
}

/** The file's name as messages show it (shortened: a hostile patch may send a megabyte-long path). */
function displayName(d: Draft): string {
  const name = d.renameTo ?? d.copyTo ?? d.newPath ?? d.oldPath ?? d.gitNew ?? d.gitOld ?? '<unknown file>';
  return name.length > 200 ? `${name.slice(0, 197)}...` : name;
}

function finish(d: Draft, source: string): FileDiff {
  let oldPath: string | null;
  let newPath: string | null;
  let status: FileStatus;
  if (d.renameFrom !== null || d.renameTo !== null) {
    status = 'renamed';
    oldPath = d.renameFrom ?? d.oldPath ?? d.gitOld;
    newPath = d.renameTo ?? d.newPath ?? d.gitNew;
  } else if (d.copyFrom !== null || d.copyTo !== null) {
    status = 'copied';
    oldPath = d.copyFrom ?? d.oldPath ?? d.gitOld;
    newPath = d.copyTo ?? d.newPath ?? d.gitNew;
  } else if (d.newFileMode !== null || d.oldPath === null) {
    status = 'added';
    oldPath = null;
    newPath = d.newPath ?? d.gitNew;
  } else if (d.deletedFileMode !== null || d.newPath === null) {
    status = 'deleted';
    oldPath = d.oldPath ?? d.gitOld;
    newPath = null;
  } else {
    status = 'modified';
    oldPath = d.oldPath ?? d.gitOld;
    newPath = d.newPath ?? d.gitNew;
  }
  const name = displayName(d);
  if (status !== 'added' && !oldPath) throw new InputError(`${source}: ${name}: no path for the old file`);
  if (status !== 'deleted' && !newPath) throw new InputError(`${source}: ${name}: no path for the new file`);
  for (const p of [oldPath, newPath]) {
    if (p === null) continue;
    const reason = unsafePathReason(p);
    if (reason) throw new InputError(`${source}: unsafe path ${quotePath(p)}: ${reason}`);
  }
  return {
    oldPath,
    newPath,
    status,
    oldMode: d.oldMode ?? d.deletedFileMode ?? (status === 'added' ? null : d.indexMode),
    newMode: d.newMode ?? d.newFileMode ?? (status === 'deleted' ? null : d.indexMode),
    oldBlob: d.oldBlob,
    newBlob: d.newBlob,
    similarity: d.similarity,
    hunks: d.hunks,
  };
}

function quoteLine(s: string): string {
  return JSON.stringify(s.length > 80 ? s.slice(0, 77) + '...' : s);
}

/**
 * Parses every file diff of one patch. `source` names where the text came
 * from (file, message) in error messages.
 */
export function parseDiff(text: string, source: string): FileDiff[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const files: FileDiff[] = [];
  let cur: Draft | null = null;
  const clean = (s: string) => (s.endsWith('\r') ? s.slice(0, -1) : s);
  const close = () => {
    // A "diff --git" line whose paths cannot be read, with nothing after it, is prose.
    const d = cur as Draft | null;
    const empty = d && !d.hasFileLines && d.gitOld === null && d.renameTo === null && d.copyTo === null;
    if (d && !empty) files.push(finish(d, source));
    cur = null;
  };
  const binary = (d: Draft | null, fallback: string): never => {
    throw new InputError(`${source}: binary patches are not supported: ${d ? displayName(d) : fallback}`);
  };

  let i = 0;
  while (i < lines.length) {
    const line = clean(lines[i]!);

    if (line.startsWith('diff --git ')) {
      close();
      cur = newDraft(true);
      const [a, b] = parseGitHeaderPaths(line.slice('diff --git '.length));
      cur.gitOld = a;
      cur.gitNew = b;
      i++;
      continue;
    }

    if (line.startsWith('--- ') && i + 1 < lines.length && clean(lines[i + 1]!).startsWith('+++ ')) {
      const d: Draft = cur && cur.isGit && !cur.hasFileLines ? cur : newDraft(false);
      if (d !== cur) {
        close();
        cur = d;
      }
      d.oldPath = fileLinePath(line.slice(4));
      d.newPath = fileLinePath(clean(lines[i + 1]!).slice(4));
      d.hasFileLines = true;
      i += 2;
      continue;
    }

    if (line.startsWith('@@')) {
      if (!cur || !cur.hasFileLines) {
        throw new InputError(`${source}: hunk outside any file header: ${quoteLine(line)}`);
      }
      i = readHunk(lines, i, cur, source);
      continue;
    }

    if (line === 'GIT binary patch' || /^Binary files .* differ$/.test(line)) {
      const m = line.match(/^Binary files (.*) and (.*) differ$/);
      binary(cur, m ? (fileLinePath(m[2]!) ?? fileLinePath(m[1]!) ?? m[2]!) : '<unknown file>');
    }

    if (cur && cur.isGit && !cur.hasFileLines) {
      let m: RegExpMatchArray | null;
      if ((m = line.match(/^old mode (\d+)$/))) cur.oldMode = m[1]!;
      else if ((m = line.match(/^new mode (\d+)$/))) cur.newMode = m[1]!;
      else if ((m = line.match(/^new file mode (\d+)$/))) cur.newFileMode = m[1]!;
      else if ((m = line.match(/^deleted file mode (\d+)$/))) cur.deletedFileMode = m[1]!;
      else if ((m = line.match(/^rename from (.+)$/))) cur.renameFrom = readPathToken(m[1]!);
      else if ((m = line.match(/^rename to (.+)$/))) cur.renameTo = readPathToken(m[1]!);
      else if ((m = line.match(/^copy from (.+)$/))) cur.copyFrom = readPathToken(m[1]!);
      else if ((m = line.match(/^copy to (.+)$/))) cur.copyTo = readPathToken(m[1]!);
      else if ((m = line.match(/^(?:dis)?similarity index (\d+)%$/))) {
        const n = Number(m[1]);
        cur.similarity = line.startsWith('dis') ? 100 - n : n;
      } else if ((m = line.match(/^index ([0-9a-fA-F]+)\.\.([0-9a-fA-F]+)(?: (\d+))?$/))) {
        cur.oldBlob = m[1]!;
        cur.newBlob = m[2]!;
        if (m[3]) cur.indexMode = m[3];
      }
    }
    i++;
  }
  close();
  if (files.length === 0) throw new InputError(`${source}: no diff found`);
  return files;
}

/** Reads the hunk whose header is at `start`; returns the index of the first line after it. */
function readHunk(lines: string[], start: number, d: Draft, source: string): number {
  const header = lines[start]!.replace(/\r$/, '');
  const n = d.hunks.length + 1;
  const where = `${source}: ${displayName(d)}: hunk ${n}`;
  const m = header.match(HUNK_HEADER);
  if (!m) throw new InputError(`${where}: malformed hunk header ${quoteLine(header)}`);
  const oldStart = Number(m[1]);
  const oldLines = m[2] === undefined ? 1 : Number(m[2]);
  const newStart = Number(m[3]);
  const newLines = m[4] === undefined ? 1 : Number(m[4]);
  // Line numbers past 2^53 lose precision (and 400-digit ones are Infinity): no real file has them.
  if (![oldStart, oldLines, newStart, newLines].every(Number.isSafeInteger)) {
    throw new InputError(`${where}: line number too large in hunk header ${quoteLine(header)}`);
  }
  const hunkLines: HunkLine[] = [];
  let seenOld = 0;
  let seenNew = 0;
  let i = start + 1;
  const mismatch = (why: string): never => {
    const h = header.match(/^@@ .*? @@/)?.[0] ?? header;
    throw new InputError(
      `${where} (${h}): line counts do not match the header: expected ${oldLines} old and ${newLines} new lines, ${why}`,
    );
  };
  while (seenOld < oldLines || seenNew < newLines) {
    if (i >= lines.length) mismatch(`found ${seenOld} and ${seenNew} before the end of the diff`);
    const raw = lines[i]!;
    // Mailers strip the trailing blank of an empty context line.
    const c = raw === '' || raw === '\r' ? ' ' : raw[0];
    if (c === '\\') {
      if (hunkLines.length === 0) mismatch(`found a "\\ No newline" marker before any line`);
      hunkLines[hunkLines.length - 1]!.noNewline = true;
      i++;
      continue;
    }
    if (c !== ' ' && c !== '-' && c !== '+') {
      mismatch(`found ${seenOld} and ${seenNew} before ${quoteLine(raw.replace(/\r$/, ''))}`);
    }
    const kind = c as ' ' | '-' | '+';
    if (kind !== '+') seenOld++;
    if (kind !== '-') seenNew++;
    if (seenOld > oldLines || seenNew > newLines) {
      mismatch(`found more ${seenOld > oldLines ? 'old' : 'new'} lines than that`);
    }
    hunkLines.push({ kind, text: raw.slice(1), noNewline: false });
    i++;
  }
  // A `\ No newline` marker may follow the last line.
  if (i < lines.length && lines[i]!.startsWith('\\') && hunkLines.length > 0) {
    hunkLines[hunkLines.length - 1]!.noNewline = true;
    i++;
  }
  // A hunk line right after the counted ones means the header undercounts.
  if (i < lines.length) {
    const next = lines[i]!.replace(/\r$/, '');
    const isHeader = next.startsWith('--- ') && i + 1 < lines.length && lines[i + 1]!.startsWith('+++ ');
    const isSignature = next === '-- ' || next === '--';
    if (!isHeader && !isSignature && /^[-+ ]/.test(next)) mismatch(`found more lines than that`);
  }
  d.hunks.push({
    oldStart,
    oldLines,
    newStart,
    newLines,
    section: m[5] ?? '',
    header,
    lines: hunkLines,
  });
  return i;
}
