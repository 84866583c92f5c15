/**
 * The C front end's public entry points: kernel C text -> tree-sitter tree
 * (after a length-preserving pre-pass) -> control-flow IR per function.
 * Nothing here throws on bad C: broken code yields fewer or partial
 * functions with `parseErrors` counted.
 *
 * Lowering conventions the analyses can rely on:
 * - `guard(c)(args)` -> GuardInstr; `scoped_guard(c, args) body` -> GuardInstr,
 *   body, scope_end (break/continue inside leave the scoped_guard, as in the
 *   kernel). A scope_end is emitted on every edge that leaves the scope.
 * - `scoped_cond_guard(c, fail, args) body` -> branch on an `unknown` condition
 *   (text = the macro call): then-block starts with GuardInstr{conditional:
 *   true}, else-block runs the fail statement (`return -EINTR`).
 * - `ACQUIRE(c, var)(args)` -> decl var + GuardInstr{conditional: true};
 *   `ACQUIRE_ERR(...)` stays a call. `CLASS(c, var)(args)` -> decl with
 *   cleanup `class_c_destructor` + call `class_c_constructor`.
 * - iterator macros -> `foreach` terminator (args lowered from the macro call).
 * - `BUG()`/`unreachable()` -> `unreachable` (no call); `panic()` and other
 *   noreturn calls -> call, then `unreachable`.
 * - `likely`/`unlikely`/`READ_ONCE`/`data_race` are transparent; `WRITE_ONCE`
 *   is an assignment; `container_of`/`list_entry`/`list_first_entry` are
 *   `container_of` expressions.
 * - `#ifdef` blocks inside bodies that do not split a statement -> branch on an
 *   `unknown` condition whose text is the directive line; blocks that would
 *   split one are resolved by the pre-pass to their first (config-on) branch.
 * - GNU case ranges -> case value `binary` with op `...`.
 */
import type { IrFunction } from '../ir.js';
import { parseText } from './parser.js';
import { prepass } from './prepass.js';
import { lowerParsed } from './lower.js';
import type { ParsedFile } from './types.js';

export type { ParsedFile, RecordedAnnotation, MacroSite, MacroGlobal, PrepassResult } from './types.js';
/** Macro -> the type of the object it defines (`DEFINE_MUTEX` -> `struct mutex`). */
export { DEFINE_MACRO_TYPES } from './prepass.js';

/** Pre-pass and parse one file. `file` is the path relative to the tree (kept in the IR). */
export function parseC(text: string, file: string): ParsedFile {
  const pre = prepass(text);
  const tree = parseText(pre.text);
  return {
    file,
    original: text,
    text: pre.text,
    tree,
    annotations: pre.annotations,
    macros: pre.macros,
    globals: pre.globals,
    caseRanges: pre.caseRanges,
    labelSites: pre.labelSites,
  };
}

/** Lower every function definition of a parsed file. Never throws. */
export function lowerFile(parsed: ParsedFile): IrFunction[] {
  if (!parsed.tree) return [];
  try {
    return lowerParsed(parsed);
  } catch {
    return [];
  }
}

/**
 * Drop the tree so its native memory can be reclaimed by the garbage
 * collector (the 0.22 binding has no explicit delete); keep the side tables.
 */
export function releaseParsed(parsed: ParsedFile): void {
  parsed.tree = null;
}

/** One call: parse, lower, release. */
export function extractFunctions(text: string, file: string): IrFunction[] {
  const parsed = parseC(text, file);
  const fns = lowerFile(parsed);
  releaseParsed(parsed);
  return fns;
}
