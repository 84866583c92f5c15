/**
 * The control-flow IR that C functions are lowered to (src/parse/lower.ts)
 * and that the lock analysis (src/rules) and the executable model
 * (src/model) both run over. It is deliberately small: kernel idioms are
 * lowered into these few forms rather than given forms of their own, except
 * where their meaning cannot be recovered later (guard scopes, iterator
 * macros).
 *
 * Positions are 1-based line and column in the REAL file (the pre-pass keeps
 * every row and column), so they can be reported as they are.
 */

export interface Pos {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** An expression, after lowering. Calls inside expressions are hoisted into
 * `call` instructions whose results are temporaries (`$t1`), so an `Expr`
 * never contains a call except inside `sizeof`/`typeof` (not evaluated) and
 * the argument text of macros kept as `unknown`. */
export type Expr =
  | { k: 'id'; name: string }
  | { k: 'num'; value: number; text: string }
  | { k: 'str'; value: string }
  | { k: 'null' }
  | { k: 'bool'; value: boolean }
  /** `base->name` (arrow) or `base.name`. */
  | { k: 'field'; base: Expr; name: string; arrow: boolean }
  | { k: 'index'; base: Expr; index: Expr }
  /** `&x`, `*p`, `!x`, `-x`, `~x`. Increments are lowered to assignments. */
  | { k: 'unary'; op: '&' | '*' | '!' | '-' | '~' | '+'; arg: Expr }
  /** Arithmetic, comparison and the short-circuit `&&`/`||` when no call is inside. */
  | { k: 'binary'; op: string; left: Expr; right: Expr }
  | { k: 'cond'; test: Expr; then: Expr; else: Expr }
  | { k: 'cast'; type: string; arg: Expr }
  | { k: 'sizeof'; text: string }
  /** `container_of(ptr, struct type, member)`, kept because the model needs it. */
  | { k: 'container_of'; ptr: Expr; type: string; member: string }
  /** Anything the lowering could not model; `text` is the source. */
  | { k: 'unknown'; text: string };

export interface CallInstr {
  op: 'call';
  /** Callee name when it is a plain identifier (or a macro), else null. */
  callee: string | null;
  /** The callee expression when it is not a plain name (function pointer, ops table). */
  calleeExpr: Expr | null;
  args: Expr[];
  /** Where the result goes: a temporary (`$t3`), a variable, a field; null when unused. */
  result: Expr | null;
  pos: Pos;
  /** Source text of the call, for traces: `mutex_lock(&group->mutex)`. */
  text: string;
  comments: Comment[];
}

export interface AssignInstr {
  op: 'assign';
  target: Expr;
  value: Expr;
  pos: Pos;
  text: string;
  comments: Comment[];
}

/** A local declared (with or without initialiser: an initialiser is a following assign). */
export interface DeclInstr {
  op: 'decl';
  name: string;
  type: string;
  /** `__free(kfree)` and friends: the cleanup function run at scope end. */
  cleanup: string | null;
  pos: Pos;
  text: string;
  comments: Comment[];
}

/** `guard(mutex)(&x)` or the head of `scoped_guard(mutex, &x) {`. */
export interface GuardInstr {
  op: 'guard';
  /** The guard class: `mutex`, `spinlock`, `spinlock_irqsave`, `rwsem_read`... */
  class: string;
  args: Expr[];
  /** scoped_cond_guard / guard that may fail: null unless the guard is conditional. */
  conditional: boolean;
  pos: Pos;
  text: string;
  comments: Comment[];
}

/** End of a scope that releases a guard or runs a `__free()` cleanup. Emitted
 * on every edge that leaves the scope: fall-through, return, break, goto. */
export interface ScopeEndInstr {
  op: 'scope_end';
  kind: 'guard' | 'cleanup';
  /** For a guard: its class; for a cleanup: the cleanup function name. */
  class: string;
  /** For a guard: its arguments; for a cleanup: [the variable]. */
  args: Expr[];
  /** Position of the statement or brace that ends the scope (for traces). */
  pos: Pos;
  text: string;
  comments: Comment[];
}

export type Instr = CallInstr | AssignInstr | DeclInstr | GuardInstr | ScopeEndInstr;

/**
 * Terminators other than `jump` may carry the comments that directly precede
 * their statement (`if (x)` with no call in it has no instruction to carry
 * them); absent when there are none.
 */
export type Terminator =
  | { op: 'jump'; to: number }
  | { op: 'branch'; cond: Expr; then: number; else: number; pos: Pos; text: string; comments?: Comment[] }
  | { op: 'switch'; value: Expr; cases: { values: Expr[] | 'default'; to: number }[]; pos: Pos; text: string; comments?: Comment[] }
  /**
   * An iterator macro's loop head (`list_for_each_entry(pos, head, member)`,
   * `for_each_*`). `body` is entered once per element; `exit` when done. The
   * dataflow treats it as a two-way branch; the model gives known macros
   * their meaning.
   */
  | { op: 'foreach'; macro: string; args: Expr[]; body: number; exit: number; pos: Pos; text: string; comments?: Comment[] }
  | { op: 'return'; value: Expr | null; pos: Pos; text: string; comments?: Comment[] }
  /** After `BUG()`, `panic()`, `unreachable()`... */
  | { op: 'unreachable'; pos: Pos; text: string; comments?: Comment[] };

export interface Block {
  id: number;
  instrs: Instr[];
  term: Terminator;
  /** Label names that start this block (`out_unlock:`). */
  labels: string[];
  /** True for loop heads (`for`, `while`, `do`, `foreach`), for unrolling bounds. */
  loopHead: boolean;
}

export interface Comment {
  text: string;
  pos: Pos;
}

export interface Param {
  name: string;
  type: string;
}

/** Lock annotations on the prototype (`__must_hold(&x->lock)`, `__acquires`, `__releases`),
 * recorded by the pre-pass before it blanks them. */
export interface Annotations {
  mustHold: string[];
  acquires: string[];
  releases: string[];
}

export interface IrFunction {
  name: string;
  /** Relative to the tree. */
  file: string;
  isStatic: boolean;
  returnType: string;
  params: Param[];
  /** Locals by name (last declaration wins for shadowed names). */
  locals: Record<string, string>;
  blocks: Block[];
  /** Always 0. */
  entry: number;
  annotations: Annotations;
  /** The comment (kernel-doc or plain) directly above the definition. */
  docComment: Comment | null;
  pos: Pos;
  /** Function bodies with tree-sitter ERROR/MISSING nodes left after the pre-pass. */
  parseErrors: number;
}
