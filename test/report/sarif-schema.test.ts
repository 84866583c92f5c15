/**
 * The SARIF writer against the official SARIF 2.1.0 schema (OASIS errata 01,
 * vendored in test/schemas/, see its README), with ajv: handmade findings
 * that cover every shape a Finding takes (witness over two threads, related
 * locations, no function, no trace, a path that needs escaping), and the
 * real report of the fixture variant series through the CLI's writer.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import * as formatsModule from 'ajv-formats';
import type { FormatsPlugin } from 'ajv-formats';
import { renderSarif } from '../../src/report/sarif.js';
import type { Finding } from '../../src/report/schema.js';
import { RULES } from '../../src/rules/registry.js';
import { memoryIo } from '../../src/cli/io.js';
import { writeReport } from '../../src/cli/output.js';
import { confirm } from '../../src/cli/analyse.js';
import { analyseSeries } from '../../src/cli/series-analysis.js';
import { loadPatchSeries } from '../../src/cli/load.js';
import { DiskTree } from '../../src/parse/disk-tree.js';
import { defaultConfig } from '../../src/rules/config.js';

const schemaText = readFileSync(new URL('../schemas/sarif-schema-2.1.0.json', import.meta.url), 'utf8');
const official = JSON.parse(schemaText) as Record<string, unknown>;

/** ajv 8 reads draft-07: the draft-04 document with only `$schema` dropped and `id` renamed (see test/schemas/README.md). */
function validator() {
  const { $schema: _draft, id, ...rest } = official;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const addFormats = ((formatsModule as unknown as { default?: FormatsPlugin }).default ?? formatsModule) as unknown as FormatsPlugin;
  addFormats(ajv);
  return ajv.compile({ $id: String(id), ...rest });
}
const validate = validator();

function check(doc: unknown): void {
  const ok = validate(doc);
  expect(ok ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`)).toEqual([]);
}

const RULE_META = RULES.map((r) => ({ ...r.meta }));

const deadlock: Finding = {
  id: '4fbf32d3d16b5b83',
  rule: 'sync-under-lock',
  severity: 'error',
  file: 'drivers/iommu/iommu.c',
  line: 481,
  column: 2,
  function: '__iommu_group_free_device',
  lock: 'group->mutex',
  message: 'cancel_work_sync(&gdev->work) waits for iommu_group_device_quarantine_work(), which takes group->mutex',
  patch: { index: 3, total: 3 },
  related: [
    { file: 'drivers/iommu/iommu.c', line: 505, function: '__iommu_group_remove_device', message: 'group->mutex taken here' },
    { file: 'drivers/iommu/iommu.c', line: 0, function: null, message: 'a related place with no line' },
  ],
  confirmation: {
    status: 'confirmed',
    summary: 'deadlock: T0 waits for the work T1 runs, T1 waits for group->mutex held by T0',
    trace: [
      { thread: 'T0', file: 'drivers/iommu/iommu.c', line: 505, step: 'mutex_lock(&group->mutex)' },
      { thread: 'T1', file: 'drivers/iommu/iommu.c', line: 296, step: 'guard(mutex)(&group->mutex) blocks' },
      { thread: 'T0', file: 'drivers/iommu/iommu.c', line: 481, step: 'cancel_work_sync(&gdev->work) waits for T1' },
    ],
  },
};

const plain: Finding = {
  id: '0a1b2c3d4e5f6789',
  rule: 'comment-code-mismatch',
  severity: 'info',
  file: 'drivers/net/ethernet/acme/my driver [v2].c',
  line: 1,
  column: 1,
  function: null,
  lock: null,
  message: 'the comment says "NULL or the default domain"; the condition only compares with default_domain',
  patch: null,
  related: [],
  confirmation: { status: 'unknown', summary: '', trace: [] },
};

describe('SARIF 2.1.0 output', () => {
  it('vendors the official errata 01 schema', () => {
    expect(official.id).toBe('https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json');
    expect(official.$schema).toBe('http://json-schema.org/draft-04/schema#');
    // Nothing whose meaning changed after draft-04 (see README): the draft-07 reading is the same.
    expect(schemaText).not.toMatch(/"(exclusiveMinimum|exclusiveMaximum|dependencies)"/);
  });

  it('rejects what the schema forbids (the check is not vacuous)', () => {
    const doc = JSON.parse(renderSarif([deadlock], RULE_META, '1.0.0'));
    doc.runs[0].results[0].level = 'fatal';
    expect(validate(doc)).toBe(false);
    const doc2 = JSON.parse(renderSarif([deadlock], RULE_META, '1.0.0'));
    doc2.runs[0].results[0].codeFlows[0].threadFlows = [];
    expect(validate(doc2)).toBe(false);
    const doc3 = JSON.parse(renderSarif([deadlock], RULE_META, '1.0.0'));
    doc3.runs[0].results[0].locations[0].physicalLocation.region = { startColumn: 2 };
    expect(validate(doc3)).toBe(false);
  });

  it('validates with a witness trace, related locations, no function and an escaped path', () => {
    const doc = JSON.parse(renderSarif([deadlock, plain], RULE_META, '0.1.0'));
    check(doc);
    const run = doc.runs[0];
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(RULES.map((r) => r.meta.id));
    const [a, b] = run.results;
    expect(run.tool.driver.rules[a.ruleIndex].id).toBe('sync-under-lock');
    expect(a.level).toBe('error');
    expect(b.level).toBe('note');
    expect(a.partialFingerprints).toEqual({ 'kreviewFindingId/v1': deadlock.id });
    expect(b.partialFingerprints).toEqual({ 'kreviewFindingId/v1': plain.id });
    // The witness as one codeFlow, one threadFlow per thread, steps in order.
    expect(a.codeFlows).toHaveLength(1);
    const flows = a.codeFlows[0].threadFlows as { id: string; locations: { location: { physicalLocation: { region: { startLine: number } }; message: { text: string } } }[] }[];
    expect(flows.map((t) => t.id)).toEqual(['T0', 'T1']);
    expect(flows[0]!.locations.map((l) => l.location.physicalLocation.region.startLine)).toEqual([505, 481]);
    expect(flows[1]!.locations[0]!.location.message.text).toContain('guard(mutex)');
    expect(a.relatedLocations.map((r: { physicalLocation: { region: { startLine: number } } }) => r.physicalLocation.region.startLine)).toEqual([505, 1]);
    expect(a.locations[0].logicalLocations).toEqual([{ name: '__iommu_group_free_device', kind: 'function' }]);
    expect(b.codeFlows).toBeUndefined();
    expect(b.locations[0].logicalLocations).toBeUndefined();
    expect(b.locations[0].physicalLocation.artifactLocation.uri).toBe('drivers/net/ethernet/acme/my%20driver%20%5Bv2%5D.c');
  });

  it('validates with no findings', () => {
    check(JSON.parse(renderSarif([], RULE_META, '0.1.0')));
  });

  it("validates the CLI's report of the fixture variant series", async () => {
    const io = memoryIo();
    const { series, patches } = await loadPatchSeries(io, ['fixtures/iommu/variant-no-defer.mbox'], { loreUrl: 'https://lore.invalid' });
    const a = analyseSeries(new DiskTree('fixtures/iommu/tree'), series, patches, defaultConfig());
    // With the model on: both findings confirmed, the deadlock's summary a multi-line lockdep table.
    const findings = confirm(a.introduced, a.after.index, defaultConfig(), true);
    expect(findings.map((f) => [f.rule, f.function, f.confirmation.status])).toEqual([
      ['sync-under-lock', '__iommu_group_free_device', 'confirmed'],
      ['warn-reachable', '__iommu_group_free_device', 'confirmed'],
    ]);
    writeReport(io, { format: 'sarif', showRefuted: false }, findings);
    const doc = JSON.parse(io.out);
    check(doc);
    const results = doc.runs[0].results as { ruleId: string; partialFingerprints: Record<string, string>; properties: Record<string, string> }[];
    expect(results.map((r) => r.partialFingerprints['kreviewFindingId/v1'])).toEqual(findings.map((f) => f.id));
    expect(results.map((r) => r.ruleId)).toEqual(['sync-under-lock', 'warn-reachable']);
    expect(results.map((r) => r.properties.confirmation)).toEqual(['confirmed', 'confirmed']);
    const summary = results[0]!.properties.confirmationSummary!;
    expect(summary).toBe(findings[0]!.confirmation.summary);
    expect(summary.split('\n').length).toBeGreaterThan(1);
    expect(summary).toMatch(/CPU0/);
    expect(summary).toMatch(/CPU1/);
  });
});
