/**
 * A synthetic patch series against a generated tree: the edits are made in
 * memory, committed one by one in a scratch git repository that holds only
 * the touched files, and exported with `git format-patch --cover-letter`,
 * so hunks, index lines and mail headers are exactly what git produces.
 * Message-IDs are rewritten to fixed values so the series is deterministic.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Rng } from './rng.js';
import type { PlantedBug } from './c-file.js';
import type { GeneratedTree } from './generate.js';

export interface SeriesPatch {
  index: number;
  /** Absolute path of the patch file (one mail, git format-patch style). */
  path: string;
  subject: string;
  messageId: string;
  files: string[];
}

export interface GeneratedSeries {
  /** The whole series, cover letter first, as one mbox. */
  mbox: string;
  cover: string;
  patches: SeriesPatch[];
  /** Patch 1 again as a patch of its own (`[PATCH]`, not threaded): what an author lints alone. */
  single: string;
  /** Bugs the series introduces (present after it, absent before). */
  introduces: PlantedBug[];
  /** Absolute path of series-manifest.json. */
  manifest: string;
}

type EditKind = 'add-helper' | 'tune' | 'field' | 'bug' | 'header' | 'docs';
const SCHEDULE: readonly EditKind[] = ['add-helper', 'tune', 'field', 'bug', 'header', 'add-helper', 'docs', 'field', 'tune', 'add-helper'];

interface Edit {
  subject: string;
  body: string;
  introduces?: PlantedBug;
}

const AUTHOR = 'Bench Author';
const EMAIL = 'bench@kreview.invalid';

function functionRange(lines: string[], name: string): { kdoc: number; start: number; end: number } {
  const start = lines.findIndex((l, i) => new RegExp(`^[^\\s#].*\\b${name}\\(`).test(l) && lines[i + 1] === '{');
  if (start < 0) throw new Error(`generateSeries: no function ${name}`);
  let kdoc = start;
  while (kdoc > 0 && (lines[kdoc - 1]!.startsWith(' *') || lines[kdoc - 1] === '/**')) kdoc--;
  let end = start + 1;
  while (lines[end] !== '}') end++;
  return { kdoc, start, end };
}

function indexIn(lines: string[], from: number, to: number, test: (l: string) => boolean, what: string): number {
  for (let i = from; i <= to; i++) if (test(lines[i]!)) return i;
  throw new Error(`generateSeries: no ${what}`);
}

function stemOf(file: string): { subsys: string; p: string } {
  const m = /^drivers\/([^/]+)\/([^/]+)\.c$/.exec(file);
  if (!m) throw new Error(`generateSeries: not a driver file: ${file}`);
  return { subsys: m[1]!, p: m[2]! };
}

export function generateSeries(dir: string, tree: GeneratedTree, n = 10): GeneratedSeries {
  const rng = new Rng(tree.seed * 31 + n + 7);
  const drivers = rng.shuffle(tree.files.filter((f) => f.startsWith('drivers/') && !f.endsWith('/core.c')));
  if (drivers.length === 0) throw new Error('generateSeries: the tree has no driver file');
  const original = new Map<string, string>();
  const current = new Map<string, string>();
  const load = (f: string): string[] => {
    if (!current.has(f)) {
      const text = readFileSync(join(tree.dir, f), 'utf8');
      original.set(f, text);
      current.set(f, text);
    }
    return current.get(f)!.split('\n');
  };
  const save = (f: string, lines: string[]) => current.set(f, lines.join('\n'));

  let next = 0;
  let lastField: string | null = null;
  const usedSubsys = new Set<string>();
  const steps: { edit: Edit; files: string[]; after: Map<string, string> }[] = [];

  for (let i = 1; i <= n; i++) {
    let kind = SCHEDULE[(i - 1) % SCHEDULE.length]!;
    const fresh = () => drivers[next++ % drivers.length]!;
    let edit: Edit;
    let files: string[];
    if (kind === 'header') {
      const file = drivers.find((f) => !usedSubsys.has(stemOf(f).subsys));
      if (!file) kind = 'docs';
      else {
        const { subsys } = stemOf(file);
        usedSubsys.add(subsys);
        const h = `include/linux/${subsys}.h`;
        const core = `drivers/${subsys}/core.c`;
        const hl = load(h);
        hl.splice(indexIn(hl, 0, hl.length - 1, (l) => l === '\tu64 events;', 'events field') + 1, 0, '\tunsigned int generation;');
        save(h, hl);
        const cl = load(core);
        const r = functionRange(cl, `${subsys}_core_account`);
        cl.splice(indexIn(cl, r.start, r.end, (l) => l.includes('lockdep_assert_held'), 'assert') + 1, 0, '\tcore->generation++;');
        save(core, cl);
        files = [core, h];
        edit = {
          subject: `${subsys}: core: count accounting generations`,
          body: `Drivers want to know whether the core's counters moved since they last\nlooked. Bump a generation number on every accounting call.`,
        };
        steps.push({ edit, files, after: new Map(files.map((f) => [f, current.get(f)!])) });
        continue;
      }
    }
    const file: string = kind === 'bug' && lastField ? lastField : fresh();
    const { subsys, p } = stemOf(file);
    const lines = load(file);
    files = [file];
    if (kind === 'add-helper') {
      const helper = `${p}_note_events${i}`;
      const work = functionRange(lines, `${p}_work_fn`);
      const lockAt = indexIn(
        lines,
        work.start,
        work.end,
        (l) => /^\t+(mutex_lock\(&d->lock\);|guard\(mutex\)\(&d->lock\);|scoped_guard\(mutex, &d->lock\) \{)$/.test(l),
        'lock in the work function',
      );
      const indent = lines[lockAt]!.match(/^\t+/)![0] + (lines[lockAt]!.includes('scoped_guard') ? '\t' : '');
      lines.splice(lockAt + 1, 0, `${indent}${helper}(d);`);
      lines.splice(
        work.kdoc,
        0,
        '/**',
        ` * ${helper}() - count the items the work function is about to drain`,
        ' * @d: the device',
        ' *',
        ' * Context: Caller must hold @d->lock.',
        ' */',
        `static void ${helper}(struct ${p}_dev *d)`,
        '{',
        `\tstruct ${p}_item *it;`,
        '\tunsigned int n = 0;',
        '',
        '\tlockdep_assert_held(&d->lock);',
        '\tlist_for_each_entry(it, &d->items, node)',
        '\t\tn++;',
        '\td->stats[3] += n;',
        '}',
        '',
      );
      edit = {
        subject: `${subsys}/${p}: count drained items`,
        body: `Keep a running count of the items the work function drains, so the\nstatistics show how much work each run did.`,
      };
    } else if (kind === 'tune') {
      const P = p.toUpperCase();
      const at = indexIn(lines, 0, lines.length - 1, (l) => l.startsWith(`#define ${P}_MAX_ITEMS\t`), 'item limit');
      const value = Number(lines[at]!.split('\t')[1]) * 2;
      lines[at] = `#define ${P}_MAX_ITEMS\t${value}`;
      edit = {
        subject: `${subsys}/${p}: raise the item limit to ${value}`,
        body: `Bursts of events overflow the item list under load. Double the limit.`,
      };
    } else if (kind === 'field') {
      const at = indexIn(lines, 0, lines.length - 1, (l) => l === '\tint state;', 'state field');
      lines.splice(at + 1, 0, '\tunsigned int nr_resets;');
      const stop = functionRange(lines, `${p}_stop`);
      const r = indexIn(lines, stop.start, stop.end, (l) => l === '\td->running = false;', 'running = false');
      lines.splice(r + 1, 0, '\td->nr_resets++;');
      lastField = file;
      edit = { subject: `${subsys}/${p}: count resets`, body: `Count how often the device was stopped, for debugfs.` };
    } else if (kind === 'bug') {
      const stop = functionRange(lines, `${p}_stop`);
      const at = indexIn(lines, stop.start, stop.end, (l) => l === '\tmutex_unlock(&d->lock);', 'unlock in stop') + 1;
      const statement = `${p}_update_locked(d, 0);`;
      lines.splice(at, 0, `\t${statement}`);
      edit = {
        subject: `${subsys}/${p}: flush the statistics on stop`,
        body: `Fold the pending events into the statistics when the device stops, so\nnothing is lost across a restart.`,
        introduces: {
          rule: 'assert-held-caller',
          file,
          function: `${p}_stop`,
          line: at + 1,
          lock: 'd->lock',
          statement,
          note: `${p}_update_locked() asserts d->lock; called after mutex_unlock()`,
        },
      };
    } else {
      const add = functionRange(lines, `${p}_add_item`);
      const at = indexIn(lines, add.kdoc, add.start, (l) => l.startsWith(' * Context:'), 'kernel-doc context');
      lines.splice(at + 1, 0, ' * Might sleep: allocates with GFP_KERNEL.');
      edit = { subject: `${subsys}/${p}: document that adding an item sleeps`, body: `Say so in the kernel-doc.` };
    }
    save(file, lines);
    steps.push({ edit, files, after: new Map(files.map((f) => [f, current.get(f)!])) });
  }

  const mails = formatPatches(tree.seed, original, steps);
  mkdirSync(dir, { recursive: true });
  const coverSubject = `synthetic cleanups and statistics for ${[...new Set(steps.flatMap((s) => s.files.map((f) => f.replace(/^include\/linux\/(\w+)\.h$/, 'drivers/$1/').split('/')[1])))].join(', ')}`;
  mails[0] = mails[0]!
    .replace('*** SUBJECT HERE ***', coverSubject)
    .replace('*** BLURB HERE ***', 'A series generated by the kreview benchmark: small driver changes, one\nheader change, and one patch that calls a lock-asserting helper without\nthe lock (planted on purpose).');
  const ids = rewriteMessageIds(mails, tree.seed);
  const mbox = mails.join('');
  writeFileSync(join(dir, 'series.mbox'), mbox);
  const cover = join(dir, '0000-cover-letter.patch');
  writeFileSync(cover, mails[0]!);
  const patches: SeriesPatch[] = steps.map((s, k) => {
    const slug = s.edit.subject.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 52);
    const path = join(dir, `${String(k + 1).padStart(4, '0')}-${slug}.patch`);
    writeFileSync(path, mails[k + 1]!);
    return { index: k + 1, path, subject: s.edit.subject, messageId: ids[k + 1]!, files: s.files };
  });
  // Lines as they stand after the whole series (a later patch may shift them).
  const single = join(dir, 'single.patch');
  writeFileSync(single, standalone(mails[1]!));
  const introduces = steps.flatMap((s) => (s.edit.introduces ? [s.edit.introduces] : []));
  for (const bug of introduces) {
    const lines = current.get(bug.file)!.split('\n');
    const fn = functionRange(lines, bug.function);
    bug.line = indexIn(lines, fn.start, fn.end, (l) => l.trim() === bug.statement, 'introduced statement') + 1;
  }
  const manifest = join(dir, 'series-manifest.json');
  writeFileSync(
    manifest,
    JSON.stringify({ version: 1, seed: tree.seed, cover: { messageId: ids[0], subject: coverSubject }, patches: patches.map((p) => ({ ...p, path: p.path.slice(dir.length + 1) })), introduces }, null, 2) + '\n',
  );
  return { mbox, cover, patches, single, introduces, manifest };
}

/** One mail of the series as a standalone patch: no "i/n" numbering, no threading headers. */
function standalone(mail: string): string {
  const end = mail.indexOf('\n\n');
  const head = mail
    .slice(0, end)
    .split('\n')
    .filter((l) => !/^(In-Reply-To|References):/i.test(l))
    .map((l) => l.replace(/^Subject: \[PATCH v1 \d+\/\d+\]/, 'Subject: [PATCH]'))
    .join('\n');
  return head + mail.slice(end);
}

/** Commits each step in a scratch repository and returns the mails (cover letter first). */
function formatPatches(seed: number, original: Map<string, string>, steps: { edit: Edit; after: Map<string, string> }[]): string[] {
  const repo = mkdtempSync(join(tmpdir(), 'kreview-bench-series-'));
  try {
    const env = {
      ...process.env,
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: AUTHOR,
      GIT_AUTHOR_EMAIL: EMAIL,
      GIT_COMMITTER_NAME: AUTHOR,
      GIT_COMMITTER_EMAIL: EMAIL,
    };
    const git = (args: string[], when: number) =>
      execFileSync('git', args, {
        cwd: repo,
        env: { ...env, GIT_AUTHOR_DATE: `${when} +0000`, GIT_COMMITTER_DATE: `${when} +0000` },
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
      });
    const t0 = 1767225600 + (seed % 1000) * 3600; // 2026-01-01 plus a seed-dependent offset
    const write = (files: Map<string, string>) => {
      for (const [f, text] of files) {
        mkdirSync(dirname(join(repo, f)), { recursive: true });
        writeFileSync(join(repo, f), text);
      }
    };
    git(['init', '-q', '-b', 'master'], t0);
    write(original);
    git(['add', '-A'], t0);
    git(['commit', '-q', '--no-gpg-sign', '-m', 'base'], t0);
    steps.forEach((s, k) => {
      write(s.after);
      git(['add', '-A'], t0 + 60 * (k + 1));
      git(['commit', '-q', '--no-gpg-sign', '-m', `${s.edit.subject}\n\n${s.edit.body}\n\nSigned-off-by: ${AUTHOR} <${EMAIL}>`], t0 + 60 * (k + 1));
    });
    const out = git(
      ['format-patch', '--stdout', '--cover-letter', '--thread=shallow', '--subject-prefix=PATCH v1', '--no-signature', '-n', `HEAD~${steps.length}..HEAD`],
      t0 + 60 * (steps.length + 1),
    );
    const mails = out.split(/^(?=From [0-9a-f]{40} Mon Sep 17 00:00:00 2001$)/m).filter((m) => m.length > 0);
    if (mails.length !== steps.length + 1) throw new Error(`generateSeries: git format-patch gave ${mails.length} mails, expected ${steps.length + 1}`);
    return mails;
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}

/** Replaces git's time-based Message-IDs with fixed ones; returns each mail's id. */
function rewriteMessageIds(mails: string[], seed: number): string[] {
  const map = new Map<string, string>();
  const ids = mails.map((m, k) => {
    const id = /^Message-I[dD]: <([^>]+)>$/m.exec(m)?.[1];
    if (!id) throw new Error(`generateSeries: mail ${k} has no Message-ID`);
    const fixed = `kreview-bench-${seed}-${k}@kreview.invalid`;
    map.set(id, fixed);
    return fixed;
  });
  for (let k = 0; k < mails.length; k++) {
    let m = mails[k]!;
    for (const [from, to] of map) m = m.split(`<${from}>`).join(`<${to}>`);
    mails[k] = m;
  }
  return ids;
}
