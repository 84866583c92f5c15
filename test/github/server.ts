/**
 * A fake of the parts of the GitHub REST API that `kreview github` uses,
 * on 127.0.0.1, under `/api/v3` as on GitHub Enterprise:
 *   GET  /repos/:o/:r/pulls/:n                     the pull request
 *   GET  /repos/:o/:r/pulls/:n/commits             paginated (per_page capped at maxPerPage), Link headers
 *   GET  /repos/:o/:r/pulls/:n/files               paginated, each with its `patch` (hunks of base...head)
 *   GET  /repos/:o/:r/commits/:sha                 Accept application/vnd.github.v3.patch: format-patch text
 *   GET  /repos/:o/:r/contents/:path?ref=          Accept application/vnd.github.raw: raw bytes; else base64 JSON
 *   GET  /repos/:o/:r/pulls/:n/comments            review comments, paginated
 *   GET  /repos/:o/:r/pulls/:n/reviews             reviews, paginated
 *   POST /repos/:o/:r/pulls/:n/reviews             a review with inline comments; like GitHub it answers 422
 *                                                  when a comment's line is not part of the diff
 * With `token` set, a request without `Authorization: token|Bearer <token>` gets 401.
 * `failWith` makes the server answer chosen requests with an error (404, 403 rate limit, 500...).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeCommit {
  sha: string;
  parents: string[];
  /** `git format-patch -1 --stdout` of the commit. */
  patch: string;
}

export interface FakeFile {
  filename: string;
  status: 'added' | 'modified' | 'removed' | 'renamed';
  /** The hunks of `git diff base head -- file`, from the first `@@`. */
  patch: string;
}

export interface FakePull {
  number: number;
  title: string;
  headSha: string;
  baseSha: string;
  commits: FakeCommit[];
  files: FakeFile[];
}

export interface PostedComment {
  id: number;
  pull_request_review_id: number;
  path: string;
  line: number;
  side: string;
  body: string;
  commit_id: string;
}

export interface PostedReview {
  id: number;
  body: string;
  event: string;
  state: string;
  commit_id: string;
  comments: { path: string; line: number; side: string; body: string }[];
}

export interface Recorded {
  method: string;
  path: string;
  accept: string;
  authorization: string | null;
}

export interface Failure {
  /** Close the connection without answering (a network failure) instead. */
  drop?: boolean;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FakeGithubOptions {
  owner: string;
  repo: string;
  pulls: FakePull[];
  /** File contents per commit sha (the base). */
  contents: Map<string, Map<string, string>>;
  maxPerPage?: number;
  token?: string;
  /** Answer contents requests with base64 JSON even when raw is asked for. */
  contentsAsJson?: boolean;
}

export interface FakeGithub {
  /** The API base to give `--api-url`. */
  url: string;
  requests: Recorded[];
  reviews: Map<number, PostedReview[]>;
  comments: Map<number, PostedComment[]>;
  failWith: ((r: Recorded) => Failure | null) | null;
  close(): Promise<void>;
}

const PREFIX = '/api/v3';

/** New-side line numbers that a file patch shows (context and added lines): where GitHub accepts a RIGHT comment. */
export function rightLines(patch: string): Set<number> {
  const out = new Set<number>();
  let line = 0;
  for (const l of patch.split('\n')) {
    const h = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(l);
    if (h) {
      line = Number(h[1]);
      continue;
    }
    if (line === 0) continue;
    if (l.startsWith('+') || l.startsWith(' ')) out.add(line++);
  }
  return out;
}

export async function startFakeGithub(opts: FakeGithubOptions): Promise<FakeGithub> {
  const maxPerPage = opts.maxPerPage ?? 100;
  const requests: Recorded[] = [];
  const reviews = new Map<number, PostedReview[]>();
  const comments = new Map<number, PostedComment[]>();
  let nextId = 1000;
  let base = '';

  const fake: FakeGithub = {
    url: '',
    requests,
    reviews,
    comments,
    failWith: null,
    close: () => new Promise((res) => server.close(() => res())),
  };

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };
  const notFound = (res: ServerResponse) =>
    json(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });

  const page = <T>(req: URL, res: ServerResponse, items: T[]) => {
    const per = Math.min(maxPerPage, Number(req.searchParams.get('per_page') ?? 30) || 30);
    const pageNo = Math.max(1, Number(req.searchParams.get('page') ?? 1) || 1);
    const last = Math.max(1, Math.ceil(items.length / per));
    const link = (p: number, rel: string) => {
      const u = new URL(req.toString());
      u.searchParams.set('page', String(p));
      u.searchParams.set('per_page', String(per));
      return `<${base}${u.pathname}${u.search}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (pageNo < last) links.push(link(pageNo + 1, 'next'), link(last, 'last'));
    if (pageNo > 1) links.push(link(1, 'first'), link(pageNo - 1, 'prev'));
    json(res, 200, items.slice((pageNo - 1) * per, pageNo * per), links.length ? { link: links.join(', ') } : {});
  };

  const readBody = async (req: IncomingMessage): Promise<unknown> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    return text ? JSON.parse(text) : {};
  };

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://fake');
      const rec: Recorded = {
        method: req.method ?? 'GET',
        path: url.pathname + url.search,
        accept: String(req.headers.accept ?? ''),
        authorization: req.headers.authorization ?? null,
      };
      requests.push(rec);
      const failure = fake.failWith?.(rec) ?? null;
      if (failure?.drop) return void req.socket.destroy();
      if (failure) return json(res, failure.status, failure.body ?? { message: `fake failure ${failure.status}` }, failure.headers);
      if (opts.token && rec.authorization !== `token ${opts.token}` && rec.authorization !== `Bearer ${opts.token}`) {
        return json(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
      }
      if (!url.pathname.startsWith(`${PREFIX}/repos/${opts.owner}/${opts.repo}/`)) return notFound(res);
      const rest = url.pathname.slice(`${PREFIX}/repos/${opts.owner}/${opts.repo}/`.length);
      let m: RegExpExecArray | null;

      if ((m = /^commits\/([0-9a-f]{40})$/.exec(rest)) && rec.method === 'GET') {
        const commit = opts.pulls.flatMap((p) => p.commits).find((c) => c.sha === m![1]);
        if (!commit) return notFound(res);
        if (/application\/vnd\.github\.v3\.patch|application\/vnd\.github\.patch/.test(rec.accept)) {
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
          return res.end(commit.patch);
        }
        return json(res, 200, { sha: commit.sha, parents: commit.parents.map((sha) => ({ sha })) });
      }

      if ((m = /^contents\/(.+)$/.exec(rest)) && rec.method === 'GET') {
        const path = decodeURIComponent(m[1]!);
        const ref = url.searchParams.get('ref') ?? '';
        const text = opts.contents.get(ref)?.get(path);
        if (text === undefined) return notFound(res);
        if (/application\/vnd\.github(\.v3)?\.raw/.test(rec.accept) && !opts.contentsAsJson) {
          res.writeHead(200, { 'content-type': 'application/vnd.github.raw' });
          return res.end(Buffer.from(text, 'utf8'));
        }
        const b64 = Buffer.from(text, 'utf8').toString('base64').replace(/(.{60})/g, '$1\n');
        return json(res, 200, { type: 'file', path, encoding: 'base64', content: b64, size: Buffer.byteLength(text) });
      }

      if (!(m = /^pulls\/(\d+)(\/[a-z]+)?$/.exec(rest))) return notFound(res);
      const pull = opts.pulls.find((p) => p.number === Number(m![1]));
      if (!pull) return notFound(res);
      const what = m[2] ?? '';
      if (what === '' && rec.method === 'GET') {
        return json(res, 200, {
          number: pull.number,
          state: 'open',
          title: pull.title,
          commits: pull.commits.length,
          head: { sha: pull.headSha, ref: 'topic' },
          base: { sha: pull.baseSha, ref: 'main' },
        });
      }
      if (what === '/commits' && rec.method === 'GET') {
        return page(url, res, pull.commits.map((c) => ({ sha: c.sha, parents: c.parents.map((sha) => ({ sha })), commit: { message: '' } })));
      }
      if (what === '/files' && rec.method === 'GET') return page(url, res, pull.files);
      if (what === '/comments' && rec.method === 'GET') return page(url, res, comments.get(pull.number) ?? []);
      if (what === '/reviews' && rec.method === 'GET') {
        return page(url, res, (reviews.get(pull.number) ?? []).map(({ comments: _c, ...r }) => r));
      }
      if (what === '/reviews' && rec.method === 'POST') {
        const body = (await readBody(req)) as Partial<PostedReview>;
        const list = body.comments ?? [];
        for (const c of list) {
          const file = pull.files.find((f) => f.filename === c.path);
          if (c.side !== 'RIGHT' || !file || !rightLines(file.patch).has(c.line)) {
            return json(res, 422, {
              message: 'Unprocessable Entity',
              errors: ['Pull request review thread line must be part of the diff'],
            });
          }
        }
        const review: PostedReview = {
          id: nextId++,
          body: body.body ?? '',
          event: body.event ?? 'PENDING',
          state: body.event === 'COMMENT' ? 'COMMENTED' : 'PENDING',
          commit_id: body.commit_id ?? pull.headSha,
          comments: list,
        };
        reviews.set(pull.number, [...(reviews.get(pull.number) ?? []), review]);
        const stored = comments.get(pull.number) ?? [];
        for (const c of list) {
          stored.push({ id: nextId++, pull_request_review_id: review.id, path: c.path, line: c.line, side: c.side, body: c.body, commit_id: review.commit_id });
        }
        comments.set(pull.number, stored);
        const { comments: _c, ...out } = review;
        return json(res, 200, out);
      }
      return notFound(res);
    } catch (err) {
      json(res, 500, { message: `fake server bug: ${(err as Error).message}` });
    }
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  fake.url = `${base}${PREFIX}`;
  return fake;
}
