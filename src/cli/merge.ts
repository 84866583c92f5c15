/**
 * `kreview merge`: joins the JSON reports of `scan --shard I/N` runs into
 * one report, as if one unsharded scan had run. Patches are keyed by
 * Message-ID and position; findings collapse only when they are exact copies.
 */
import { readFileSync } from 'node:fs';
import { Report, type Finding, type PatchEntry } from '../report/schema.js';
import { renderJson } from '../report/json.js';
import { InputError } from '../errors.js';
import type { Io } from './io.js';

export function readReport(file: string): Report {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InputError(`${file}: not JSON (expected the output of kreview scan --format json)`);
  }
  const r = Report.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new InputError(`${file}: not a kreview report: ${issue.path.join('.') || '<root>'}: ${issue.message}`);
  }
  return r.data;
}

/** One report from several, in a canonical order, so N merged shards equal one unsharded run. */
export function mergeReports(reports: Report[]): Report {
  const patches = new Map<string, PatchEntry>();
  const findings = new Map<string, Finding>();
  for (const r of reports) {
    for (const p of r.patches) patches.set(`${p.series}\0${p.messageId ?? ''}\0${p.index}`, p);
    // Ids are stable per finding, not unique per report: two series of one
    // scan may both introduce the same finding. Only exact copies collapse.
    for (const f of r.findings) findings.set(JSON.stringify(f), f);
  }
  return canonical({ version: 1, patches: [...patches.values()], findings: [...findings.values()] });
}

export function canonical(r: Report): Report {
  const key = (p: PatchEntry) => `${p.series}\0${p.messageId ?? ''}\0${String(p.index).padStart(6, '0')}`;
  return {
    version: 1,
    patches: [...r.patches].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)),
    findings: [...r.findings].sort((a, b) => {
      const ka = `${a.id}\0${a.file}\0${String(a.line).padStart(8, '0')}\0${a.patch?.index ?? 0}`;
      const kb = `${b.id}\0${b.file}\0${String(b.line).padStart(8, '0')}\0${b.patch?.index ?? 0}`;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    }),
  };
}

export function runMerge(io: Io, files: string[]): number {
  const merged = mergeReports(files.map(readReport));
  io.stdout(renderJson(merged.patches, merged.findings));
  return 0;
}
