import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/github/client.js';
import { basePaths, fetchBase, includedPaths, loadPull } from '../../src/github/pull.js';
import { RemoteTree } from '../../src/github/remote-tree.js';
import { InputError } from '../../src/errors.js';
import { buildFixturePull, type FixturePull } from './fixture-pr.js';
import { startFakeGithub, type FakeGithub } from './server.js';

let fx: FixturePull;
let gh: FakeGithub;
const MERGE = 'f'.repeat(40);
const EMPTY = 'e'.repeat(40);

beforeAll(async () => {
  fx = buildFixturePull(1);
  const [c1, c2, c3] = fx.pull.commits;
  const emptyPatch = c1!.patch.slice(0, c1!.patch.indexOf('\n---\n')).replace(/^From [0-9a-f]{40}/, `From ${EMPTY}`) + '\n---\n\n-- \n2.43.0\n\n';
  gh = await startFakeGithub({
    owner: 'acme',
    repo: 'linux',
    pulls: [
      fx.pull,
      // The same commits with a merge commit and an empty commit in between.
      {
        ...fx.pull,
        number: 2,
        commits: [c1!, { sha: MERGE, parents: [c1!.sha, fx.pull.baseSha], patch: '' }, { sha: EMPTY, parents: [MERGE], patch: emptyPatch }, c2!, c3!],
      },
    ],
    contents: new Map([[fx.pull.baseSha, fx.base]]),
    maxPerPage: 1,
    contentsAsJson: true,
  });
});

afterAll(async () => {
  await gh?.close();
  fx?.cleanup();
});

const client = (number: number) => createClient({ owner: 'acme', repo: 'linux', number }, { apiUrl: gh.url });

describe('loadPull', () => {
  it("reads the commits through every page as the series' patches, in order", async () => {
    const before = gh.requests.length;
    const { pull, series, patches, skipped } = await loadPull(client(1));
    expect(pull).toMatchObject({ headSha: fx.pull.headSha, baseSha: fx.pull.baseSha, baseRef: 'main', commitCount: 3 });
    const pages = gh.requests.slice(before).filter((q) => q.path.includes('/pulls/1/commits')).map((q) => q.path.replace(/^.*\?/, ''));
    expect(pages).toEqual(['per_page=100', 'per_page=1&page=2', 'per_page=1&page=3']);
    expect(skipped).toEqual([]);
    // No GITHUB_TOKEN, no Authorization header.
    expect(gh.requests.slice(before).every((q) => q.authorization === null)).toBe(true);
    expect(series).toMatchObject({ title: fx.pull.title, version: 1, total: 3, cover: null, missing: [] });
    expect(patches.map((p) => [p.index, p.total, p.subject, p.messageId])).toEqual([
      [1, 3, 'iommu: Record the group in struct group_device', fx.pull.commits[0]!.sha],
      [2, 3, 'iommu: Use RCU for the group->devices list', fx.pull.commits[1]!.sha],
      [3, 3, 'iommu: Quarantine a device reported broken by its IOMMU driver', fx.pull.commits[2]!.sha],
    ]);
    expect(patches[2]!.source).toBe(`acme/linux#1 commit ${fx.pull.commits[2]!.sha.slice(0, 12)}`);
    expect(patches[2]!.files.map((f) => [f.newPath, f.status])).toEqual([
      ['drivers/iommu/iommu.c', 'modified'],
      ['include/linux/iommu.h', 'modified'],
    ]);
    expect(series.patches[0]!.trailers).toEqual([{ key: 'Signed-off-by', value: 'Ravi Hale <rhale@example.net>', from: fx.pull.commits[0]!.sha }]);
    expect(series.patches[0]!.message.from).toEqual({ name: 'Ravi Hale', address: 'rhale@example.net' });
  });

  it('skips merge commits and commits with no diff, and says so', async () => {
    const { patches, skipped } = await loadPull(client(2));
    expect(patches.map((p) => [p.index, p.total, p.messageId])).toEqual(fx.pull.commits.map((c, i) => [i + 1, 3, c.sha]));
    expect(skipped).toEqual([`${MERGE.slice(0, 12)}: a merge commit`, `${EMPTY.slice(0, 12)}: no diff`]);
    expect(gh.requests.some((q) => q.path.endsWith(`/commits/${MERGE}`))).toBe(false);
  });

  it('tries a read again once when the connection drops', async () => {
    let dropped = 0;
    gh.failWith = (q) => (q.path.endsWith('/pulls/1') && dropped++ === 0 ? { status: 0, drop: true } : null);
    try {
      const { pull } = await loadPull(client(1));
      expect(pull.headSha).toBe(fx.pull.headSha);
      expect(dropped).toBe(2);
    } finally {
      gh.failWith = null;
    }
  });
});

describe('fetchBase', () => {
  it('fetches the touched files at the base (base64 answers) and, optionally, the headers they include', async () => {
    const gc = client(1);
    const { pull, patches } = await loadPull(gc);
    expect(basePaths(patches)).toEqual(['drivers/iommu/iommu.c', 'include/linux/iommu.h']);

    const only = await fetchBase(gc, pull, patches);
    expect(only.root).toBe(`github:acme/linux@${fx.pull.baseSha}`);
    expect(only.paths()).toEqual(['drivers/iommu/iommu.c', 'include/linux/iommu.h']);
    expect(only.read('drivers/iommu/iommu.c')).toBe(fx.base.get('drivers/iommu/iommu.c'));
    expect(only.read('include/linux/mutex.h')).toBeNull();

    const withIncludes = await fetchBase(gc, pull, patches, { includes: true });
    const wanted = includedPaths('drivers/iommu/iommu.c', fx.base.get('drivers/iommu/iommu.c')!)
      .concat(includedPaths('include/linux/iommu.h', fx.base.get('include/linux/iommu.h')!))
      .filter((p) => fx.base.has(p));
    expect(wanted).toContain('include/linux/mutex.h');
    expect(withIncludes.paths()).toEqual([...new Set(['drivers/iommu/iommu.c', 'include/linux/iommu.h', ...wanted])].sort());
    for (const p of withIncludes.paths()) expect(withIncludes.read(p)).toBe(fx.base.get(p));
  });

  it('goes on without the included headers when they cannot be fetched', async () => {
    const gc = client(1);
    const { pull, patches } = await loadPull(gc);
    gh.failWith = (q) => (q.path.includes('/contents/include%2Flinux%2Fmutex.h') ? { status: 500, body: { message: 'Server Error' } } : null);
    const notes: string[] = [];
    try {
      const base = await fetchBase(gc, pull, patches, { includes: true, onSkip: (w) => notes.push(w) });
      expect(base.exists('drivers/iommu/iommu.c')).toBe(true);
      expect(base.exists('include/linux/mutex.h')).toBe(false);
      expect(notes).toEqual([expect.stringMatching(/^some included headers could not be fetched, going on without them: acme\/linux#1: the GitHub API failed \(500 Server Error\) while reading include\/linux\/mutex.h at [0-9a-f]{12}/)]);
      // A file the patches need is not optional.
      gh.failWith = (q) => (q.path.includes('/contents/drivers%2Fiommu%2Fiommu.c') ? { status: 500 } : null);
      await expect(fetchBase(gc, pull, patches, { includes: true })).rejects.toThrow(/while reading drivers\/iommu\/iommu.c at/);
    } finally {
      gh.failWith = null;
    }
  });
});

describe('includedPaths', () => {
  it('resolves <x/y.h> under include/ and "y.h" beside the file, and nothing outside the tree', () => {
    const text = '#include <linux/mutex.h>\n#  include "internal.h"\n#include "../dma/iommu.h"\n#include "../../../../etc/passwd"\n// #include <not/this.h>\n';
    expect(includedPaths('drivers/iommu/iommu.c', text)).toEqual(['include/linux/mutex.h', 'drivers/iommu/internal.h', 'drivers/dma/iommu.h']);
  });
});

describe('RemoteTree', () => {
  it('holds the fetched files, reports them all as changes, and refuses unsafe paths', () => {
    const t = new RemoteTree('github:a/b@1', new Map([['a/x.c', 'int x;\n']]));
    expect(t.read('a/x.c')).toBe('int x;\n');
    expect(t.exists('a/y.c')).toBe(false);
    expect([...t.changes()]).toEqual([['a/x.c', 'int x;\n']]);
    expect(() => new RemoteTree('github:a/b@1', new Map([['../x.c', '']]))).toThrow(InputError);
  });
});
