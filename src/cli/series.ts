/** `kreview series <input...>`: how the input assembles into series. */
import { readMessages } from '../mail/input.js';
import type { MailMessage, Series } from '../mail/schema.js';
import { assembleSeries } from '../mail/series.js';
import type { Io } from './io.js';

export interface SeriesCliOptions {
  format: 'text' | 'json' | string;
  loreUrl: string;
}

const who = (m: MailMessage) => (m.from ? (m.from.name ? `${m.from.name} <${m.from.address}>` : m.from.address) : 'unknown sender');

/** The JSON shape: a summary of each series (bodies and diffs are left out). */
export function seriesSummary(s: Series) {
  return {
    title: s.title,
    version: s.version,
    prefixes: s.prefixes,
    total: s.total,
    cover: s.cover ? { messageId: s.cover.messageId, subject: s.cover.subject, from: s.cover.from } : null,
    patches: s.patches.map((p) => ({
      index: p.tag.index,
      subject: p.message.subject,
      messageId: p.message.messageId,
      from: p.message.from,
      hasDiff: p.diff !== '',
      trailers: p.trailers,
    })),
    missing: s.missing,
    supersedes: s.supersedes,
    replies: s.replies.map((r) => ({ messageId: r.messageId, subject: r.subject, from: r.from, inReplyTo: r.inReplyTo })),
  };
}

export function formatSeriesText(s: Series): string {
  const out: string[] = [];
  const tag = [...s.prefixes, `v${s.version}`].join(' ');
  out.push(`series: ${s.title}`);
  out.push(`  version: ${s.version}${s.supersedes.length ? ` (supersedes ${s.supersedes.map((v) => `v${v}`).join(', ')})` : ''}`);
  out.push(`  tag: [${tag}], ${s.patches.length} of ${s.total} patch${s.total === 1 ? '' : 'es'}`);
  if (s.prefixes.length) out.push(`  prefixes: ${s.prefixes.join(' ')}`);
  out.push(s.cover ? `  cover: ${s.cover.subject} <${s.cover.messageId}> from ${who(s.cover)}` : '  cover: none');
  for (const p of s.patches) {
    out.push(`  ${String(p.tag.index).padStart(String(s.total).length, '0')}/${s.total} ${p.message.subject} <${p.message.messageId}>${p.diff === '' ? ' (no diff)' : ''}`);
    for (const t of p.trailers) {
      const given = t.from === p.message.messageId ? '' : ` (in <${t.from}>)`;
      out.push(`        ${t.key}: ${t.value}${given}`);
    }
  }
  if (s.missing.length) out.push(`  missing: ${s.missing.map((n) => `${n}/${s.total}`).join(', ')}`);
  if (s.replies.length) {
    out.push(`  replies: ${s.replies.length}`);
    for (const r of s.replies) out.push(`    ${r.subject} <${r.messageId}> from ${who(r)}`);
  }
  return out.join('\n') + '\n';
}

export async function runSeries(io: Io, inputs: string[], opts: SeriesCliOptions): Promise<number> {
  const messages = await readMessages(inputs, { stdin: () => io.stdin(), loreUrl: opts.loreUrl });
  const { series, problems } = assembleSeries(messages);
  if (opts.format === 'json') {
    io.stdout(JSON.stringify({ series: series.map(seriesSummary), problems }, null, 2) + '\n');
    return 0;
  }
  if (series.length === 0) io.stdout(`no series in ${messages.length} message${messages.length === 1 ? '' : 's'}\n`);
  io.stdout(series.map(formatSeriesText).join('\n'));
  for (const p of problems) io.stderr(`kreview: note: ${p}\n`);
  return 0;
}
