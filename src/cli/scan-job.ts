/**
 * One series of a bulk scan, analysed against the tree: the unit of work
 * that `kreview scan` hands to its worker threads. Takes and returns plain
 * data only (it crosses a thread boundary by structured clone).
 */
import { performance } from 'node:perf_hooks';
import { DiskTree } from '../parse/disk-tree.js';
import type { Series } from '../mail/schema.js';
import type { Finding } from '../report/schema.js';
import type { Config } from '../rules/config.js';
import { KreviewError } from '../errors.js';
import { patchSource } from './load.js';
import { analyseSeries } from './series-analysis.js';
import { confirm } from './analyse.js';

export interface ScanJob {
  root: string;
  config: Config;
  model: boolean;
  series: Series;
}

export interface PatchRow {
  index: number;
  total: number;
  subject: string;
  messageId: string | null;
  applied: boolean;
  /** applied / offset / fuzz, from the hunk results; null when not applied. */
  how: string | null;
  introduced: string[];
  fixed: string[];
  present: number;
}

export interface SeriesScan {
  /** `[PATCH v3 00/11] title`-style label. */
  label: string;
  title: string;
  version: number;
  total: number;
  /** Cover letter's Message-ID, else the first patch's. */
  messageId: string | null;
  status: 'analysed' | 'not-applied' | 'unreadable';
  /** Why not applied or not readable; null when analysed. */
  reason: string | null;
  patches: PatchRow[];
  /** Introduced by the series (confirmed by the model unless it is off). */
  introduced: Finding[];
  fixed: Finding[];
  ms: number;
}

export function seriesLabel(s: Series): string {
  const tag = [...s.prefixes, 'PATCH', ...(s.version > 1 ? [`v${s.version}`] : [])].join(' ');
  return `[${tag}] ${s.title}`;
}

export function seriesKey(s: Series): string {
  return s.cover?.messageId ?? s.patches[0]?.message.messageId ?? s.title;
}

export function scanSeries(job: ScanJob): SeriesScan {
  const t0 = performance.now();
  const s = job.series;
  const base: SeriesScan = {
    label: seriesLabel(s),
    title: s.title,
    version: s.version,
    total: s.total,
    messageId: seriesKey(s),
    status: 'analysed',
    reason: null,
    patches: [],
    introduced: [],
    fixed: [],
    ms: 0,
  };
  try {
    if (s.missing.length > 0) {
      return done({ ...base, status: 'unreadable', reason: `missing patch ${s.missing.map((i) => `${i}/${s.total}`).join(', ')}` });
    }
    const total = s.patches.length === 1 && s.total === 1 ? 1 : s.total;
    const patches = s.patches.map((pm) => patchSource(pm, total));
    const a = analyseSeries(new DiskTree(job.root), s, patches, job.config);
    const rows: PatchRow[] = patches.map((p, i) => {
      const r = a.results[i];
      const o = a.outcomes[i];
      return {
        index: p.index,
        total: p.total,
        subject: p.subject,
        messageId: p.messageId,
        applied: r?.applied ?? false,
        how: r?.applied ? howApplied(r.hunks.map((h) => h.status)) : null,
        introduced: o?.introduced.map((f) => f.id) ?? [],
        fixed: o?.fixed.map((f) => f.id) ?? [],
        present: o?.present.length ?? 0,
      };
    });
    const introduced = confirm(a.introduced, a.after.index, job.config, job.model);
    return done({
      ...base,
      status: a.failure ? 'not-applied' : 'analysed',
      reason: a.failure,
      patches: rows,
      introduced,
      fixed: a.fixed,
    });
  } catch (err) {
    if (!(err instanceof KreviewError)) throw err;
    return done({ ...base, status: 'unreadable', reason: err.message });
  }

  function done(r: SeriesScan): SeriesScan {
    return { ...r, ms: Math.round(performance.now() - t0) };
  }
}

function howApplied(statuses: string[]): string {
  if (statuses.includes('fuzz')) return 'fuzz';
  if (statuses.includes('offset')) return 'offset';
  return 'clean';
}
