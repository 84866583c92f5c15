/**
 * The rules' configuration (`.kreview.json` at the tree root, or `--config FILE`).
 * Validated with zod at the edge; everything else uses the inferred `Config`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { RuleId, Severity } from '../report/schema.js';

export const WaitKind = z.enum(['work', 'timer', 'kthread', 'workqueue']);
export type WaitKind = z.infer<typeof WaitKind>;

export const AssertWrapper = z.strictObject({
  /** The lock the wrapper asserts, as an access path from the wrapper's parameters: `dev->iommu_group->mutex`. */
  lock: z.string().min(1),
  /** `held` (like lockdep_assert_held) or `not_held`. */
  mode: z.enum(['held', 'not_held']).default('held'),
});

export const WaitPrimitive = z.strictObject({
  name: z.string().min(1),
  waitsFor: WaitKind,
  /** Which argument names the work item, timer, kthread or workqueue (0-based). */
  arg: z.number().int().nonnegative().default(0),
});

const MiB = 1024 * 1024;

/** Resource caps, so hostile input ends in a clear error or an `unknown`, never a hang or exhaustion. */
export const Limits = z.strictObject({
  /** Largest single mail message. */
  maxMessageBytes: z.number().int().positive().default(32 * MiB),
  /** Largest input file, decompressed .gz input, or fetched thread. */
  maxInputBytes: z.number().int().positive().default(64 * MiB),
  /** Larger C files are not parsed (they are listed as skipped). */
  maxFileBytes: z.number().int().positive().default(4 * MiB),
  /** Time limit of a lore fetch made for a Message-ID input. */
  fetchTimeoutSeconds: z.number().int().positive().default(30),
  /**
   * JS heap (V8 old generation, MiB) of each worker thread of `check
   * --jobs` and `scan --jobs`; unset, 1536 for check and node's default for
   * the machine for scan. A check batch that outgrows it is run again in
   * halves.
   */
  workerHeapMb: z.number().int().min(256).optional(),
  /** Bounds of the executable model, per finding (see README "The executable model"). */
  model: z
    .strictObject({
      threads: z.number().int().positive(),
      steps: z.number().int().positive(),
      loop: z.number().int().positive(),
      depth: z.number().int().positive(),
      forks: z.number().int().positive(),
      states: z.number().int().positive(),
      listElems: z.number().int().positive(),
      aliases: z.number().int().nonnegative(),
      objects: z.number().int().positive(),
      timeMs: z.number().int().nonnegative(),
    })
    .partial()
    .default({}),
});
export type Limits = z.infer<typeof Limits>;

export const RuleSetting = z.union([z.boolean(), z.enum(['off', 'on']), Severity]);

export const Config = z.strictObject({
  /** Functions that assert a lock is held, by name. */
  assertWrappers: z.record(z.string(), AssertWrapper).default({}),
  /** Extra calls that wait for a work item, timer, kthread or workqueue. */
  waitPrimitives: z.array(WaitPrimitive).default([]),
  /** Lock names that denote the same lock: alias -> canonical (`grp->lock` -> `group->mutex`, or class names). */
  lockAliases: z.record(z.string(), z.string()).default({}),
  /** Per rule: false/'off' turns it off, a severity overrides the default. */
  rules: z.partialRecord(RuleId, RuleSetting).default({}),
  /** Whether findings go through the executable model. */
  model: z.boolean().default(true),
  /** Resource caps (sizes, fetch time, model bounds). */
  limits: Limits.default(Limits.parse({})),
  /** Sender of drafted review replies (`Name <addr>`), used when `review` has no --from. */
  from: z.string().optional(),
});
export type Config = z.infer<typeof Config>;

/** Wrappers every tree gets, whatever its configuration says. */
const DEFAULT_WRAPPERS: Record<string, z.infer<typeof AssertWrapper>> = {
  iommu_group_mutex_assert: { lock: 'dev->iommu_group->mutex', mode: 'held' },
};

/** Validates a parsed JSON value; `source` names the file in errors. Default wrappers are merged in. */
export function parseConfig(value: unknown, source = '<config>'): Config {
  const r = Config.safeParse(value ?? {});
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
    throw new InputError(`${source}: invalid configuration at ${where}: ${issue.message}`);
  }
  return { ...r.data, assertWrappers: { ...DEFAULT_WRAPPERS, ...r.data.assertWrappers } };
}

export function defaultConfig(): Config {
  return parseConfig({});
}

/**
 * Loads `path` (relative to the working directory) when given, else
 * `.kreview.json` at the tree root if there is one, else the defaults.
 */
export function loadConfig(root: string, path?: string): Config {
  const file = path !== undefined ? resolve(path) : join(root, '.kreview.json');
  if (path === undefined && !existsSync(file)) return defaultConfig();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InputError(`${path ?? file}: cannot read configuration file`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${path ?? file}: not valid JSON: ${(e as Error).message}`);
  }
  return parseConfig(json, path ?? file);
}

/** The effective severity of a rule, or null when it is turned off. */
export function ruleSeverity(config: Config, id: RuleId, dflt: Severity): Severity | null {
  const s = config.rules[id];
  if (s === undefined || s === true || s === 'on') return dflt;
  if (s === false || s === 'off') return null;
  return s;
}
