/**
 * The interpreter: runs one thread of a state for one transition (up to its
 * next visible operation), over the IR of the tree's own functions. Values
 * the scenario does not fix are unconstrained; when a step needs an answer
 * about one it throws a NeedChoice and is re-run once per answer.
 */
import type { CallInstr, Expr, Instr, IrFunction, Pos, Terminator } from '../parse/ir.js';
import type { TreeIndex } from '../parse/index/types.js';
import type { Bounds } from './bounds.js';
import { exprText, parsePath } from './exprtext.js';
import { TypeInfo, locKey, newObj, newSym, readField, writeField } from './heap.js';
import { PRIMITIVES, guardLockMode, listEnd, lockAcquire, lockRelease, type PrimResult } from './primitives.js';
import { foreachImpl } from './hooks.js';
import { noteText } from './deps.js';
import { fileConstant } from '../parse/index/macro-values.js';
import { inScope, type CodeScope } from './scope.js';
import type { LockSlice } from './slice.js';
import { BoundHit, Infeasible, NeedChoice, Unmodelled, type ChoiceOption } from './signals.js';
import {
  addTrace,
  cloneState,
  mutableObj,
  type FrameState,
  type ModelEvent,
  type State,
  type ThreadState,
  type Wait,
} from './state.js';
import {
  NULLV,
  ONE,
  ZERO,
  bool,
  int,
  isPointerType,
  joinPath,
  normType,
  pointee,
  ptr,
  structName,
  valueKey,
  type PtrVal,
  type SymVal,
  type Value,
} from './values.js';

export type Loc = { k: 'local'; name: string } | { k: 'mem'; obj: number; path: string };

export interface MachineOptions {
  /** More than one thread may run: shared writes become scheduling points. */
  concurrent: boolean;
  /** Explore allocation failure (kzalloc returning NULL). */
  allocFail: boolean;
  /** Thread id whose entry frame may assume the locks it asserts (its caller's contract). */
  entryThread: string;
}

/** The result of trying one transition of one thread. */
export interface StepOutcome {
  state: State;
  /** The step stopped the path: a bound, an unmodelled construct, an infeasible assumption. */
  stop?: { kind: 'bound' | 'soft-bound' | 'unmodelled' | 'infeasible'; why: string };
}

export class Machine {
  readonly types: TypeInfo;
  private fnByKey = new Map<string, IrFunction>();
  private resolveCache = new Map<string, IrFunction | null>();
  private bodySets = new Map<string, Set<number>>();
  private globalCache = new Map<string, import('../parse/index/types.js').GlobalDef | null>();
  /** A source line whose execution the scenario wants to know about. */
  watch: { file: string; line: number } | null = null;
  reached = false;
  /** Values the scenario assumes for fields first read through these access paths (`group->domain`: NULL). */
  assume: Record<string, Value> = {};
  /** Callbacks the scenario lets be running already on objects it did not create. */
  spontaneous: import('./scheduler.js').Spontaneous[] = [];
  /**
   * Try an unconstrained pointer as an alias of an existing object before a
   * fresh one: a search for a witness that needs two threads to meet on the
   * same object finds it first.
   */
  preferAlias = false;
  /** Record in the state that the entry thread executed the watched line (kept out of the state otherwise, so paths merge as before). */
  trackWatched = false;
  /** Answer "already running" first when a wait meets a callback that may be pending from before. */
  preferRunning = false;
  /** The model's clock (clock.ts): time the index spends parsing is not the model's. */
  clock: () => number = () => Date.now();
  /** The functions a scenario runs (scope.ts); null = every function with a body. */
  scope: CodeScope | null = null;
  /** Calls that cannot touch this lock's member are run as external calls (slice.ts). */
  slice: LockSlice | null = null;
  /** Called when a thread executes the watched line (before the statement runs). */
  atWatch: ((x: Exec) => void) | null = null;
  /** Called when a thread takes a lock (display name, key). */
  onAcquire: ((x: Exec, name: string, key: string) => void) | null = null;
  /** Functions met outside the scope and treated as external calls. */
  readonly outOfScope = new Set<string>();
  /** Functions left out by the lock slice. */
  readonly sliced = new Set<string>();

  constructor(
    readonly index: TreeIndex,
    readonly bounds: Bounds,
    readonly opts: MachineOptions,
  ) {
    this.types = new TypeInfo(index);
  }

  fnKey(fn: IrFunction): string {
    const key = `${fn.file}::${fn.name}`;
    if (!this.fnByKey.has(key)) this.fnByKey.set(key, fn);
    return key;
  }

  fn(key: string): IrFunction {
    const f = this.fnByKey.get(key);
    if (!f) throw new Unmodelled(`function ${key} not registered`);
    return f;
  }

  resolve(name: string, fromFile: string): IrFunction | null {
    const ck = `${fromFile}\0${name}`;
    if (this.resolveCache.has(ck)) return this.resolveCache.get(ck)!;
    let f: IrFunction | null = null;
    try {
      f = this.index.resolve(name, fromFile);
    } catch {
      f = null;
    }
    if (f && f.blocks.length === 0) f = null;
    // An empty stub (the `static inline` of a header for a config option that is off) loses to a
    // definition with code when the finding names the function: the finding is about the
    // configuration that compiles its call chain. Elsewhere the stub stands (debug options stay off).
    if (f && this.scope?.names.has(name) && f.blocks.every((b) => b.instrs.length === 0)) {
      let defs: IrFunction[] = [];
      try {
        defs = this.index.functions(name);
      } catch {
        defs = [];
      }
      const real = defs.filter((d) => d.blocks.some((b) => b.instrs.length > 0));
      const dir = fromFile.slice(0, fromFile.lastIndexOf('/') + 1);
      f = real.find((d) => d.file.startsWith(dir)) ?? real.find((d) => !d.isStatic) ?? f;
    }
    this.resolveCache.set(ck, f);
    return f;
  }

  global(name: string): import('../parse/index/types.js').GlobalDef | null {
    if (this.globalCache.has(name)) return this.globalCache.get(name)!;
    let g = null;
    try {
      g = this.index.global(name);
    } catch {
      g = null;
    }
    this.globalCache.set(name, g);
    return g;
  }

  private constCache = new Map<string, number | null>();
  /**
   * An errno name, or a `#define` (`12`, `(1u << 3)`, `BIT(3)`, `A | B`) seen
   * from the file: through its includes where the index knows them, else in
   * the file itself.
   */
  constant(name: string, file: string): number | null {
    const ck = `${file}\0${name}`;
    const hit = this.constCache.get(ck);
    if (hit !== undefined) return hit;
    let v: number | null = ERRNO[name] ?? null;
    if (v === null && this.index.constant) {
      try {
        v = this.index.constant(name, file);
      } catch {
        v = null;
      }
    } else if (v === null) {
      let text: string | null = null;
      try {
        text = this.index.view.read(file);
      } catch {
        text = null;
      }
      v = fileConstant(text, name);
      noteText(this.index, 'define', file, name, String(v), (t) => String(fileConstant(t, name)));
    }
    this.constCache.set(ck, v);
    return v;
  }

  private lockerCache = new Map<string, boolean>();
  /**
   * Whether the function's own body takes or releases a lock (or waits, queues):
   * such a function runs even outside the scenario's scope, so a lock wrapper
   * (`unlock_page_lruvec_irqrestore()`) is never skipped while its partner runs.
   */
  locksItself(fn: IrFunction): boolean {
    const key = this.fnKey(fn);
    let v = this.lockerCache.get(key);
    if (v !== undefined) return v;
    v = fn.blocks.some((b) =>
      b.instrs.some((i) => (i.op === 'guard' && guardLockMode(i.class) !== null) || (i.op === 'call' && !!i.callee && !!PRIMITIVES[i.callee]?.alwaysVisible)),
    );
    this.lockerCache.set(key, v);
    return v;
  }

  private pureCache = new Map<string, boolean>();
  /** Functions that must run for the scenarios to see what matters; the rest are pure (value only). */
  isPure(fn: IrFunction, depth = 0, seen = new Set<string>()): boolean {
    const key = this.fnKey(fn);
    const hit = this.pureCache.get(key);
    if (hit !== undefined) return hit;
    if (depth > 6 || seen.has(key) || fn.annotations.mustHold.length || fn.annotations.acquires.length || fn.annotations.releases.length) return false;
    seen.add(key);
    let pure = true;
    outer: for (const b of fn.blocks) {
      for (const i of b.instrs) {
        if (i.op === 'guard' || (i.op === 'scope_end' && i.kind === 'guard')) { pure = false; break outer; }
        if (i.op === 'assign') {
          const tg = i.target;
          const global = tg.k === 'id' && !(tg.name in fn.locals) && !tg.name.startsWith('$') && !fn.params.some((p) => p.name === tg.name);
          if (isSharedTarget(tg) || global) { pure = false; break outer; }
        }
        if (i.op === 'call') {
          if (!i.callee) { pure = false; break outer; }
          const prim = PRIMITIVES[i.callee];
          if (prim) {
            if (!prim.pure) { pure = false; break outer; }
            continue;
          }
          const callee = this.resolve(i.callee, fn.file);
          if (callee && !this.isPure(callee, depth + 1, seen)) { pure = false; break outer; }
          // Unknown external calls may have effects the model does not see anyway.
        }
      }
      if (b.term.op === 'unreachable') { pure = false; break; }
    }
    if (depth === 0 || !pure) this.pureCache.set(key, pure);
    return pure;
  }

  /** Blocks reachable from a loop body without passing its head again: arrivals from these are back edges. */
  bodySet(fn: IrFunction, head: number, body: number): Set<number> {
    const key = `${this.fnKey(fn)}#${head}`;
    let set = this.bodySets.get(key);
    if (set) return set;
    set = new Set<number>();
    const stack = [body];
    while (stack.length) {
      const b = stack.pop()!;
      if (b === head || set.has(b)) continue;
      set.add(b);
      const blk = fn.blocks[b];
      if (!blk) continue;
      for (const n of successors(blk.term)) stack.push(n);
    }
    this.bodySets.set(key, set);
    return set;
  }

  /** Adds a thread that will run `fn(args)`. */
  spawn(s: State, kind: ThreadState['kind'], label: string, fn: IrFunction, args: Value[], asyncKey: string | null): ThreadState {
    const live = s.threads.filter((t) => t.status !== 'done').length;
    if (live >= this.bounds.threads) throw new BoundHit(`threads (${this.bounds.threads})`);
    const id = `T${s.nextThread++}`;
    const t: ThreadState = { id, kind, label, frames: [], status: 'ready', wait: null, asyncKey };
    t.frames.push(this.newFrame(s, fn, args));
    s.threads.push(t);
    return t;
  }

  newFrame(s: State, fn: IrFunction, args: Value[]): FrameState {
    const locals: Record<string, Value> = {};
    const addr: Record<string, number> = {};
    fn.params.forEach((p, i) => {
      if (!p.name) return;
      const a = args[i];
      const t = normType(p.type);
      if (t && structName(t) && !isPointerType(t) && a?.k === 'ptr') {
        // A struct passed by value: give the parameter its own storage.
        addr[p.name] = a.obj;
        return;
      }
      locals[p.name] = a ?? newSym(s, t, p.name);
    });
    return { fn: this.fnKey(fn), block: fn.entry, idx: 0, prev: -1, locals, addr, loops: {}, iters: {} };
  }

  /** Whether a thread may take a step now. */
  enabled(s: State, t: ThreadState): boolean {
    if (t.status === 'done') return false;
    if (t.status === 'ready') return true;
    return t.wait ? waitResolved(s, t.wait) : true;
  }

  /**
   * Runs thread `tid` from `s0` up to its next visible operation. Returns one
   * outcome per combination of choices met on the way.
   */
  step(s0: State, tid: string): StepOutcome[] {
    const out: StepOutcome[] = [];
    // Each script is the list of answers to the choices met in order during the step.
    const pending: number[][] = [[]];
    let tries = 0;
    while (pending.length) {
      if (++tries > 512) {
        out.push({ state: cloneState(s0), stop: { kind: 'bound', why: 'choices within one step (512)' } });
        break;
      }
      const script = pending.pop()!;
      const s = cloneState(s0);
      const t = s.threads.find((x) => x.id === tid)!;
      try {
        new Exec(this, s, t, script).run();
        out.push({ state: s });
      } catch (e) {
        if (e instanceof NeedChoice) {
          for (let k = e.labels.length - 1; k >= 0; k--) pending.push([...script, k]);
        } else if (e instanceof BoundHit) {
          s.bound = e.bound;
          out.push({ state: s, stop: { kind: e.soft ? 'soft-bound' : 'bound', why: e.bound } });
        } else if (e instanceof Unmodelled) {
          out.push({ state: s, stop: { kind: 'unmodelled', why: e.why } });
        } else if (e instanceof Infeasible) {
          out.push({ state: s, stop: { kind: 'infeasible', why: e.why } });
        } else {
          const msg = e instanceof Error ? e.message : String(e);
          out.push({ state: s, stop: { kind: 'unmodelled', why: `internal: ${msg}` } });
        }
      }
    }
    return out;
  }
}

/** Error numbers, so `return -ENOMEM` is a known negative value. */
const ERRNO: Record<string, number> = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9, ECHILD: 10, EAGAIN: 11, ENOMEM: 12,
  EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17, EXDEV: 18, ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24,
  ENOTTY: 25, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, EMLINK: 31, EPIPE: 32, EDOM: 33, ERANGE: 34, EDEADLK: 35, ENAMETOOLONG: 36,
  ENOLCK: 37, ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40, ENOMSG: 42, ENODATA: 61, ETIME: 62, ENOLINK: 67, EPROTO: 71, EBADMSG: 74,
  EOVERFLOW: 75, EILSEQ: 84, ENOTSOCK: 88, EMSGSIZE: 90, EPROTONOSUPPORT: 93, EOPNOTSUPP: 95, EAFNOSUPPORT: 97, EADDRINUSE: 98,
  EADDRNOTAVAIL: 99, ENETDOWN: 100, ENETUNREACH: 101, ECONNRESET: 104, ENOBUFS: 105, EISCONN: 106, ENOTCONN: 107, ETIMEDOUT: 110,
  ECONNREFUSED: 111, EHOSTUNREACH: 113, EALREADY: 114, EINPROGRESS: 115, ECANCELED: 125, ENOKEY: 126, EKEYREJECTED: 129,
  ERESTARTSYS: 512, EPROBE_DEFER: 517, ENOTSUPP: 524, ETOOSMALL: 525,
};

export function successors(t: Terminator): number[] {
  switch (t.op) {
    case 'jump': return [t.to];
    case 'branch': return [t.then, t.else];
    case 'switch': return t.cases.map((c) => c.to);
    case 'foreach': return [t.body, t.exit];
    default: return [];
  }
}

export function waitResolved(s: State, w: Wait): boolean {
  switch (w.kind) {
    case 'lock': {
      const l = s.locks[w.key];
      if (!l) return true;
      return w.write ? l.owner === null && l.readers.length === 0 : l.owner === null;
    }
    case 'async': {
      const a = s.async[w.key];
      if (!a) return true;
      if (w.why === 'flush') return a.state !== 'running' && a.state !== 'pending';
      if (w.why === 'exit') return !a.runner || !s.threads.some((t) => t.id === a.runner && t.status !== 'done');
      return a.state !== 'running';
    }
    case 'thread':
      return !s.threads.some((t) => t.id === w.tid && t.status !== 'done');
  }
}

const HEAP_WRITE_OPS = new Set(['field', 'index']);

/** One thread taking one transition. */
export class Exec {
  readonly bounds: Bounds;
  private cursor = 0;
  /** Evaluating only to show values: no choice may be made. */
  peeking = false;
  constructor(
    readonly m: Machine,
    readonly s: State,
    readonly t: ThreadState,
    private readonly script: number[] = [],
  ) {
    this.bounds = m.bounds;
  }

  /** Takes the scripted answer to this choice, or asks for the step to be re-run once per option. */
  choose(opts: ChoiceOption[]): void {
    if (this.peeking) throw new NeedChoice([]);
    if (opts.length === 1) {
      opts[0]!.apply(this.s);
      return;
    }
    if (this.cursor < this.script.length) {
      const o = opts[this.script[this.cursor++]!] ?? opts[0]!;
      this.s.forks++;
      if (this.s.forks > this.bounds.forks) throw new BoundHit(`forks (${this.bounds.forks})`);
      o.apply(this.s);
      this.trace(`[assume ${o.label}]`);
      return;
    }
    throw new NeedChoice(opts.map((o) => o.label));
  }

  get frame(): FrameState {
    return this.t.frames[this.t.frames.length - 1]!;
  }
  get fn(): IrFunction {
    return this.m.fn(this.frame.fn);
  }
  get depth(): number {
    return this.t.frames.length;
  }

  /** Current source position, for traces and events. */
  private lastHere = { file: '', line: 0 };
  here(): { file: string; line: number } {
    if (this.t.frames.length === 0) return this.lastHere;
    const f = this.fn;
    const blk = f.blocks[this.frame.block];
    const ins = blk?.instrs[this.frame.idx];
    const pos: Pos | undefined = ins ? ins.pos : blk && 'pos' in blk.term ? (blk.term as { pos: Pos }).pos : undefined;
    this.lastHere = { file: f.file, line: pos?.line ?? f.pos.line };
    return this.lastHere;
  }

  trace(step: string, at?: { file: string; line: number }): void {
    const h = at ?? this.here();
    addTrace(this.s, this.t.id, h.file, h.line, step);
  }

  event(kind: ModelEvent['kind'], text: string, detail: string, extra: Partial<ModelEvent> = {}): void {
    const h = this.here();
    const stack = this.t.frames.map((fr) => {
      const f = this.m.fn(fr.fn);
      const blk = f.blocks[fr.block];
      const ins = blk?.instrs[fr.idx];
      const pos = ins ? ins.pos : blk && 'pos' in blk.term ? (blk.term as { pos: Pos }).pos : f.pos;
      return { fn: f.name, file: f.file, line: pos.line };
    });
    // The caller reports the event in the trace right after this.
    const traceLen = (this.s.trace?.len ?? 0) + 1;
    this.s.events.push({ kind, thread: this.t.id, file: h.file, line: h.line, text, detail, stack, traceLen, ...extra });
  }

  /** Runs until the next visible operation (after the first), a block, or the end of the thread. */
  run(): void {
    const t = this.t;
    if (t.status === 'blocked') {
      t.status = 'ready';
      t.wait = null;
    }
    let first = true;
    this.s.cont = null;
    while (t.status === 'ready' && t.frames.length > 0) {
      // A choice was made in this transition: end it here so each answer goes on as its own state
      // (states that join again are merged by the hash instead of being re-run to the next visible step).
      if (this.cursor > 0) {
        this.s.cont = t.id;
        return;
      }
      if (t.killed) {
        t.status = 'done';
        break;
      }
      if (++this.s.steps > this.bounds.steps) throw new BoundHit(`steps (${this.bounds.steps})`);
      const fr = this.frame;
      const fn = this.fn;
      const blk = fn.blocks[fr.block];
      if (!blk) throw new Unmodelled(`${fn.name}: no block ${fr.block}`);
      if (fr.idx < blk.instrs.length) {
        const ins = blk.instrs[fr.idx]!;
        if (!first && this.visible(ins)) return;
        first = false;
        const w = this.m.watch;
        if (w && ins.pos.line === w.line && fn.file === w.file) {
          this.m.reached = true;
          if (this.m.trackWatched && t.id === this.m.opts.entryThread) this.s.watched = true;
          this.m.atWatch?.(this);
        }
        const r = this.execInstr(ins);
        if (r === 'blocked' || r === 'yield') return;
      } else {
        this.execTerm(blk.term);
      }
    }
    if (t.frames.length === 0 && t.status !== 'done') this.finishThread();
  }

  visible(ins: Instr): boolean {
    switch (ins.op) {
      case 'guard':
        return guardLockMode(ins.class) !== null;
      case 'scope_end':
        return ins.kind === 'guard' && guardLockMode(ins.class) !== null;
      case 'decl':
        return false;
      case 'assign':
        return this.m.opts.concurrent && isSharedTarget(ins.target);
      case 'call': {
        if (!ins.callee) return false;
        const p = PRIMITIVES[ins.callee];
        return !!p && p.visible && (p.alwaysVisible || this.m.opts.concurrent);
      }
    }
  }

  private advance(): void {
    this.frame.idx++;
  }

  /** Returns 'blocked' when the thread cannot proceed, 'yield' to end the transition here. */
  execInstr(ins: Instr): void | 'blocked' | 'yield' {
    switch (ins.op) {
      case 'decl': {
        const fr = this.frame;
        const t = normType(ins.type);
        delete fr.locals[ins.name];
        delete fr.addr[ins.name];
        if (t && !isPointerType(t) && (structName(t) && !/^(int|long|char|bool|u\d+|s\d+|unsigned|size_t|void)\b/.test(t) || /\[/.test(t))) {
          const kind = /\[/.test(t) ? null : t;
          fr.addr[ins.name] = newObj(this.s, this.bounds, kind, 'stack', ins.name);
        }
        this.advance();
        return;
      }
      case 'assign': {
        const v = this.eval(ins.value);
        const loc = this.lval(ins.target);
        this.store(loc, v, ins.target);
        if (this.m.opts.concurrent && isSharedTarget(ins.target)) this.trace(ins.text);
        this.advance();
        return;
      }
      case 'guard': {
        const mode = guardLockMode(ins.class);
        if (mode) {
          const r = lockAcquire(this, ins.args[0], mode, ins.text);
          if (r === 'blocked') return 'blocked';
        }
        this.advance();
        return;
      }
      case 'scope_end': {
        if (ins.kind === 'guard') {
          const mode = guardLockMode(ins.class);
          if (mode) lockRelease(this, ins.args[0], mode, `end of scope: unlock ${exprText(ins.args[0] ?? { k: 'unknown', text: '?' })}`);
          this.advance();
          return;
        }
        // A __free() cleanup: call the cleanup function on the variable.
        const v = ins.args[0] ? this.eval(ins.args[0]) : NULLV;
        const prim = PRIMITIVES[ins.class];
        if (prim) {
          prim.run(this, [{ k: 'unknown', text: '$cleanup' }], ins as unknown as CallInstr, [v]);
          this.advance();
          return;
        }
        const f = this.m.resolve(ins.class, this.fn.file);
        if (f) {
          this.pushCall(f, [v]);
          return;
        }
        this.advance();
        return;
      }
      case 'call':
        return this.execCall(ins);
    }
  }

  execCall(ins: CallInstr): void | 'blocked' | 'yield' {
    let name = ins.callee;
    if (name) {
      const prim = PRIMITIVES[name];
      if (prim) {
        const r: PrimResult = prim.run(this, ins.args, ins);
        if (r && typeof r === 'object' && 'block' in r) {
          this.t.status = 'blocked';
          this.t.wait = r.block;
          return 'blocked';
        }
        if (r && typeof r === 'object' && 'call' in r) {
          const f = this.m.resolve(r.call, this.fn.file);
          if (f) {
            this.pushCall(f, r.args);
            return;
          }
          this.setResult(ins, r.result ?? newSym(this.s, null, `${r.call}()`));
          this.advance();
          return;
        }
        if (r && typeof r === 'object' && 'end' in r) {
          this.t.killed = r.end;
          this.t.status = 'done';
          this.t.frames = [];
          return 'yield';
        }
        this.setResult(ins, (r as Value | undefined) ?? ZERO);
        this.advance();
        return prim.yields ? 'yield' : undefined;
      }
      // A local holding a function pointer.
      if (name in this.frame.locals) {
        const v = this.norm(this.frame.locals[name]!);
        name = v.k === 'fn' ? v.name : null;
      }
    } else if (ins.calleeExpr) {
      let v: Value;
      try {
        v = this.norm(this.eval(ins.calleeExpr));
      } catch (e) {
        if (e instanceof NeedChoice) throw e;
        v = NULLV;
      }
      name = v.k === 'fn' ? v.name : null;
      if (name && PRIMITIVES[name]) {
        const r = PRIMITIVES[name]!.run(this, ins.args, ins);
        if (r && typeof r === 'object' && 'block' in r) {
          this.t.status = 'blocked';
          this.t.wait = r.block;
          return 'blocked';
        }
        this.setResult(ins, r && typeof r === 'object' && 'k' in r ? r : ZERO);
        this.advance();
        return;
      }
    }
    const f = name ? this.m.resolve(name, this.fn.file) : null;
    const args = ins.args.map((a) => this.eval(a));
    if (f && this.m.isPure(f)) {
      // A function that writes no memory and touches no lock, work or assertion: only its
      // value matters. The same call with the same arguments gives the same value on a path.
      const key = `${f.file}::${f.name}(${args.map((a) => valueKey(this.norm(a))).join(',')})`;
      const memo = (this.s.memo ??= {});
      let v = memo[key];
      if (!v) {
        v = newSym(this.s, ins.result ? this.declaredType(ins.result) : normType(f.returnType), `${f.name}()`);
        memo[key] = v;
      }
      this.setResult(ins, v);
      this.advance();
      return;
    }
    if (f && this.m.scope && !inScope(this.m.scope, f) && !this.m.locksItself(f)) {
      this.m.outOfScope.add(f.name);
    } else if (f && this.m.slice && !this.m.slice.touches(f)) {
      this.m.sliced.add(f.name);
    } else if (f) {
      this.pushCall(f, args);
      return;
    }
    // No body in the tree (or none the scenario runs): an unconstrained result.
    const rt = ins.result ? this.declaredType(ins.result) : null;
    this.setResult(ins, newSym(this.s, rt, `${name ?? exprText(ins.calleeExpr ?? { k: 'unknown', text: '?' })}()`));
    this.advance();
  }

  pushCall(f: IrFunction, args: Value[]): void {
    if (this.t.frames.length >= this.bounds.depth) throw new BoundHit(`call depth (${this.bounds.depth})`);
    const fr = this.m.newFrame(this.s, f, args);
    this.t.frames.push(fr);
    this.checkMustHold(f);
  }

  /** `__must_hold(&x->lock)` on a callee: checked like lockdep_assert_held at its entry. */
  private checkMustHold(f: IrFunction): void {
    for (const text of f.annotations.mustHold) {
      const e = parsePath(text.trim());
      if (!e) continue;
      const arg: Expr = e.k === 'unary' && e.op === '&' ? e : { k: 'unary', op: '&', arg: e };
      PRIMITIVES['lockdep_assert_held']!.run(this, [arg], {
        op: 'call', callee: '__must_hold', calleeExpr: null, args: [arg], result: null, pos: f.pos, text: `__must_hold(${text})`, comments: [],
      });
    }
  }

  setResult(ins: CallInstr, v: Value): void {
    if (!ins.result) return;
    const loc = this.lval(ins.result);
    this.store(loc, v, ins.result);
  }

  execTerm(term: Terminator): void {
    const fr = this.frame;
    const fn = this.fn;
    switch (term.op) {
      case 'jump':
        this.goto(term.to);
        return;
      case 'branch': {
        const b = this.truth(this.eval(term.cond));
        this.trace(`${term.text || 'if (' + exprText(term.cond) + ')'}: ${b ? 'true' : 'false'}`, { file: fn.file, line: term.pos.line });
        this.goto(b ? term.then : term.else);
        return;
      }
      case 'switch': {
        const v = this.eval(term.value);
        let target: number | null = null;
        let dflt: number | null = null;
        for (const c of term.cases) {
          if (c.values === 'default') {
            dflt = c.to;
            continue;
          }
          if (c.values.some((e) => this.compare(v, this.eval(e), '=='))) {
            target = c.to;
            break;
          }
        }
        const to = target ?? dflt;
        if (to === null) {
          // No case matched and no default: falls out of the switch. The IR's
          // last case target is the join block in that situation.
          const last = term.cases[term.cases.length - 1];
          if (!last) throw new Unmodelled('empty switch');
          this.goto(last.to);
          return;
        }
        this.goto(to);
        return;
      }
      case 'foreach':
        this.execForeach(term);
        return;
      case 'return': {
        const v = term.value ? this.eval(term.value) : ZERO;
        this.doReturn(v, term.pos.line);
        return;
      }
      case 'unreachable':
        this.event('bug', term.text, 'reached unreachable code (BUG/panic)');
        this.trace(`${term.text}  [unreachable: path ends]`, { file: fn.file, line: term.pos.line });
        this.t.frames = [];
        this.t.killed = 'unreachable';
        return;
    }
    void fr;
  }

  goto(to: number): void {
    const fr = this.frame;
    const fn = this.fn;
    const blk = fn.blocks[to];
    if (!blk) throw new Unmodelled(`${fn.name}: jump to missing block ${to}`);
    if (blk.loopHead) {
      const n = (fr.loops[to] ?? 0) + 1;
      fr.loops[to] = n;
      if (n > this.bounds.loop + 1) {
        // Soft: paths with more passes are not explored, which the summary says; it alone does not make the answer unknown.
        throw new BoundHit(`loop unrolling (${this.bounds.loop}) in ${fn.name}() at ${fn.file}:${(blk.term as { pos?: Pos }).pos?.line ?? '?'}`, true);
      }
    }
    fr.prev = fr.block;
    fr.block = to;
    fr.idx = 0;
  }

  doReturn(v: Value, line: number): void {
    const t = this.t;
    this.here();
    const rv = this.norm(v);
    this.returning = rv.k === 'sym' ? [rv.id] : rv.k === 'term' ? [...rv.key.matchAll(/\bs(\d+)\b/g)].map((m) => Number(m[1])) : [];
    const done = t.frames.pop()!;
    const f = this.m.fn(done.fn);
    if (t.frames.length === 0) {
      if (t.kind === 'main') {
        const held = Object.entries(this.s.locks)
          .filter(([, l]) => l.owner === t.id || l.readers.includes(t.id))
          .map(([key, l]) => ({ name: l.name, key, preheld: !!l.preheld }));
        this.s.events.push({
          kind: 'return', thread: t.id, file: f.file, line, text: `return from ${f.name}()`,
          detail: held.length ? `returns holding ${held.map((h) => h.name).join(', ')}` : 'returns holding no lock',
          stack: [{ fn: f.name, file: f.file, line }],
          held: held.filter((h) => !h.preheld).map((h) => ({ name: h.name, key: h.key })),
          ret: { text: this.show(rv), zero: this.knownZero(rv) },
        });
        this.trace(`return from ${f.name}()  [${held.length ? 'holds ' + held.map((h) => h.name).join(', ') : 'holds no lock'}]`, { file: f.file, line });
      }
      this.finishThread();
      return;
    }
    this.collectFacts();
    const caller = this.frame;
    const cf = this.m.fn(caller.fn);
    const ins = cf.blocks[caller.block]?.instrs[caller.idx];
    if (ins && ins.op === 'call') this.setResult(ins, v);
    caller.idx++;
  }

  /**
   * Forgets answers about values nothing can reach any more (a callee's locals
   * after it returns), so paths that differ only in them merge.
   */
  collectFacts(): void {
    const live = new Set<number>();
    const addV = (v: Value | undefined) => {
      for (let cur = v, i = 0; cur && i < 16; i++) {
        if (cur.k === 'sym') {
          if (live.has(cur.id)) return;
          live.add(cur.id);
          cur = this.s.bind[cur.id];
        } else if (cur.k === 'term') {
          for (const id of symIds(cur.key)) live.add(id);
          return;
        } else return;
      }
    };
    // Frames of every thread, including the returning one's caller, and the returned value's syms via the result.
    for (const t of this.s.threads) for (const f of t.frames) {
      for (const k in f.locals) addV(f.locals[k]);
      for (const k in f.iters) f.iters[k]!.items.forEach(addV);
    }
    for (const k in this.s.objs) {
      const o = this.s.objs[k]!;
      for (const p in o.fields) addV(o.fields[p]);
    }
    for (const k in this.s.async) addV(this.s.async[k]!.data);
    for (const k in this.s.lists) this.s.lists[k]!.items.forEach(addV);
    for (const k in this.s.memo ?? {}) addV(this.s.memo![k]);
    for (const id of this.returning) addV({ k: 'sym', id, t: null, label: '' });
    for (const k of Object.keys(this.s.bind)) if (!live.has(Number(k))) delete this.s.bind[Number(k)];
    for (const key of Object.keys(this.s.facts)) {
      const ids = symIds(key);
      if (ids.length && ids.every((id) => !live.has(id)) && !this.returning.some((id) => ids.includes(id))) delete this.s.facts[key];
    }
  }
  /** Syms in the value being returned (kept by collectFacts). */
  private returning: number[] = [];

  finishThread(): void {
    const t = this.t;
    t.status = 'done';
    t.frames = [];
    if (t.asyncKey) {
      const a = this.s.async[t.asyncKey];
      if (a && a.runner === t.id) {
        a.runner = null;
        if (a.kind === 'kthread') a.state = 'idle';
        else if (a.state === 'running') a.state = 'idle';
        this.trace(`${t.label} returns  [${a.name} no longer running]`);
      }
    }
  }

  private execForeach(term: Extract<Terminator, { op: 'foreach' }>): void {
    const fr = this.frame;
    const fn = this.fn;
    const head = fr.block;
    const body = this.m.bodySet(fn, head, term.body);
    let it = fr.iters[head];
    if (!it || !body.has(fr.prev)) {
      const items = foreachItems(this, term);
      if (items === null) {
        // An iterator the model does not know: zero or more passes, bounded by the loop bound.
        const go = this.chooseFact(`iter@${fn.name}:${term.pos.line}:${fr.loops[head] ?? 0}:${this.t.id}`, `${term.macro} iterates again`);
        this.goto(go ? term.body : term.exit);
        return;
      }
      it = { items, i: 0 };
      fr.iters[head] = it;
    } else if (it.items.length === 0 && it.i === 0) {
      // Unknown iterator re-entered from its body.
      const go = this.chooseFact(`iter@${fn.name}:${term.pos.line}:${fr.loops[head] ?? 0}:${this.t.id}`, `${term.macro} iterates again`);
      this.goto(go ? term.body : term.exit);
      return;
    }
    if (it.i < it.items.length) {
      const cur = it.items[it.i]!;
      const next = it.items[it.i + 1];
      it.i++;
      bindForeachVars(this, term, cur, next);
      this.trace(`${term.text || term.macro}: next element ${this.show(cur)}`, { file: fn.file, line: term.pos.line });
      // The loop head visit count is the iteration bound; the list itself is already bounded.
      fr.prev = fr.block;
      fr.block = term.body;
      fr.idx = 0;
      return;
    }
    delete fr.iters[head];
    this.trace(`${term.text || term.macro}: done`, { file: fn.file, line: term.pos.line });
    fr.prev = fr.block;
    fr.block = term.exit;
    fr.idx = 0;
  }

  // ---- values ---------------------------------------------------------

  /** Follows the bindings of unconstrained values fixed on this path. */
  norm(v: Value): Value {
    let cur = v;
    for (let i = 0; i < 16 && cur.k === 'sym'; i++) {
      const b = this.s.bind[cur.id];
      if (b === undefined) break;
      cur = b;
    }
    return cur;
  }

  declaredType(e: Expr): string | null {
    if (e.k === 'id') {
      const fn = this.fn;
      const p = fn.params.find((x) => x.name === e.name);
      if (p) return normType(p.type);
      if (fn.locals[e.name]) return normType(fn.locals[e.name]);
      const g = this.m.global(e.name);
      return g ? normType(g.type) : null;
    }
    if (e.k === 'field') {
      const bt = e.arrow ? pointee(this.exprType(e.base)) : this.exprType(e.base);
      return this.m.types.pathType(bt, e.name);
    }
    if (e.k === 'unary' && e.op === '*') return pointee(this.exprType(e.arg));
    if (e.k === 'cast') return normType(e.type);
    return null;
  }

  /** Static type of an expression where it can be told without evaluating. */
  exprType(e: Expr): string | null {
    if (e.k === 'unary' && e.op === '&') {
      const t = this.exprType(e.arg);
      return t ? `${t} *` : null;
    }
    if (e.k === 'container_of') return `${normType(e.type)} *`;
    return this.declaredType(e);
  }

  eval(e: Expr): Value {
    switch (e.k) {
      case 'num': return int(e.value);
      case 'str': return { k: 'str', v: e.value };
      case 'null': return NULLV;
      case 'bool': return bool(e.value);
      case 'sizeof': return int(8);
      case 'id': return this.evalId(e.name);
      case 'field':
      case 'index': {
        const loc = this.lval(e);
        return this.load(loc, exprText(e));
      }
      case 'unary': {
        if (e.op === '&') {
          const loc = this.lval(e.arg);
          if (loc.k === 'mem') return ptr(loc.obj, loc.path);
          return this.escape(loc.name);
        }
        if (e.op === '*') return this.load(this.lval(e), exprText(e));
        const v = this.norm(this.eval(e.arg));
        if (e.op === '!') return bool(!this.truth(v));
        if (e.op === '+') return v;
        if (v.k === 'int') return int(e.op === '-' ? -v.v : ~v.v);
        return { k: 'term', key: `${e.op}${valueKey(v)}` };
      }
      case 'binary':
        return this.evalBinary(e.op, e.left, e.right);
      case 'cond':
        return this.truth(this.eval(e.test)) ? this.eval(e.then) : this.eval(e.else);
      case 'cast': {
        const v = this.eval(e.arg);
        if (/^\s*(_Bool|bool)\s*$/.test(e.type)) return bool(this.truth(v));
        this.adoptType(v, normType(e.type));
        return v;
      }
      case 'container_of': {
        const p = e.ptr;
        if (p.k === 'field' && (p.name === 'next' || p.name === 'prev')) {
          // list_first_entry()/list_last_entry() as lowered: an element of a tracked list.
          const head = this.headLoc(p);
          const t = normType(e.type.startsWith('struct') || e.type.startsWith('union') ? e.type : `struct ${e.type}`);
          const node = head ? listEnd(this, head, p.name, t, e.member.replace(/\s+/g, '')) : null;
          if (node) {
            if (node.k === 'ptr' && node.obj === head!.obj && node.path === head!.path) throw new Infeasible(`${exprText(e)} on an empty list`);
            return this.containerOf(node, e.type, e.member);
          }
        }
        return this.containerOf(this.eval(e.ptr), e.type, e.member);
      }
      case 'unknown':
        return { k: 'term', key: e.text.replace(/\s+/g, ' ') };
    }
  }

  private evalId(name: string): Value {
    const fr = this.frame;
    if (name in fr.addr) {
      const o = this.s.objs[fr.addr[name]!];
      if (o && (o.type === null || structName(o.type))) return ptr(o.id, '');
      return readField(this.s, this.m.types, fr.addr[name]!, '', name);
    }
    if (name in fr.locals) return fr.locals[name]!;
    const fn = this.fn;
    if (name.startsWith('$') || fn.locals[name] !== undefined || fn.params.some((p) => p.name === name)) {
      const v = newSym(this.s, this.declaredType({ k: 'id', name }), name);
      fr.locals[name] = v;
      return v;
    }
    if (name === 'true') return ONE;
    if (name === 'false') return ZERO;
    if (name === 'NULL') return NULLV;
    const g = this.m.global(name);
    if (g) {
      const id = this.globalObj(name);
      const t = normType(g.type);
      if (!t || structName(t) || /\[/.test(t)) return ptr(id, '');
      return readField(this.s, this.m.types, id, '', name);
    }
    if (PRIMITIVES[name] || this.m.resolve(name, fn.file)) return { k: 'fn', name };
    // An enumerator or macro constant: its value when the file or the errno table says, else an
    // opaque value, the same wherever it is named.
    if (/^[A-Z_][A-Z0-9_]*$/.test(name)) {
      const c = this.m.constant(name, fn.file);
      return c === null ? { k: 'term', key: name } : int(c);
    }
    // An extern object not in the index: a global of unknown type.
    const id = this.globalObj(name);
    return readField(this.s, this.m.types, id, '', name);
  }

  globalObj(name: string): number {
    const have = this.s.globals[name];
    if (have !== undefined) return have;
    const g = this.m.global(name);
    const id = newObj(this.s, this.bounds, g ? g.type : null, 'global', name);
    this.s.globals[name] = id;
    const o = mutableObj(this.s, id)!;
    if (g) for (const [f, fnName] of Object.entries(g.initFields)) o.fields[f] = { k: 'fn', name: fnName };
    return id;
  }

  /** Moves a local into object storage so its address can be taken. */
  private escape(name: string): PtrVal {
    const fr = this.frame;
    if (name in fr.addr) return ptr(fr.addr[name]!, '');
    const t = this.declaredType({ k: 'id', name });
    const id = newObj(this.s, this.bounds, t, 'stack', name);
    if (name in fr.locals) mutableObj(this.s, id)!.fields[''] = fr.locals[name]!;
    delete fr.locals[name];
    fr.addr[name] = id;
    return ptr(id, '');
  }

  /** A location inside a member that exists as an object of its own is that object's location. */
  redirect(obj: number, path: string): { k: 'mem'; obj: number; path: string } {
    let o = this.s.objs[obj];
    for (let i = 0; i < 8 && o?.embedded && path; i++) {
      let moved = false;
      for (const [m, id] of Object.entries(o.embedded)) {
        if (path === m || path.startsWith(m + '.')) {
          obj = id;
          path = path === m ? '' : path.slice(m.length + 1);
          o = this.s.objs[obj];
          moved = true;
          break;
        }
      }
      if (!moved) break;
    }
    return { k: 'mem', obj, path };
  }

  lval(e: Expr): Loc {
    const l = this.lval0(e);
    return l.k === 'mem' ? this.redirect(l.obj, l.path) : l;
  }

  private lval0(e: Expr): Loc {
    switch (e.k) {
      case 'id': {
        const fr = this.frame;
        if (e.name in fr.addr) return { k: 'mem', obj: fr.addr[e.name]!, path: '' };
        const fn = this.fn;
        if (e.name in fr.locals || e.name.startsWith('$') || fn.locals[e.name] !== undefined || fn.params.some((p) => p.name === e.name)) {
          return { k: 'local', name: e.name };
        }
        return { k: 'mem', obj: this.globalObj(e.name), path: '' };
      }
      case 'field': {
        if (e.arrow) {
          // The access itself (load/store) reports a use after free, with the whole expression.
          const p = this.deref(this.eval(e.base), exprText(e.base), pointee(this.exprType(e.base)), false);
          return { k: 'mem', obj: p.obj, path: joinPath(p.path, e.name) };
        }
        const b = this.lval(e.base);
        if (b.k === 'mem') return { k: 'mem', obj: b.obj, path: joinPath(b.path, e.name) };
        const p = this.escape(b.name);
        return { k: 'mem', obj: p.obj, path: e.name };
      }
      case 'index': {
        const iv = this.norm(this.eval(e.index));
        const seg = iv.k === 'int' ? `[${iv.v}]` : '[?]';
        const bt = this.exprType(e.base);
        if (bt && /\[/.test(bt)) {
          const b = this.lval(e.base);
          if (b.k === 'mem') return { k: 'mem', obj: b.obj, path: joinPath(b.path, seg) };
        }
        const p = this.deref(this.eval(e.base), exprText(e.base), pointee(bt));
        return { k: 'mem', obj: p.obj, path: joinPath(p.path, seg) };
      }
      case 'unary':
        if (e.op === '*') {
          const p = this.deref(this.eval(e.arg), exprText(e.arg), pointee(this.exprType(e.arg)));
          return { k: 'mem', obj: p.obj, path: p.path };
        }
        break;
      case 'cast':
        return this.lval(e.arg);
      default:
        break;
    }
    throw new Unmodelled(`cannot assign to ${exprText(e)}`);
  }

  /** The list head whose `next`/`prev` field `e` reads. */
  private headLoc(e: Extract<Expr, { k: 'field' }>): { obj: number; path: string } | null {
    const loc = this.lval(e);
    if (loc.k !== 'mem') return null;
    const parent = loc.path.includes('.') ? loc.path.slice(0, loc.path.lastIndexOf('.')) : '';
    return { obj: loc.obj, path: parent };
  }

  load(loc: Loc, label: string): Value {
    if (loc.k === 'mem' && /(^|\.)(next|prev)$/.test(loc.path)) {
      const parent = loc.path.includes('.') ? loc.path.slice(0, loc.path.lastIndexOf('.')) : '';
      if (this.s.lists[locKey(loc.obj, parent)]) {
        const v = listEnd(this, { obj: loc.obj, path: parent }, loc.path.endsWith('next') ? 'next' : 'prev', null, null);
        if (v) return v;
      }
    }
    if (loc.k === 'local') {
      const fr = this.frame;
      if (loc.name in fr.locals) return fr.locals[loc.name]!;
      return this.evalId(loc.name);
    }
    const o = this.s.objs[loc.obj];
    if (o && o.freed === 1) this.useAfterFree(o.id, label);
    const assumed = this.m.assume[label];
    if (assumed && o && o.fields[loc.path] === undefined && o.origin === 'pre') {
      mutableObj(this.s, loc.obj)!.fields[loc.path] = assumed;
      this.trace(`[assume ${label} == ${this.show(assumed)}, as the comment allows]`);
    }
    const v = readField(this.s, this.m.types, loc.obj, loc.path, label);
    return v;
  }

  store(loc: Loc, v: Value, target: Expr): void {
    if (loc.k === 'local') {
      this.frame.locals[loc.name] = v;
      this.adoptType(v, this.declaredType(target));
      return;
    }
    const o = this.s.objs[loc.obj];
    if (o && o.freed === 1) this.useAfterFree(o.id, exprText(target));
    writeField(this.s, loc.obj, loc.path, v);
    if (o) this.adoptType(v, this.m.types.pathType(o.type, loc.path));
  }

  private useAfterFree(obj: number, what: string): void {
    const o = this.s.objs[obj]!;
    this.event('use-after-free', what, `${what}: ${o.label} was freed`);
    this.trace(`${what}  [use after free of ${o.label}]`);
  }

  /** An untyped object (from kmalloc or an unknown call) takes the type of what it is stored into. */
  adoptType(v: Value, t: string | null): void {
    const n = this.norm(v);
    const pt = pointee(t);
    if (!pt || pt === 'void') return;
    if (n.k === 'ptr' && n.path === '') {
      const o = this.s.objs[n.obj];
      if (o && o.type === null) mutableObj(this.s, n.obj)!.type = pt;
    }
  }

  /** A pointer that is dereferenced: an unconstrained one becomes a fresh object or an alias. */
  deref(v: Value, text: string, type: string | null, report = true): PtrVal {
    const n = this.norm(v);
    if (n.k === 'ptr') {
      const o = this.s.objs[n.obj];
      if (report && o?.freed === 1) this.useAfterFree(n.obj, text);
      return n;
    }
    if (n.k === 'null' || (n.k === 'int' && n.v === 0)) throw new Infeasible(`NULL dereference of ${text}`);
    if (n.k === 'sym') return this.resolveSym(n, type, text);
    if (n.k === 'int') throw new Infeasible(`dereference of error pointer ${text}`);
    if (n.k === 'term') {
      // A pointer the model computed opaquely (a macro, pointer arithmetic): one object per distinct term.
      const key = `@${n.key}`;
      let id = this.s.globals[key];
      if (id === undefined) {
        id = newObj(this.s, this.bounds, type, 'pre', text);
        this.s.globals[key] = id;
      }
      return ptr(id, '');
    }
    throw new Unmodelled(`dereference of ${text} (${valueKey(n)})`);
  }

  resolveSym(sv: SymVal, type: string | null, text: string): PtrVal {
    const t = pointee(sv.t) ?? normType(type);
    const opts: ChoiceOption[] = [];
    opts.push({
      label: `${sv.label} is a fresh object`,
      apply: (s) => {
        const id = newObj(s, this.bounds, t && t !== 'void' ? t : null, 'pre', sv.label || text);
        s.bind[sv.id] = ptr(id, '');
      },
    });
    if (t && t !== 'void') {
      for (const o of this.aliasCandidates(t)) {
        opts.push({ label: `${sv.label} is ${o.label}`, apply: (s) => { s.bind[sv.id] = ptr(o.id, ''); } });
      }
    }
    if (this.m.preferAlias && opts.length > 1) opts.push(opts.shift()!);
    this.choose(opts);
    return this.norm(sv) as PtrVal;
  }

  aliasCandidates(t: string): { id: number; label: string }[] {
    const out: { id: number; label: string }[] = [];
    for (const o of Object.values(this.s.objs)) {
      // Only objects that existed before the scenario: a value from before cannot point to one allocated since.
      if (o.type === t && (o.origin === 'pre' || o.origin === 'global') && o.freed === 0) out.push({ id: o.id, label: o.label });
      if (out.length >= this.bounds.aliases) break;
    }
    return out;
  }

  containerOf(v: Value, type: string, member: string): Value {
    const n = this.norm(v);
    const t = normType(type.startsWith('struct') || type.startsWith('union') ? type : `struct ${type}`) ?? type;
    const mem = member.replace(/\s+/g, '');
    if (n.k === 'ptr') {
      if (n.path === mem) return ptr(n.obj, '');
      if (n.path.endsWith('.' + mem)) return ptr(n.obj, n.path.slice(0, -(mem.length + 1)));
      const o = this.s.objs[n.obj];
      if (n.path === '' && o?.parent && (o.parent.path === mem || o.parent.path.endsWith('.' + mem))) {
        const pp = o.parent.path;
        return ptr(o.parent.obj, pp === mem ? '' : pp.slice(0, -(mem.length + 1)));
      }
      if (n.path === '' && o && !o.parent && (o.origin === 'pre' || o.origin === 'global')) {
        // An object met on its own first (a `struct device *` parameter) turns out to sit inside a container.
        const c = newObj(this.s, this.bounds, t, 'pre', `container_of(${o.label})`);
        mutableObj(this.s, c)!.embedded = { [mem]: o.id };
        mutableObj(this.s, o.id)!.parent = { obj: c, path: mem };
        return ptr(c, '');
      }
      throw new Unmodelled(`container_of(${this.show(n)}, ${t}, ${mem}): not a ${mem} inside a ${t}`);
    }
    if (n.k === 'null' || (n.k === 'int' && n.v === 0)) return NULLV;
    if (n.k !== 'sym') throw new Unmodelled(`container_of on ${valueKey(n)}`);
    const opts: ChoiceOption[] = [
      {
        label: `${n.label} is inside a fresh ${t}`,
        apply: (s) => {
          const id = newObj(s, this.bounds, t, 'pre', `container_of(${n.label})`);
          s.bind[n.id] = ptr(id, mem);
        },
      },
    ];
    for (const o of this.aliasCandidates(t)) {
      opts.push({ label: `${n.label} is ${o.label}->${mem}`, apply: (s) => { s.bind[n.id] = ptr(o.id, mem); } });
    }
    this.choose(opts);
    return this.containerOf(v, type, member);
  }

  private evalBinary(op: string, l: Expr, r: Expr): Value {
    if (op === '&&') return bool(this.truth(this.eval(l)) && this.truth(this.eval(r)));
    if (op === '||') return bool(this.truth(this.eval(l)) || this.truth(this.eval(r)));
    const a = this.eval(l);
    const b = this.eval(r);
    if (['==', '!=', '<', '>', '<=', '>='].includes(op)) return bool(this.compare(a, b, op));
    const x = this.norm(a);
    const y = this.norm(b);
    if (x.k === 'int' && y.k === 'int') {
      const u = x.v;
      const w = y.v;
      switch (op) {
        case '+': return int(u + w);
        case '-': return int(u - w);
        case '*': return int(u * w);
        case '/': return w === 0 ? { k: 'term', key: 'div0' } : int(Math.trunc(u / w));
        case '%': return w === 0 ? { k: 'term', key: 'mod0' } : int(u % w);
        case '<<': return int(u * 2 ** w);
        case '>>': return int(Math.floor(u / 2 ** w));
        case '&': return int(u & w);
        case '|': return int(u | w);
        case '^': return int(u ^ w);
      }
    }
    if (x.k === 'ptr' && y.k === 'int' && (op === '+' || op === '-')) return x;
    if (op === '&' && ((x.k === 'int' && x.v === 0) || (y.k === 'int' && y.v === 0))) return ZERO;
    if (op === '*' && ((x.k === 'int' && x.v === 0) || (y.k === 'int' && y.v === 0))) return ZERO;
    if ((op === '+' || op === '-' || op === '|') && y.k === 'int' && y.v === 0) return x;
    return { k: 'term', key: `(${valueKey(x)} ${op} ${valueKey(y)})` };
  }

  /** A yes/no question about unconstrained values: answered once per path. */
  chooseFact(key: string, label: string): boolean {
    const f = this.s.facts[key];
    if (f !== undefined) return f;
    this.choose([
      { label: `${label}: yes`, apply: (s) => { s.facts[key] = true; } },
      { label: `${label}: no`, apply: (s) => { s.facts[key] = false; } },
    ]);
    return this.s.facts[key]!;
  }

  truth(v: Value): boolean {
    const n = this.norm(v);
    switch (n.k) {
      case 'int': return n.v !== 0;
      case 'null': return false;
      case 'ptr':
      case 'fn':
      case 'str': return true;
      case 'term': return this.chooseFact(`nz(${n.key})`, n.key);
      case 'sym': {
        const nn = this.s.facts[`nz(s${n.id})`];
        if (nn !== undefined) return nn;
        const zero: Value = isPointerType(n.t) ? NULLV : ZERO;
        this.choose([
          { label: `${n.label} is ${zero.k === 'null' ? 'NULL' : '0'}`, apply: (s) => { s.bind[n.id] = zero; } },
          { label: `${n.label} is non-zero`, apply: (s) => { s.facts[`nz(s${n.id})`] = true; } },
        ]);
        return this.truth(v);
      }
    }
  }

  compare(a: Value, b: Value, op: string): boolean {
    let x = this.norm(a);
    let y = this.norm(b);
    const isZero = (v: Value) => v.k === 'null' || (v.k === 'int' && v.v === 0);
    const concrete = (v: Value) => v.k !== 'sym' && v.k !== 'term';
    if (op === '==' || op === '!=') {
      const neg = op === '!=';
      if (concrete(x) && concrete(y)) return eqConcrete(x, y) !== neg;
      if (x.k === 'sym' && y.k === 'sym' && x.id === y.id) return !neg;
      if (x.k === 'term' && y.k === 'term' && x.key === y.key) return !neg;
      if (isZero(y) || isZero(x)) {
        const v = isZero(y) ? x : y;
        return !this.truth(v) !== neg;
      }
      // An unconstrained pointer compared with an object: NULL, that object, or another.
      if (x.k === 'sym' && y.k === 'ptr') x = this.resolveNullable(x, y);
      else if (y.k === 'sym' && x.k === 'ptr') y = this.resolveNullable(y, x);
      if (concrete(x) && concrete(y)) return eqConcrete(x, y) !== neg;
      if (x.k === 'sym' && concrete(y) && y.k === 'int') return this.symEqConst(x, y.v) !== neg;
      if (y.k === 'sym' && concrete(x) && x.k === 'int') return this.symEqConst(y, x.v) !== neg;
      if (x.k === 'sym' && y.k === 'sym') {
        const key = `eq(${[valueKey(x), valueKey(y)].sort().join(',')})`;
        const f = this.s.facts[key];
        if (f !== undefined) return f !== neg;
        const xs = x;
        const ys = y;
        this.choose([
          { label: `${xs.label} == ${ys.label}`, apply: (s) => { s.bind[ys.id] = xs; } },
          { label: `${xs.label} != ${ys.label}`, apply: (s) => { s.facts[key] = false; } },
        ]);
        return this.compare(a, b, op);
      }
      const key = `eq(${[valueKey(x), valueKey(y)].sort().join(',')})`;
      return this.chooseFact(key, `${valueKey(x)} == ${valueKey(y)}`) !== neg;
    }
    // Orderings.
    if (x.k === 'int' && y.k === 'int') {
      switch (op) {
        case '<': return x.v < y.v;
        case '>': return x.v > y.v;
        case '<=': return x.v <= y.v;
        case '>=': return x.v >= y.v;
      }
    }
    if (x.k === 'ptr' && y.k === 'ptr') {
      const c = x.obj - y.obj || x.path.localeCompare(y.path);
      return op === '<' ? c < 0 : op === '>' ? c > 0 : op === '<=' ? c <= 0 : c >= 0;
    }
    // lt(a,b): a < b. a<=b is !lt(b,a); a>b is lt(b,a); a>=b is !lt(a,b).
    const [p, q, negate] = op === '<' ? [x, y, false] : op === '>' ? [y, x, false] : op === '<=' ? [y, x, true] : [x, y, true];
    const r = this.chooseFact(`lt(${valueKey(p)},${valueKey(q)})`, `${valueKey(p)} < ${valueKey(q)}`);
    return r !== negate;
  }

  /** `p == obj` with p unconstrained: p may be NULL, obj itself, or something else. */
  private resolveNullable(sv: SymVal, other: PtrVal): Value {
    const known = this.s.facts[`nz(s${sv.id})`];
    const t = pointee(sv.t);
    const o = this.s.objs[other.obj];
    const opts: ChoiceOption[] = [];
    if (known === undefined) opts.push({ label: `${sv.label} is NULL`, apply: (s) => { s.bind[sv.id] = NULLV; } });
    opts.push({ label: `${sv.label} is ${o?.label ?? 'it'}`, apply: (s) => { s.bind[sv.id] = other; } });
    opts.push({
      label: `${sv.label} is another object`,
      apply: (s) => {
        const id = newObj(s, this.bounds, t && t !== 'void' ? t : null, 'pre', sv.label);
        s.bind[sv.id] = ptr(id, '');
      },
    });
    this.choose(opts);
    return this.norm(sv);
  }

  private symEqConst(x: SymVal, c: number): boolean {
    const key = `eq(s${x.id},${c})`;
    const f = this.s.facts[key];
    if (f !== undefined) return f;
    if (c === 0) return !this.truth(x);
    this.choose([
      { label: `${x.label} == ${c}`, apply: (s) => { s.bind[x.id] = int(c); } },
      { label: `${x.label} != ${c}`, apply: (s) => { s.facts[key] = false; } },
    ]);
    const n = this.norm(x);
    return n.k === 'sym' ? this.symEqConst(n, c) : eqConcrete(n, int(c));
  }

  /** Whether a value is known to be zero/NULL (true), known non-zero (false), or not known on this path (null). */
  knownZero(v: Value): boolean | null {
    const n = this.norm(v);
    switch (n.k) {
      case 'int': return n.v === 0;
      case 'null': return true;
      case 'ptr':
      case 'fn':
      case 'str': return false;
      case 'sym': {
        const f = this.s.facts[`nz(s${n.id})`];
        return f === undefined ? null : !f;
      }
      case 'term': {
        const f = this.s.facts[`nz(${n.key})`];
        return f === undefined ? null : !f;
      }
    }
  }

  /** A value for traces: `7`, `NULL`, `group->blocking_domain`. */
  show(v: Value): string {
    const n = this.norm(v);
    switch (n.k) {
      case 'int': return String(n.v);
      case 'null': return 'NULL';
      case 'ptr': {
        const o = this.s.objs[n.obj];
        const base = o ? o.label : `o${n.obj}`;
        return n.path ? `&${base}->${n.path.replace(/\./g, '.')}` : base;
      }
      case 'fn': return n.name;
      case 'str': return JSON.stringify(n.v);
      case 'sym': return `?${n.label}`;
      case 'term': return n.key;
    }
  }

  /** Key of the object location a lock/work/timer expression designates. */
  locOf(e: Expr | undefined, what: string): { key: string; obj: number; path: string } {
    if (!e) throw new Unmodelled(`${what}: missing argument`);
    const v = this.eval(e);
    const p = this.deref(v, exprText(e), null);
    return { key: locKey(p.obj, p.path), obj: p.obj, path: p.path };
  }

  /** Whether this thread holds a lock. */
  holds(key: string): boolean {
    const l = this.s.locks[key];
    return !!l && (l.owner === this.t.id || l.readers.includes(this.t.id));
  }

  /** Assign without an expression target (builtins writing through pointers). */
  storeAt(obj: number, path: string, v: Value): void {
    writeField(this.s, obj, path, v);
  }

  loadAt(obj: number, path: string, label: string): Value {
    return readField(this.s, this.m.types, obj, path, label);
  }

  newObj(type: string | null, origin: 'pre' | 'zero' | 'global' | 'stack', label: string): number {
    return newObj(this.s, this.bounds, type, origin, label);
  }

  newSym(type: string | null, label: string): SymVal {
    return newSym(this.s, type, label);
  }
}

function eqConcrete(x: Value, y: Value): boolean {
  const zx = x.k === 'null' || (x.k === 'int' && x.v === 0);
  const zy = y.k === 'null' || (y.k === 'int' && y.v === 0);
  if (zx || zy) return zx && zy;
  if (x.k !== y.k) return false;
  switch (x.k) {
    case 'int': return x.v === (y as typeof x).v;
    case 'ptr': return x.obj === (y as typeof x).obj && x.path === (y as typeof x).path;
    case 'fn': return x.name === (y as typeof x).name;
    case 'str': return x.v === (y as typeof x).v;
    default: return false;
  }
}

/** A write other threads could see: through a pointer or into a global. */
function isSharedTarget(e: Expr): boolean {
  if (HEAP_WRITE_OPS.has(e.k)) {
    if (e.k === 'field' && !e.arrow) return isSharedTarget(e.base) || e.base.k === 'id';
    return true;
  }
  if (e.k === 'unary' && e.op === '*') return true;
  return false;
}

/** Elements of a known iterator at loop entry, or null for an iterator the model does not know. */
function foreachItems(x: Exec, term: Extract<Terminator, { op: 'foreach' }>): Value[] | null {
  return foreachImpl.items(x, term);
}
function bindForeachVars(x: Exec, term: Extract<Terminator, { op: 'foreach' }>, cur: Value, next: Value | undefined): void {
  foreachImpl.bind(x, term, cur, next);
}

export { locKey };

/** The symbols (`s12`) a fact or term key names; keys repeat across states, so each is read once. */
const symIdCache = new Map<string, number[]>();
function symIds(key: string): number[] {
  let ids = symIdCache.get(key);
  if (ids === undefined) {
    ids = [...key.matchAll(/\bs(\d+)\b/g)].map((m) => Number(m[1]));
    if (symIdCache.size > 200_000) symIdCache.clear();
    symIdCache.set(key, ids);
  }
  return ids;
}
