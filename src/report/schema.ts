/**
 * The machine-readable report of CONTRACT.md (`--format json`). This schema
 * is the single definition: the JSON writer validates against it and
 * `kreview schema` exports it as JSON Schema.
 */
import { z } from 'zod';

export const RuleId = z.enum([
  'assert-held-caller',
  'sync-under-lock',
  'double-lock',
  'lock-imbalance',
  'comment-code-mismatch',
  'warn-reachable',
]);
export type RuleId = z.infer<typeof RuleId>;

export const Severity = z.enum(['error', 'warning', 'info']);
export type Severity = z.infer<typeof Severity>;

export const TraceStep = z.object({
  thread: z.string(),
  file: z.string(),
  line: z.number().int().nonnegative(),
  step: z.string(),
});
export type TraceStep = z.infer<typeof TraceStep>;

export const Confirmation = z.object({
  status: z.enum(['confirmed', 'refuted', 'unknown']),
  summary: z.string(),
  trace: z.array(TraceStep),
});
export type Confirmation = z.infer<typeof Confirmation>;

export const Related = z.object({
  file: z.string(),
  line: z.number().int().nonnegative(),
  function: z.string().nullable(),
  message: z.string(),
});
export type Related = z.infer<typeof Related>;

export const PatchRef = z.object({
  index: z.number().int().positive(),
  total: z.number().int().positive(),
});
export type PatchRef = z.infer<typeof PatchRef>;

export const Finding = z.object({
  /** Stable across runs: a hash of rule, file, function, lock and the statement's text, not of line numbers. */
  id: z.string(),
  rule: RuleId,
  severity: Severity,
  /** Relative to the tree. */
  file: z.string(),
  /** 1-based, in the tree after the patch. */
  line: z.number().int().positive(),
  column: z.number().int().positive(),
  function: z.string().nullable(),
  lock: z.string().nullable(),
  message: z.string(),
  patch: PatchRef.nullable(),
  related: z.array(Related),
  confirmation: Confirmation,
});
export type Finding = z.infer<typeof Finding>;

export const PatchEntry = z.object({
  series: z.string(),
  index: z.number().int().positive(),
  total: z.number().int().positive(),
  subject: z.string(),
  messageId: z.string().nullable(),
  applied: z.boolean(),
  /** Ids of the findings this patch introduced. */
  findings: z.array(z.string()),
  /** `scan` only: ids of the findings this patch fixed (those findings are listed too, as they were before). */
  fixed: z.array(z.string()).optional(),
});
export type PatchEntry = z.infer<typeof PatchEntry>;

export const Report = z.object({
  version: z.literal(1),
  patches: z.array(PatchEntry),
  findings: z.array(Finding),
});
export type Report = z.infer<typeof Report>;
