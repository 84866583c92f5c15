/**
 * Data the C front end hands around: what the pre-pass recorded before it
 * blanked or rewrote text, and the parsed file that lowering and the tree
 * index read. Offsets are UTF-16 code-unit offsets into the text, which are
 * the same in the original and the pre-passed text (the pre-pass preserves
 * length, rows and columns).
 */
import type Parser from 'tree-sitter';
import type { Pos } from '../ir.js';

/** An annotation blanked by the pre-pass. */
export interface RecordedAnnotation {
  /** The macro name: `__must_hold`, `__free`, `__rcu`, `__attribute__`... */
  name: string;
  /** Argument text inside the outer parentheses (whitespace collapsed), '' when none. */
  args: string;
  /** Offsets of the whole annotation (name through closing parenthesis). */
  start: number;
  end: number;
  pos: Pos;
}

/** A statement-position macro the pre-pass rewrote into `while (...)`. */
export interface MacroSite {
  /** `scoped_guard`, `scoped_cond_guard`, `list_for_each_entry_safe`, `for_each_set_bit`... */
  macro: string;
  kind: 'scoped_guard' | 'scoped_cond_guard' | 'foreach';
  /** Top-level argument texts (whitespace collapsed). */
  args: string[];
  /** Offset of each argument's first character, for exact positions. */
  argStarts: number[];
  /** Offset just after each argument's last character. */
  argEnds: number[];
  /** Offset of the macro name (the `while` keyword starts here after the rewrite). */
  start: number;
  /** Offset just after the closing parenthesis of the macro call. */
  end: number;
  pos: Pos;
}

/** A global object defined through a macro (`static DEFINE_MUTEX(x);`). */
export interface MacroGlobal {
  /** DEFINE_MUTEX, DEFINE_SPINLOCK, DEFINE_RAW_SPINLOCK, DECLARE_WORK, DECLARE_DELAYED_WORK... */
  macro: string;
  name: string;
  /** The object's type implied by the macro: `struct mutex`, `spinlock_t`, `struct work_struct`... */
  type: string;
  /** The other arguments (e.g. the work function of DECLARE_WORK). */
  args: string[];
  isStatic: boolean;
  pos: Pos;
}

export interface PrepassResult {
  /** Same length as the input, same line breaks at the same offsets. */
  text: string;
  annotations: RecordedAnnotation[];
  /** Rewritten macros keyed by the offset of the macro name. */
  macros: Map<number, MacroSite>;
  globals: MacroGlobal[];
  /** Offsets of the `...` of GNU case ranges (rewritten to `||`). */
  caseRanges: Set<number>;
  /** Offsets of labels right before `}` (their `:` rewritten to `;`). */
  labelSites: Set<number>;
}

export interface ParsedFile {
  file: string;
  /** The file as it is on disk (or in the overlay). */
  original: string;
  /** The pre-passed text that tree-sitter parsed. */
  text: string;
  /** Null after releaseParsed(). */
  tree: Parser.Tree | null;
  annotations: RecordedAnnotation[];
  macros: Map<number, MacroSite>;
  globals: MacroGlobal[];
  caseRanges: Set<number>;
  labelSites: Set<number>;
}
