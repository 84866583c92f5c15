/** Worker-thread entry of `kreview scan` (piscina): one series per task. */
import { scanSeries, type ScanJob, type SeriesScan } from './scan-job.js';

export default function run(job: ScanJob): SeriesScan {
  return scanSeries(job);
}
