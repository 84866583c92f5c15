/**
 * Compiler-style text: `file:line:col: severity: message [rule]`, the
 * related locations as `note:` lines, then the model's verdict with its
 * witness trace indented under the finding, so editors and humans both read it.
 */
import type { Finding, TraceStep } from './schema.js';
import type { Palette } from './colour.js';

export interface TextSummary {
  confirmed: number;
  refuted: number;
  unknown: number;
  /** Refuted findings left out of the report. */
  hidden: number;
}

export function renderFinding(f: Finding, c: Palette): string {
  const sev = f.severity === 'error' ? c.red('error') : f.severity === 'warning' ? c.yellow('warning') : c.cyan('info');
  const where = f.patch ? ` (patch ${f.patch.index}/${f.patch.total})` : '';
  const lines = [`${c.bold(`${f.file}:${f.line}:${f.column}:`)} ${sev}: ${f.message} [${f.rule}]${where}`];
  for (const r of f.related) {
    const fn = r.function ? ` in ${r.function}()` : '';
    lines.push(`  ${r.file}:${r.line}: note: ${r.message}${fn}`);
  }
  const conf = f.confirmation;
  const status =
    conf.status === 'confirmed' ? c.red('confirmed') : conf.status === 'refuted' ? c.green('refuted') : c.dim('unknown');
  // A summary may carry a block (lockdep's scenario table): keep it under the finding.
  const [first, ...rest] = conf.summary.split('\n');
  lines.push(`  model: ${status}: ${first}`);
  lines.push(...rest.map((l) => (l.trim() ? `    ${l}` : '')));
  lines.push(...renderTrace(conf.trace).map((l) => `    ${l}`));
  return lines.join('\n');
}

export function renderTrace(trace: TraceStep[]): string[] {
  if (trace.length === 0) return [];
  const width = Math.max(...trace.map((s) => s.thread.length));
  return trace.map((s) => `${s.thread.padEnd(width)}  ${s.file}:${s.line}: ${s.step}`);
}

export function renderText(findings: Finding[], summary: TextSummary, c: Palette): string {
  const out: string[] = findings.map((f) => renderFinding(f, c));
  const n = findings.length;
  const parts = [`${n} finding${n === 1 ? '' : 's'}`];
  parts.push(`model: ${summary.confirmed} confirmed, ${summary.refuted} refuted, ${summary.unknown} unknown`);
  if (summary.hidden > 0) parts.push(`${summary.hidden} refuted not shown (--show-refuted)`);
  out.push(parts.join('; '));
  return out.join('\n\n') + '\n';
}

export function summarise(all: Finding[], shown: Finding[]): TextSummary {
  const count = (s: string) => all.filter((f) => f.confirmation.status === s).length;
  return { confirmed: count('confirmed'), refuted: count('refuted'), unknown: count('unknown'), hidden: all.length - shown.length };
}
