/**
 * Runs one measured child process: wall time, peak RSS, bounded by a
 * timeout, never throwing. Peak RSS comes from GNU time (`-f %M`) when
 * /usr/bin/time exists, else from polling /proc/<pid>/status (VmHWM), which
 * can miss a peak reached between two polls of a short-lived child.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ChildResult {
  /** Exit status, or null when killed by a signal. */
  status: number | null;
  signal: string | null;
  timedOut: boolean;
  wallMs: number;
  /** Peak resident set size in KiB, or null when it could not be measured. */
  peakRssKb: number | null;
  stdout: string;
  /** The end of standard error (the start is dropped past a cap). */
  stderr: string;
  /** Set when the process could not be started at all. */
  spawnError?: string;
}

export interface ChildOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Give this text on standard input. */
  input?: string;
  /** Keep at most this much standard output (bytes); default 64 MiB. */
  maxStdout?: number;
  /** How to measure peak RSS; default GNU time when it works here, else /proc polling. */
  rssVia?: 'time' | 'proc';
}

const GNU_TIME = '/usr/bin/time';
const STDERR_CAP = 64 * 1024;

let gnuTimeWorks: boolean | undefined;
/** Whether /usr/bin/time is GNU time (accepts -f and -o). */
async function haveGnuTime(): Promise<boolean> {
  if (gnuTimeWorks !== undefined) return gnuTimeWorks;
  if (!existsSync(GNU_TIME)) return (gnuTimeWorks = false);
  const dir = mkdtempSync(join(tmpdir(), 'kreview-bench-time-'));
  try {
    const out = join(dir, 'rss');
    const r = await spawnOnce(GNU_TIME, ['-f', '%M', '-o', out, process.execPath, '-e', ''], { timeoutMs: 10_000 });
    gnuTimeWorks = r.status === 0 && /^\d+\s*$/m.test(readFileSync(out, 'utf8'));
  } catch {
    gnuTimeWorks = false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return gnuTimeWorks;
}

export async function runChild(cmd: string, args: string[], opts: ChildOptions): Promise<ChildResult> {
  if (opts.rssVia !== 'proc' && (await haveGnuTime())) {
    const dir = mkdtempSync(join(tmpdir(), 'kreview-bench-time-'));
    try {
      const out = join(dir, 'rss');
      const r = await spawnOnce(GNU_TIME, ['-f', '%M', '-o', out, cmd, ...args], opts);
      let rss: number | null = null;
      if (existsSync(out)) {
        // GNU time writes "Command exited with non-zero status N" before the figure in some cases.
        const m = /(\d+)\s*$/.exec(readFileSync(out, 'utf8'));
        rss = m ? Number(m[1]) : null;
      }
      // GNU time reports exec failure of the command as status 127 with its own message.
      return { ...r, peakRssKb: rss };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return spawnOnce(cmd, args, opts, true);
}

function spawnOnce(cmd: string, args: string[], opts: ChildOptions, pollRss = false): Promise<ChildResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const maxStdout = opts.maxStdout ?? 64 * 1024 * 1024;
    let stdout = '';
    let stdoutBytes = 0;
    let stderr = '';
    let timedOut = false;
    let peak: number | null = null;
    let settled = false;
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      // Its own process group, so a timeout kills the whole group (GNU time and what it runs).
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, opts.timeoutMs);
    const poll = pollRss
      ? setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) peak = Math.max(peak ?? 0, Number(m[1]));
          } catch {
            // The process ended between two polls.
          }
        }, 25)
      : null;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      stdoutBytes += s.length;
      if (stdoutBytes <= maxStdout) stdout += s;
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      stderr += s;
      if (stderr.length > 2 * STDERR_CAP) stderr = stderr.slice(-STDERR_CAP);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    const finish = (status: number | null, signal: string | null, spawnError?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      resolve({
        status,
        signal,
        timedOut,
        wallMs: performance.now() - t0,
        peakRssKb: peak,
        stdout,
        stderr: stderr.slice(-STDERR_CAP),
        ...(spawnError ? { spawnError } : {}),
      });
    };
    child.on('error', (err) => finish(null, null, err.message));
    child.on('close', (status, signal) => finish(status, signal));
  });
}

/** A one-line reason for a failed run, for the table. */
export function failureReason(r: ChildResult, timeoutMs: number): string {
  if (r.spawnError) return `could not start: ${r.spawnError}`;
  if (r.timedOut) return `timed out after ${Math.round(timeoutMs / 1000)} s`;
  const lines = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Command (exited|terminated)/.test(l) && !/^Node\.js v\d/.test(l) && !/^at /.test(l));
  // kreview's own one-line error first, then a JavaScript error (a crash), then whatever came last.
  const last = lines.find((l) => l.startsWith('kreview: error:')) ?? lines.find((l) => /^\w*Error\b.*:/.test(l)) ?? lines.pop() ?? '';
  const what = r.signal ? `killed by ${r.signal}` : (r.status === 0 || r.status === 1) && !last ? `exit ${r.status} without a JSON report` : `exit ${r.status}`;
  return last ? `${what}: ${last.slice(0, 140)}` : what;
}
