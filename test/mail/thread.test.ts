import { describe, expect, it } from 'vitest';
import type { MailMessage } from '../../src/mail/schema.js';
import { buildThreads } from '../../src/mail/thread.js';

const msg = (id: string, inReplyTo: string | null = null, references: string[] = []): MailMessage => ({
  source: id, messageId: id, inReplyTo, references, from: null, to: [], cc: [], date: null, dateHeader: null, subject: id, body: '',
});

describe('buildThreads', () => {
  it('links by In-Reply-To, and by References when the parent is missing', () => {
    const t = buildThreads([
      msg('cover'),
      msg('p1', 'cover', ['cover']),
      msg('r1', 'p1', ['cover', 'p1']),
      // its parent (r-missing) is not here: attach to the newest reference that is
      msg('r2', 'r-missing', ['cover', 'p1', 'r-missing']),
    ]);
    expect(t.parentOf('p1')).toBe('cover');
    expect(t.parentOf('r2')).toBe('p1');
    expect(t.ancestorsOf('r1')).toEqual(['p1', 'cover']);
    expect(t.childrenOf('p1')).toEqual(['r1', 'r2']);
    expect(t.rootOf('r2')).toBe('cover');
  });

  it('gives siblings of a missing root the same root', () => {
    const t = buildThreads([msg('a', 'gone', ['gone']), msg('b', 'gone', ['gone'])]);
    expect(t.rootOf('a')).toBe('gone');
    expect(t.rootOf('b')).toBe('gone');
    expect(t.parentOf('a')).toBeNull();
  });

  it('survives reference cycles', () => {
    const t = buildThreads([msg('a', 'b', ['b']), msg('b', 'a', ['a'])]);
    expect(t.ancestorsOf('a').length + t.ancestorsOf('b').length).toBeLessThanOrEqual(1);
  });
});
