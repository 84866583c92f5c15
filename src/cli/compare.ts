/**
 * `kreview compare <kreview reply> <human reply>`: which of a human
 * reviewer's comments the drafted reply also makes, matched by the quoted
 * lines they sit under. Exit 0 when every human comment is matched, else 1.
 */
import { readFile } from 'node:fs/promises';
import { InputError, EXIT } from '../errors.js';
import { readMessages, sniff } from '../mail/input.js';
import { extractReviewComments } from '../mail/reply.js';
import type { MailMessage, ReviewComment } from '../mail/schema.js';
import { compareComments, formatComparison } from '../report/compare.js';
import type { Io } from './io.js';

export interface CompareOptions {
  format: 'text' | 'json' | string;
}

interface Reply {
  source: string;
  inReplyTo: string | null;
  subject: string | null;
  comments: ReviewComment[];
}

/** The replies of a file: its messages, or the whole text when it is not mail (a list archive page). */
async function readReplies(path: string): Promise<Reply[]> {
  const buf = await readFile(path).catch(() => {
    throw new InputError(`${path}: cannot read the file`);
  });
  const shape = sniff(buf);
  if (shape === 'empty') throw new InputError(`${path}: empty input`);
  if (shape === 'unknown' || shape === 'diff') {
    const text = buf.toString('utf8');
    const subject = /^\s*(.*\S)\s*$/m.exec(text)?.[1] ?? null;
    return [{ source: path, inReplyTo: null, subject, comments: extractReviewComments(text) }];
  }
  const msgs: MailMessage[] = await readMessages([path], { stdin: async () => Buffer.alloc(0), loreUrl: '' });
  return msgs.map((m) => ({ source: m.source, inReplyTo: m.inReplyTo, subject: m.subject, comments: extractReviewComments(m.body) }));
}

const bareSubject = (s: string | null) => (s ?? '').replace(/^(\s*re:\s*)+/i, '').replace(/\s+/g, ' ').trim().toLowerCase();

/** Of several drafts, the one that answers the same mail as the human reply. */
function pick(mine: Reply[], human: Reply): Reply {
  if (mine.length === 1) return mine[0]!;
  const byParent = human.inReplyTo ? mine.find((m) => m.inReplyTo === human.inReplyTo) : undefined;
  if (byParent) return byParent;
  const hs = bareSubject(human.subject);
  const bySubject = mine.find((m) => hs !== '' && (hs.includes(bareSubject(m.subject)) || bareSubject(m.subject).includes(hs)));
  if (bySubject) return bySubject;
  return { source: mine.map((m) => m.source).join(', '), inReplyTo: null, subject: null, comments: mine.flatMap((m) => m.comments) };
}

export async function runCompare(io: Io, minePath: string, humanPath: string, opts: CompareOptions): Promise<number> {
  const humans = await readReplies(humanPath);
  const human = humans.find((h) => h.comments.length > 0) ?? humans[0]!;
  const mine = pick(await readReplies(minePath), human);
  const c = compareComments(mine.comments, human.comments);
  if (opts.format === 'json') {
    io.stdout(JSON.stringify({ kreview: mine.source, human: human.source, ...c }, null, 2) + '\n');
  } else {
    io.stdout(`kreview: ${mine.source}\nhuman:   ${human.source}\n` + formatComparison(c));
  }
  return c.onlyHuman.length === 0 ? EXIT.ok : EXIT.findings;
}
