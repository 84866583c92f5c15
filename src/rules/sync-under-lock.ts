/**
 * sync-under-lock: a call that waits for a work item, timer or kthread,
 * made while holding L, where the callback takes L itself or through its
 * callees. Also a work that waits for itself, and two works that wait for
 * each other.
 *
 * The finding sits at the waiting call (`cancel_work_sync()` in the free
 * path), wherever the lock is held: in the same function, or in a caller
 * that calls down to it with L held. Both the holder and the waiter are
 * searched from, so reviewing either one finds it.
 */
import type { Expr, IrFunction } from '../parse/ir.js';
import type { Related } from '../report/schema.js';
import { at, chainRelated, type RawFinding, type Rule, type RuleContext } from './context.js';
import type { State } from './dataflow.js';
import { byClassNote, heldMatch } from './held.js';
import { exprText, mapToCaller, normalize, substitute, type FnScope } from './lockpath.js';
import { waitPrim } from './primitives.js';
import { droppedAt, type Step, type WaitFact } from './summaries.js';

export const syncUnderLock: Rule = {
  meta: {
    id: 'sync-under-lock',
    severity: 'error',
    description: 'waiting for a work item, timer or kthread while holding a lock that its callback takes',
    docs:
      'cancel_work_sync(), flush_work(), del_timer_sync(), kthread_stop() and their kin wait for the callback to finish. ' +
      'If the caller holds lock L and the callback (or anything it calls) takes L, the two wait for each other: a deadlock. ' +
      'Release L before waiting, or make sure the callback cannot be running (disable_work_sync() outside the lock). ' +
      'Locks match by access path, or (as lockdep does) by class, the struct type and field; the message says which. ' +
      'A lock held on some paths only gives a warning.',
  },
  wantsCallersOf(fn: IrFunction, ctx: RuleContext): boolean {
    // fromCallers() below: functions that wait themselves, for a callback that takes a lock.
    const waits = fn.blocks.flatMap((b) => b.instrs.filter((i) => i.op === 'call' && !!i.callee && !!waitPrim(i.callee, ctx.config)));
    if (!waits.length) return false;
    const scope = ctx.flow(fn).scope;
    return waits.some((i) => {
      if (i.op !== 'call') return false;
      const wp = waitPrim(i.callee!, ctx.config)!;
      const arg = i.args[wp.arg];
      return !!arg && callbackTakesLock(ctx, ctx.summaries.waitTargets(wp.waitsFor, arg, scope));
    });
  },
  *check(ctx: RuleContext): Iterable<RawFinding> {
    // One finding per wait and callback, however many callers reach it
    // holding a lock the callback takes (a wait deep in xfs is reached from
    // sixty functions, each holding another lock): grouped here, reported
    // by group below.
    const groups = new Map<string, RawFinding[]>();
    const once = function* (it: Iterable<RawFinding>): Iterable<RawFinding> {
      for (const f of it) {
        const k = `${f.file}:${f.line}:${f.column}|${f.statement}`;
        const g = groups.get(k);
        if (g) g.push(f);
        else groups.set(k, [f]);
      }
      yield* [];
    };
    for (const fn of ctx.functions) {
      const flow = ctx.flow(fn);
      for (const b of fn.blocks) {
        for (const ins of b.instrs) {
          if (ins.op !== 'call' || !ins.callee) continue;
          const st = flow.before.get(ins);
          if (!st) continue;
          const here: Step = { file: fn.file, function: fn.name, line: ins.pos.line, column: ins.pos.column, text: ins.text };
          const wp = waitPrim(ins.callee, ctx.config);
          if (wp) {
            const arg = ins.args[wp.arg];
            if (!arg) continue;
            const dropped = droppedAt(st);
            const w: WaitFact = { prim: ins.callee, waitsFor: wp.waitsFor, arg, targets: ctx.summaries.waitTargets(wp.waitsFor, arg, flow.scope), chain: [here], ...(dropped.length ? { dropped } : {}) };
            yield* once(underLock(ctx, fn, st, w, flow.scope));
            if (callbackTakesLock(ctx, w.targets)) yield* once(fromCallers(ctx, fn, w));
            continue;
          }
          if (!st.locks.size) continue;
          const hit = ctx.summaries.forCall(ins, fn);
          if (!hit) continue;
          const { callee, summary: cs } = hit;
          // A callee's waits reached by several chains: the first chain to each wait is the one reported.
          const waitSeen = new Set<string>();
          for (const w of cs.waits) {
            const last = w.chain[w.chain.length - 1]!;
            const k = `${last.file}:${last.line}:${last.column}|${exprText(w.arg)}`;
            if (waitSeen.has(k)) continue;
            waitSeen.add(k);
            yield* once(underLock(ctx, fn, st, throughCall(w, callee, ins.args, here, flow.scope), flow.scope));
          }
        }
      }
      yield* selfWaits(ctx, fn);
    }
    for (const g of groups.values()) yield merged(g);
  },
};

const MAX_HOLDERS = 8;
const MAX_OTHER_LOCKS = 4;

/**
 * The one finding of a wait: the first lock held for sure (an error) or
 * else the first found is the finding's lock; the other holders of that
 * lock are named in its message with their lock sites and calls as related
 * locations (up to MAX_HOLDERS); the other locks callers hold there are
 * named after it, with where each is taken.
 */
function merged(group: RawFinding[]): RawFinding {
  const byLock = new Map<string | null, RawFinding[]>();
  for (const f of group) {
    const l = byLock.get(f.lock);
    if (l) l.push(f);
    else byLock.set(f.lock, [f]);
  }
  const lockGroups = [...byLock.values()];
  const main = lockGroups.find((l) => l.some((f) => f.severity !== 'warning')) ?? lockGroups[0]!;
  const first = main.find((f) => f.severity !== 'warning') ?? main[0]!;
  const f: RawFinding = { ...first, related: [...first.related] };
  const relKey = (r: Related) => `${r.file}:${r.line}:${r.message}`;
  const have = new Set(f.related.map(relKey));
  const holders: string[] = [];
  for (const x of [first, ...main.filter((y) => y !== first)]) {
    const h = holderOf(x);
    // Past a few holders, more names say nothing new (deep dm chains reach one wait from hundreds).
    if (!h || holders.includes(h) || holders.length >= MAX_HOLDERS) continue;
    holders.push(h);
    if (x === first) continue;
    for (const r of x.related) if (!have.has(relKey(r))) (have.add(relKey(r)), f.related.push(r));
  }
  const out = holders.length > 1 ? namingAll(f, holders) : f;
  const others = lockGroups.filter((l) => l !== main).map((l) => l[0]!);
  if (!others.length) return out;
  const named = others.slice(0, MAX_OTHER_LOCKS).map((o) => o.lock ?? '?');
  const more = others.length - named.length;
  const list = `${named.join(', ')}${more ? ` and ${more} more` : ''}`;
  // Where each other lock is taken, for a reader to check them too (worded so the model does not take
  // their functions for holders of the finding's own lock).
  for (const o of others.slice(0, MAX_OTHER_LOCKS)) {
    const r = o.related[0];
    if (r) out.related.push({ ...r, message: `${o.lock}: also held at this wait, from here` });
  }
  return { ...out, message: `${out.message}; also held when this wait is reached: ${list}` };
}

/** The function named as holding the lock in a finding's message (`; X() holds L when it calls`). */
function holderOf(f: RawFinding): string | null {
  return /; (\w+)\(\) (?:holds|may hold) \S+ when it calls /.exec(f.message)?.[1] ?? null;
}

/** The message of a finding reached by several holders names them all. */
function namingAll(f: RawFinding, holders: string[]): RawFinding {
  const names = holders.map((h) => `${h}()`);
  const list = names.length === 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  const message = f.message.replace(/; (\w+)\(\) (holds|may hold) (\S+) when it calls /, (_m, _h, verb: string, lock: string) =>
    `; ${list} ${verb === 'holds' ? 'hold' : 'may hold'} ${lock} when they call `,
  );
  return { ...f, message };
}

/** A callee's wait seen from its caller: the waited object in the caller's terms, the call prepended. */
function throughCall(w: WaitFact, callee: IrFunction, args: readonly Expr[], here: Step, scope: FnScope): WaitFact {
  const map = new Map<string, Expr>();
  callee.params.forEach((p, i) => args[i] && map.set(p.name, args[i]!));
  const dropped = w.dropped?.map((l) => mapToCaller(l, callee, args, scope));
  return { ...w, arg: normalize(substitute(w.arg, map)), chain: [here, ...w.chain], ...(dropped ? { dropped } : {}) };
}

/**
 * Whether a callback waited for takes a lock at all. Only then can a caller
 * holding a lock deadlock with it, and only then is the whole tree searched
 * for the waiting function's callers (on a large tree, that search and the
 * files it loads are most of the rule's cost).
 */
function callbackTakesLock(ctx: RuleContext, targets: WaitFact['targets']): boolean {
  return targets.some((t) => {
    const cb = ctx.summaries.resolve(t.callback, t.binding.file);
    const cs = cb && ctx.summaries.get(cb);
    return !!cs && cs.takes.some((x) => x.blocking);
  });
}

/** The waiting function's callers that call it with the callback's lock held. */
function* fromCallers(ctx: RuleContext, fn: IrFunction, w: WaitFact): Iterable<RawFinding> {
  let callers: IrFunction[] = [];
  try {
    callers = ctx.index.callers(fn.name).slice(0, 40);
  } catch {
    callers = [];
  }
  for (const caller of callers) {
    if (caller === fn || caller.name === fn.name) continue;
    const flow = ctx.flow(caller);
    for (const b of caller.blocks) {
      for (const ins of b.instrs) {
        if (ins.op !== 'call' || ins.callee !== fn.name) continue;
        const st = flow.before.get(ins);
        if (!st || !st.locks.size) continue;
        const here: Step = { file: caller.file, function: caller.name, line: ins.pos.line, column: ins.pos.column, text: ins.text };
        yield* underLock(ctx, caller, st, throughCall(w, fn, ins.args, here, flow.scope), flow.scope);
      }
    }
  }
}

/** Findings for one wait (whose chain starts in `holder`) against the locks `holder` holds there. */
function* underLock(ctx: RuleContext, holder: IrFunction, st: State, w: WaitFact, scope: FnScope): Iterable<RawFinding> {
  if (!st.locks.size) return;
  const reported = new Set<string>();
  const waitSite = w.chain[w.chain.length - 1]!;
  for (const t of w.targets) {
    const cb = ctx.summaries.resolve(t.callback, t.binding.file);
    const cs = cb && ctx.summaries.get(cb);
    if (!cb || !cs) continue;
    for (const take of cs.takes) {
      if (!take.blocking) continue;
      const mapped = mapToCaller(take.lock, cb, [w.arg], scope);
      // Dropped on the way down before the wait (`mutex_unlock(&wl->mutex);
      // cancel_work_sync(...); mutex_lock(&wl->mutex);`): not held there.
      if (w.dropped?.some((d) => d.key === mapped.key || (!!d.cls && d.cls === mapped.cls))) continue;
      const m = heldMatch(st, mapped, { may: true, mode: take.mode });
      if (!m) continue;
      // A lock held on some paths only, that the holder cannot even name (it
      // came back from a callee's local), is too weak a fact to report.
      if (!m.must && m.fact.lock.root === 'unknown') continue;
      const key = `${m.fact.lock.key}|${t.callback}`;
      if (reported.has(key)) continue;
      reported.add(key);
      const held = m.fact.lock.path;
      const where =
        w.chain.length > 1
          ? `${holder.name}() ${m.must ? 'holds' : 'may hold'} ${held} when it calls ${w.chain.slice(1).map((s) => s.function + '()').join(' -> ')}`
          : `${held} is ${m.must ? '' : 'maybe '}held here`;
      const message =
        `${waitSite.text} waits for ${t.callback}(), which takes ${take.lock.path}` +
        `${take.chain.length > 1 ? ' (through ' + take.chain.slice(1).map((s) => s.function + '()').join(' -> ') + ')' : ''}` +
        `; ${where}${byClassNote(m.how, m.fact.lock)}: deadlock if ${t.callback}() is running`;
      const related: Related[] = [];
      if (m.fact.site) related.push(at(m.fact.site, `${held} ${m.fact.assumed ? 'asserted held' : 'taken'} here`));
      if (w.chain.length > 1) related.push(...w.chain.slice(0, -1).map((s) => at(s, `calls ${s.text} with ${held} held`)));
      related.push({ file: t.binding.file, line: t.binding.pos.line, function: t.binding.function, message: `${t.callback}() bound here by ${t.binding.via}` });
      related.push(...chainRelated(take.chain, `${t.callback}() takes ${take.lock.path} here`));
      yield {
        file: waitSite.file, line: waitSite.line, column: waitSite.column, function: waitSite.function,
        lock: held, message, related, statement: `${waitSite.text} ${t.callback}`,
        // Lockdep reasons by class too, so a class match is still an error; a lock held on some paths only is not.
        ...(!m.must ? { severity: 'warning' as const } : {}),
      };
    }
  }
}

/** A work (or timer, kthread) that waits for itself, or for a work that waits for it. */
function* selfWaits(ctx: RuleContext, fn: IrFunction): Iterable<RawFinding> {
  const s = ctx.summaries.get(fn);
  if (!s || !s.waits.length) return;
  let bindings;
  try {
    bindings = ctx.index.bindingsOf(fn.name);
  } catch {
    return;
  }
  if (!bindings.length) return;
  for (const w of s.waits) {
    const first = w.chain[0]!;
    const waitText = w.chain[w.chain.length - 1]!.text;
    for (const t of w.targets) {
      if (t.callback === fn.name) {
        yield {
          file: fn.file, line: first.line, column: first.column, function: fn.name, lock: null, statement: first.text,
          message: `${fn.name}() is bound by ${bindings[0]!.via} and waits for itself with ${waitText}: it never finishes`,
          related: [...bindingRel(bindings[0]!), ...chainRelated(w.chain.slice(1), `waits here: ${waitText}`)],
        };
        continue;
      }
      const other = ctx.summaries.resolve(t.callback, t.binding.file);
      const os = other && ctx.summaries.get(other);
      const back = os?.waits.find((ow) => ow.targets.some((x) => x.callback === fn.name));
      if (back) {
        yield {
          file: fn.file, line: first.line, column: first.column, function: fn.name, lock: null, statement: first.text,
          message: `${fn.name}() waits for ${t.callback}() with ${waitText}, and ${t.callback}() waits for ${fn.name}() with ${back.chain[back.chain.length - 1]!.text}: if both run, neither finishes`,
          related: [...bindingRel(bindings[0]!), ...chainRelated(back.chain, `${t.callback}() waits for ${fn.name}() here`)],
        };
      }
    }
  }
}

function bindingRel(b: { file: string; pos: { line: number }; function: string | null; via: string; callback: string }): Related[] {
  return [{ file: b.file, line: b.pos.line, function: b.function, message: `${b.callback}() bound here by ${b.via}` }];
}
