import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { joinMboxrd, splitMbox, truncationProblem } from '../../src/mail/mbox.js';

const FIXTURES = new URL('../fixtures-mail/', import.meta.url);

describe('splitMbox', () => {
  it('splits on From_ lines at the start and after a blank line, and undoes mboxrd quoting', () => {
    const buf = Buffer.from(
      'From mboxrd@z Thu Jan  1 00:00:00 1970\nSubject: one\n\nbody 1\n>From the start\n>>From quoted\n\n' +
        'From mboxrd@z Thu Jan  1 00:00:00 1970\nSubject: two\n\nbody 2\nFrom the middle of a paragraph\n',
    );
    const msgs = splitMbox(buf).map((b) => b.toString());
    expect(msgs).toEqual([
      'Subject: one\n\nbody 1\nFrom the start\n>From quoted\n',
      'Subject: two\n\nbody 2\nFrom the middle of a paragraph\n',
    ]);
  });

  it('does not split at a paragraph that starts with "From " but is no From_ line', () => {
    const buf = Buffer.from('From a@b Tue Apr 14 10:00:00 2026\nSubject: x\n\nHello.\n\nFrom the datasheet: 3 ms.\n');
    expect(splitMbox(buf)).toHaveLength(1);
  });

  it('handles CRLF mboxes without touching the line endings of the messages', () => {
    const buf = Buffer.from('From a@b Tue Apr 14 10:00:00 2026\r\nSubject: a\r\n\r\nx\r\n\r\nFrom a@b Tue Apr 14 10:00:01 2026\r\nSubject: b\r\n\r\ny\r\n');
    expect(splitMbox(buf).map((b) => b.toString())).toEqual(['Subject: a\r\n\r\nx\r\n', 'Subject: b\r\n\r\ny\r\n']);
  });

  it('reads a git format-patch file as one message and leaves its >From lines alone', () => {
    const msgs = splitMbox(readFileSync(new URL('0001-demo-fix-lock.patch', FIXTURES)));
    expect(msgs).toHaveLength(1);
    const text = msgs[0].toString();
    expect(text.startsWith('From: Ada Example')).toBe(true);
    expect(text).toContain('\n\nFrom the datasheet it is clear');
    expect(text).toContain('\n>From here on, callers hold demo->lock.\n');
  });

  it('round-trips any messages through joinMboxrd (mboxrd quoting is reversible)', () => {
    const line = fc.oneof(
      fc.constantFrom('From x', '>From y', '>>From z', 'From ', '', 'body', '>', 'From a@b Tue Apr 14 10:00:00 2026'),
      fc.string({ maxLength: 12 }).map((s) => s.replace(/[\r\n]/g, '')),
    );
    const message = fc.array(line, { minLength: 1, maxLength: 8 }).map((ls) => Buffer.from(`Subject: t\n\n${ls.join('\n')}\n`));
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 4 }), (msgs) => {
        const back = splitMbox(joinMboxrd(msgs));
        expect(back.map((b) => b.toString('latin1'))).toEqual(msgs.map((b) => b.toString('latin1')));
      }),
      { numRuns: 300 },
    );
  });

  it('works on bytes: a latin-1 body comes back byte for byte', () => {
    const msg = Buffer.concat([Buffer.from('Subject: l\n\nM'), Buffer.from([0xfc]), Buffer.from('ller\n')]);
    expect(splitMbox(joinMboxrd([msg]))[0].equals(msg)).toBe(true);
  });
});

describe('truncationProblem', () => {
  it('finds a message cut inside its headers, a cut line and a multipart with no end', () => {
    expect(truncationProblem(Buffer.from('Subject: x\nFrom: a@b'), true, false)).toBe('ends inside its headers');
    expect(truncationProblem(Buffer.from('Subject: x\n\nbody cut'), true, false)).toBe('ends in the middle of a line');
    const mp = 'Subject: x\nContent-Type: multipart/mixed; boundary="b1"\n\n--b1\nContent-Type: text/plain\n\nhi\n';
    expect(truncationProblem(Buffer.from(mp), true, true)).toBe('ends before the closing MIME boundary "b1"');
    expect(truncationProblem(Buffer.from(`${mp}--b1--\n`), true, true)).toBeNull();
  });
});
