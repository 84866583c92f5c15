/**
 * What `kreview github` is pointed at: `owner/repo#N`, or the pull request's
 * web address (`https://github.com/owner/repo/pull/N`, or the same on a
 * GitHub Enterprise host).
 */
import { InputError } from '../errors.js';

export interface PullRef {
  owner: string;
  repo: string;
  number: number;
}

// GitHub's own limits: owners are alphanumeric with single hyphens, repositories add `.` and `_`.
const OWNER = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})';
const REPO = '[A-Za-z0-9._-]{1,100}';
const SHORT = new RegExp(`^(${OWNER})/(${REPO})#(\\d+)$`);
const URL_PATH = new RegExp(`^/(${OWNER})/(${REPO})/pulls?/(\\d+)(?:/.*)?$`);

export function formatRef(r: PullRef): string {
  return `${r.owner}/${r.repo}#${r.number}`;
}

export function parsePullRef(input: string): PullRef {
  const s = input.trim();
  let m = SHORT.exec(s);
  if (!m && /^https?:\/\//i.test(s)) {
    try {
      m = URL_PATH.exec(new URL(s).pathname);
    } catch {
      m = null;
    }
  }
  const n = m ? Number(m[3]) : NaN;
  if (!m || !Number.isSafeInteger(n) || n < 1 || m[2] === '.' || m[2] === '..') {
    throw new InputError(
      `${JSON.stringify(input)}: not a pull request: expected owner/repo#N or https://github.com/owner/repo/pull/N`,
    );
  }
  return { owner: m[1]!, repo: m[2]!.replace(/\.git$/, ''), number: n };
}
