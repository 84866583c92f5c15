/**
 * What the analysis may ask of a tree. Implemented by src/parse/index/index.ts,
 * which parses lazily: only the files a question needs (found with `git grep`
 * in a git tree, a fast text scan otherwise), with parse results cached by
 * content hash.
 */
import type { Expr, IrFunction, Pos } from '../ir.js';
import type { TreeView } from '../tree.js';

export interface FieldDef {
  name: string;
  /** The declared type as written, normalised: `struct mutex`, `struct list_head`, `struct iommu_domain *`. */
  type: string;
  pos: Pos;
  /** Annotations on the declaration that say how it is accessed: `__rcu`, `__iomem`, `__percpu`. */
  annotations?: string[];
  /** Set when the field is a member of an anonymous struct or union flattened into its owner. */
  via?: string;
}

export interface StructDef {
  /** The tag; an anonymous struct is named after its typedef or as `owner::member`. */
  name: string;
  file: string;
  pos: Pos;
  /** Fields in order; members of anonymous structs/unions flattened in, members of a named
   * anonymous-typed member also listed as `member.x`. */
  fields: FieldDef[];
  union?: boolean;
}

export interface GlobalDef {
  name: string;
  type: string;
  file: string;
  isStatic: boolean;
  pos: Pos;
  /** For ops tables and other initialised structs: `.field = function` pairs (nested as `a.b`). */
  initFields: Record<string, string>;
  /** An `extern` declaration rather than the definition. */
  isExtern?: boolean;
}

export type BindingKind = 'work' | 'delayed_work' | 'timer' | 'hrtimer' | 'kthread';

/** A callback bound to a work item, timer or kthread. */
export interface Binding {
  kind: BindingKind;
  /** The callback function's name. */
  callback: string;
  /** The initialiser: INIT_WORK, INIT_DELAYED_WORK, DECLARE_WORK, __WORK_INITIALIZER, timer_setup, hrtimer_setup, kthread_run... */
  via: string;
  /** The object bound, as an expression (`&gdev->work`), null for kthreads. */
  target: Expr | null;
  /** Struct type owning the work/timer field (`group_device`), or null for a global. */
  struct: string | null;
  /** Field path inside the struct (`work`, `dwork.work`), or the global's name. */
  field: string | null;
  file: string;
  /** The function in which the binding is made, or null at file scope. */
  function: string | null;
  pos: Pos;
}

export interface TreeIndex {
  readonly view: TreeView;
  /** Every definition of `name` (static functions of the same name in different files too). */
  functions(name: string): IrFunction[];
  /** The definition that a call from `fromFile` reaches: the static one in that file first. */
  resolve(name: string, fromFile: string): IrFunction | null;
  /** Every function defined in a file. */
  functionsIn(file: string): IrFunction[];
  /** Functions that contain a call to `name`. */
  /** Files that mention `name` as a whole word (a text search; answers kept per commit where the index can). */
  mentions?(name: string): string[];
  /** Search for the callers of all these names at once (an optimisation; callers() works without it). */
  prefetchCallers?(names: string[]): void;
  callers(name: string): IrFunction[];
  /** With `fromFile`, a definition in that file, then its directory, then include/ is preferred
   * (generic tags such as `struct priv` are defined by many drivers). */
  struct(name: string, fromFile?: string): StructDef | null;
  /** Every definition of a struct tag, wherever it is (drivers, arches and tools/ reuse tags). */
  structs?(name: string): StructDef[];
  global(name: string, fromFile?: string): GlobalDef | null;
  /** What a typedef name stands for (`foo_t` -> `struct foo`), or null. */
  typedef?(name: string, fromFile?: string): string | null;
  /** Bindings whose callback is `callback`, or all bindings for a struct field. */
  bindingsOf(callback: string): Binding[];
  bindingsFor(struct: string | null, field: string): Binding[];
  /** The value of an object-like macro (`#define XFS_ILOCK_EXCL (1u << 2)`) visible from `fromFile`, or null. */
  constant?(name: string, fromFile: string): number | null;
  /** The body of an object-like macro visible from `fromFile` (`#define d_lock d_lockref.lock`), or null. */
  objectMacro?(name: string, fromFile: string): string | null;
  /** Parse problems met so far: files skipped (too large, unreadable) and why. */
  skipped(): { file: string; reason: string }[];
  /**
   * Get ready to answer definition questions (functions(), resolve(),
   * struct(), global()) about many names: the lazy index builds its
   * declaration index of the tree here (one search per commit, kept on disk)
   * instead of on the first question. Call it before a batch of lookups.
   */
  prefetch?(names: string[]): void;
}
