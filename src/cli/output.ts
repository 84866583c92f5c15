/**
 * Writes a report in the chosen format and works out the exit status from
 * --fail-on. Shared by every analysing command.
 */
import type { Finding, PatchEntry, Severity } from '../report/schema.js';
import { renderJson } from '../report/json.js';
import { renderSarif } from '../report/sarif.js';
import { renderText, summarise } from '../report/text.js';
import { palette } from '../report/colour.js';
import { RULES } from '../rules/registry.js';
import { EXIT } from '../errors.js';
import type { Io } from './io.js';

export type Format = 'text' | 'json' | 'sarif';
export type FailOn = Severity | 'never';

const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/** Refuted findings are reported only with --show-refuted. */
export function visible(findings: Finding[], showRefuted: boolean): Finding[] {
  return showRefuted ? findings : findings.filter((f) => f.confirmation.status !== 'refuted');
}

export function writeReport(
  io: Io,
  opts: { format: Format; showRefuted: boolean; patches?: PatchEntry[]; preamble?: string },
  all: Finding[],
): Finding[] {
  const shown = visible(all, opts.showRefuted);
  if (opts.format === 'json') io.stdout(renderJson(opts.patches ?? [], shown));
  else if (opts.format === 'sarif')
    io.stdout(renderSarif(shown, RULES.map((r) => ({ ...r.meta })), io.version));
  else {
    if (opts.preamble) io.stdout(opts.preamble);
    io.stdout(renderText(shown, summarise(all, shown), palette(io.isTTY.stdout, io.env)));
  }
  return shown;
}

export function exitStatus(shown: Finding[], failOn: FailOn): number {
  if (failOn === 'never') return EXIT.ok;
  const floor = RANK[failOn];
  return shown.some((f) => RANK[f.severity] >= floor) ? EXIT.findings : EXIT.ok;
}
