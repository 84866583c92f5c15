/**
 * comment-code-mismatch, for a comment listing the values a checked
 * expression may take: run the function with the expression set to a value
 * the comment allows (NULL) and look for the check firing. Confirmed = a
 * concrete state the comment allows on which the WARN_ON/BUG_ON fires.
 * Names the comment refers to that no longer exist are checked against the
 * tree's index (stale-name.ts). Lock claims are left unknown.
 */
import type { Confirmation } from '../../report/schema.js';
import type { ModelEvent } from '../state.js';
import { NULLV } from '../values.js';
import { findingFunction, noWitness, runEntry, stats, traceOf, type ScenarioContext } from './common.js';
import { confirmStaleName, staleClaim } from './stale-name.js';

export function confirmCommentCodeMismatch(ctx: ScenarioContext): Confirmation {
  const f = ctx.finding;
  const stale = staleClaim(f);
  if (stale) return confirmStaleName(ctx.index, f, stale);
  const m = /the comment allows (\S+) to be NULL, but (\w+)\(\) fires/.exec(f.message);
  if (!m) return { status: 'unknown', summary: 'the model checks only comments that allow a value (NULL) the check rejects, and names that no longer exist', trace: [] };
  const subject = m[1]!;
  const fn = findingFunction(ctx.index, f);
  if (!fn) return { status: 'unknown', summary: `the model could not find ${f.function ?? 'the function'}() in ${f.file}`, trace: [] };
  const checks = f.related.filter((r) => r.file === f.file).map((r) => r.line);
  const matches = (ev: ModelEvent): boolean => (ev.kind === 'warn' || ev.kind === 'bug') && (checks.length === 0 || checks.includes(ev.line)) && ev.detail.includes(`${subject} = NULL`);
  const run = runEntry(ctx, fn, {
    concurrent: false,
    allocFail: false,
    spontaneous: [],
    watch: checks[0] !== undefined ? { file: f.file, line: checks[0] } : null,
    assume: { [subject]: NULLV },
    onEvent: matches,
  });
  if (run.res.witness && run.res.event) {
    const ev = run.res.event;
    return {
      status: 'confirmed',
      summary: `with ${subject} == NULL, which the comment allows, ${m[2]}() fires at ${ev.file}:${ev.line}: ${ev.detail} [${stats(run.res)}]`,
      trace: traceOf(run.res.witness, ev.traceLen),
    };
  }
  return noWitness([run], `a state the comment allows on which the check fires`, `with ${subject} == NULL the check never fires`);
}
