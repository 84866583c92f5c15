/**
 * What a command may touch of the outside world: its output streams, stdin,
 * and the exit status it leaves. Tests pass their own.
 */
import { readFileSync } from 'node:fs';

export interface Io {
  stdout(s: string): void;
  stderr(s: string): void;
  /** Standard input, read whole (only when an input is "-"). */
  stdin(): Promise<Buffer>;
  /** Whether stdout/stderr are terminals (colours, progress bars). */
  isTTY: { stdout: boolean; stderr: boolean };
  env: NodeJS.ProcessEnv;
  version: string;
  /** Exit status the command leaves; main() returns it. */
  status: number;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    return String(pkg.version);
  } catch {
    return '0.0.0';
  }
}

/** SIGPIPE's exit status: what a C tool reports when the reader of its output went away. */
export const EXIT_PIPE = 141;

let pipeWatched = false;

/**
 * `kreview lint ... | head` closes the pipe before the report is written:
 * end quietly then, as a tool killed by SIGPIPE does, not with a stack trace
 * of an unhandled EPIPE. stderr going away is ignored.
 */
function watchPipes(): void {
  if (pipeWatched) return;
  pipeWatched = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT_PIPE);
    throw e;
  });
  process.stderr.on('error', () => {});
}

export function processIo(): Io {
  watchPipes();
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    stdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
    isTTY: { stdout: Boolean(process.stdout.isTTY), stderr: Boolean(process.stderr.isTTY) },
    env: process.env,
    version: packageVersion(),
    status: 0,
  };
}

/** An Io that records what was written, for tests. */
export function memoryIo(stdin: Buffer | string = ''): Io & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout(s: string) {
      io.out += s;
    },
    stderr(s: string) {
      io.err += s;
    },
    stdin: async () => Buffer.from(stdin),
    isTTY: { stdout: false, stderr: false },
    env: {} as NodeJS.ProcessEnv,
    version: '0.0.0-test',
    status: 0,
  };
  return io;
}
