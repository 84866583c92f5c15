import { describe, expect, it } from 'vitest';
import { formatRef, parsePullRef } from '../../src/github/ref.js';
import { InputError } from '../../src/errors.js';

describe('parsePullRef', () => {
  it('reads owner/repo#N and pull request addresses', () => {
    expect(parsePullRef('torvalds/linux#42')).toEqual({ owner: 'torvalds', repo: 'linux', number: 42 });
    expect(parsePullRef('acme-corp/my.repo_x#7')).toEqual({ owner: 'acme-corp', repo: 'my.repo_x', number: 7 });
    expect(parsePullRef('https://github.com/acme/linux/pull/1')).toEqual({ owner: 'acme', repo: 'linux', number: 1 });
    expect(parsePullRef('https://github.com/acme/linux/pull/13/files#diff-x')).toEqual({ owner: 'acme', repo: 'linux', number: 13 });
    expect(parsePullRef('https://ghe.example.com/kernel/linux/pull/5')).toEqual({ owner: 'kernel', repo: 'linux', number: 5 });
    expect(formatRef(parsePullRef(' acme/linux#3 '))).toBe('acme/linux#3');
  });

  it('refuses anything else with one line that says what is expected', () => {
    for (const bad of ['acme/linux', 'acme#1', 'acme/linux#0', 'acme/linux#x', '../x#1', 'acme/..#1', 'https://github.com/acme/linux/issues/1', 'ftp://github.com/a/b/pull/1', 'a/b/c#1']) {
      expect(() => parsePullRef(bad), bad).toThrow(InputError);
      expect(() => parsePullRef(bad)).toThrow(/not a pull request: expected owner\/repo#N or https:\/\/github.com\/owner\/repo\/pull\/N/);
    }
  });
});
