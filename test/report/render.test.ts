import { describe, expect, it } from 'vitest';
import { renderJson } from '../../src/report/json.js';
import { renderText, summarise, renderFinding } from '../../src/report/text.js';
import { renderSarif } from '../../src/report/sarif.js';
import { palette } from '../../src/report/colour.js';
import type { Finding } from '../../src/report/schema.js';

const finding: Finding = {
  id: 'sync-under-lock:5f2a',
  rule: 'sync-under-lock',
  severity: 'error',
  file: 'drivers/iommu/iommu.c',
  line: 120,
  column: 2,
  function: '__iommu_group_free_device',
  lock: 'group->mutex',
  message: 'cancel_work_sync(&gdev->work) waits for iommu_group_quarantine_work(), which takes group->mutex held here',
  patch: { index: 7, total: 11 },
  related: [{ file: 'drivers/iommu/iommu.c', line: 300, function: 'iommu_group_quarantine_work', message: 'takes group->mutex' }],
  confirmation: {
    status: 'confirmed',
    summary: 'deadlock: T0 holds group->mutex and waits for the work; T1 (worker) waits for group->mutex',
    trace: [
      { thread: 'T0', file: 'drivers/iommu/iommu.c', line: 110, step: 'mutex_lock(&group->mutex)' },
      { thread: 'worker', file: 'drivers/iommu/iommu.c', line: 301, step: 'mutex_lock(&group->mutex) blocks' },
    ],
  },
};
const refuted: Finding = { ...finding, id: 'x:1', line: 200, confirmation: { status: 'refuted', summary: 'different objects', trace: [] } };

describe('text report', () => {
  it('prints compiler-style lines with the trace indented under the finding', () => {
    const out = renderFinding(finding, palette(false, {}));
    const lines = out.split('\n');
    expect(lines[0]).toBe(
      'drivers/iommu/iommu.c:120:2: error: cancel_work_sync(&gdev->work) waits for iommu_group_quarantine_work(), which takes group->mutex held here [sync-under-lock] (patch 7/11)',
    );
    expect(lines[1]).toBe('  drivers/iommu/iommu.c:300: note: takes group->mutex in iommu_group_quarantine_work()');
    expect(lines[2]).toMatch(/^  model: confirmed: deadlock/);
    expect(lines[3]).toBe('    T0      drivers/iommu/iommu.c:110: mutex_lock(&group->mutex)');
    expect(lines[4]).toBe('    worker  drivers/iommu/iommu.c:301: mutex_lock(&group->mutex) blocks');
  });

  it('keeps a multi-line summary (the lockdep table) indented under its finding', () => {
    const table = 'fd->lock taken twice\n Possible unsafe locking scenario:\n\n       CPU0\n  lock(&fd->lock);';
    const out = renderFinding({ ...finding, confirmation: { ...finding.confirmation, summary: table } }, palette(false, {}));
    expect(out).toContain('  model: confirmed: fd->lock taken twice\n     Possible unsafe locking scenario:\n\n           CPU0\n      lock(&fd->lock);\n');
  });

  it('colours only on a terminal, and never with NO_COLOR', () => {
    expect(renderFinding(finding, palette(true, {}))).toContain('\x1b[31m');
    expect(renderFinding(finding, palette(true, { NO_COLOR: '1' }))).not.toContain('\x1b[');
    expect(renderFinding(finding, palette(false, {}))).not.toContain('\x1b[');
  });

  it('summarises confirmation counts and hidden refuted findings', () => {
    const all = [finding, refuted];
    const text = renderText([finding], summarise(all, [finding]), palette(false, {}));
    expect(text.trim().split('\n').at(-1)).toBe('1 finding; model: 1 confirmed, 1 refuted, 0 unknown; 1 refuted not shown (--show-refuted)');
  });
});

describe('json report', () => {
  it('writes the contract document', () => {
    const doc = JSON.parse(renderJson([], [finding]));
    expect(doc.version).toBe(1);
    expect(doc.findings[0].confirmation.trace[1].thread).toBe('worker');
  });

  it('refuses a finding that breaks the schema', () => {
    expect(() => renderJson([], [{ ...finding, line: 0 }])).toThrow();
  });
});

describe('sarif report', () => {
  it('carries rules, a codeFlow per thread and the stable id as fingerprint', () => {
    const doc = JSON.parse(
      renderSarif([finding], [{ id: 'sync-under-lock', severity: 'error', description: 'waits under a lock' }], '1.2.3'),
    );
    expect(doc.version).toBe('2.1.0');
    const run = doc.runs[0];
    expect(run.tool.driver.rules[0].id).toBe('sync-under-lock');
    const r = run.results[0];
    expect(r.ruleIndex).toBe(0);
    expect(r.level).toBe('error');
    expect(r.partialFingerprints['kreviewFindingId/v1']).toBe('sync-under-lock:5f2a');
    expect(r.codeFlows[0].threadFlows.map((t: { id: string }) => t.id)).toEqual(['T0', 'worker']);
    expect(r.locations[0].physicalLocation.region).toEqual({ startLine: 120, startColumn: 2 });
  });
});
