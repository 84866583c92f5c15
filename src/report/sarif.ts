/**
 * SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/): one run,
 * the rules as reportingDescriptors, a result per finding with its related
 * locations, the model's witness as a codeFlow (one threadFlow per thread),
 * and the stable finding id as a partialFingerprint so code scanning tracks
 * a finding across runs.
 */
import type { Finding, Severity } from './schema.js';

export interface RuleDescriptor {
  id: string;
  severity: Severity;
  description: string;
  docs?: string;
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

function location(file: string, line: number, column?: number, message?: string) {
  return {
    physicalLocation: {
      artifactLocation: { uri: encodeURI(file), uriBaseId: 'SRCROOT' },
      region: column ? { startLine: Math.max(1, line), startColumn: column } : { startLine: Math.max(1, line) },
    },
    ...(message ? { message: { text: message } } : {}),
  };
}

export function renderSarif(findings: Finding[], rules: RuleDescriptor[], version: string): string {
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  const results = findings.map((f) => {
    const threads = new Map<string, { location: ReturnType<typeof location> }[]>();
    for (const s of f.confirmation.trace) {
      const list = threads.get(s.thread) ?? [];
      list.push({ location: location(s.file, s.line, undefined, `${s.thread}: ${s.step}`) });
      threads.set(s.thread, list);
    }
    return {
      ruleId: f.rule,
      ...(ruleIndex.has(f.rule) ? { ruleIndex: ruleIndex.get(f.rule) } : {}),
      level: LEVEL[f.severity],
      message: { text: f.message },
      locations: [
        {
          ...location(f.file, f.line, f.column),
          ...(f.function ? { logicalLocations: [{ name: f.function, kind: 'function' }] } : {}),
        },
      ],
      ...(f.related.length
        ? { relatedLocations: f.related.map((r, i) => ({ id: i + 1, ...location(r.file, r.line, undefined, r.message) })) }
        : {}),
      ...(threads.size
        ? {
            codeFlows: [
              {
                message: { text: f.confirmation.summary },
                threadFlows: [...threads.entries()].map(([id, locations]) => ({ id, locations })),
              },
            ],
          }
        : {}),
      partialFingerprints: { 'kreviewFindingId/v1': f.id },
      properties: {
        confirmation: f.confirmation.status,
        confirmationSummary: f.confirmation.summary,
        ...(f.lock ? { lock: f.lock } : {}),
        ...(f.patch ? { patch: `${f.patch.index}/${f.patch.total}` } : {}),
      },
    };
  });
  const doc = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'kreview',
            version,
            rules: rules.map((r) => ({
              id: r.id,
              name: r.id,
              shortDescription: { text: r.description },
              fullDescription: { text: r.docs ?? r.description },
              defaultConfiguration: { level: LEVEL[r.severity] },
            })),
          },
        },
        originalUriBaseIds: { SRCROOT: { description: { text: 'The root of the analysed kernel tree' } } },
        results,
      },
    ],
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
