/**
 * The reader side of the KREVIEW_TIMINGS contract (see bench/README.md):
 * when the environment variable KREVIEW_TIMINGS names a file, kreview
 * writes there, at the end of the run, a JSON object of its phase timings.
 * The reader is lenient: unknown fields are ignored, a missing or broken
 * file gives null, so the benchmark works with kreview versions that do not
 * write it.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const ms = z.number().finite().nonnegative();

export const KreviewTimingsSchema = z.object({
  version: z.literal(1).optional(),
  /** Milliseconds, summed over all threads: tree-sitter parse including the pre-pass. */
  parse: ms.optional(),
  /** Lowering syntax trees to the IR. */
  lower: ms.optional(),
  /** Tree index work not counted above: file listing, definition/caller lookups, cache reads and writes. */
  index: ms.optional(),
  /** The rules, summaries included. */
  rules: ms.optional(),
  /** The executable model (confirmation of every finding). */
  model: ms.optional(),
  /** Wall time of the whole command as kreview saw it. */
  wall: ms.optional(),
  /** The scenario the model spent longest on. */
  slowestScenario: z
    .object({
      ms,
      rule: z.string().optional(),
      finding: z.string().optional(),
      function: z.string().optional(),
      file: z.string().optional(),
      status: z.string().optional(),
      /** Interleavings or states explored, when the model counts them. */
      states: z.number().optional(),
    })
    .nullable()
    .optional(),
  /** Files read from the cache vs parsed, when a cache is in use. */
  cache: z.object({ hits: z.number(), misses: z.number() }).optional(),
});

export type KreviewTimings = z.infer<typeof KreviewTimingsSchema>;

/** The timings file kreview wrote, or null when there is none or it does not fit the contract. */
export function readTimings(file: string): KreviewTimings | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = KreviewTimingsSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** "label (file:function, 123 ms)" for the table. */
export function describeSlowest(t: KreviewTimings): string | null {
  const s = t.slowestScenario;
  if (!s) return null;
  const where = [s.rule, s.function ?? s.finding, s.file].filter(Boolean).join(' ');
  return `${where || 'unnamed'} (${Math.round(s.ms)} ms${s.status ? `, ${s.status}` : ''}${s.states !== undefined ? `, ${s.states} states` : ''})`;
}
