/**
 * Parses every message of a public-inbox v2 epoch (a git repository whose
 * commits each hold one mail in the file `m`) and assembles the series, to
 * show the mail layer survives a real list archive and how fast it is.
 *
 *   node dist/bench/archive-parse.js [REPO] [--limit N]
 *
 * REPO defaults to the iommu list archive brought with the search tool's fetch.
 * Prints: messages, parse failures by reason, patches, cover letters, replies,
 * series (complete / incomplete), and the time each stage took.
 */
import { performance } from 'node:perf_hooks';
import { KreviewError } from '../src/errors.js';
import { parseMessage } from '../src/mail/message.js';
import { archiveCommits, archiveMails } from '../src/mail/public-inbox.js';
import { hasDiff } from '../src/mail/patch-mail.js';
import type { MailMessage } from '../src/mail/schema.js';
import { assembleSeries, dedupeMessages } from '../src/mail/series.js';
import { parseSubject } from '../src/mail/subject.js';

const DEFAULT_REPO = '/work/.mirror/linux-mailinglist-archives+iommu.lists.linux-foundation.org.0/repo';

function reasonOf(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  // Drop the source and ids so failures group by what went wrong.
  const generic = msg.replace(/^\S+#\d+: /, '').replace(/<[^>]*>/g, '<id>').replace(/\d+/g, 'N');
  return `${err instanceof KreviewError ? '' : 'CRASH '}${generic}`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const limitAt = args.indexOf('--limit');
  const limit = limitAt >= 0 ? Number(args[limitAt + 1]) : Infinity;
  const repo = args.find((a, i) => !a.startsWith('--') && i !== limitAt + 1) ?? DEFAULT_REPO;

  const t0 = performance.now();
  const commits = archiveCommits(repo).slice(0, limit);
  const messages: MailMessage[] = [];
  const failures = new Map<string, number>();
  const fail = (reason: string) => failures.set(reason, (failures.get(reason) ?? 0) + 1);
  let bytes = 0;
  let n = 0;
  for await (const { data } of archiveMails(repo, commits)) {
    n++;
    if (data === null) {
      fail('commit without a file m');
      continue;
    }
    bytes += data.length;
    try {
      messages.push(await parseMessage(data, `iommu#${n}`));
    } catch (err) {
      fail(reasonOf(err));
    }
  }
  const t1 = performance.now();

  // An archive holds the same Message-ID more than once (resends through other lists, edited copies):
  // keep the first, count the rest, so one clash does not stop assembly of everything else.
  const seen = new Map<string, MailMessage>();
  const unique: MailMessage[] = [];
  let dupSame = 0;
  let dupDifferent = 0;
  for (const m of messages) {
    const prev = seen.get(m.messageId);
    if (!prev) {
      seen.set(m.messageId, m);
      unique.push(m);
    } else {
      try {
        dedupeMessages([prev, m]);
        dupSame++;
      } catch {
        dupDifferent++;
      }
    }
  }

  let patches = 0;
  let covers = 0;
  let replies = 0;
  let other = 0;
  for (const m of unique) {
    const tag = parseSubject(m.subject);
    if (tag.isReply) replies++;
    else if (tag.isPatch && tag.index === 0) covers++;
    else if (tag.isPatch || hasDiff(m.body)) patches++;
    else other++;
  }
  const t2 = performance.now();
  let assembled;
  try {
    assembled = assembleSeries(unique);
  } catch (err) {
    console.log(`assembly failed: ${reasonOf(err)}`);
    process.exitCode = 1;
    return;
  }
  const t3 = performance.now();
  const complete = assembled.series.filter((s) => s.missing.length === 0 && s.patches.length > 0).length;
  const attachedReplies = assembled.series.reduce((a, s) => a + s.replies.length, 0);
  const superseding = assembled.series.filter((s) => s.supersedes.length > 0).length;
  const keptPatches = assembled.series.reduce((a, s) => a + s.patches.length, 0);

  const lines = [
    `archive:            ${repo}`,
    `commits read:       ${n} (${(bytes / 1024 / 1024).toFixed(1)} MiB of mail)`,
    `messages parsed:    ${messages.length}`,
    `parse failures:     ${[...failures.values()].reduce((a, b) => a + b, 0)}`,
    ...[...failures].sort((a, b) => b[1] - a[1]).map(([r, c]) => `  ${String(c).padStart(6)}  ${r}`),
    `duplicate ids:      ${dupSame} copies of one mail, ${dupDifferent} different mails (an InputError for readMessages; first kept here)`,
    `patches:            ${patches} (${keptPatches} in the newest version of their series)`,
    `cover letters:      ${covers}`,
    `replies (Re:):      ${replies} (${attachedReplies} attached to a kept series)`,
    `other mail:         ${other}`,
    `series:             ${assembled.series.length} (${complete} complete, ${assembled.series.length - complete} incomplete; ${superseding} replace an older version)`,
    `assembly notes:     ${assembled.problems.length}`,
    `time: parse ${((t1 - t0) / 1000).toFixed(1)} s (${(messages.length / ((t1 - t0) / 1000)).toFixed(0)} msg/s), ` +
      `classify ${((t2 - t1) / 1000).toFixed(1)} s, assemble ${((t3 - t2) / 1000).toFixed(1)} s, total ${((t3 - t0) / 1000).toFixed(1)} s`,
  ];
  console.log(lines.join('\n'));
}

main().catch((err) => {
  console.error(`archive-parse: ${err instanceof Error ? err.stack : String(err)}`);
  process.exitCode = 1;
});
