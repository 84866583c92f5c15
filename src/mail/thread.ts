/**
 * Threading by Message-ID, In-Reply-To and References, in the spirit of jwz's
 * algorithm but only as far as kernel lists need: a message's parent is its
 * In-Reply-To when that message is present, else the newest of its References
 * that is present. A message whose ancestors are all missing still shares a
 * thread with its siblings: its root is then the oldest id it references
 * (a root that is not among the messages).
 */
import type { MailMessage } from './schema.js';

export interface ThreadIndex {
  /** The message with this id, if present. */
  get(id: string): MailMessage | undefined;
  /** The nearest present ancestor, or null. */
  parentOf(id: string): string | null;
  /** Present messages whose parent is this one, in input order. */
  childrenOf(id: string): string[];
  /** Present ancestors, nearest first. */
  ancestorsOf(id: string): string[];
  /** The thread's root id (possibly a missing message, see above). */
  rootOf(id: string): string;
}

export function buildThreads(messages: MailMessage[]): ThreadIndex {
  const byId = new Map<string, MailMessage>();
  for (const m of messages) if (!byId.has(m.messageId)) byId.set(m.messageId, m);
  const parent = new Map<string, string | null>();
  const children = new Map<string, string[]>();
  for (const m of byId.values()) {
    let p: string | null = null;
    if (m.inReplyTo && m.inReplyTo !== m.messageId && byId.has(m.inReplyTo)) p = m.inReplyTo;
    else {
      for (let i = m.references.length - 1; i >= 0; i--) {
        const r = m.references[i];
        if (r !== m.messageId && byId.has(r)) {
          p = r;
          break;
        }
      }
    }
    parent.set(m.messageId, p);
  }
  // Break cycles (forged or broken headers): walk each chain and cut the link that closes a loop.
  // Every message is walked once (1 = on the current walk, 2 = done), so a chain of 10,000
  // replies costs 10,000 steps, not 10,000 squared.
  const state = new Map<string, 1 | 2>();
  for (const id of parent.keys()) {
    if (state.has(id)) continue;
    const walked: string[] = [id];
    state.set(id, 1);
    let cur = id;
    for (;;) {
      const p = parent.get(cur) ?? null;
      if (p === null || state.get(p) === 2) break;
      if (state.get(p) === 1) {
        parent.set(cur, null);
        break;
      }
      state.set(p, 1);
      walked.push(p);
      cur = p;
    }
    for (const w of walked) state.set(w, 2);
  }
  for (const [id, p] of parent) {
    if (p !== null) {
      const list = children.get(p) ?? [];
      list.push(id);
      children.set(p, list);
    }
  }
  const ancestorsOf = (id: string): string[] => {
    const out: string[] = [];
    let p = parent.get(id) ?? null;
    while (p !== null) {
      out.push(p);
      p = parent.get(p) ?? null;
    }
    return out;
  };
  // The oldest present ancestor, memoised along the way (rootOf is asked for every patch).
  const tops = new Map<string, string>();
  const topOf = (id: string): string => {
    const path: string[] = [];
    let cur = id;
    let top: string | undefined;
    for (;;) {
      top = tops.get(cur);
      if (top !== undefined) break;
      path.push(cur);
      const p = parent.get(cur) ?? null;
      if (p === null) {
        top = cur;
        break;
      }
      cur = p;
    }
    for (const q of path) tops.set(q, top);
    return top;
  };
  return {
    get: (id) => byId.get(id),
    parentOf: (id) => parent.get(id) ?? null,
    childrenOf: (id) => children.get(id) ?? [],
    ancestorsOf,
    rootOf(id) {
      const top = topOf(id);
      const m = byId.get(top);
      if (m && m.references.length > 0 && m.references[0] !== top) return m.references[0];
      if (m && m.inReplyTo && m.inReplyTo !== top) return m.inReplyTo;
      return top;
    },
  };
}
