/**
 * C type strings as the index stores them: qualifiers and kernel annotations
 * dropped, whitespace collapsed, pointer stars after one space
 * (`struct iommu_domain *`, `struct group_device **`), arrays as `[N]`.
 * Every type that reaches the rules goes through `normType`, whichever
 * front end wrote it, so they compare as strings.
 */

/** Annotations written with arguments: `__aligned(8)`, `__attribute__((packed))`, `__counted_by(n)`. */
const PAREN_ANNOTATION =
  /\b(?:__attribute__|__attribute|__aligned|__counted_by\w*|__section|__guarded_by|__pt_guarded_by|__must_hold|__acquires|__releases|__cond_acquires|__cond_releases|__free|__cleanup|__designated_init|__nonstring|alignas|_Alignas)\s*\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)/g;

/** Bare qualifiers and annotations that say nothing about layout. */
const BARE_ANNOTATION =
  /\b(?:const|volatile|restrict|register|static|extern|inline|__inline|__inline__|__always_inline|noinline|__rcu|__iomem|__user|__percpu|__force|__kernel|__bitwise|__private|__randomize_layout|__no_randomize_layout|__packed|__must_check|__maybe_unused|__always_unused|__unused|__used|__cold|__hot|__weak|__init|__exit|__initdata|__initconst|__exitdata|__read_mostly|__ro_after_init|__data_racy|__nocast|__safe|__visible|__latent_entropy|__noreturn|__deprecated|____cacheline_aligned\w*|__cacheline_aligned\w*|____cacheline_internodealigned_in_smp|__signed__|_Atomic|__rcu_protected)\b/g;

/** Normalise a C type as written (`const struct iommu_ops  *`) to the index form. */
export function normType(text: string): string {
  let t = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
  t = t.replace(PAREN_ANNOTATION, ' ').replace(BARE_ANNOTATION, ' ');
  // Function pointer types keep their shape but get the same spacing rules inside.
  t = t.replace(/\s+/g, ' ').trim();
  t = t.replace(/\s*\*\s*/g, '*');
  t = t.replace(/\s*\[\s*/g, '[').replace(/\s*\]/g, ']');
  t = t.replace(/\s*\(\s*/g, '(').replace(/\s*\)/g, ')').replace(/\s*,\s*/g, ', ');
  // `struct foo**` -> `struct foo **`; `(*)` stays as it is.
  t = t.replace(/([A-Za-z0-9_\]])\*/g, '$1 *');
  t = t.replace(/\)\(/g, ')(');
  t = t.replace(/([A-Za-z0-9_*])\[/g, '$1 [');
  t = t.replace(/(\S)\(\*/g, '$1 (*');
  return t.trim();
}

/** One level of pointer or array removed: `struct foo *` -> `struct foo`; null when neither. */
export function derefType(type: string): string | null {
  const t = type.trim();
  if (t.endsWith('*') && !t.endsWith('(*)')) return t.slice(0, -1).trimEnd();
  const arr = /^(.*?)\s*\[[^\]]*\]$/.exec(t);
  if (arr) return arr[1]!;
  return null;
}

export function pointerTo(type: string): string {
  return type.endsWith('*') ? `${type}*` : `${type} *`;
}

/**
 * The struct (or union) a type names without indirection: `struct foo` ->
 * `foo`, `union u` -> `u`. A typedef name comes back as itself with
 * `typedefName` set, for the caller to resolve.
 */
export function structNameOf(type: string): { name: string; typedefName: boolean } | null {
  const t = type.trim();
  const m = /^(?:struct|union)\s+([A-Za-z_][\w:]*)$/.exec(t);
  if (m) return { name: m[1]!, typedefName: false };
  if (/^[A-Za-z_]\w*$/.test(t) && !PRIMITIVE.has(t)) return { name: t, typedefName: true };
  return null;
}

/** The struct a pointer type points at: `struct foo *` -> `foo`. */
export function pointeeStruct(type: string): string | null {
  const d = derefType(type);
  if (d === null) return null;
  return structNameOf(d)?.name ?? null;
}

const PRIMITIVE = new Set([
  'void', 'char', 'short', 'int', 'long', 'float', 'double', 'signed', 'unsigned', 'bool', '_Bool',
  'size_t', 'ssize_t', 'u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64', 'uintptr_t', 'intptr_t',
]);
