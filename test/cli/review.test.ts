/**
 * `kreview review` and `kreview compare` end to end through main(): the
 * fixture series on the fixture tree (model off, to stay fast; the model's
 * witness in a reply is tested in test/report/reply.test.ts).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';
import { readMessages } from '../../src/mail/input.js';

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
  tmp = mkdtempSync(join(tmpdir(), 'kreview-review-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('kreview review', () => {
  test('the variant: one mbox on stdout with the reply to 3/3, exit 1', async () => {
    const r = await run(['review', join(FIX, 'variant-no-defer.mbox'), '--tree', TREE, '--from', FROM, '--no-model']);
    expect(r.err).toBe('');
    expect(r.status).toBe(1);
    expect(r.out.startsWith('From kreview ')).toBe(true);
    const file = join(tmp, 'variant-out.mbox');
    writeFileSync(file, r.out);
    const msgs = await readMessages([file], { stdin: async () => Buffer.alloc(0), loreUrl: '' });
    expect(msgs).toHaveLength(1);
    const m = msgs[0]!;
    expect(m.inReplyTo).toBe('3-of-3.1777300000.git.rhale@example.net');
    expect(m.references).toEqual(['cover.1777300000.git.rhale@example.net', '3-of-3.1777300000.git.rhale@example.net']);
    expect(m.subject).toBe('Re: [PATCH v1 3/3] iommu: Quarantine a device reported broken by its IOMMU driver');
    expect(m.from).toEqual({ name: 'Rev Iewer', address: 'rev@example.org' });
    expect(m.to).toEqual([{ name: 'Ravi Hale', address: 'rhale@example.net' }]);
    expect(m.body).toMatch(/> \+\tcancel_work_sync\(&gdev->work\);\n\ncancel_work_sync\(\) waits for/);
  });

  test('v3 with --out and --summary: .eml files that sort in series order, written atomically', async () => {
    const out = join(tmp, 'drafts');
    const r = await run(['review', join(FIX, 'series-v3.mbox'), '--tree', TREE, '--from', FROM, '--no-model', '--out', out, '--summary']);
    expect(r.status).toBe(1);
    expect(r.out).toBe('');
    expect(readdirSync(out).sort()).toEqual([
      '00-iommu-arm-smmu-v3-quarantine-device-upon-atc.eml',
      '06-iommu-defer-iommu_group_free_device-to-be-outside.eml',
    ]);
    expect(r.err).toBe(
      `kreview: wrote ${join(out, '00-iommu-arm-smmu-v3-quarantine-device-upon-atc.eml')} (2 findings)\n` +
        `kreview: wrote ${join(out, '06-iommu-defer-iommu_group_free_device-to-be-outside.eml')} (2 findings)\n`,
    );
    const text = readFileSync(join(out, '06-iommu-defer-iommu_group_free_device-to-be-outside.eml'), 'utf8');
    expect(text).toMatch(/^From: Rev Iewer <rev@example\.org>\n/);
    expect(text).toContain('\nIn-Reply-To: <06-of-11.1776381841.git.nchen@example.com>\n');
    expect(text).toContain("\n\nNit: this comment doesn't quite match the code below it:");
    expect(text).toContain('\n\nAlso, once patch 07/11 ("iommu: Add iommu_report_device_broken() to\nquarantine a broken device") is applied, can this WARN_ON() fire when\n');
  });

  test('the sender comes from GIT_AUTHOR_* when --from is missing', async () => {
    const r = await run(['review', join(FIX, 'variant-no-defer.mbox'), '--tree', TREE, '--no-model'], {
      GIT_AUTHOR_NAME: 'Ann Author',
      GIT_AUTHOR_EMAIL: 'ann@example.com',
    });
    expect(r.out).toContain('\nFrom: Ann Author <ann@example.com>\n');
    expect(r.out).toContain('\nThanks,\nAnn Author\n');
  });

  test('the sender comes from the configuration when --from is missing, and --from wins over it', async () => {
    const config = join(tmp, 'from.json');
    writeFileSync(config, JSON.stringify({ from: 'Cora Config <cora@example.org>' }));
    const r = await run(['review', join(FIX, 'variant-no-defer.mbox'), '--tree', TREE, '--no-model', '--config', config], {
      GIT_AUTHOR_NAME: 'Ann Author',
      GIT_AUTHOR_EMAIL: 'ann@example.com',
    });
    expect(r.out).toContain('\nFrom: Cora Config <cora@example.org>\n');
    const w = await run(['review', join(FIX, 'variant-no-defer.mbox'), '--tree', TREE, '--no-model', '--config', config, '--from', FROM]);
    expect(w.out).toContain(`\nFrom: ${FROM}\n`);
    writeFileSync(config, JSON.stringify({ from: 'not an address' }));
    const bad = await run(['review', join(FIX, 'variant-no-defer.mbox'), '--tree', TREE, '--no-model', '--config', config]);
    expect(bad.status).toBe(2);
    expect(bad.err).toBe('kreview: error: configuration "from": "not an address" is not an address (expected "Name <addr>")\n');
  });

  test('a series with nothing to say: no output, exit 0', async () => {
    // A bare diff that only adds a comment at the top of iommu.c.
    const first = readFileSync(join(TREE, 'drivers/iommu/iommu.c'), 'utf8').split('\n').slice(0, 3);
    const diff =
      'diff --git a/drivers/iommu/iommu.c b/drivers/iommu/iommu.c\n--- a/drivers/iommu/iommu.c\n+++ b/drivers/iommu/iommu.c\n' +
      `@@ -1,3 +1,4 @@\n+/* harmless */\n${first.map((l) => ` ${l}`).join('\n')}\n`;
    const inputs = [join(tmp, 'harmless.diff')];
    writeFileSync(inputs[0]!, diff);
    const r = await run(['review', ...inputs, '--tree', TREE, '--from', FROM, '--no-model']);
    expect(r.status).toBe(0);
    expect(r.out).toBe('');
    expect(r.err).toContain('no findings, no replies drafted');
  });

  test('refuses --out inside --tree, and a --from that is not an address', async () => {
    const inside = await run(['review', join(FIX, 'variant-no-defer.mbox'), '--tree', TREE, '--from', FROM, '--out', join(TREE, 'drafts')]);
    expect(inside.status).toBe(2);
    expect(inside.err).toMatch(/^kreview: error: --out .*: inside --tree/);
    expect(existsSync(join(TREE, 'drafts'))).toBe(false);
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'x');
    const notDir = await run(['review', join(FIX, 'variant-no-defer.mbox'), '--tree', TREE, '--from', FROM, '--no-model', '--out', file]);
    expect(notDir.status).toBe(2);
    expect(notDir.err).toMatch(/^kreview: error: --out .*a-file: cannot write the replies: EEXIST/);
    const bad = await run(['review', join(FIX, 'variant-no-defer.mbox'), '--tree', TREE, '--from', 'nobody']);
    expect(bad.status).toBe(2);
    expect(bad.err).toContain('--from "nobody": not an address');
  });
});
