/**
 * The commander wiring of bin/kreview. Each command is a function in its own
 * module of src/cli; this file only declares the commands and options, and
 * turns every error into one `kreview: error: ...` line and an exit status.
 * It returns the exit status instead of exiting, so tests can call it.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { KreviewError, EXIT } from '../errors.js';
import { Io, processIo } from './io.js';
import { runApply } from './apply.js';
import { runFetch } from './fetch.js';
import { runLint } from './lint.js';
import { runCheck } from './check.js';
import { runSeries } from './series.js';
import { runReplyComments } from './comments.js';
import { runSchema } from './schema.js';
import { runReview } from './review.js';
import { runCompare } from './compare.js';
import { runScan } from './scan.js';
import { runMerge } from './merge.js';
import { timed } from './timings.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

const FORMAT = () =>
  new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text');

/** Options shared by the analysing commands (lint, review, scan, check, github). */
function analysisOptions(cmd: Command): Command {
  return cmd
    .option('--tree <dir>', 'the kernel tree to analyse against; never written to', '.')
    .option('--config <file>', 'configuration file (default: .kreview.json at the tree root)')
    .option('--show-refuted', 'also report findings the executable model refuted')
    .option('--no-model', 'skip confirmation by the executable model (findings are then "unknown")')
    .option('--jobs <n>', 'worker threads for parsing and analysis', positiveInt);
}

export function buildProgram(io: Io): Command {
  const program = new Command('kreview')
    .description(
      'Linux kernel patch review assistant: reads patch series from mail, lore or GitHub, applies them ' +
        'to a tree without touching it, finds lock-context bugs and confirms them with an executable model.',
    )
    .version(io.version, '-V, --version')
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      outputError: (s, write) => write(s.startsWith('error: ') ? `kreview: ${s}` : s),
    })
    .exitOverride();

  program.addHelpText(
    'after',
    `
Inputs (<input...>): a .patch/.diff (git format-patch output or a bare diff), an .eml, an mbox
(.mbox, .mbx, lore t.mbox.gz), a directory of those, "-" for standard input, or a Message-ID /
lore URL (fetched from the public-inbox server). Several inputs form one series, in order.

Exit status: 0 no finding at or above --fail-on, 1 findings, 2 usage or input error,
3 a patch did not apply.`,
  );

  analysisOptions(
    program
      .command('lint')
      .summary('check a patch or series before sending it')
      .description(
        'Apply the patches to a copy of the tree and report the findings the series introduces ' +
          '(present after, absent before), each pinned to the patch after which it first appears.',
      )
      .argument('<input...>', 'patches, mail, mbox, directory, "-", or a Message-ID')
      .addOption(FORMAT())
      .addOption(
        new Option('--fail-on <severity>', 'lowest severity that makes the exit status 1')
          .choices(['error', 'warning', 'info', 'never'])
          .default('warning'),
      )
      .option('--all', 'also report findings already present in the functions the series touches')
      .option('--lore-url <base>', 'public-inbox base URL for Message-ID inputs', 'https://lore.kernel.org/all'),
  ).action(async (inputs: string[], opts) => {
    io.status = await timed(io, () => runLint(io, inputs, opts));
  });

  analysisOptions(
    program
      .command('check')
      .summary('analyse a C tree or files as they are, with no patch')
      .description(
        'Run the rules over the C files under the paths as they are (no patch), a batch of 150 files at a ' +
          'time, each looking things up across the whole tree. With --jobs N the batches run on N worker ' +
          'threads (default 1); the report is the same as with one. Ctrl-C lets the batches in progress finish and ' +
          'reports what was done so far (exit 130); a second Ctrl-C stops at once.',
      )
      .argument('[path...]', 'files or directories inside the tree (default: the whole tree)')
      .addOption(FORMAT())
      .addOption(
        new Option('--fail-on <severity>', 'lowest severity that makes the exit status 1')
          .choices(['error', 'warning', 'info', 'never'])
          .default('warning'),
      )
      .option('--progress', 'a line per finished batch on stderr, also when it is not a terminal (a bar is drawn on one)'),
  ).action(async (paths: string[], opts) => {
    io.status = await timed(io, () => runCheck(io, paths, opts));
  });

  analysisOptions(
    program
      .command('scan')
      .summary('bulk scan: many series against one tree, per-patch introduced/fixed findings')
      .description(
        'Read every series in the inputs (mbox files, directories, lore t.mbox.gz, or a public-inbox ' +
          'archive given as its git repository), apply each one patch by patch to a copy of the tree, and ' +
          'report per patch what it introduced and what it fixed, then a summary. A series that does not ' +
          'apply, or a mail that cannot be read, is reported and skipped. Series run in parallel on worker ' +
          'threads (--jobs, default: the number of cores). Ctrl-C prints what was done so far (exit 130). ' +
          'Exit 1 when a series introduces a finding of severity warning or above, else 3 when a series ' +
          'did not apply, else 0.',
      )
      .argument('<input...>', 'mbox files, directories, public-inbox git repositories, "-", or Message-IDs')
      .addOption(FORMAT())
      .option('--shard <I/N>', 'take only the I-th of N deterministic slices of the series (merge the outputs with kreview merge)')
      .option('--lore-url <base>', 'public-inbox base URL for Message-ID inputs', 'https://lore.kernel.org/all'),
  ).action(async (inputs: string[], opts) => {
    io.status = await timed(io, () => runScan(io, inputs, opts));
  });

  program
    .command('merge')
    .summary('join the JSON reports of scan --shard runs into one')
    .argument('<report...>', 'JSON files written by kreview scan --format json')
    .action((files: string[]) => {
      io.status = runMerge(io, files);
    });

  analysisOptions(
    program
      .command('review')
      .summary('draft kernel-style review replies for the patches that have findings')
      .description(
        'Analyse the series like lint, then draft one reply per patch that has findings: the commit ' +
          'message trimmed, only the hunks that carry a finding quoted, each comment right under its ' +
          'line, threaded to the patch (In-Reply-To, References, Re: subject, To/Cc). Writes .eml files ' +
          'under --out, or one mbox to standard output. Never sends mail.',
      )
      .argument('<input...>', 'patches, mail, mbox, directory, "-", or a Message-ID')
      .option('--out <dir>', 'write one .eml per reply here (created; must not be inside --tree)')
      .option('--from <address>', 'sender and sign-off, "Name <addr>" (default: git author / git config)')
      .option('--summary', 'also draft a reply to the cover letter that sums up the whole series')
      .option('--lore-url <base>', 'public-inbox base URL for Message-ID inputs', 'https://lore.kernel.org/all'),
  ).action(async (inputs: string[], opts) => {
    io.status = await timed(io, () => runReview(io, inputs, opts));
  });

  program
    .command('compare')
    .summary("match a kreview reply's comments with a human reviewer's, by the quoted lines they sit under")
    .argument('<kreview-reply>', 'the drafted reply (.eml, or an mbox of drafts)')
    .argument('<human-reply>', 'the human reply (.eml, mbox, or the text of a list archive page)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (mine: string, theirs: string, opts) => {
      io.status = await runCompare(io, mine, theirs, opts);
    });

  program
    .command('apply')
    .summary('apply a series to a copy of the touched files')
    .description(
      'Apply the patches, in order, to an in-memory copy of the tree (exact position, then the ' +
        'nearest offset, then fuzz of up to two context lines) and write every touched file, fully ' +
        'patched, under --out. The tree itself is never written to. Exit 3 when a hunk does not apply.',
    )
    .argument('<input...>', 'patches, mail, mbox, directory, "-", or a Message-ID')
    .requiredOption('--tree <dir>', 'the tree the series applies to (read only)')
    .requiredOption('--out <dir>', 'where to write the patched files (created; must not be inside --tree)')
    .option('--lore-url <base>', 'public-inbox base URL for Message-ID inputs', 'https://lore.kernel.org/all')
    .action(async (inputs: string[], opts) => {
      io.status = await runApply(io, inputs, opts);
    });

  program
    .command('fetch')
    .summary('download a thread from a public-inbox (lore) server')
    .description('GET <BASE>/<message-id>/t.mbox.gz and write the thread as an mbox.')
    .argument('<message-id|url>', 'a Message-ID (with or without <>) or a lore URL of any message of the thread')
    .option('--lore-url <base>', 'public-inbox base URL', 'https://lore.kernel.org/all')
    .option('-o, --output <file>', 'write the mbox here instead of standard output')
    .option('--timeout <seconds>', 'give up after this many seconds', positiveInt, 30)
    .option('--max-size <MiB>', 'refuse answers larger than this, compressed or not', positiveInt, 64)
    .action(async (id: string, opts) => {
      io.status = await runFetch(io, id, opts);
    });

  program
    .command('series')
    .summary('show how the input assembles into series: versions, patches, trailers, missing parts')
    .argument('<input...>', 'mail, mbox, directory, "-", or a Message-ID')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--lore-url <base>', 'public-inbox base URL for Message-ID inputs', 'https://lore.kernel.org/all')
    .action(async (inputs: string[], opts) => {
      io.status = await runSeries(io, inputs, opts);
    });

  program
    .command('comments')
    .summary("extract a review reply's comments with the quoted lines each one answers")
    .argument('<input...>', 'reply mail(s), mbox, or the text of a list archive page')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (inputs: string[], opts) => {
      io.status = await runReplyComments(io, inputs, opts);
    });

  program
    .command('github')
    .summary("analyse a GitHub pull request's commits; --post posts the findings as a review")
    .description(
      "Read the pull request's commits as patches through the GitHub REST API (token from GITHUB_TOKEN), " +
        "apply them to --tree, or without --tree to the pull request's base fetched through the API for the " +
        'files they touch, and report the findings they introduce. With --post, post them as one pull-request ' +
        'review with an inline comment per finding on its line of the diff; a re-run posts only new findings.',
    )
    .argument('<owner/repo#N>', 'the pull request: owner/repo#N or its https://github.com/owner/repo/pull/N address')
    .option('--tree <dir>', "a local tree at the pull request's base (default: fetch the touched files through the API)")
    .option('--api-url <url>', 'GitHub REST API base (GitHub Enterprise: https://HOST/api/v3)', 'https://api.github.com')
    .option('--post', 'post the findings as a pull-request review (needs GITHUB_TOKEN)')
    .option('--config <file>', 'configuration file (default: .kreview.json at the tree root or at the base)')
    .option('--show-refuted', 'also report findings the executable model refuted')
    .option('--no-model', 'skip confirmation by the executable model (findings are then "unknown")')
    .option('--jobs <n>', 'worker threads for parsing and analysis', positiveInt)
    .addOption(FORMAT())
    .addOption(
      new Option('--fail-on <severity>', 'lowest severity that makes the exit status 1')
        .choices(['error', 'warning', 'info', 'never'])
        .default('warning'),
    )
    .action(async (ref: string, opts) => {
      // Loaded here: the GitHub client (@octokit/rest) is a tenth of every other command's start-up.
      const { runGithub } = await import('./github.js');
      io.status = await timed(io, () => runGithub(io, ref, opts));
    });

  program
    .command('schema')
    .summary('print the JSON Schema of the --format json report')
    .action(() => {
      io.status = runSchema(io);
    });

  return program;
}

/** Runs the CLI; returns the exit status. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return io.status;
  } catch (err) {
    return reportError(io, err);
  }
}

function reportError(io: Io, err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version end through here with exit code 0.
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof KreviewError) {
    io.stderr(`kreview: error: ${oneLine(err.message)}\n`);
    return err.exitCode;
  }
  // A bug in kreview: still one line, with enough to file a report.
  const e = err as { code?: string; message?: string };
  if (e && e.code === 'EPIPE') return EXIT.ok;
  io.stderr(`kreview: error: internal error: ${oneLine(String(e?.message ?? err))} (please report this)\n`);
  if (process.env.KREVIEW_DEBUG) io.stderr(`${(err as Error)?.stack ?? ''}\n`);
  return EXIT.usage;
}

/**
 * One line, safe for a terminal: lines joined with `; ` (split and trim, not a
 * regex that goes quadratic on long blank runs), and control characters
 * from hostile input (NUL, ANSI escapes) shown as `\xNN` instead of sent raw.
 */
export function oneLine(s: string): string {
  const joined = s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('; ');
  return joined.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
