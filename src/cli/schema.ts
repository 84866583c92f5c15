import { z } from 'zod';
import { Report } from '../report/schema.js';
import type { Io } from './io.js';

/** `kreview schema`: the JSON Schema of the --format json report, from the same zod schema the writer validates with. */
export function runSchema(io: Io): number {
  io.stdout(JSON.stringify(z.toJSONSchema(Report), null, 2) + '\n');
  return 0;
}
