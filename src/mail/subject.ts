/**
 * Reading a subject's patch tag: `Re: [RFC PATCH net-next v2 3/5] title`.
 *
 * Leading reply markers (`Re:`, `RE:`, `Aw:`, `Sv:`, ...) and list tags
 * (`[Intel-gfx]`) are peeled off in any order; the first bracketed group that
 * says PATCH, RFC or n/m is the patch tag. Inside it, words are PATCH
 * (also glued: `PATCHv2`), `vN`, `n/m`, and anything else is a prefix, in the
 * order written. A tag with spaces inside or around it, or with the version
 * after the number (`[PATCH 6/11 v3]`), reads the same.
 */
import type { SubjectTag } from './schema.js';

const REPLY = /^\s*(re|aw|sv|antw|odp|vs|r)\s*(\[\d+\]|\(\d+\))?\s*:\s*/i;
const FORWARD = /^\s*(fwd?|wg|tr)\s*:\s*/i;
const BRACKET = /^\s*\[([^\]]*)\]\s*/;

/** Whether a bracketed group is a patch tag (and not a list name such as `[Intel-gfx]`). */
function isPatchTag(inner: string): boolean {
  return /(^|[\s,])(PATCH|RFC)(v\d+)?($|[\s,])/i.test(inner) || /(^|\s)\d+\s*\/\s*\d+($|\s)/.test(inner);
}

export function parseSubject(subject: string): SubjectTag {
  let rest = subject.replace(/\s+/g, ' ').trim();
  let isReply = false;
  let tag: string | null = null;
  for (let guard = 0; guard < 20; guard++) {
    const reply = REPLY.exec(rest);
    if (reply) {
      isReply = true;
      rest = rest.slice(reply[0].length);
      continue;
    }
    const fwd = FORWARD.exec(rest);
    if (fwd) {
      rest = rest.slice(fwd[0].length);
      continue;
    }
    const br = BRACKET.exec(rest);
    if (br && tag === null && isPatchTag(br[1])) {
      tag = br[1];
      rest = rest.slice(br[0].length);
      continue;
    }
    if (br && tag === null) {
      // A list tag before the patch tag: skip it only if a patch tag follows.
      const after = rest.slice(br[0].length);
      if (REPLY.test(after) || (BRACKET.exec(after) && isPatchTag(BRACKET.exec(after)![1]))) {
        rest = after;
        continue;
      }
    }
    break;
  }
  const out: SubjectTag = { isReply, isPatch: false, prefixes: [], version: 1, index: null, total: null, title: rest.trim() };
  if (tag === null) return out;
  // `06 / 11` -> `06/11`; commas separate words as spaces do.
  const words = tag.replace(/(\d)\s*\/\s*(\d)/g, '$1/$2').split(/[\s,]+/).filter(Boolean);
  for (const w of words) {
    const glued = /^(PATCH|RFC)v(\d+)$/i.exec(w);
    if (glued) {
      if (/^patch$/i.test(glued[1])) out.isPatch = true;
      else out.prefixes.push(glued[1]);
      out.version = Math.max(1, Number(glued[2]));
      continue;
    }
    if (/^patch$/i.test(w)) {
      out.isPatch = true;
      continue;
    }
    const ver = /^v(\d+)(\.\d+)?$/i.exec(w);
    if (ver) {
      out.version = Math.max(1, Number(ver[1]));
      continue;
    }
    const nm = /^(\d+)\/(\d+)$/.exec(w);
    if (nm && out.index === null) {
      const total = Number(nm[2]);
      if (total > 0) {
        out.index = Number(nm[1]);
        out.total = total;
      }
      continue;
    }
    out.prefixes.push(w);
  }
  // A bare `[3/5]` (or `[RFC 3/5]`) is a patch tag too.
  if (out.index !== null || out.prefixes.some((p) => /^rfc$/i.test(p))) out.isPatch = true;
  return out;
}
