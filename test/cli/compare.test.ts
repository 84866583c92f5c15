/**
 * `kreview compare` end to end through main(): kreview's own draft for
 * 06/11 (model off) against the human review of the fixture series.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';

const ROOT = join(import.meta.dirname, '../..');
const FIX = join(ROOT, 'fixtures/iommu');
const TREE = join(FIX, 'tree');
const FROM = 'Rev Iewer <rev@example.org>';

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const io = memoryIo();
  io.env = env;
  const status = await main(['node', 'kreview', ...args], io);
  return { status, out: io.out, err: io.err };
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'kreview-compare-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('kreview compare', () => {
  test('the draft for 06/11 against the human review: both points match, where the human put them', async () => {
    const out = join(tmp, 'cmp');
    await run(['review', join(FIX, 'series-v3.mbox'), '--tree', TREE, '--from', FROM, '--no-model', '--out', out]);
    const draft = join(out, '06-iommu-defer-iommu_group_free_device-to-be-outside.eml');
    const human = join(FIX, 'replies/2026-04-23-re-v3-06-review.eml');
    const text = await run(['compare', draft, human]);
    expect(text.status).toBe(0);
    expect(text.out).toContain(
      'matched: 2\n' +
        '  drivers/iommu/iommu.c: > +\t */\n    human:   Nit: this comment doesn\'t quite match the code below it.' ,
    );
    expect(text.out).toContain(
      '  drivers/iommu/iommu.c: > +\t */\n    human:   Also, if a device is currently quarantined, group->domain is the\n' +
        '    kreview: Also, once patch 07/11 ("iommu: Add iommu_report_device_broken() to\n',
    );
    expect(text.out).toContain('only in the kreview reply: 0\nonly in the human reply: 0\n');
    const json = await run(['compare', draft, human, '--format', 'json']);
    expect(json.status).toBe(0);
    const r = JSON.parse(json.out);
    expect(r.matched.map((m: { human: { text: string } }) => m.human.text.split(' ')[0])).toEqual(['Nit:', 'Also,']);
    expect(r.matched[1].kreview.text).toMatch(/^Also, once patch 07\/11 \("iommu: Add iommu_report_device_broken\(\) to\squarantine a broken device"\) is applied, can this WARN_ON\(\) fire/);
    expect(r.onlyHuman).toEqual([]);
    expect(r.onlyKreview).toEqual([]);
  });

  test('an mbox of drafts: the one answering the same patch is picked', async () => {
    const r = await run(['review', join(FIX, 'series-v3.mbox'), '--tree', TREE, '--from', FROM, '--no-model', '--summary']);
    const mbox = join(tmp, 'all.mbox');
    writeFileSync(mbox, r.out);
    const c = await run(['compare', mbox, join(FIX, 'replies/2026-04-23-re-v3-06-review.eml'), '--format', 'json']);
    expect(JSON.parse(c.out).kreview).toBe(`${mbox}#2`);
  });
});
