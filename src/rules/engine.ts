/**
 * Runs the enabled rules over the functions of some files and turns what
 * they report into contract Findings (src/report/schema.ts). The model and
 * the lint layer fill `confirmation` and `patch` later.
 */
import { createHash } from 'node:crypto';
import type { IrFunction } from '../parse/ir.js';
import type { TreeIndex } from '../parse/index/types.js';
import type { Finding, Severity } from '../report/schema.js';
import type { Config } from './config.js';
import type { RawFinding, Rule, RuleContext } from './context.js';
import type { Flow } from './dataflow.js';
import { RULES } from './registry.js';
import { Summaries, type Summary } from './summaries.js';
import type { SummaryShare } from './summary-share.js';

export interface RunOptions {
  index: TreeIndex;
  files: string[];
  /** Only these functions (by name) of `files`, when given. */
  functions?: Set<string>;
  config: Config;
  /** Rules to run (default: the registry). */
  rules?: readonly Rule[];
  /** Summaries shared with the other views of a series. */
  share?: SummaryShare<Summary>;
}

export function functionsUnderReview(index: TreeIndex, files: string[], names?: Set<string>): IrFunction[] {
  const out: IrFunction[] = [];
  for (const file of files) {
    let fns: IrFunction[] = [];
    try {
      fns = index.functionsIn(file);
    } catch {
      fns = [];
    }
    for (const fn of fns) if (!names || names.has(fn.name)) out.push(fn);
  }
  return out;
}

export function makeContext(
  index: TreeIndex,
  config: Config,
  functions: IrFunction[],
  share?: SummaryShare<Summary>,
  summaries = new Summaries(index, config, { keepFlow: ((set) => (fn: IrFunction) => set.has(fn))(new Set(functions)), ...(share ? { share } : {}) }),
): RuleContext & { drain(): RawFinding[] } {
  let reported: RawFinding[] = [];
  const flows = new Map<IrFunction, Flow>();
  return {
    index,
    config,
    summaries,
    functions,
    flow(fn) {
      let f = flows.get(fn);
      if (!f) {
        f = summaries.flowOf(fn);
        flows.set(fn, f);
      }
      return f;
    },
    report(f) {
      reported.push(f);
    },
    drain() {
      const r = reported;
      reported = [];
      return r;
    },
  };
}

function severityOf(config: Config, rule: Rule, raw: RawFinding): Severity | null {
  const s = config.rules[rule.meta.id];
  if (s === false || s === 'off') return null;
  if (s === 'error' || s === 'warning' || s === 'info') return s;
  return raw.severity ?? rule.meta.severity;
}

function norm(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export function runRules(opts: RunOptions): Finding[] {
  const functions = functionsUnderReview(opts.index, opts.files, opts.functions);
  const rules = (opts.rules ?? RULES).filter((r) => {
    const setting = opts.config.rules[r.meta.id];
    return setting !== false && setting !== 'off';
  });
  if (!rules.length) return [];
  const ctx = makeContext(opts.index, opts.config, functions, opts.share);
  ctx.summaries.prefetchCallees(functions);
  const wanted = new Set<string>();
  for (const rule of rules) if (rule.wantsCallersOf) for (const fn of functions) if (rule.wantsCallersOf(fn, ctx)) wanted.add(fn.name);
  if (wanted.size) opts.index.prefetchCallers?.([...wanted].sort());
  const out: Finding[] = [];
  const occurrences = new Map<string, number>();
  const seen = new Set<string>();
  for (const rule of rules) {
    const raws = [...rule.check(ctx), ...ctx.drain()];
    for (const raw of raws) {
      const severity = severityOf(opts.config, rule, raw);
      if (!severity) continue;
      const dup = `${rule.meta.id}|${raw.file}|${raw.line}|${raw.column}|${raw.lock}|${raw.message}`;
      if (seen.has(dup)) continue;
      seen.add(dup);
      const base = [rule.meta.id, raw.file, raw.function ?? '', raw.lock ?? '', norm(raw.statement)].join('\0');
      const n = occurrences.get(base) ?? 0;
      occurrences.set(base, n + 1);
      const id = createHash('sha256').update(`${base}\0${n}`).digest('hex').slice(0, 16);
      out.push({
        id,
        rule: rule.meta.id,
        severity,
        file: raw.file,
        line: Math.max(1, raw.line),
        column: Math.max(1, raw.column),
        function: raw.function,
        lock: raw.lock,
        message: raw.message,
        patch: null,
        related: raw.related,
        confirmation: { status: 'unknown', summary: 'not run through the model', trace: [] },
      });
    }
  }
  return out.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule));
}
