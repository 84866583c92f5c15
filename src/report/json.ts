/**
 * `--format json`: the contract's document, validated against the zod
 * schema before it is written so a bug cannot ship a malformed report.
 */
import { Report, type Finding, type PatchEntry } from './schema.js';

export function renderJson(patches: PatchEntry[], findings: Finding[]): string {
  const doc = Report.parse({ version: 1, patches, findings });
  return JSON.stringify(doc, null, 2) + '\n';
}
