import { describe, expect, it } from 'vitest';
import { asText, createClient, describeFailure } from '../../src/github/client.js';
import { InputError } from '../../src/errors.js';

const REF = { owner: 'acme', repo: 'linux', number: 3 };
const gh = createClient(REF, { apiUrl: 'https://ghe.example.com/api/v3/' });
const withToken = createClient(REF, { token: 't' });

/** What octokit throws for an HTTP error answer. */
const answer = (status: number, headers: Record<string, string> = {}, message = 'x') =>
  Object.assign(new Error(message), { status, response: { status, headers, data: { message, documentation_url: 'https://docs.github.com/x' } } });

describe('describeFailure', () => {
  it('names the pull request and what was being done, on one line', () => {
    const e = describeFailure(gh, 'reading the pull request', answer(502, {}, 'Bad Gateway\nupstream'));
    expect(e).toBeInstanceOf(InputError);
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe('acme/linux#3: the GitHub API failed (502 Bad Gateway upstream) while reading the pull request; try again later');
    expect(gh.apiUrl).toBe('https://ghe.example.com/api/v3');
  });

  it('tells a rate limit (403 or 429, x-ratelimit-remaining 0 or retry-after) from a refusal', () => {
    expect(describeFailure(gh, 'listing its commits', answer(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1800000000' })).message).toBe(
      'acme/linux#3: GitHub API rate limit exceeded while listing its commits; it resets at 2027-01-15T08:00:00.000Z (set GITHUB_TOKEN for a higher limit)',
    );
    expect(describeFailure(withToken, 'posting the review', answer(429, { 'retry-after': '60' })).message).toBe(
      'acme/linux#3: GitHub API rate limit exceeded while posting the review; retry after 60 s',
    );
    expect(describeFailure(withToken, 'posting the review', answer(403, {}, 'Resource not accessible by integration')).message).toBe(
      'acme/linux#3: GitHub refused posting the review (403 Resource not accessible by integration): the token lacks the permission',
    );
  });

  it('401, 404, 422 and a failure with no answer', () => {
    expect(describeFailure(gh, 'reading the pull request', answer(401, {}, 'Bad credentials')).message).toBe(
      'acme/linux#3: GitHub rejected the credentials (401 Bad credentials) while reading the pull request: set GITHUB_TOKEN',
    );
    expect(describeFailure(gh, 'reading the pull request', answer(404), 'no such pull request (404)').message).toBe('acme/linux#3: no such pull request (404)');
    expect(describeFailure(gh, 'reading commit abc', answer(404)).message).toBe('acme/linux#3: not found (404) while reading commit abc');
    expect(describeFailure(gh, 'posting the review', answer(422, {}, 'Validation Failed')).message).toBe(
      'acme/linux#3: GitHub did not accept posting the review (422 Validation Failed)',
    );
    const net = Object.assign(new Error('fetch failed'), { status: 500, cause: new Error('connect ECONNREFUSED 127.0.0.1:9') });
    expect(describeFailure(gh, 'reading the pull request', net).message).toBe(
      'acme/linux#3: cannot reach the GitHub API at https://ghe.example.com/api/v3 while reading the pull request: connect ECONNREFUSED 127.0.0.1:9',
    );
  });

  it('refuses an --api-url that is not http(s)', () => {
    expect(() => createClient(REF, { apiUrl: 'file:///etc' })).toThrow('--api-url file:///etc: not an http(s) URL');
    expect(() => createClient(REF, { apiUrl: 'not a url' })).toThrow(InputError);
  });
});

describe('asText', () => {
  it('reads text, bytes and base64 contents answers', () => {
    expect(asText('a\n')).toBe('a\n');
    expect(asText(new TextEncoder().encode('é\n').buffer)).toBe('é\n');
    expect(asText(Buffer.from('x'))).toBe('x');
    expect(asText({ type: 'file', encoding: 'base64', content: Buffer.from('int x;\n').toString('base64').replace(/(.{4})/g, '$1\n') })).toBe('int x;\n');
    expect(asText([{ type: 'dir' }])).toBeNull();
  });
});
