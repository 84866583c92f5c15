/**
 * The lockdep-style "Possible unsafe locking scenario" table for a deadlock
 * witness, rendered from the trace steps the model writes (so the report
 * can render it from a Confirmation alone). Lock names are printed the way
 * lockdep prints them: `&group->mutex`, `(work_completion)(&gdev->work)`.
 */
import type { TraceStep } from '../report/schema.js';

interface Ev {
  thread: string;
  what: 'acquire' | 'start' | 'blocked' | 'wait';
  name: string;
  kind?: string;
}

function parse(step: TraceStep): Ev | null {
  const s = step.step;
  let m = /\[acquires ([^;\]]+)[;\]]/.exec(s);
  if (m) return { thread: step.thread, what: 'acquire', name: m[1]!.trim() };
  m = /\[starts (work|timer|hrtimer) ([^\]]+?) on (T\d+)/.exec(s);
  if (m) return { thread: step.thread, what: 'start', name: m[2]!.trim(), kind: m[1] };
  m = /\[kthread (\w+) running on (T\d+)/.exec(s);
  if (m) return { thread: step.thread, what: 'start', name: `kthread ${m[1]}`, kind: 'kthread' };
  m = /\[blocked on ([^,\]]+), held by/.exec(s);
  if (m) return { thread: step.thread, what: 'blocked', name: m[1]!.trim() };
  m = /\[(\S+) already holds ([^:\]]+): blocks on itself/.exec(s);
  if (m) return { thread: step.thread, what: 'blocked', name: m[2]!.trim() };
  m = /\[waits for (kthread \w+) on T\d+ to exit/.exec(s);
  if (m) return { thread: step.thread, what: 'wait', name: m[1]!, kind: 'kthread' };
  m = /\[waits for (?:pending )?([^:;\]]+?)(?: to run| to exit|:|;)/.exec(s);
  if (m) return { thread: step.thread, what: 'wait', name: m[1]!.trim(), kind: /kthread_stop/.test(s) ? 'kthread' : /timer|hrtimer_cancel/.test(s) ? 'timer' : 'work' };
  return null;
}

function lockText(name: string, kind?: string): string {
  if (kind === 'work') return `(work_completion)(&${name})`;
  if (kind === 'timer' || kind === 'hrtimer') return `(&${name})`;
  if (kind === 'kthread') return `(${name})`;
  return `&${name}`;
}

const COL = 31;

/** The table, or null when the trace does not end in a deadlock the table can show. */
export function renderLockdepScenario(trace: TraceStep[]): string | null {
  const evs = trace.map(parse).filter((e): e is Ev => e !== null);
  // The final wait of each thread.
  const lastWait = new Map<string, Ev>();
  for (const e of evs) if (e.what === 'blocked' || e.what === 'wait') lastWait.set(e.thread, e);
  const threads = [...lastWait.keys()].sort();
  if (threads.length === 0) return null;
  if (threads.length === 1) {
    const t = threads[0]!;
    const w = lastWait.get(t)!;
    const acq = [...evs].reverse().find((e) => e.thread === t && e.what === 'acquire' && e.name === w.name);
    if (!acq) return null;
    return [
      ' Possible unsafe locking scenario:',
      '',
      '       CPU0',
      '       ----',
      `  lock(${lockText(acq.name)});`,
      `  lock(${lockText(w.name)});`,
      '',
      ' *** DEADLOCK ***',
      '',
      ' May be due to missing lock nesting notation',
    ].join('\n');
  }
  // CPU0: the thread that waits for a callback (sync), else the first one.
  const cpu0 = threads.find((t) => lastWait.get(t)!.what === 'wait') ?? threads[0]!;
  const cpu1 = threads.find((t) => t !== cpu0)!;
  const w0 = lastWait.get(cpu0)!;
  const w1 = lastWait.get(cpu1)!;
  // CPU0 holds what CPU1 blocks on; CPU1 holds (runs) what CPU0 waits for.
  const a0 = [...evs].reverse().find((e) => e.thread === cpu0 && e.what === 'acquire' && e.name === w1.name);
  const a1 =
    [...evs].reverse().find((e) => e.thread === cpu1 && e.what === 'start' && (e.name === w0.name || w0.what === 'wait')) ??
    [...evs].reverse().find((e) => e.thread === cpu1 && e.what === 'acquire' && e.name === w0.name);
  if (!a0 || !a1) return null;
  // Name the callback's item as the waiter wrote it (the worker only knows its object).
  const heldByCpu1 = a1.what === 'start' ? lockText(w0.what === 'wait' ? w0.name : a1.name, a1.kind) : lockText(a1.name);
  const waitedByCpu0 = w0.what === 'wait' ? lockText(w0.name, w0.kind) : lockText(w0.name);
  const pad = (s: string) => ' '.repeat(COL) + s;
  return [
    ' Possible unsafe locking scenario:',
    '',
    '       CPU0                    CPU1',
    '       ----                    ----',
    `  lock(${lockText(a0.name)});`,
    pad(`lock(${heldByCpu1});`),
    pad(`lock(${lockText(w1.name)});`),
    `  lock(${waitedByCpu0});`,
    '',
    ' *** DEADLOCK ***',
  ].join('\n');
}
