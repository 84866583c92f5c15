/**
 * The text report of `kreview scan`: one table per series (per patch:
 * applied, introduced, fixed, present), the findings it introduced with
 * their witnesses, then a summary of the whole run.
 */
import type { SeriesScan } from '../cli/scan-job.js';
import type { Finding } from './schema.js';
import { renderFinding } from './text.js';
import type { Palette } from './colour.js';

export function renderSeriesScan(s: SeriesScan, c: Palette, showRefuted: boolean): string {
  const lines: string[] = [c.bold(`${s.label} (${s.total} patch${s.total === 1 ? '' : 'es'}, <${s.messageId}>)`)];
  if (s.status === 'unreadable') {
    lines.push(`  skipped: ${s.reason}`);
    return lines.join('\n');
  }
  const rows = [['patch', 'applied', 'introduced', 'fixed', 'present', 'subject']];
  for (const p of s.patches) {
    const applied = p.applied ? (p.how === 'clean' ? 'yes' : `yes (${p.how})`) : 'NO';
    rows.push([
      `${String(p.index).padStart(2, '0')}/${String(p.total).padStart(2, '0')}`,
      applied,
      String(p.introduced.length),
      String(p.fixed.length),
      String(p.present),
      p.subject,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) lines.push('  ' + r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
  if (s.status === 'not-applied') lines.push(`  not applied: ${s.reason}`);
  const shown = s.introduced.filter((f) => showRefuted || f.confirmation.status !== 'refuted');
  if (shown.length) {
    lines.push('  introduced:');
    for (const f of shown) lines.push(indent(renderFinding(f, c), 4));
  }
  if (s.fixed.length) {
    lines.push('  fixed:');
    for (const f of s.fixed) lines.push(`    ${f.file}: ${f.function ?? '?'}: ${f.message} [${f.rule}] (patch ${f.patch?.index}/${f.patch?.total})`);
  }
  return lines.join('\n');
}

export interface ScanTotals {
  series: number;
  analysed: number;
  notApplied: number;
  unreadable: number;
  patches: number;
  applied: number;
  byRule: Map<string, { confirmed: number; refuted: number; unknown: number }>;
  fixed: number;
  badMail: number;
  ms: number;
  interrupted: boolean;
  pending: number;
}

export function totals(results: SeriesScan[], extra: { badMail: number; ms: number; interrupted: boolean; pending: number }): ScanTotals {
  const byRule = new Map<string, { confirmed: number; refuted: number; unknown: number }>();
  for (const f of results.flatMap((r) => r.introduced)) {
    const e = byRule.get(f.rule) ?? { confirmed: 0, refuted: 0, unknown: 0 };
    e[f.confirmation.status]++;
    byRule.set(f.rule, e);
  }
  return {
    series: results.length,
    analysed: results.filter((r) => r.status === 'analysed').length,
    notApplied: results.filter((r) => r.status === 'not-applied').length,
    unreadable: results.filter((r) => r.status === 'unreadable').length,
    patches: results.reduce((n, r) => n + r.patches.length, 0),
    applied: results.reduce((n, r) => n + r.patches.filter((p) => p.applied).length, 0),
    byRule,
    fixed: results.reduce((n, r) => n + r.fixed.length, 0),
    ...extra,
  };
}

export function renderSummary(t: ScanTotals, results: SeriesScan[]): string {
  const lines = [
    `summary: ${t.series} series (${t.analysed} analysed, ${t.notApplied} did not apply, ${t.unreadable} skipped), ` +
      `${t.patches} patches (${t.applied} applied, ${t.patches - t.applied} not applied)` +
      (t.badMail ? `, ${t.badMail} unreadable mail` : ''),
  ];
  const found = [...t.byRule.entries()].sort();
  const n = found.reduce((a, [, e]) => a + e.confirmed + e.refuted + e.unknown, 0);
  lines.push(`findings introduced: ${n}${found.length ? ':' : ''}`);
  for (const [rule, e] of found) {
    lines.push(`  ${rule.padEnd(22)} ${e.confirmed + e.refuted + e.unknown} (confirmed ${e.confirmed}, refuted ${e.refuted}, unknown ${e.unknown})`);
  }
  lines.push(`findings fixed: ${t.fixed}`);
  const failures = results.filter((r) => r.status !== 'analysed');
  if (failures.length) {
    lines.push('not applied or skipped:');
    const reasons = new Map<string, number>();
    for (const r of failures) {
      const why = (r.reason ?? 'unknown').replace(/^patch \d+\/\d+ "[^"]*": /, '').replace(/: (context does not match|file does not exist).*/, ': $1');
      const key = `${r.status === 'unreadable' ? 'skipped' : 'not applied'}: ${why.replace(/\S+\.[ch]: /, '<file>: ').replace(/hunk \d+ \([^)]*\)/, 'hunk')}`;
      reasons.set(key, (reasons.get(key) ?? 0) + 1);
    }
    for (const [why, count] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 10)) lines.push(`  ${String(count).padStart(5)}  ${why}`);
  }
  lines.push(`time: ${(t.ms / 1000).toFixed(1)} s`);
  if (t.interrupted) lines.push(`interrupted: ${t.pending} series not analysed`);
  return lines.join('\n') + '\n';
}

function indent(s: string, n: number): string {
  const pad = ' '.repeat(n);
  return s
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

export type { Finding };
