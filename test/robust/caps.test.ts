/**
 * Every resource cap kreview has, exercised: each one, when passed, is a
 * clear error (or a skip/unknown that names it), never an exhausted process.
 * The table of which are configurable, and how, is in test/robust/README.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { DEFAULT_MAX_INPUT_BYTES, readMessages } from '../../src/mail/input.js';
import { gunzipCapped } from '../../src/mail/lore.js';
import { DEFAULT_MAX_MESSAGE_BYTES, parseMessage } from '../../src/mail/message.js';
import { confirmFinding } from '../../src/model/confirm.js';
import { DEFAULT_BOUNDS } from '../../src/model/bounds.js';
import { applyFileDiff, MAX_FAILED_HUNKS } from '../../src/parse/apply.js';
import { parseDiff } from '../../src/parse/diff.js';
import { DiskTree } from '../../src/parse/disk-tree.js';
import { createIndex } from '../../src/parse/index/index.js';
import { MAX_PATH_LENGTH, unsafePathReason } from '../../src/parse/paths.js';
import { finding, fixture, lineOf, memIndex } from '../model/helpers.js';
import { timedAsync } from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kreview-caps-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MAIL = 'From: a@b\nSubject: [PATCH] x\nMessage-ID: <m@x>\n\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n';

describe('caps', () => {
  it('mail size: parseMessage refuses a message over maxBytes (default 32 MiB), naming both sizes', async () => {
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(32 * 1024 * 1024);
    const raw = Buffer.from(MAIL + 'x'.repeat(2048));
    await expect(parseMessage(raw, 'a.eml', { maxBytes: 1024 })).rejects.toThrow(/a\.eml: message is larger than 1024 bytes/);
    await expect(parseMessage(raw, 'a.eml', { maxBytes: raw.length })).resolves.toMatchObject({ messageId: 'm@x' });
  });

  it('input size: readMessages refuses a file over maxBytes (default 64 MiB) before reading it', async () => {
    expect(DEFAULT_MAX_INPUT_BYTES).toBe(64 * 1024 * 1024);
    const f = join(dir, 'big.mbox');
    writeFileSync(f, MAIL + 'x'.repeat(4096));
    await expect(readMessages([f], { stdin: async () => Buffer.alloc(0), loreUrl: '', maxBytes: 1024 })).rejects.toThrow(/big\.mbox: larger than 1024 bytes/);
  });

  it('decompressed size: a t.mbox.gz that inflates past the cap is refused as a gzip bomb, without inflating it whole', async () => {
    const bomb = gzipSync(Buffer.alloc(256 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const before = process.memoryUsage().rss;
    await expect(timedAsync('gunzip', 5000, () => gunzipCapped(bomb, 8 * 1024 * 1024, 't.mbox.gz'))).rejects.toThrow(/decompresses to more than 8 MiB \(refused as a possible gzip bomb\)/);
    expect(process.memoryUsage().rss - before).toBeLessThan(128 * 1024 * 1024);
    const f = join(dir, 't.mbox.gz');
    writeFileSync(f, bomb);
    const err = await readMessages([f], { stdin: async () => Buffer.alloc(0), loreUrl: '', maxBytes: 8 * 1024 * 1024 }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/gzip bomb/);
  });

  it('file size to parse: the index skips a file over maxFileBytes (default 4 MiB) and says why', () => {
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'd'), { recursive: true });
    writeFileSync(join(tree, 'd', 'big.c'), `int f(void)\n{\n${'\tx = 1;\n'.repeat(2000)}}\n`);
    writeFileSync(join(tree, 'd', 'small.c'), 'int g(void)\n{\n\treturn 0;\n}\n');
    const index = createIndex(new DiskTree(tree), { cache: false, maxFileBytes: 4096 });
    index.loadFiles(['d/big.c', 'd/small.c']);
    expect(index.facts('d/big.c')).toBeNull();
    expect(index.facts('d/small.c')?.functions.map((f) => f.name)).toEqual(['g']);
    expect(index.skipped()).toEqual([{ file: 'd/big.c', reason: expect.stringMatching(/^larger than 4096 bytes \(\d+\)$/) }]);
  });

  it('model steps: a finding whose scenario needs more steps than the bound is unknown, naming the bound', () => {
    expect(DEFAULT_BOUNDS.steps).toBeGreaterThan(0);
    const F = 'drivers/iommu/groups.c';
    const T = fixture('lock-paths.c');
    const line = lineOf(T, 'group_set_domain(group, d);', 'group_reset(');
    const c = confirmFinding(
      finding({ rule: 'assert-held-caller', file: F, line, function: 'group_reset', lock: 'group->mutex' }),
      memIndex({ [F]: T }),
      { steps: 2 },
    );
    expect(c.status).toBe('unknown');
    expect(c.summary).toMatch(/steps \(2\)/);
  });

  it('path length: a path longer than PATH_MAX is unsafe', () => {
    expect(unsafePathReason('a/'.repeat(MAX_PATH_LENGTH))).toMatch(/longer than 4096/);
    expect(unsafePathReason('a/b.c')).toBeNull();
  });

  it('failed hunks: after MAX_FAILED_HUNKS failures in one file the rest are not searched', () => {
    let s = '--- a/x\n+++ b/x\n';
    for (let i = 0; i < MAX_FAILED_HUNKS + 5; i++) s += `@@ -${i + 1} +${i + 1} @@\n-nope${i}\n+b\n`;
    const r = applyFileDiff('a\n', parseDiff(s, 'p')[0]!);
    expect(r.hunks.filter((h) => h.status === 'failed')).toHaveLength(MAX_FAILED_HUNKS + 5);
    expect(r.hunks.at(-1)!.reason).toBe(`not tried: ${MAX_FAILED_HUNKS} earlier hunks of this file did not apply`);
  });
});
