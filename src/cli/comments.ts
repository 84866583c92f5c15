/**
 * `kreview comments <input...>`: a review reply's comments, each with the
 * quoted lines it answers. Inputs that are not RFC 822 mail (the text of a
 * list archive page, say) are read as plain reply text.
 */
import { readFile, stat } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { readMessages, sniff } from '../mail/input.js';
import { isGzip } from '../mail/lore.js';
import { extractReviewComments } from '../mail/reply.js';
import type { ReviewComment } from '../mail/schema.js';
import type { Io } from './io.js';

export interface CommentsCliOptions {
  format: 'text' | 'json' | string;
}

interface Reply {
  source: string;
  messageId: string | null;
  subject: string | null;
  comments: ReviewComment[];
}

async function readReplies(io: Io, input: string): Promise<Reply[]> {
  let buf: Buffer | null = null;
  if (input === '-') buf = await io.stdin();
  else if ((await stat(input).catch(() => null))?.isFile()) buf = await readFile(input);
  if (buf !== null && !isGzip(buf)) {
    const shape = sniff(buf);
    if (shape === 'empty') throw new InputError(`${input === '-' ? '<stdin>' : input}: empty input`);
    if (shape === 'unknown' || shape === 'diff') {
      const name = input === '-' ? '<stdin>' : input;
      return [{ source: name, messageId: null, subject: null, comments: extractReviewComments(buf.toString('utf8')) }];
    }
    if (input === '-') {
      // stdin was read already; hand the bytes on instead of reading it twice.
      const bytes = buf;
      return (await readMessages(['-'], { stdin: async () => bytes, loreUrl: '' })).map(toReply);
    }
  }
  return (await readMessages([input], { stdin: () => io.stdin(), loreUrl: 'https://lore.kernel.org/all' })).map(toReply);
}

function toReply(m: { source: string; messageId: string; subject: string; body: string }): Reply {
  return { source: m.source, messageId: m.messageId, subject: m.subject, comments: extractReviewComments(m.body) };
}

export function formatCommentsText(replies: Reply[]): string {
  const out: string[] = [];
  for (const r of replies) {
    if (r.comments.length === 0) continue;
    out.push(`${r.source}${r.subject ? `: ${r.subject}` : ''}`);
    r.comments.forEach((c, i) => {
      out.push(`  comment ${i + 1}: ${c.file ?? '(no file)'}${c.hunkHeader ? ` ${c.hunkHeader}` : ''}`);
      for (const q of c.quoted) out.push(`    > ${q}`);
      for (const t of c.text.split('\n')) out.push(`    ${t}`.trimEnd());
      out.push('');
    });
  }
  return out.length ? out.join('\n') : 'no review comments found\n';
}

export async function runReplyComments(io: Io, inputs: string[], opts: CommentsCliOptions): Promise<number> {
  const replies: Reply[] = [];
  for (const input of inputs) replies.push(...(await readReplies(io, input)));
  if (opts.format === 'json') {
    io.stdout(JSON.stringify({ replies }, null, 2) + '\n');
    return 0;
  }
  io.stdout(formatCommentsText(replies));
  return 0;
}
