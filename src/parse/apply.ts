/**
 * Applies parsed diffs to a tree view, the way GNU patch does: each hunk at
 * the position its header says (shifted by where the previous hunk landed),
 * else at the nearest offset, else with fuzz 1 then 2 (ignoring that many
 * context lines at the hunk's edges). Hunks apply in order and never
 * overlap. Nothing is written anywhere: results land in an Overlay, frozen
 * into one snapshot per patch.
 */
import { KreviewError } from '../errors.js';
import type { FileDiff, Hunk, HunkResult, PatchResult, PatchSource } from './diff-schema.js';
import { Overlay } from './overlay.js';
import type { TreeView } from './tree.js';

export interface FileApplyResult {
  /** The text after the diff; null when the diff deletes the file or did not apply. */
  text: string | null;
  hunks: HunkResult[];
  /** Why the file as a whole could not be patched (missing, exists, differs), or null. */
  error: string | null;
}

export interface ApplyOptions {
  /** Most context lines ignored at each edge of a hunk (GNU patch's -F); default 2. */
  maxFuzz?: number;
}

/*
 * A line is compared by a key: its text, plus a trailing "\n" when it has no
 * newline (text never contains "\n", so the marker cannot collide). That makes
 * `\ No newline at end of file` part of the match, in both directions.
 */
const NO_NL = '\n';

/** Failed hunks of one file after which the remaining hunks are not searched for. */
export const MAX_FAILED_HUNKS = 50;

interface Lines {
  keys: string[];
  crlf: boolean;
}

function splitText(text: string): Lines {
  if (text === '') return { keys: [], crlf: false };
  const parts = text.split('\n');
  const last = parts.pop()!;
  const crlf = parts.length > 0 && parts.every((l) => l.endsWith('\r'));
  const keys = crlf ? parts.map((l) => l.slice(0, -1)) : parts;
  if (last !== '') keys.push(last + NO_NL);
  return { keys, crlf };
}

function joinLines(keys: string[], crlf: boolean): string {
  const eol = crlf ? '\r\n' : '\n';
  let out = '';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k.endsWith(NO_NL)) {
      // A line without newline is only possible at the end; elsewhere it gets one (as GNU patch does).
      out += k.slice(0, -1) + (i === keys.length - 1 ? '' : eol);
    } else {
      out += k + eol;
    }
  }
  return out;
}

interface PreparedHunk {
  hunk: Hunk;
  /** The old side: context and removed lines. */
  pattern: string[];
  /** Hunk lines as kind + key, in order. */
  ops: { kind: ' ' | '-' | '+'; key: string }[];
  prefixContext: number;
  suffixContext: number;
  /** Old-side lines up to and including the last change: what applying freezes. */
  frozenSpan: number;
}

function prepareHunk(hunk: Hunk, stripCr: boolean): PreparedHunk {
  const ops = hunk.lines.map((l) => {
    let text = l.text;
    if (stripCr && text.endsWith('\r')) text = text.slice(0, -1);
    return { kind: l.kind, key: l.noNewline ? text + NO_NL : text };
  });
  const pattern = ops.filter((o) => o.kind !== '+').map((o) => o.key);
  let prefixContext = 0;
  while (prefixContext < ops.length && ops[prefixContext]!.kind === ' ') prefixContext++;
  let suffixContext = 0;
  while (suffixContext < ops.length - prefixContext && ops[ops.length - 1 - suffixContext]!.kind === ' ') {
    suffixContext++;
  }
  let old = 0;
  let frozenSpan = 0;
  for (const o of ops) {
    if (o.kind === '-') frozenSpan = ++old;
    else if (o.kind === '+') frozenSpan = old;
    else old++;
  }
  return { hunk, pattern, ops, prefixContext, suffixContext, frozenSpan };
}

/** 0-based index in the old file where the header says the hunk's old side starts. */
function headerIndex(h: Hunk): number {
  return h.oldLines === 0 ? h.oldStart : Math.max(0, h.oldStart - 1);
}

function matchesAt(file: string[], pattern: string[], pos: number, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (file[pos + i] !== pattern[i]) return false;
  return true;
}

/**
 * Where the hunk applies with this much fuzz, following GNU patch's
 * locate_hunk: a hunk with less context at one edge than at the other is
 * anchored to that end of the file, positive offsets are tried before
 * negative ones at each distance.
 */
function locate(
  file: string[],
  ph: PreparedHunk,
  firstGuess: number,
  frozen: number,
  fuzz: number,
): number | null {
  const n = file.length;
  const pat = ph.pattern.length;
  const context = Math.max(ph.prefixContext, ph.suffixContext);
  let prefixFuzz = fuzz + ph.prefixContext - context;
  const suffixFuzz = fuzz + ph.suffixContext - context;
  if (pat === 0) return firstGuess >= frozen && firstGuess <= n ? firstGuess : null;
  const maxWhere = n - (pat - Math.max(0, suffixFuzz));
  const minWhere = frozen;
  const ok = (pos: number, pf: number, sf: number) =>
    pos >= minWhere && pos <= maxWhere && pos >= 0 && matchesAt(file, ph.pattern, pos, pf, pat - sf);

  if (prefixFuzz < 0 && headerIndex(ph.hunk) === 0) {
    // Can only match the start of the file (and, with short suffix context too, the whole file).
    if (suffixFuzz < 0 && pat !== n) return null;
    return frozen === 0 && ok(0, 0, Math.max(0, suffixFuzz)) ? 0 : null;
  }
  if (prefixFuzz < 0) prefixFuzz = 0;
  if (suffixFuzz < 0) {
    // Can only match the end of the file.
    const pos = n - pat;
    return ok(pos, prefixFuzz, 0) ? pos : null;
  }
  if (maxWhere < minWhere) return null;
  const maxOffset = Math.max(maxWhere - firstGuess, firstGuess - minWhere);
  // Start at the first distance that reaches a valid position: a header that points far past the
  // end of the file (`@@ -99999999999,1 ...`) would otherwise spin through every offset in between.
  const firstOffset = firstGuess > maxWhere ? firstGuess - maxWhere : firstGuess < minWhere ? minWhere - firstGuess : 0;
  for (let off = firstOffset; off <= maxOffset; off++) {
    if (ok(firstGuess + off, prefixFuzz, suffixFuzz)) return firstGuess + off;
    if (off > 0 && ok(firstGuess - off, prefixFuzz, suffixFuzz)) return firstGuess - off;
  }
  return null;
}

/** `@@ -627,6 +627,19 @@` without the function context, as error messages quote it. */
export function shortHeader(header: string): string {
  return header.match(/^@@ [^@]*@@/)?.[0] ?? header;
}

function show(key: string | undefined): string {
  if (key === undefined) return 'end of file';
  const text = key.endsWith(NO_NL) ? key.slice(0, -1) : key;
  const t = text.length > 80 ? text.slice(0, 77) + "..." : text;
  return `'${t}'${key.endsWith(NO_NL) ? ' (no newline at end of file)' : ''}`;
}

/** Why the hunk does not apply, judged at the position the header points to. */
function failureReason(file: string[], ph: PreparedHunk, guess: number, frozen: number, prev: number): string {
  const pos = Math.min(Math.max(guess, 0), file.length);
  if (pos < frozen && matchesAt(file, ph.pattern, pos, 0, ph.pattern.length) && pos + ph.pattern.length <= file.length) {
    return `overlaps hunk ${prev} (lines ${pos + 1}..${frozen} are already changed)`;
  }
  for (let i = 0; i < ph.pattern.length; i++) {
    if (file[pos + i] !== ph.pattern[i]) {
      let reason = `context does not match at line ${pos + i + 1}: expected ${show(ph.pattern[i])}, found ${show(file[pos + i])}`;
      const replacement = ph.ops.filter((o) => o.kind !== '-').map((o) => o.key);
      const pat = ph.pattern;
      if (replacement.length > 0 && replacement.join('\0') !== pat.join('\0')) {
        for (let p = 0; p + replacement.length <= file.length; p++) {
          if (matchesAt(file, replacement, p, 0, replacement.length)) {
            reason += ` (the change seems to be there already, at line ${p + 1})`;
            break;
          }
        }
      }
      return reason;
    }
  }
  return `does not fit between the previous hunk and the end of the file`;
}

/**
 * Applies the hunks of one file diff to `text` (the old file; null when it
 * does not exist). Checks that an added file does not exist yet, that a
 * modified one does, and that a deleted one ends up empty.
 */
export function applyFileDiff(text: string | null, fd: FileDiff, opts: ApplyOptions = {}): FileApplyResult {
  const maxFuzz = opts.maxFuzz ?? 2;
  const file = fd.newPath ?? fd.oldPath ?? '';
  if (fd.status === 'added') {
    if (text !== null) return { text: null, hunks: [], error: 'file already exists' };
  } else if (text === null) {
    return { text: null, hunks: [], error: 'file does not exist' };
  }
  const { keys, crlf } = splitText(text ?? '');
  const allHunkLines = fd.hunks.flatMap((h) => h.lines);
  // A CRLF file is matched without its CRs; a patch whose every line carries a
  // CR (mail converted on the way) is matched without them too.
  const patchCrlf = allHunkLines.length > 0 && allHunkLines.every((l) => l.text.endsWith('\r'));
  const stripCr = crlf || (patchCrlf && text !== null && text !== '');
  const prepared = fd.hunks.map((h) => prepareHunk(h, stripCr));

  const results: HunkResult[] = [];
  const placed: { ph: PreparedHunk; pos: number }[] = [];
  let frozen = 0;
  let inOffset = 0;
  let lastApplied = 0;
  let failed = 0;
  prepared.forEach((ph, i) => {
    if (failed >= MAX_FAILED_HUNKS) {
      // Each failed hunk costs a search of the whole file: a hostile patch of 100,000 hunks that
      // match nothing would take hours. Past this many, the rest are reported without a search.
      results.push({
        file,
        hunk: i + 1,
        header: shortHeader(ph.hunk.header),
        status: 'failed',
        offset: 0,
        fuzz: 0,
        reason: `not tried: ${MAX_FAILED_HUNKS} earlier hunks of this file did not apply`,
      });
      return;
    }
    const expected = headerIndex(ph.hunk);
    const firstGuess = expected + inOffset;
    const context = Math.max(ph.prefixContext, ph.suffixContext);
    const fuzzLimit = Math.min(maxFuzz, context);
    let pos: number | null = null;
    let fuzz = 0;
    for (; fuzz <= fuzzLimit; fuzz++) {
      pos = locate(keys, ph, firstGuess, frozen, fuzz);
      if (pos !== null) break;
    }
    const base = { file, hunk: i + 1, header: shortHeader(ph.hunk.header) };
    if (pos === null) {
      failed++;
      results.push({
        ...base,
        status: 'failed',
        offset: 0,
        fuzz: 0,
        reason: failureReason(keys, ph, firstGuess, frozen, lastApplied),
      });
      return;
    }
    const offset = pos - expected;
    inOffset = offset;
    frozen = pos + ph.frozenSpan;
    lastApplied = i + 1;
    placed.push({ ph, pos });
    results.push({
      ...base,
      status: fuzz > 0 ? 'fuzz' : offset !== 0 ? 'offset' : 'applied',
      offset,
      fuzz,
      reason: null,
    });
  });

  if (results.some((r) => r.status === 'failed')) return { text: null, hunks: results, error: null };

  // Context lines are copied from the file, not from the patch, so lines that
  // fuzz ignored keep their current text.
  const out: string[] = [];
  let next = 0;
  const copyTill = (end: number) => {
    while (next < end && next < keys.length) out.push(keys[next++]!);
  };
  for (const { ph, pos } of placed) {
    let old = 0;
    for (const op of ph.ops) {
      if (op.kind === ' ') old++;
      else if (op.kind === '-') {
        copyTill(pos + old);
        next = pos + old + 1;
        old++;
      } else {
        copyTill(pos + old);
        out.push(op.key);
      }
    }
  }
  copyTill(keys.length);

  if (fd.status === 'deleted') {
    if (out.length > 0) {
      return {
        text: null,
        hunks: results,
        error: `file to delete still has ${out.length} line(s) the patch does not remove (its content differs)`,
      };
    }
    return { text: null, hunks: results, error: null };
  }
  return { text: joinLines(out, crlf), hunks: results, error: null };
}

/**
 * Applies one patch to `view`. The snapshot is the tree after the patch; when
 * the patch does not apply it is `view` itself, unchanged.
 */
export function applyPatch(
  view: TreeView,
  patch: PatchSource,
  opts: ApplyOptions = {},
): { result: PatchResult; snapshot: TreeView } {
  const overlay = new Overlay(view);
  const hunks: HunkResult[] = [];
  const errors: string[] = [];
  const touched = new Set<string>();

  for (const fd of patch.files) {
    const name = fd.newPath ?? fd.oldPath ?? '<unknown file>';
    try {
      if ((fd.status === 'renamed' || fd.status === 'copied') && fd.newPath !== fd.oldPath) {
        if (overlay.exists(fd.newPath!)) {
          errors.push(`${fd.newPath}: file already exists (${fd.status} from ${fd.oldPath})`);
          continue;
        }
      }
      const text = overlay.read(fd.status === 'added' ? fd.newPath! : fd.oldPath!);
      const r = applyFileDiff(text, fd, opts);
      hunks.push(...r.hunks);
      if (r.error) {
        errors.push(`${fd.status === 'renamed' || fd.status === 'copied' ? fd.oldPath : name}: ${r.error}`);
        continue;
      }
      if (r.hunks.some((h) => h.status === 'failed')) continue;
      switch (fd.status) {
        case 'deleted':
          overlay.delete(fd.oldPath!);
          touched.add(fd.oldPath!);
          break;
        case 'renamed':
          overlay.delete(fd.oldPath!);
          overlay.set(fd.newPath!, r.text!);
          touched.add(fd.oldPath!);
          touched.add(fd.newPath!);
          break;
        default:
          overlay.set(fd.newPath!, r.text!);
          touched.add(fd.newPath!);
      }
    } catch (err) {
      // An unsafe path or an unreadable file fails this file, not the whole run.
      if (!(err instanceof KreviewError)) throw err;
      errors.push(`${name}: ${err.message.startsWith(name + ': ') ? err.message.slice(name.length + 2) : err.message}`);
    }
  }

  const applied = errors.length === 0 && hunks.every((h) => h.status !== 'failed');
  const result: PatchResult = {
    index: patch.index,
    total: patch.total,
    subject: patch.subject,
    applied,
    hunks,
    errors,
    touched: [...touched],
  };
  return { result, snapshot: applied ? overlay.freeze() : view };
}

/**
 * Applies a series patch by patch. `snapshots[i]` is the tree after patch i;
 * it stops at the first patch that does not apply, whose result is the last
 * of `results` (so `results` may be one longer than `snapshots`).
 */
export function applySeries(
  base: TreeView,
  patches: PatchSource[],
  opts: ApplyOptions = {},
): { results: PatchResult[]; snapshots: TreeView[] } {
  const results: PatchResult[] = [];
  const snapshots: TreeView[] = [];
  let view = base;
  for (const p of patches) {
    const { result, snapshot } = applyPatch(view, p, opts);
    results.push(result);
    if (!result.applied) break;
    snapshots.push(snapshot);
    view = snapshot;
  }
  return { results, snapshots };
}

