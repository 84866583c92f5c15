/**
 * Which functions a lock scenario runs, and which it treats like a call
 * with no body (an unconstrained result, no effects).
 *
 * On a real tree, following every call from a driver into lib/, mm/,
 * kernel/ and arch/ spends the whole time bound in code that has nothing to
 * do with the finding (rbtree rebalancing, random numbers, slab debugging,
 * the EFI stub's memset) and ends `unknown`. A finding is about its own
 * subsystem and the chain of calls its rule named, so the model runs:
 * - functions defined in the finding's subsystem directory (and in those of
 *   the related locations outside the core directories);
 * - functions the finding names (its function, the related locations' functions,
 *   every `name()` in its message: the rule's call chain, wherever it goes).
 * Everything else is external, as a function with no body in the tree is.
 */
import type { IrFunction } from '../parse/ir.js';
import type { Finding } from '../report/schema.js';

export interface CodeScope {
  /** Directory prefixes (ending in `/`) whose functions run. */
  dirs: string[];
  /** Functions that run wherever they are defined. */
  names: Set<string>;
}

/** Directories of kernel-wide code: they are never a finding's subsystem unless the finding itself is there. */
const CORE = /^(include|lib|mm|kernel|arch|init|block|security|crypto|virt|net\/core|drivers\/base|drivers\/firmware|fs\/[^/]+\.[ch]$)/;
/** Directories too large to be one subsystem: the subsystem is two levels further down. */
const UMBRELLA = /^(drivers\/(net|gpu|media|staging|infiniband|scsi|usb|platform|soc)|sound\/soc)\//;

/** The subsystem directory of a file: `drivers/iommu/`, `drivers/net/wireless/ath/`, `net/mac80211/`. */
export function homeDir(file: string): string {
  const parts = file.split('/');
  parts.pop();
  const keep = UMBRELLA.test(file) ? 4 : 2;
  const dir = parts.slice(0, Math.min(keep, parts.length)).join('/');
  return dir ? `${dir}/` : '';
}

export function scopeOf(f: Finding): CodeScope {
  const dirs = new Set<string>([homeDir(f.file)]);
  for (const r of f.related) if (!CORE.test(r.file)) dirs.add(homeDir(r.file));
  const names = new Set<string>();
  if (f.function) names.add(f.function);
  for (const r of f.related) if (r.function) names.add(r.function);
  for (const m of f.message.matchAll(/\b([A-Za-z_]\w*)\(\)/g)) names.add(m[1]!);
  for (const r of f.related) for (const m of r.message.matchAll(/\b([A-Za-z_]\w*)\(\)/g)) names.add(m[1]!);
  return { dirs: [...dirs], names };
}

export function inScope(scope: CodeScope, fn: IrFunction): boolean {
  if (scope.names.has(fn.name)) return true;
  return scope.dirs.some((d) => d === '' || fn.file.startsWith(d));
}
