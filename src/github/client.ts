/**
 * The GitHub REST client (@octokit/rest) and the one place where its errors
 * become kreview's: every failure of a call reaches the user as one line
 * naming the pull request and what was being done (401 credentials, 403/429
 * rate limit with its reset time, 404, 5xx, no connection).
 */
import { Octokit } from '@octokit/rest';
import { KreviewError, InputError } from '../errors.js';
import { formatRef, type PullRef } from './ref.js';

export const DEFAULT_API_URL = 'https://api.github.com';

export interface ClientOptions {
  /** REST API base, e.g. `https://ghe.example.com/api/v3` for GitHub Enterprise. */
  apiUrl?: string;
  /** GITHUB_TOKEN; anonymous when absent (public repositories, low rate limit, no --post). */
  token?: string;
  /** A fetch implementation (tests; default the global fetch). */
  fetch?: typeof globalThis.fetch;
}

/** A client bound to one pull request: what every call's error message names. */
export interface GithubContext {
  octokit: Octokit;
  ref: PullRef;
  apiUrl: string;
  hasToken: boolean;
}

const QUIET = { debug() {}, info() {}, warn() {}, error() {} };

export function createClient(ref: PullRef, opts: ClientOptions = {}): GithubContext {
  const apiUrl = (opts.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
  try {
    const u = new URL(apiUrl);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('not http(s)');
  } catch {
    throw new InputError(`--api-url ${opts.apiUrl}: not an http(s) URL`);
  }
  const octokit = new Octokit({
    baseUrl: apiUrl,
    ...(opts.token ? { auth: opts.token } : {}),
    userAgent: 'kreview',
    log: QUIET,
    request: { fetch: opts.fetch ?? globalThis.fetch },
  });
  return { octokit, ref, apiUrl, hasToken: Boolean(opts.token) };
}

interface HttpFailure {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | undefined>; data?: unknown };
}

/** The server's own message, on one line, without the documentation link octokit appends. */
function serverMessage(e: HttpFailure): string {
  const data = e.response?.data as { message?: unknown } | undefined;
  const m = typeof data?.message === 'string' ? data.message : String(e.message ?? '');
  return m.replace(/ - https?:\/\/\S+$/, '').replace(/\s+/g, ' ').trim();
}

/**
 * One line for a failed call. `what` says what was being done ("reading the
 * pull request", "posting the review"); `notFound` replaces the generic text
 * for a 404.
 */
export function describeFailure(gh: GithubContext, what: string, err: unknown, notFound?: string): KreviewError {
  if (err instanceof KreviewError) return err;
  const where = `${formatRef(gh.ref)}`;
  const e = (err ?? {}) as HttpFailure;
  if (!e.response || typeof e.status !== 'number') {
    const cause = (err as { cause?: { message?: string } })?.cause?.message;
    const reason = (cause || e.message || String(err)).replace(/\s+/g, ' ').trim();
    return new InputError(`${where}: cannot reach the GitHub API at ${gh.apiUrl} while ${what}: ${reason}`);
  }
  const status = e.status;
  const headers = e.response.headers ?? {};
  const msg = serverMessage(e);
  const said = msg ? `${status} ${msg}` : String(status);
  if (status === 401) {
    return new InputError(
      `${where}: GitHub rejected the credentials (${said}) while ${what}: ${gh.hasToken ? 'check GITHUB_TOKEN' : 'set GITHUB_TOKEN'}`,
    );
  }
  if ((status === 403 || status === 429) && (headers['x-ratelimit-remaining'] === '0' || headers['retry-after'] || /rate limit/i.test(msg))) {
    const reset = Number(headers['x-ratelimit-reset']);
    const when = Number.isFinite(reset) && reset > 0 ? `; it resets at ${new Date(reset * 1000).toISOString()}` : headers['retry-after'] ? `; retry after ${headers['retry-after']} s` : '';
    const hint = gh.hasToken ? '' : ' (set GITHUB_TOKEN for a higher limit)';
    return new InputError(`${where}: GitHub API rate limit exceeded while ${what}${when}${hint}`);
  }
  if (status === 403) {
    return new InputError(`${where}: GitHub refused ${what} (${said})${gh.hasToken ? ': the token lacks the permission' : ': set GITHUB_TOKEN'}`);
  }
  if (status === 404) {
    return new InputError(`${where}: ${notFound ?? `not found (404) while ${what}`}`);
  }
  if (status === 422) return new InputError(`${where}: GitHub did not accept ${what} (${said})`);
  if (status >= 500) return new InputError(`${where}: the GitHub API failed (${said}) while ${what}; try again later`);
  return new InputError(`${where}: GitHub answered ${said} while ${what}`);
}

/** A failure with no HTTP answer: the connection failed or was closed under us. */
function isNetworkFailure(err: unknown): boolean {
  return !(err instanceof KreviewError) && !(err as HttpFailure)?.response;
}

/**
 * Runs one API call, turning its failure into a one-line InputError. A read
 * that fails without an answer is tried once more: after a long analysis the
 * kept-alive connection may have been closed by the server while the event
 * loop was busy. Writes (`retry: false`) are not repeated.
 */
export async function call<T>(
  gh: GithubContext,
  what: string,
  fn: () => Promise<T>,
  notFound?: string,
  opts: { retry?: boolean } = {},
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (opts.retry !== false && isNetworkFailure(err)) {
      try {
        return await fn();
      } catch (again) {
        throw describeFailure(gh, what, again, notFound);
      }
    }
    throw describeFailure(gh, what, err, notFound);
  }
}

/** Whether a failure is a 404 (a file missing at the base is not an error). */
export function isNotFound(err: unknown): boolean {
  return (err as HttpFailure)?.status === 404 && Boolean((err as HttpFailure).response);
}

/** A response body that may come as text or bytes, depending on the Content-Type the server chose. */
export function asText(data: unknown): string | null {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  if (data && typeof data === 'object') {
    const d = data as { content?: unknown; encoding?: unknown; type?: unknown };
    if (typeof d.content === 'string' && d.encoding === 'base64') return Buffer.from(d.content, 'base64').toString('utf8');
    if (typeof d.content === 'string' && (d.encoding === 'utf-8' || d.encoding === 'utf8')) return d.content;
  }
  return null;
}
