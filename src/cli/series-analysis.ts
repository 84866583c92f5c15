/**
 * A series analysed patch by patch: the tree before, and the snapshot after
 * each patch, all analysed over the same files, so every finding can be
 * told apart as introduced, fixed or pre-existing and pinned to the patch
 * that made it appear or go. lint, scan and review all start from this.
 */
import type { TreeView } from '../parse/tree.js';
import type { TreeIndex } from '../parse/index/types.js';
import type { PatchResult, PatchSource } from '../parse/diff-schema.js';
import type { Series } from '../mail/schema.js';
import type { Finding } from '../report/schema.js';
import type { Config } from '../rules/config.js';
import { applySeries } from '../parse/apply.js';
import { analyse, enclosingFunction, functionText, type Analysis } from './analyse.js';
import { describeFailure } from './apply-failure.js';
import { createIndex } from '../parse/index/index.js';
import { FileSearch, type GitInfo } from '../parse/index/files.js';
import type { IrFunction } from '../parse/ir.js';
import { fnPrint } from '../model/deps.js';
import type { Binding } from '../parse/index/types.js';
import type { Summary } from '../rules/summaries.js';
import { SummaryShare, shareScope, type ShareScope, type ViewFunction } from '../rules/summary-share.js';
import { newWarnSession, withWarnSession, type WarnFocus, type WarnSession } from '../rules/warn-reachable.js';

export interface PatchOutcome {
  patch: PatchSource;
  result: PatchResult;
  /** Findings present after this patch and not before it. */
  introduced: Finding[];
  /** Findings present before this patch and gone after it. */
  fixed: Finding[];
  /** All findings after this patch (over the series' files). */
  present: Finding[];
}

export interface SeriesAnalysis {
  series: Series;
  patches: PatchSource[];
  results: PatchResult[];
  /** The first failure, described on one line, or null when every patch applied. */
  failure: string | null;
  /** .c/.h files the series touches: the scope of every run. */
  files: string[];
  before: Analysis;
  /** After the last patch that applied. */
  after: Analysis;
  outcomes: PatchOutcome[];
  /** In `after`, not in `before`; `patch` = the patch after which it first appears. */
  introduced: Finding[];
  /** In `before`, not in `after`; `patch` = the patch after which it is gone. */
  fixed: Finding[];
  /** In both. */
  preexisting: Finding[];
  /** warn-reachable's WARNs explored, reused from another view, left out by the focus. */
  warn: WarnSession['stats'];
  /** Summaries one view left to the next, and how many times a later view took one. */
  summaries: SummaryShare['stats'];
}

const isC = (f: string) => /\.[ch]$/.test(f);

export interface SeriesOptions {
  /**
   * Explore only the WARNs the series can change (warn-reachable's focus):
   * for lint and review, which report what a series introduces or fixes (and
   * what sits in the functions it changes). Off for scan, which counts every
   * finding present after each patch.
   */
  focus?: boolean;
  /**
   * Reuse across views (default): warn-reachable's explorations, and the
   * summaries of functions that depend on nothing the series touches. False
   * analyses every view from scratch (tests, measurements).
   */
  reuse?: boolean;
}

export function analyseSeries(base: TreeView, series: Series, patches: PatchSource[], config: Config, opts: SeriesOptions = {}): SeriesAnalysis {
  const { results, snapshots } = applySeries(base, patches);
  const failed = results.find((r) => !r.applied);
  const applied = results.filter((r) => r.applied);
  const files = [...new Set(applied.flatMap((r) => r.touched))].filter(isC).sort();
  const views: TreeView[] = [base, ...snapshots];
  // Every view is the same disk tree under its own overlay: one `git status` for all of them
  // (the overlay's changes are the view's own; on a kernel tree each status costs 0.3-1 s).
  const git = new FileSearch(base).gitSnapshot();
  // One session for every view: an exploration whose code is the same in two views runs once.
  // What the series changes: the focus of warn-reachable, and which summaries every view can share.
  const change = opts.reuse === false && !opts.focus ? null : seriesChange(views, files, config, git);
  const session = newWarnSession(opts.focus && config.model !== false && change ? change.focus : null);
  const share = opts.reuse !== false && change ? new SummaryShare<Summary>(change.share) : undefined;
  const run = () => views.map((v) => analyse(v, files.filter((f) => v.exists(f)), config, { git, ...(share ? { share } : {}) }));
  const runs = opts.reuse === false ? run() : withWarnSession(session, run);
  const total = patches.length;

  const outcomes: PatchOutcome[] = [];
  for (let i = 1; i < runs.length; i++) {
    const prev = new Set(runs[i - 1]!.findings.map((f) => f.id));
    const now = new Set(runs[i]!.findings.map((f) => f.id));
    const ref = { index: i, total };
    outcomes.push({
      patch: patches[i - 1]!,
      result: results[i - 1]!,
      introduced: runs[i]!.findings.filter((f) => !prev.has(f.id)).map((f) => ({ ...f, patch: ref })),
      fixed: runs[i - 1]!.findings.filter((f) => !now.has(f.id)).map((f) => ({ ...f, patch: ref })),
      present: runs[i]!.findings,
    });
  }

  const before = runs[0]!;
  const after = runs[runs.length - 1]!;
  const beforeIds = new Set(before.findings.map((f) => f.id));
  const afterIds = new Set(after.findings.map((f) => f.id));
  const firstIntroduced = (id: string) => outcomes.find((o) => o.introduced.some((f) => f.id === id))?.patch.index ?? total;
  const lastFixed = (id: string) =>
    [...outcomes].reverse().find((o) => o.fixed.some((f) => f.id === id))?.patch.index ?? total;

  return {
    series,
    patches,
    results,
    failure: failed ? describeFailure(failed) : null,
    files,
    before,
    after,
    outcomes,
    introduced: after.findings
      .filter((f) => !beforeIds.has(f.id))
      .map((f) => ({ ...f, patch: { index: firstIntroduced(f.id), total } })),
    fixed: before.findings
      .filter((f) => !afterIds.has(f.id))
      .map((f) => ({ ...f, patch: { index: lastFixed(f.id), total } })),
    preexisting: after.findings.filter((f) => beforeIds.has(f.id)),
    warn: session.stats,
    summaries: share ? { ...share.stats } : { stored: 0, reused: 0 },
  };
}

/**
 * What the series changes. `focus`, for warn-reachable: names of functions
 * whose code (IR, positions and comments left out) differs between any two
 * views, and `file\0name` of those whose text does. `share`, for the
 * summaries: the touched files, every name they define, and whether their
 * bindings differ. null when anything outside the functions of the touched
 * files changes (a struct, a macro, a global, a prototype): that can change
 * any exploration and any summary, so none is left out or shared.
 */
export interface SeriesChange {
  focus: WarnFocus;
  share: ShareScope;
}

export function seriesChange(views: TreeView[], files: string[], config: Config, git?: GitInfo | null): SeriesChange | null {
  // Per `file\0name`, per view: the prints (code) and texts of its definitions; per file, per view: the rest.
  const code = new Map<string, string[]>();
  const text = new Map<string, string[]>();
  const outside = new Map<string, string[]>();
  const put = (m: Map<string, string[]>, k: string, vi: number, v: string) => {
    let a = m.get(k);
    if (!a) m.set(k, (a = views.map(() => '\0absent')));
    a[vi] = v;
  };
  const perView: { functions: ViewFunction[]; bindings: Binding[] }[] = [];
  for (let vi = 0; vi < views.length; vi++) {
    const view = views[vi]!;
    const index = createIndex(view, { maxFileBytes: config.limits.maxFileBytes, ...(git !== undefined ? { git } : {}) });
    const mine = { functions: [] as ViewFunction[], bindings: [] as Binding[] };
    perView.push(mine);
    for (const file of files) {
      const src = view.exists(file) ? view.read(file) : null;
      if (src === null) {
        put(outside, file, vi, '\0absent');
        continue;
      }
      let fns: IrFunction[];
      try {
        fns = index.functionsIn(file);
      } catch {
        return null;
      }
      mine.bindings.push(...(index.facts(file)?.bindings ?? []));
      const lines = src.split('\n');
      for (const fn of fns) mine.functions.push({ file, name: fn.name, line: fn.pos.line, text: lines.slice(fn.pos.line - 1, fn.pos.endLine).join('\n') });
      const inFn = new Uint8Array(lines.length + 2);
      const prints = new Map<string, string[]>();
      const texts = new Map<string, string[]>();
      for (const fn of fns) {
        for (let l = fn.pos.line; l <= fn.pos.endLine && l <= lines.length; l++) inFn[l] = 1;
        const k = `${file}\0${fn.name}`;
        prints.set(k, [...(prints.get(k) ?? []), fnPrint(fn)]);
        texts.set(k, [...(texts.get(k) ?? []), lines.slice(fn.pos.line - 1, fn.pos.endLine).join('\n')]);
      }
      for (const [k, p] of prints) put(code, k, vi, p.sort().join(','));
      for (const [k, t] of texts) put(text, k, vi, t.join('\0'));
      const rest = lines.filter((_, i) => !inFn[i + 1]).join('\n');
      put(outside, file, vi, rest.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ').replace(/\s+/g, ' ').trim());
    }
  }
  const differs = (a: string[]) => a.some((x) => x !== a[0]);
  for (const a of outside.values()) if (differs(a)) return null;
  const codeChanged = new Set<string>();
  for (const [k, a] of code) if (differs(a)) codeChanged.add(k.slice(k.indexOf('\0') + 1));
  const textChanged = new Set<string>();
  for (const [k, a] of text) if (differs(a)) textChanged.add(k);
  return { focus: { code: codeChanged, text: textChanged }, share: shareScope(files, perView) };
}

/** `file\0function` of each function of `files` whose text differs between the two indexes (or is new). */
export function changedFunctions(before: TreeIndex, after: TreeIndex, files: string[]): Set<string> {
  const changed = new Set<string>();
  for (const file of files) {
    if (!after.view.exists(file)) continue;
    const old = new Map<string, string>();
    if (before.view.exists(file)) for (const fn of before.functionsIn(file)) old.set(fn.name, functionText(before.view, fn));
    for (const fn of after.functionsIn(file)) {
      if (old.get(fn.name) !== functionText(after.view, fn)) changed.add(`${file}\0${fn.name}`);
    }
  }
  return changed;
}

/** Pre-existing findings that sit in functions the series changed (lint --all). */
export function preexistingInChanged(a: SeriesAnalysis): Finding[] {
  const changed = changedFunctions(a.before.index, a.after.index, a.files);
  // Some findings name no function (warn-reachable keeps its id stable when a
  // WARN_ON moves between functions): place them by the line they sit on.
  const enclosing = (f: Finding): string | null => f.function ?? enclosingFunction(a.after.index, f.file, f.line);
  return a.preexisting.filter((f) => {
    const fn = enclosing(f);
    return fn !== null && changed.has(`${f.file}\0${fn}`);
  });
}
