/**
 * Assembling series from a heap of messages, the way b4 does: "take these
 * mails, give me the newest version of each series, ordered, with its cover
 * letter, its trailers and its replies".
 *
 * 1. Messages are deduplicated by Message-ID (identical copies are dropped,
 *    different mails with the same id are an input error).
 * 2. Each message is a cover letter (`[PATCH 0/N]`), a patch (a PATCH tag or
 *    a diff in a message that is not a reply), a reply (`Re:`, or any other
 *    message below a patch in its thread), or something else (ignored).
 * 3. Patches and covers are grouped into instances by (sender, prefixes,
 *    version, total, thread). Threads are not required: format-patch files
 *    without --thread given as separate inputs group by the rest of the key;
 *    unthreaded patches inside one mbox group only when their Message-IDs
 *    come from one `git send-email` run (see sendingStem).
 *    Patches with no n/m that each came alone from their own input (a source
 *    without `#n`, see input.ts) are one series in input order; any other
 *    patch without n/m is a series of one.
 * 4. Instances of the same series in different versions (same sender,
 *    prefixes other than RFC/RESEND, and title; or same sender and thread)
 *    form a family; the newest version is
 *    kept and the others are listed in `supersedes`. A newer version sent in
 *    the older one's thread with only some patches (a partial reroll, as
 *    `[PATCH v2 5/7]` in reply to v1's 5/7) takes its other patches from the
 *    older version, as b4 does.
 * 5. Replies attach to the nearest patch or cover above them in the thread,
 *    or, when the thread is broken, by subject (`Re: [PATCH v3 06/11] t`).
 *    Trailers a reply gives go to the patch it answers (to every patch when
 *    it answers the cover letter).
 */
import { InputError } from '../errors.js';
import { hasDiff, splitPatchBody } from './patch-mail.js';
import type { MailMessage, PatchMail, Series, SubjectTag } from './schema.js';
import { parseSubject } from './subject.js';
import { buildThreads, type ThreadIndex } from './thread.js';
import { mergeTrailers, parseTrailers, replyTrailers } from './trailers.js';

export interface AssembleResult {
  series: Series[];
  /** Things worth telling the user that did not stop assembly: duplicates, stray patches, resends. */
  problems: string[];
}

type Kind = 'cover' | 'patch' | 'reply' | 'other';

interface Classified {
  msg: MailMessage;
  tag: SubjectTag;
  kind: Kind;
  /** Position in the input, for ordering and tie-breaks. */
  pos: number;
}

interface Instance {
  key: string;
  sender: string;
  version: number;
  prefixes: string[];
  total: number | null;
  root: string | null;
  cover: Classified | null;
  patches: Map<number, Classified>;
  /** Patches without n/m, in input order (numbered later). */
  unnumbered: Classified[];
  firstPos: number;
  kept: boolean;
}

/** Whether a message was the only message of its input (see input.ts: mbox messages are `file#n`). */
export function isWholeInput(source: string): boolean {
  return !/#\d+$/.test(source);
}

/**
 * What the Message-IDs of one `git send-email` run share: the counter taken
 * out of `<date>.<pid>-<n>-<addr>`, `<time>-<pid>-<n>-git-send-email-<addr>`
 * and `<sha|cover>.<time>.git.<addr>`. Other ids are their own stem.
 */
export function sendingStem(id: string): string {
  const sendEmail = /^(\d{14}\.\d+)-\d+-(.+)$/.exec(id) ?? /^(\d+-\d+)-\d+-(git-send-email-.+)$/.exec(id);
  if (sendEmail) return `${sendEmail[1]}-${sendEmail[2]}`;
  const formatPatch = /^(?:[0-9a-f]{40}|cover)\.(\d+\.git\..+)$/.exec(id);
  if (formatPatch) return formatPatch[1];
  return id;
}

/**
 * Drops identical copies of a message. Different mails that share a
 * Message-ID are an error, unless `problems` is given (bulk scans of real
 * archives meet resent series that reuse ids): then the later one by Date is
 * kept and the clash is recorded there.
 */
export function dedupeMessages(messages: MailMessage[], problems?: string[]): MailMessage[] {
  const seen = new Map<string, MailMessage>();
  const out: MailMessage[] = [];
  for (const m of messages) {
    const prev = seen.get(m.messageId);
    if (!prev) {
      seen.set(m.messageId, m);
      out.push(m);
      continue;
    }
    const same =
      prev.subject === m.subject && normBody(prev.body) === normBody(m.body) && prev.from?.address === m.from?.address;
    if (!same) {
      const what = `duplicate Message-ID <${m.messageId}> for different messages (${prev.source} and ${m.source})`;
      if (!problems) throw new InputError(what);
      problems.push(`${what}: kept the later one`);
      const t = (x: MailMessage) => (x.date ? Date.parse(x.date) || 0 : 0);
      if (t(m) >= t(prev)) {
        out[out.indexOf(prev)] = m;
        seen.set(m.messageId, m);
      }
    }
  }
  return out;
}

/**
 * A body as compared for duplicates: a mailing list's footer (mailman's
 * underscores then "<list> mailing list") differs between copies of one mail
 * delivered through different lists, so it is left out.
 */
function normBody(s: string): string {
  return s.replace(/\n_{20,}\n[^\n]*mailing list[\s\S]*$/, '\n').trimEnd();
}

function normTitle(s: string): string {
  return s.replace(/\s+/g, ' ').trim().toLowerCase();
}

function dateOf(c: Classified): number {
  const t = c.msg.date ? Date.parse(c.msg.date) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

/** Later of two copies of the same patch: by Date, then by input position. */
function later(a: Classified, b: Classified): Classified {
  const da = dateOf(a);
  const db = dateOf(b);
  if (da !== db) return da > db ? a : b;
  return a.pos > b.pos ? a : b;
}

function classify(msgs: MailMessage[], threads: ThreadIndex): Classified[] {
  const out: Classified[] = msgs.map((msg, pos) => {
    const tag = parseSubject(msg.subject);
    let kind: Kind;
    if (tag.isReply) kind = 'reply';
    else if (tag.isPatch && tag.index === 0) kind = 'cover';
    else if (tag.isPatch || hasDiff(msg.body)) kind = 'patch';
    else kind = 'other';
    return { msg, tag, kind, pos };
  });
  // A message without `Re:` that sits below a patch is still a reply (some mailers drop the prefix).
  const byId = new Map(out.map((c) => [c.msg.messageId, c]));
  const nearest = nearestPatchy(threads, byId);
  for (const c of out) {
    if (c.kind !== 'other') continue;
    if (nearest(c.msg.messageId) !== null) c.kind = 'reply';
  }
  return out;
}

/**
 * The nearest ancestor that is a patch or a cover letter, or null; memoised,
 * so a long reply chain is walked once rather than once per message.
 */
function nearestPatchy(threads: ThreadIndex, byId: Map<string, Classified>): (id: string) => string | null {
  const memo = new Map<string, string | null>();
  const isPatchy = (id: string) => {
    const k = byId.get(id)?.kind;
    return k === 'patch' || k === 'cover';
  };
  return (id) => {
    const path: string[] = [];
    let cur = id;
    let found: string | null = null;
    for (;;) {
      const known = memo.get(cur);
      if (known !== undefined) {
        found = known;
        break;
      }
      path.push(cur);
      const p = threads.parentOf(cur);
      if (p === null) break;
      if (isPatchy(p)) {
        found = p;
        break;
      }
      cur = p;
    }
    for (const q of path) memo.set(q, found);
    return found;
  };
}

export interface AssembleOptions {
  /** Keep going on different mails that share a Message-ID (recorded in `problems`) instead of failing. */
  lenient?: boolean;
}

export function assembleSeries(messages: MailMessage[], opts: AssembleOptions = {}): AssembleResult {
  const problems: string[] = [];
  const msgs = dedupeMessages(messages, opts.lenient ? problems : undefined);
  const threads = buildThreads(msgs);
  const all = classify(msgs, threads);
  const byId = new Map(all.map((c) => [c.msg.messageId, c]));

  // A patch is part of a thread when it refers to a parent, or other patches hang below it (a cover
  // letter, or patch 1 with --chain-reply-to). Replies below it do not count: a review of one patch of
  // an unthreaded format-patch set must not pull that patch out of its series.
  const isPatchy = (id: string) => {
    const k = byId.get(id)?.kind;
    return k === 'patch' || k === 'cover';
  };
  const threaded = (c: Classified) =>
    c.msg.inReplyTo !== null || c.msg.references.length > 0 || threads.childrenOf(c.msg.messageId).some(isPatchy);

  // 3. instances
  const instances = new Map<string, Instance>();
  for (const c of all) {
    if (c.kind !== 'cover' && c.kind !== 'patch') continue;
    const sender = (c.msg.from?.address ?? '').toLowerCase();
    const prefixes = c.tag.prefixes.map((p) => p.toLowerCase()).sort().join(' ');
    const root = threaded(c) ? threads.rootOf(c.msg.messageId) : null;
    let key: string;
    if (c.tag.index !== null) {
      // Unthreaded patches group freely when the user gave them as files; inside an mbox (a list
      // archive) only those whose Message-IDs show they were sent together do.
      const batch =
        root !== null ? `thread:${root}` : isWholeInput(c.msg.source) ? 'inputs' : c.tag.total === 1 ? `own:${c.msg.messageId}` : `sent:${sendingStem(c.msg.messageId)}`;
      key = ['n', sender, prefixes, c.tag.version, c.tag.total, batch].join('\u0000');
    }
    else if (!threaded(c) && isWholeInput(c.msg.source)) key = ['inputs', c.tag.version].join('\u0000');
    else key = ['one', c.msg.messageId].join('\u0000');
    let inst = instances.get(key);
    if (!inst) {
      inst = {
        key,
        sender,
        version: c.tag.version,
        prefixes: c.tag.prefixes,
        total: c.tag.total,
        root,
        cover: null,
        patches: new Map(),
        unnumbered: [],
        firstPos: c.pos,
        kept: true,
      };
      instances.set(key, inst);
    }
    if (c.kind === 'cover') {
      if (inst.cover) {
        problems.push(`cover letter of '${c.tag.title}' v${c.tag.version} appears twice (<${inst.cover.msg.messageId}> and <${c.msg.messageId}>); kept the later one`);
        inst.cover = later(inst.cover, c);
      } else inst.cover = c;
    } else if (c.tag.index === null) {
      inst.unnumbered.push(c);
    } else if (inst.total !== null && c.tag.index > inst.total) {
      problems.push(`${c.msg.source}: patch ${c.tag.index}/${inst.total} <${c.msg.messageId}> is numbered beyond its series; ignored`);
    } else {
      const prev = inst.patches.get(c.tag.index);
      if (prev) {
        problems.push(`patch ${c.tag.index}/${inst.total} of '${c.tag.title}' v${c.tag.version} appears twice (<${prev.msg.messageId}> and <${c.msg.messageId}>); kept the later one`);
        inst.patches.set(c.tag.index, later(prev, c));
      } else inst.patches.set(c.tag.index, c);
    }
  }
  for (const inst of instances.values()) {
    if (inst.unnumbered.length > 0) {
      inst.total = inst.unnumbered.length;
      inst.unnumbered.forEach((c, i) => inst.patches.set(i + 1, c));
    }
  }

  // 4. families and version selection
  const list = [...instances.values()];
  const titleOf = (inst: Instance) => {
    if (inst.cover) return inst.cover.tag.title;
    const first = [...inst.patches.keys()].sort((a, b) => a - b)[0];
    return first === undefined ? '' : inst.patches.get(first)!.tag.title;
  };
  const parent = list.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  const union = (a: number, b: number) => void (parent[find(a)] = find(b));
  const byTitle = new Map<string, number>();
  const byRoot = new Map<string, number[]>();
  list.forEach((inst, i) => {
    const t = `${inst.sender}\u0000${familyPrefixes(inst.prefixes)}\u0000${normTitle(titleOf(inst))}`;
    if (byTitle.has(t)) union(i, byTitle.get(t)!);
    else byTitle.set(t, i);
    if (inst.root !== null) {
      const r = `${inst.sender}\u0000${inst.root}`;
      const others = byRoot.get(r) ?? [];
      for (const j of others) if (list[j].version !== inst.version) union(i, j);
      others.push(i);
      byRoot.set(r, others);
    }
  });
  const families = new Map<number, Instance[]>();
  list.forEach((inst, i) => {
    const f = find(i);
    families.set(f, [...(families.get(f) ?? []), inst]);
  });
  const supersedesOf = new Map<Instance, number[]>();
  const backfillOf = new Map<Instance, Instance[]>();
  for (const fam of families.values()) {
    const newest = Math.max(...fam.map((i) => i.version));
    const older = [...new Set(fam.filter((i) => i.version < newest).map((i) => i.version))].sort((a, b) => a - b);
    const top = new Map<string, Instance>();
    for (const inst of fam) {
      if (inst.version < newest) {
        inst.kept = false;
        continue;
      }
      const t = normTitle(titleOf(inst));
      const prev = top.get(t);
      if (prev && prev.key.startsWith('n\u0000') && inst.key.startsWith('n\u0000')) {
        const keep = instanceDate(inst) >= instanceDate(prev) ? inst : prev;
        const drop = keep === inst ? prev : inst;
        drop.kept = false;
        top.set(t, keep);
        problems.push(`'${titleOf(inst)}' v${newest} was sent more than once; kept the later copy`);
      } else top.set(t, inst);
    }
    for (const inst of fam) {
      if (!inst.kept) continue;
      supersedesOf.set(inst, older);
      // A partial reroll (`[PATCH v2 5/7]` sent in the v1 thread) takes the rest from the older version.
      const donors = fam
        .filter((o) => o.version < inst.version && o.root !== null && o.root === inst.root && o.total === inst.total)
        .sort((a, b) => b.version - a.version);
      if (donors.length > 0) backfillOf.set(inst, donors);
    }
  }

  // 5. series, then replies
  const result: Array<{ inst: Instance; series: Series }> = [];
  const patchOf = new Map<string, { series: Series; patch: PatchMail }>();
  const seriesOfCover = new Map<string, Series>();
  for (const inst of list.sort((a, b) => a.firstPos - b.firstPos)) {
    if (!inst.kept) continue;
    const total = inst.total ?? 1;
    const cover = inst.cover ?? backfillOf.get(inst)?.find((d) => d.cover)?.cover ?? null;
    const title = cover ? cover.tag.title : titleOf(inst);
    const patches: PatchMail[] = [];
    const missing: number[] = [];
    for (let i = 1; i <= total; i++) {
      let c = inst.patches.get(i);
      if (!c) {
        const donor = backfillOf.get(inst)?.find((d) => d.patches.has(i));
        if (donor) {
          c = donor.patches.get(i)!;
          problems.push(`'${title}' v${inst.version} is a partial reroll: patch ${i}/${total} taken from v${donor.version}`);
        }
      }
      if (!c) {
        missing.push(i);
        continue;
      }
      const parts = splitPatchBody(c.msg.body);
      if (parts.diff === '') problems.push(`${c.msg.source}: patch ${i}/${total} <${c.msg.messageId}> has no diff`);
      const tag = c.tag.index === null ? { ...c.tag, index: i, total } : c.tag;
      patches.push({
        message: c.msg,
        tag,
        commitMessage: parts.commitMessage,
        diff: parts.diff,
        trailers: parseTrailers(parts.commitMessage, c.msg.messageId),
      });
    }
    const series: Series = {
      title,
      version: inst.version,
      prefixes: inst.prefixes,
      total,
      cover: cover?.msg ?? null,
      patches,
      missing,
      replies: [],
      supersedes: supersedesOf.get(inst) ?? [],
    };
    for (const p of patches) patchOf.set(p.message.messageId, { series, patch: p });
    if (cover) seriesOfCover.set(cover.msg.messageId, series);
    result.push({ inst, series });
  }

  const bySubject = subjectIndex(result.map((r) => r.series));
  const nearest = nearestPatchy(threads, byId);
  for (const c of all) {
    if (c.kind !== 'reply') continue;
    let target: { series: Series; patch: PatchMail | null } | null = null;
    let anchored = false;
    // The nearest patch decides; a reply to a superseded patch stays with it.
    const id = nearest(c.msg.messageId);
    if (id !== null) {
      anchored = true;
      const p = patchOf.get(id);
      if (p) target = { series: p.series, patch: p.patch };
      else if (seriesOfCover.has(id)) target = { series: seriesOfCover.get(id)!, patch: null };
    }
    if (!anchored && c.tag.isPatch) target = bySubject(c.tag);
    if (!target) continue;
    target.series.replies.push(c.msg);
    const given = replyTrailers(c.msg.body, c.msg.messageId);
    if (given.length === 0) continue;
    for (const p of target.patch ? [target.patch] : target.series.patches) {
      p.trailers = mergeTrailers(p.trailers, given);
    }
  }
  return { series: result.map((r) => r.series), problems };
}

/**
 * The prefixes that tell series apart across versions: RFC and RESEND come
 * and go between versions of one series; `net-next` or `AUTOSEL 5.2` do not
 * (stable backports of one patch to several trees are different series).
 */
function familyPrefixes(prefixes: string[]): string {
  return prefixes
    .map((p) => p.toLowerCase())
    .filter((p) => p !== 'rfc' && p !== 'resend')
    .sort()
    .join(' ');
}

function instanceDate(inst: Instance): number {
  const all = [...inst.patches.values(), ...(inst.cover ? [inst.cover] : [])];
  return Math.max(0, ...all.map(dateOf));
}

/** Finds the patch or cover a reply's `Re: [PATCH vN i/T] title` names, for replies whose thread is broken. */
function subjectIndex(series: Series[]): (tag: SubjectTag) => { series: Series; patch: PatchMail | null } | null {
  const map = new Map<string, { series: Series; patch: PatchMail | null }>();
  for (const s of series) {
    if (s.cover) map.set(`${s.version}\u0000${0}\u0000${normTitle(s.title)}`, { series: s, patch: null });
    for (const p of s.patches) {
      map.set(`${s.version}\u0000${p.tag.index}\u0000${normTitle(p.tag.title)}`, { series: s, patch: p });
    }
  }
  return (tag) => map.get(`${tag.version}\u0000${tag.index ?? 1}\u0000${normTitle(tag.title)}`) ?? null;
}

/** Throws when a series lacks patches: apply and lint cannot work on half a series. */
export function requireComplete(series: Series): void {
  if (series.missing.length > 0) {
    const [first, ...rest] = series.missing.map((n) => `${n}/${series.total}`);
    const more = rest.length > 0 ? ` (and ${rest.join(', ')})` : '';
    throw new InputError(`series '${series.title}' v${series.version} is missing patch ${first}${more}`);
  }
  if (series.patches.length === 0) {
    throw new InputError(`series '${series.title}' v${series.version} has no patches`);
  }
}
