/** `kreview check`: the rules over a tree as it is, in each output format. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';
import { batches } from '../../src/cli/check.js';
import { Report } from '../../src/report/schema.js';

const tmp = mkdtempSync(join(tmpdir(), 'kreview-check-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(args: string[]) {
  const io = memoryIo();
  const status = await main(['node', 'kreview', ...args], io);
  return { status, out: io.out, err: io.err };
}

const TREE = join(tmp, 'tree');
mkdirSync(join(TREE, 'drivers/foo'), { recursive: true });
mkdirSync(join(TREE, 'drivers/bar'), { recursive: true });
writeFileSync(
  join(TREE, 'drivers/foo/foo.c'),
  `struct mutex { int x; };
struct foo_dev { struct mutex lock; int state; };

static void foo_update(struct foo_dev *fd)
{
	lockdep_assert_held(&fd->lock);
	fd->state++;
}

int foo_open(struct foo_dev *fd)
{
	mutex_lock(&fd->lock);
	mutex_unlock(&fd->lock);
	foo_update(fd);
	return 0;
}

int foo_close(struct foo_dev *fd)
{
	mutex_lock(&fd->lock);
	foo_update(fd);
	mutex_unlock(&fd->lock);
	return 0;
}
`,
);
writeFileSync(join(TREE, 'drivers/bar/bar.c'), 'int bar(void)\n{\n\treturn 0;\n}\n');

describe('kreview check', () => {
  it('finds the call made after the unlock and not the one made under the lock; the model confirms it', async () => {
    const r = await run(['check', '--tree', TREE, '--format', 'json']);
    expect(r.status).toBe(1);
    const doc = Report.parse(JSON.parse(r.out));
    expect(doc.patches).toEqual([]);
    expect(doc.findings).toHaveLength(1);
    expect(doc.findings[0]).toMatchObject({ rule: 'assert-held-caller', file: 'drivers/foo/foo.c', line: 14, function: 'foo_open', lock: 'fd->lock' });
    expect(doc.findings[0]!.confirmation.status).toBe('confirmed');
  });

  it('limits itself to the paths given, relative to the tree', async () => {
    const r = await run(['check', 'drivers/bar', '--tree', TREE, '--format', 'json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.out).findings).toEqual([]);
    const missing = await run(['check', 'drivers/nope', '--tree', TREE]);
    expect([missing.status, missing.err]).toEqual([2, 'kreview: error: drivers/nope: no such file or directory in the tree\n']);
  });

  it('writes compiler-style text and SARIF', async () => {
    const text = await run(['check', '--tree', TREE]);
    expect(text.out.split('\n')[0]).toMatch(/^drivers\/foo\/foo\.c:14:2: error: .* \[assert-held-caller\]$/);
    const sarif = JSON.parse((await run(['check', '--tree', TREE, '--format', 'sarif'])).out);
    expect(sarif.runs[0].results[0].ruleId).toBe('assert-held-caller');
    expect(sarif.runs[0].results[0].codeFlows[0].threadFlows[0].locations.length).toBeGreaterThan(0);
  });

  it('the configuration turns a rule off', async () => {
    const cfg = join(tmp, 'off.json');
    writeFileSync(cfg, JSON.stringify({ rules: { 'assert-held-caller': 'off' } }));
    const r = await run(['check', '--tree', TREE, '--config', cfg, '--format', 'json']);
    expect([r.status, JSON.parse(r.out).findings]).toEqual([0, []]);
    writeFileSync(cfg, '{ "rules": ');
    const bad = await run(['check', '--tree', TREE, '--config', cfg]);
    expect(bad.status).toBe(2);
    expect(bad.err).toMatch(/^kreview: error: .*off\.json: /);
  });

  it('splits a large scope into ordered batches that cover every file once', () => {
    const files = Array.from({ length: 7 }, (_, i) => `f${i}.c`);
    expect(batches(files, 3)).toEqual([['f0.c', 'f1.c', 'f2.c'], ['f3.c', 'f4.c', 'f5.c'], ['f6.c']]);
    expect(batches([], 3)).toEqual([[]]);
  });
});
