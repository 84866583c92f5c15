/**
 * A finding in a reviewer's words: what the code does wrong, said the way a
 * kernel reviewer would say it under the quoted line, with the witness the
 * model found (the lockdep-style CPU0/CPU1 table for a deadlock, the
 * sequence of calls for a WARN_ON). Confirmed findings are stated; the
 * others are asked as questions, since nothing ran them. No line numbers:
 * code is named by function and statement.
 */
import { renderLockdepScenario } from '../model/confirm.js';
import type { Finding, TraceStep } from './schema.js';
import type { Anchor } from './anchor.js';

export interface CommentContext {
  /** `07/11 ("iommu: Add ...")` for a patch position, as the reply names it. */
  patchName(position: number): string;
}

const fn = (name: string | null | undefined) => (name ? `${name}()` : 'this function');

/** Removes line numbers from prose: `iommu.c:123`, `line 123`, `(l. 12)`. */
export function noLineNumbers(s: string): string {
  return s
    .replace(/\b([\w./-]+\.[ch]):\d+(?::\d+)?/g, '$1')
    .replace(/\s*\((?:at )?(?:line|l\.)\s*\d+\)/gi, '')
    .replace(/\s+(?:at|on) line \d+/gi, '')
    .replace(/\bline \d+/gi, 'there');
}

function joinNames(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

const callName = (text: string) => /^\s*(\w+)\s*\(/.exec(text)?.[1] ?? null;

interface SyncParts {
  waitText: string;
  callback: string;
  lock: string;
  /** Functions that hold the lock, and what they call to get to the wait (null: the wait is in the holder). */
  holders: Array<{ fn: string; via: string | null }>;
  /** The comment sits in the holder, at its call (rather than at the wait itself). */
  atHolder: boolean;
}

/**
 * Reads the rule's finding. Two shapes: the finding at the waiting call
 * (related: "calls X with L held" in the holders), or, older, at the
 * holder's call with "(through X())" in the message.
 */
function syncParts(a: Anchor): SyncParts | null {
  const f = a.finding;
  const m = /^(.*?) waits for (\w+)\(\)/.exec(f.message);
  if (!m) return null;
  const lock = f.lock ?? /which takes (\S+?)[;,]/.exec(f.message)?.[1] ?? 'the lock';
  const holders: SyncParts['holders'] = [];
  // Each holder contributes its lock site ("L taken here") and then its call
  // ("calls X with L held"); further "calls" entries are steps down the chain.
  let expectHolder = true;
  for (const r of f.related) {
    if (/ (taken|asserted held) here$/.test(r.message)) expectHolder = true;
    else if (expectHolder && r.function && /^calls .*? with \S+ held/.test(r.message)) {
      if (!holders.some((h) => h.fn === r.function)) holders.push({ fn: r.function, via: callName(/^calls (.*?) with /.exec(r.message)![1]!) });
      expectHolder = false;
    }
  }
  const through = /\(through (\w+)\(\)/.exec(f.message.split(/, which takes /)[0]!)?.[1] ?? null;
  if (holders.length === 0 && f.function) holders.push({ fn: f.function, via: through });
  return {
    waitText: m[1]!,
    callback: m[2]!,
    lock,
    holders,
    // In the holder when the old shape anchors at its call, or when the wait is in the holder itself.
    atHolder: (a.related === null && through !== null) || (holders.length === 1 && holders[0]!.via === null),
  };
}

/**
 * The witness as an indented block, one step per line, at most `max` of
 * them. The model's assumptions are the state that makes the bug, so they
 * stay (as "assume ..."); its `?x` for a value nobody fixed reads as "(any)".
 */
export function witnessBlock(trace: TraceStep[], max = 14): string {
  const threads = new Set(trace.map((t) => t.thread));
  const steps = trace.map((t) => ({
    ...t,
    step: t.step.trim().replace(/^\[assume (.*)\]$/, 'assume $1').replace(/\?([A-Za-z_][\w>.-]*(?:->\w+)*)/g, '(any)'),
  }));
  const shown = steps.length > max ? [...steps.slice(0, 4), null, ...steps.slice(steps.length - (max - 5))] : steps;
  return shown
    .map((t) => (t === null ? '    ...' : `    ${threads.size > 1 ? `${t.thread}: ` : ''}${noLineNumbers(t.step)}`))
    .join('\n');
}

function confirmed(f: Finding): boolean {
  return f.confirmation.status === 'confirmed';
}

function syncUnderLock(group: Anchor[]): string {
  const parts = group.map(syncParts);
  const first = parts[0];
  if (!first || parts.some((p) => !p)) return generic(group);
  const holders = new Map<string, string | null>();
  for (const p of parts) for (const h of p!.holders) if (!holders.has(h.fn)) holders.set(h.fn, h.via);
  const names = [...holders.keys()].map((h) => `${h}()`);
  const vias = [...new Set([...holders.values()].filter((v): v is string => !!v))];
  const waitName = callName(first.waitText) ?? first.waitText;
  const ok = group.some((g) => confirmed(g.finding));
  const many = names.length > 1;
  let text: string;
  if (!first.atHolder) {
    const how = vias.length
      ? `when ${many ? 'they call' : 'it calls'} ${joinNames(vias.map((v) => `${v}()`))}`
      : 'here';
    text =
      `${waitName}() waits for ${first.callback}(), which takes ${first.lock}. ` +
      `But ${joinNames(names)} ${many ? 'hold' : 'holds'} ${first.lock} ${how}, so if the work is already running at that point`;
  } else {
    const via = vias[0];
    text =
      `${via ? `${via}() does ${first.waitText}, which` : first.waitText} waits for ${first.callback}(), ` +
      `and ${first.callback}() takes ${first.lock}, which is held here. So if the work is already running at this point`;
  }
  const witness = group.map((g) => g.finding).find((f) => confirmed(f));
  const table = witness ? renderLockdepScenario(witness.confirmation.trace) : null;
  // One paragraph per point: a reply parser (and a reader) takes a new paragraph for a new point.
  if (ok) {
    text += ', this deadlocks:';
    if (table) text += '\n\n' + indentBlock(table);
    else if (witness) text += '\n\n' + witnessBlock(witness.confirmation.trace);
  } else {
    text += `, won't this deadlock? Can the ${waitName}() be done after ${first.lock} is dropped?`;
  }
  return text;
}

function commentMismatch(group: Anchor[]): string {
  return group
    .map((a) => {
      const detail = a.finding.message.replace(/^comment and (?:check|code) disagree:\s*/i, '');
      const text = `Nit: this comment doesn't quite match the code below it: ${lowerFirst(detail)}`;
      const q = (/[.?!]$/.test(text) ? text : text + '.') + ' Should the comment or the check change?';
      const check = a.finding.related.map((r) => /^the check: (\w+)\(/.exec(r.message)?.[1]).find(Boolean);
      const w = confirmed(a.finding) && a.finding.confirmation.trace.length
        ? ` A state the comment allows that fires ${check ? `the ${check}()` : 'the check'}:\n\n${witnessBlock(a.finding.confirmation.trace)}`
        : '';
      return q + w;
    })
    .join('\n\n');
}

/** The message without a leading `WARN_ON(...) fires`: what is left says when. */
function whenItFires(message: string): string {
  let m = message.trim();
  const head = /^(?:WARN_ON_ONCE|WARN_ON|BUG_ON|WARN)\s*\(/.exec(m);
  if (head) {
    let depth = 0;
    let i = head[0].length - 1;
    for (; i < m.length; i++) {
      if (m[i] === '(') depth++;
      else if (m[i] === ')' && --depth === 0) break;
    }
    m = m.slice(i + 1).replace(/^\s*(?:in \w+\(\)\s*)?(?:can fire|fires|is reachable|triggers)?\s*:?\s*/, '');
  }
  return noLineNumbers(m.replace(/[.\s]+$/, ''));
}

function warnReachable(group: Anchor[], ctx: CommentContext): string {
  return group
    .map((a, i) => {
      const f = a.finding;
      const later = a.appearsIn > a.raiseOn ? `once patch ${ctx.patchName(a.appearsIn)} is applied, ` : '';
      // Under a related line (the entry point a patch adds) the WARN is not the quoted code: name it by its function.
      const src = a.related === null ? a.text : f.message;
      const kind = /\bBUG_ON\b/.test(src) ? 'BUG_ON()' : /WARN_ON_ONCE/.test(src) ? 'WARN_ON_ONCE()' : 'WARN_ON()';
      const what = a.related === null || !f.function ? `this ${kind}` : `the ${kind} in ${f.function}()`;
      const when = whenItFires(f.message);
      const clause = /^(when|if|on|after|once|because|as soon as|whenever)\b/i.test(when) ? ` ${when}` : '';
      const extra = clause || !when ? '' : ` (${when})`;
      const lead = i === 0 ? 'Also, ' : '';
      if (confirmed(f)) {
        let text = `${lead}${later}${what} fires${clause}${extra}, although nothing is wrong`;
        text += f.confirmation.trace.length ? ':\n\n' + witnessBlock(f.confirmation.trace) : '.';
        return upperFirst(text);
      }
      return upperFirst(`${lead}${later}can ${what} fire${clause}${extra}, although nothing is wrong?`);
    })
    .join('\n\n');
}

function generic(group: Anchor[]): string {
  return group
    .map((a) => {
      const f = a.finding;
      let text = upperFirst(noLineNumbers(f.message.trim()));
      if (!/[.?!:]$/.test(text)) text += '.';
      if (confirmed(f) && f.confirmation.trace.length) {
        const table = renderLockdepScenario(f.confirmation.trace);
        text = text.replace(/[.:]$/, ':') + '\n\n' + (table ? indentBlock(table) : witnessBlock(f.confirmation.trace));
      }
      return text;
    })
    .join('\n\n');
}

/** Lines of a block that the wrapper must leave alone start with white space. */
function indentBlock(block: string): string {
  return block
    .split('\n')
    .map((l) => (l.trim() === '' ? '' : /^\s/.test(l) ? l : ` ${l}`))
    .join('\n');
}

const lowerFirst = (s: string) => (/^[A-Z][a-z]/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s);
const upperFirst = (s: string) => (/^[a-z]/.test(s) && !/^[a-z_]\w*\(/.test(s) ? s[0]!.toUpperCase() + s.slice(1) : s);

/** The comment for the findings that sit under one line (same rule, same place). */
export function commentFor(group: Anchor[], ctx: CommentContext): string {
  switch (group[0]!.finding.rule) {
    case 'sync-under-lock':
      return syncUnderLock(group);
    case 'comment-code-mismatch':
      return commentMismatch(group);
    case 'warn-reachable':
      return warnReachable(group, ctx);
    default:
      return generic(group);
  }
}
