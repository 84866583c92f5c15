/**
 * The fixture variant series (fixtures/iommu/patches/variant, 3 patches over
 * fixtures/iommu/tree) as a pull request: a throw-away git repository where
 * the base is one commit of the fixture tree and the patches are applied
 * with `git am`, so the commits, their format-patch text and the pull
 * request's file diffs are what git (and GitHub) would give.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FakeFile, FakePull } from './server.js';

export const FIXTURE_TREE = resolve('fixtures/iommu/tree');
const VARIANT = resolve('fixtures/iommu/patches/variant');

export interface FixturePull {
  pull: FakePull;
  /** Base files by path. */
  base: Map<string, string>;
  dir: string;
  cleanup(): void;
}

const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Ravi Hale',
  GIT_AUTHOR_EMAIL: 'rhale@example.net',
  GIT_COMMITTER_NAME: 'Ravi Hale',
  GIT_COMMITTER_EMAIL: 'rhale@example.net',
  GIT_AUTHOR_DATE: '2026-04-27T14:30:00Z',
  GIT_COMMITTER_DATE: '2026-04-27T14:30:00Z',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: tmpdir(),
};

export function buildFixturePull(number = 1): FixturePull {
  const dir = mkdtempSync(join(tmpdir(), 'kreview-gh-'));
  const git = (...args: string[]) => execFileSync('git', ['-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, env: ENV, encoding: 'utf8', maxBuffer: 64 << 20 });
  cpSync(FIXTURE_TREE, dir, { recursive: true });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'base');
  const baseSha = git('rev-parse', 'HEAD').trim();
  const patches = readdirSync(VARIANT).filter((f) => /^v1-000[1-9]/.test(f)).sort().map((f) => join(VARIANT, f));
  git('am', '-q', '--keep-cr', ...patches);
  const headSha = git('rev-parse', 'HEAD').trim();
  const shas = git('rev-list', '--reverse', `${baseSha}..${headSha}`).trim().split('\n');
  const commits = shas.map((sha, i) => ({
    sha,
    parents: [i === 0 ? baseSha : shas[i - 1]!],
    patch: git('format-patch', '-1', '--stdout', sha),
  }));
  const files: FakeFile[] = git('diff', '--name-status', baseSha, headSha)
    .trim()
    .split('\n')
    .map((l) => {
      const [st, name] = l.split('\t') as [string, string];
      const diff = git('diff', baseSha, headSha, '--', name);
      return {
        filename: name,
        status: st === 'A' ? 'added' : st === 'D' ? 'removed' : 'modified',
        patch: diff.slice(diff.indexOf('\n@@') + 1),
      } as FakeFile;
    });
  const base = new Map<string, string>();
  for (const p of git('ls-tree', '-r', '--name-only', baseSha).trim().split('\n')) base.set(p, git('show', `${baseSha}:${p}`));
  return {
    pull: { number, title: 'iommu: Quarantine a device reported broken by its IOMMU driver', headSha, baseSha, commits, files },
    base,
    dir,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
