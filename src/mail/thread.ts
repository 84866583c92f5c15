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
  for (const id of parent.keys()) {
    const seen = new Set<string>([id]);
    let cur = id;
    for (;;) {
      const p = parent.get(cur) ?? null;
      if (p === null) break;
      if (seen.has(p)) {
        parent.set(cur, null);
        break;
      }
      seen.add(p);
      cur = p;
    }
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
  return {
    get: (id) => byId.get(id),
    parentOf: (id) => parent.get(id) ?? null,
    childrenOf: (id) => children.get(id) ?? [],
    ancestorsOf,
    rootOf(id) {
      const chain = ancestorsOf(id);
      const top = chain.length > 0 ? chain[chain.length - 1] : id;
      const m = byId.get(top);
      if (m && m.references.length > 0 && m.references[0] !== top) return m.references[0];
      if (m && m.inReplyTo && m.inReplyTo !== top) return m.inReplyTo;
      return top;
    },
  };
}
