import { describe, expect, it } from 'vitest';
import { main, oneLine } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';

async function run(args: string[]) {
  const io = memoryIo();
  const status = await main(['node', 'kreview', ...args], io);
  return { status, out: io.out, err: io.err };
}

describe('the CLI wiring', () => {
  it('prints help for every command, naming its options', async () => {
    const top = await run(['--help']);
    expect(top.status).toBe(0);
    for (const c of ['lint', 'review', 'scan', 'check', 'apply', 'fetch', 'github', 'series', 'comments', 'compare', 'merge', 'schema']) {
      expect(top.out).toContain(`  ${c} `);
      const h = await run([c, '--help']);
      expect(h.status).toBe(0);
      expect(h.out).toMatch(new RegExp(`^Usage: kreview ${c} `));
    }
    const lint = await run(['lint', '--help']);
    for (const o of ['--tree', '--format', '--fail-on', '--all', '--config', '--show-refuted', '--no-model', '--jobs']) expect(lint.out).toContain(o);
  });

  it('an unknown command or option is one kreview: error line and exit 2', async () => {
    const a = await run(['frobnicate']);
    expect(a.status).toBe(2);
    expect(a.err).toMatch(/^kreview: error: unknown command 'frobnicate'\n$/);
    const b = await run(['lint', 'x.patch', '--format', 'xml']);
    expect(b.status).toBe(2);
    expect(b.err.trim().split('\n')).toHaveLength(1);
    expect(b.err).toMatch(/^kreview: error: option '--format <format>' argument 'xml' is invalid/);
  });

  it('a missing input file is one line, exit 2, no stack trace', async () => {
    const r = await run(['lint', '/nonexistent/0001-x.patch', '--tree', '.']);
    expect(r.status).toBe(2);
    expect(r.err).toBe('kreview: error: /nonexistent/0001-x.patch: no such file or directory (and not a Message-ID or lore URL)\n');
  });

  it('prints the JSON Schema of the report', async () => {
    const r = await run(['schema']);
    const schema = JSON.parse(r.out);
    expect(schema.properties.findings.items.properties.confirmation.properties.status.enum).toEqual(['confirmed', 'refuted', 'unknown']);
  });
});

describe('oneLine', () => {
  it('joins lines and escapes control characters', () => {
    expect(oneLine('a\n  b\n\nc')).toBe('a; b; c');
    expect(oneLine('patch "n\u0000ul \u001b[31mred"')).toBe('patch "n\\x00ul \\x1b[31mred"');
  });

  it('stays linear on long runs of blanks', () => {
    const s = `x${' '.repeat(200_000)}\n${' '.repeat(200_000)}y`;
    const t0 = performance.now();
    expect(oneLine(s)).toBe('x; y');
    // A guard against a hang (the quadratic version took minutes here), not a speed measurement.
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

describe('the built CLI in a pipeline', () => {
  it('ends quietly with status 141 when the reader of its output goes away (`| head`)', async () => {
    const { spawnSync } = await import('node:child_process');
    const { existsSync } = await import('node:fs');
    const { fileURLToPath } = await import('node:url');
    const root = fileURLToPath(new URL('../..', import.meta.url));
    if (!existsSync(`${root}/dist/src/cli/main.js`)) throw new Error('dist/ is missing: run npm run build');
    // `head -c 0` exits at once; the check takes long enough that its report meets a closed pipe.
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" bin/kreview check drivers --tree fixtures/iommu/tree --no-model | head -c 0`], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(141);
  });
});
