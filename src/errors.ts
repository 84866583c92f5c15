/**
 * Errors that reach the user. The CLI prints `kreview: error: <message>` and
 * exits with `exitCode`; anything else that escapes is a bug in kreview and is
 * still reported on one line (see src/cli/main.ts), never as a stack trace.
 *
 * Messages must say what was wrong and where: the file, the message
 * (Message-ID or mbox index), the patch, the hunk.
 */
export class KreviewError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = 'KreviewError';
  }
}

/** Exit statuses fixed by CONTRACT.md. */
export const EXIT = {
  ok: 0,
  findings: 1,
  usage: 2,
  notApplied: 3,
} as const;

/** Bad input: unreadable file, not mail, malformed diff, unsafe path... (exit 2). */
export class InputError extends KreviewError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'InputError';
  }
}

/** A hunk of a patch did not apply to the tree (exit 3). */
export class ApplyError extends KreviewError {
  constructor(message: string) {
    super(message, EXIT.notApplied);
    this.name = 'ApplyError';
  }
}
