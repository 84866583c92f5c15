/**
 * `kreview scan`: many series against one tree. Each series is applied
 * patch by patch and analysed on its own (on worker threads with --jobs);
 * a series that does not apply or a mail that cannot be read is reported and
 * skipped, and Ctrl-C prints what was done so far.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Piscina } from 'piscina';
import { InputError, EXIT } from '../errors.js';
import { readMessages } from '../mail/input.js';
import { parseMessage } from '../mail/message.js';
import { archiveCommits, archiveMails, isPublicInbox } from '../mail/public-inbox.js';
import { assembleSeries } from '../mail/series.js';
import type { MailMessage, Series } from '../mail/schema.js';
import type { Finding, PatchEntry } from '../report/schema.js';
import { renderJson } from '../report/json.js';
import { renderSarif } from '../report/sarif.js';
import { palette } from '../report/colour.js';
import { renderSeriesScan, renderSummary, totals } from '../report/scan-text.js';
import { RULES } from '../rules/registry.js';
import type { Limits } from '../rules/config.js';
import { configFor, treeRoot } from './analyse.js';
import { exitStatus, visible, type Format } from './output.js';
import { Progress } from './progress.js';
import { scanSeries, seriesKey, type ScanJob, type SeriesScan } from './scan-job.js';
import type { Io } from './io.js';

export interface ScanOptions {
  tree: string;
  config?: string;
  format: Format;
  showRefuted?: boolean;
  model: boolean;
  jobs?: number;
  shard?: string;
  loreUrl: string;
}

export async function runScan(io: Io, inputs: string[], opts: ScanOptions): Promise<number> {
  const t0 = performance.now();
  const root = treeRoot(opts.tree);
  const config = configFor(root, opts.config);
  const shard = opts.shard ? parseShard(opts.shard) : null;

  let badMail = 0;
  const onBadInput = (where: string, err: InputError) => {
    badMail++;
    io.stderr(`kreview: warning: skipped ${where}: ${err.message}\n`);
  };
  const messages = await gatherMessages(io, inputs, opts.loreUrl, config.limits, onBadInput);
  const { series: all, problems } = assembleSeries(messages, { lenient: true });
  for (const p of problems) io.stderr(`kreview: note: ${p}\n`);
  let series = all.filter((s) => s.patches.length > 0);
  if (shard) series = series.filter((s) => shardOf(seriesKey(s), shard.count) === shard.index);
  if (series.length === 0 && !shard) throw new InputError(`${inputs.join(', ')}: no patch series found`);

  const jobs = Math.max(1, opts.jobs ?? availableParallelism());
  const progress = new Progress(io, series.length, 'series');
  const results: SeriesScan[] = [];
  let interrupted = false;
  // A second Ctrl-C finds no listener and ends the process at once.
  const onSigint = () => {
    interrupted = true;
    io.stderr('kreview: interrupted: finishing the series in progress (Ctrl-C again to stop at once)\n');
  };
  process.once('SIGINT', onSigint);
  try {
    const run = (s: Series) => ({ root, config, model: opts.model, series: s }) satisfies ScanJob;
    const note = (r: SeriesScan) =>
      `${r.label.slice(0, 70)}: ${r.status === 'analysed' ? `${r.introduced.length} introduced` : r.status}`;
    const workerFile = new URL('./scan-worker.js', import.meta.url);
    if (jobs > 1 && series.length > 1 && existsSync(fileURLToPath(workerFile))) {
      // Series are handed to a thread when it is free. Ctrl-C stops the
      // hand-out and lets the series in progress finish: a worker terminated
      // inside a tree-sitter call takes the process down with SIGABRT, so
      // the pool is destroyed only when idle.
      const heap = config.limits.workerHeapMb;
      const pool = new Piscina({ filename: workerFile.href, maxThreads: jobs, minThreads: 1, ...(heap ? { resourceLimits: { maxOldGenerationSizeMb: heap } } : {}) });
      let next = 0;
      let crash: { err: unknown } | null = null;
      const lane = async () => {
        while (next < series.length && !crash && !interrupted) {
          const s = series[next++]!;
          try {
            const r = (await pool.run(run(s))) as SeriesScan;
            results.push(r);
            progress.step(note(r));
          } catch (err) {
            crash ??= { err };
          }
        }
      };
      try {
        await Promise.all(Array.from({ length: Math.min(jobs, series.length) }, lane));
      } finally {
        await pool.destroy().catch(() => undefined);
      }
      if (crash && !interrupted) throw (crash as { err: unknown }).err;
    } else {
      for (const s of series) {
        if (interrupted) break;
        const r = scanSeries(run(s));
        results.push(r);
        progress.step(note(r));
        // Let a pending SIGINT be delivered between two series.
        await nextTurn();
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
    progress.end();
  }

  // Workers finish in any order; report in input order.
  const order = new Map(series.map((s, i) => [seriesKey(s), i]));
  results.sort((a, b) => (order.get(a.messageId ?? '') ?? 0) - (order.get(b.messageId ?? '') ?? 0));
  const t = totals(results, { badMail, ms: performance.now() - t0, interrupted, pending: series.length - results.length });
  const introduced = results.flatMap((r) => r.introduced);
  const shown = visible(introduced, Boolean(opts.showRefuted));

  if (opts.format === 'json') io.stdout(renderJson(patchEntries(results), [...shown, ...results.flatMap((r) => r.fixed)]));
  else if (opts.format === 'sarif') io.stdout(renderSarif(shown, RULES.map((r) => ({ ...r.meta })), io.version));
  else {
    const c = palette(io.isTTY.stdout, io.env);
    io.stdout(results.map((r) => renderSeriesScan(r, c, Boolean(opts.showRefuted))).join('\n\n') + '\n\n');
    io.stdout(renderSummary(t, results));
  }
  // The summary also goes to stderr when stdout carries a machine format.
  if (opts.format !== 'text') io.stderr(renderSummary(t, results));
  if (interrupted) return 130;
  const status = exitStatus(shown, 'warning');
  if (status !== EXIT.ok) return status;
  return results.some((r) => r.status === 'not-applied') ? EXIT.notApplied : EXIT.ok;
}

async function gatherMessages(
  io: Io,
  inputs: string[],
  loreUrl: string,
  limits: Limits,
  onBadInput: (where: string, err: InputError) => void,
): Promise<MailMessage[]> {
  const out: MailMessage[] = [];
  for (const input of inputs) {
    if (input !== '-' && isPublicInbox(input)) {
      const commits = archiveCommits(input);
      io.stderr(`kreview: scan: reading ${commits.length} mails from the public-inbox archive ${input}\n`);
      let n = 0;
      for await (const { commit, data } of archiveMails(input, commits)) {
        n++;
        if (!data) continue;
        try {
          out.push(await parseMessage(data, `${input}#${n}`, { maxBytes: limits.maxMessageBytes }));
        } catch (err) {
          if (!(err instanceof InputError)) throw err;
          onBadInput(`${input}@${commit.slice(0, 12)}`, err);
        }
      }
      continue;
    }
    out.push(
      ...(await readMessages([input], {
        stdin: io.stdin,
        loreUrl,
        onBadInput,
        maxBytes: limits.maxInputBytes,
        maxMessageBytes: limits.maxMessageBytes,
        timeoutMs: limits.fetchTimeoutSeconds * 1000,
      })),
    );
  }
  return out;
}

function patchEntries(results: SeriesScan[]): PatchEntry[] {
  return results.flatMap((r) =>
    r.patches.map((p) => ({
      series: r.title,
      index: p.index,
      total: p.total,
      subject: p.subject,
      messageId: p.messageId,
      applied: p.applied,
      findings: p.introduced,
      fixed: p.fixed,
    })),
  );
}

export interface Shard {
  index: number;
  count: number;
}

/** `I/N` with 1 <= I <= N. */
export function parseShard(s: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new InputError(`--shard ${s}: expected I/N with 1 <= I <= N, e.g. 2/8`);
  return { index, count };
}

/** The shard (1-based) a series belongs to: a hash of its key, so every shard runner agrees without talking. */
export function shardOf(key: string, count: number): number {
  const h = createHash('sha1').update(key).digest();
  return (h.readUInt32BE(0) % count) + 1;
}

export type { Finding };
