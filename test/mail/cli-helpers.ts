/**
 * Running a mail command the way main() does: status, stdout, and one
 * `kreview: error:` line for a KreviewError. main.ts itself is used when it
 * can be imported (the other commands' modules may not exist yet while the
 * project is being built); `viaMain` says which path ran.
 */
import { KreviewError } from '../../src/errors.js';
import { memoryIo, type Io } from '../../src/cli/io.js';

type MainFn = (argv: string[], io: Io) => Promise<number>;
const mainModule = await import('../../src/cli/main.js').catch(() => null);
export const viaMain: MainFn | null = mainModule ? (mainModule.main as MainFn) : null;

export interface CliResult {
  status: number;
  out: string;
  err: string;
}

/** Calls `direct` (a run* function) with a memory Io, turning errors into what main() would print. */
export async function runDirect(direct: (io: Io) => Promise<number>, stdin = ''): Promise<CliResult> {
  const io = memoryIo(stdin);
  try {
    const status = await direct(io);
    return { status, out: io.out, err: io.err };
  } catch (err) {
    if (!(err instanceof KreviewError)) throw err;
    io.stderr(`kreview: error: ${err.message.replace(/\s*\n\s*/g, '; ').trim()}\n`);
    return { status: err.exitCode, out: io.out, err: io.err };
  }
}

export async function runMain(args: string[], stdin = ''): Promise<CliResult> {
  if (!viaMain) throw new Error('main.ts cannot be imported yet');
  const io = memoryIo(stdin);
  const status = await viaMain(['node', 'kreview', ...args], io);
  return { status, out: io.out, err: io.err };
}
