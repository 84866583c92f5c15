/**
 * From command-line inputs to one complete series of parsed patches: the
 * step every command that applies patches starts with.
 */
import { InputError } from '../errors.js';
import { readMessages } from '../mail/input.js';
import { assembleSeries, requireComplete } from '../mail/series.js';
import type { PatchMail, Series } from '../mail/schema.js';
import { parseDiff } from '../parse/diff.js';
import type { PatchSource } from '../parse/diff-schema.js';
import type { Io } from './io.js';
import type { Limits } from '../rules/config.js';

export interface LoadedSeries {
  series: Series;
  patches: PatchSource[];
}

function describe(s: Series): string {
  const prefix = [...s.prefixes, 'PATCH', ...(s.version > 1 ? [`v${s.version}`] : [])].join(' ');
  return `[${prefix}] "${s.title}" (${s.patches.length}/${s.total} patches)`;
}

/** Picks the one series the input is about, or says which ones it holds. */
export function chooseSeries(all: Series[], inputs: string[]): Series {
  const where = inputs.length ? inputs.join(', ') : '<no input>';
  if (all.length === 0) throw new InputError(`${where}: no patch found`);
  if (all.length === 1) return all[0]!;
  const withPatches = all.filter((s) => s.patches.length > 0);
  if (withPatches.length === 1) return withPatches[0]!;
  throw new InputError(
    `${where}: the input holds ${all.length} series, give one at a time: ${all.map(describe).join('; ')}`,
  );
}

/** Parses one patch mail's diff; `total` is the series' length. */
export function patchSource(pm: PatchMail, total: number): PatchSource {
  const m = pm.message;
  const where = `${m.source}: message <${m.messageId}>`;
  if (pm.diff.trim() === '') throw new InputError(`${m.source}: message <${m.messageId}> has no patch`);
  return {
    index: pm.tag.index && pm.tag.index > 0 ? pm.tag.index : 1,
    total,
    // The title without `[PATCH v3 06/11]`: index and total already say that.
    subject: pm.tag.title || m.subject,
    messageId: m.messageId,
    source: m.source,
    files: parseDiff(pm.diff, where),
  };
}

export async function loadPatchSeries(
  io: Io,
  inputs: string[],
  opts: { loreUrl: string; limits?: Limits },
): Promise<LoadedSeries> {
  const l = opts.limits;
  const messages = await readMessages(inputs, {
    stdin: io.stdin,
    loreUrl: opts.loreUrl,
    ...(l ? { maxBytes: l.maxInputBytes, maxMessageBytes: l.maxMessageBytes, timeoutMs: l.fetchTimeoutSeconds * 1000 } : {}),
  });
  const { series: all } = assembleSeries(messages);
  const series = chooseSeries(all, inputs);
  if (isLeadingPart(series)) {
    // An author checks the first patches before the rest exist or are sent:
    // a leading part applies on its own. A gap in the middle does not.
    const last = series.patches.length;
    io.stderr(`kreview: note: the input holds patches 1-${last} of ${series.total} of "${series.title}"; analysing those\n`);
  } else {
    requireComplete(series);
  }
  const total = series.patches.length === 1 && series.total === 1 ? 1 : series.total;
  const patches = series.patches.map((pm) => patchSource(pm, total));
  return { series, patches };
}

/** Patches 1..k of a series of N (k < N), with no cover letter needed and none missing before k. */
function isLeadingPart(s: Series): boolean {
  if (s.missing.length === 0 || s.patches.length === 0) return false;
  const idx = s.patches.map((p) => p.tag.index ?? 0);
  return idx.every((v, i) => v === i + 1) && s.missing.every((m) => m > idx.length);
}
