/**
 * What a rule sees (ESLint style): the functions to check, the index, the
 * configuration, the shared summaries and flows, and `report()`. A rule's
 * insides stay in its module; the engine turns what it reports into
 * contract Findings.
 */
import type { IrFunction, Pos } from '../parse/ir.js';
import type { TreeIndex } from '../parse/index/types.js';
import type { Related, RuleId, Severity } from '../report/schema.js';
import type { Config } from './config.js';
import type { Flow, Site } from './dataflow.js';
import type { Summaries, Step } from './summaries.js';
import type { WarnSession } from './warn-reachable.js';

export interface RuleMeta {
  id: RuleId;
  severity: Severity;
  description: string;
  docs: string;
}

export interface RawFinding {
  file: string;
  line: number;
  column: number;
  function: string | null;
  lock: string | null;
  message: string;
  related: Related[];
  /** The statement the finding is about, for the stable id (no line numbers). */
  statement: string;
  /** Overrides the rule's default severity (e.g. a class-only match is weaker). */
  severity?: Severity;
}

export interface RuleContext {
  readonly index: TreeIndex;
  readonly config: Config;
  readonly summaries: Summaries;
  /** The functions under review. */
  readonly functions: readonly IrFunction[];
  flow(fn: IrFunction): Flow;
  report(f: RawFinding): void;
  /** Explorations shared by the views of one series analysis (warn-reachable's memo and focus). */
  readonly warnSession?: WarnSession;
}

export interface Rule {
  meta: RuleMeta;
  check(ctx: RuleContext): Iterable<RawFinding>;
  /**
   * Whether check() will ask for the callers of `fn`: the engine looks them
   * all up in one search before the rules run, instead of one search each.
   */
  wantsCallersOf?(fn: IrFunction, ctx: RuleContext): boolean;
}

export function at(site: Site | Step, message: string): Related {
  return { file: site.file, line: site.line, function: site.function, message };
}

export function chainRelated(chain: readonly Step[], last: string): Related[] {
  return chain.map((s, i) => at(s, i === chain.length - 1 ? last : `calls ${s.text}`));
}

export function findingAt(fn: IrFunction, pos: Pos, text: string, lock: string | null, message: string, related: Related[], severity?: Severity): RawFinding {
  return { file: fn.file, line: pos.line, column: pos.column, function: fn.name, lock, message, related, statement: text, ...(severity ? { severity } : {}) };
}
