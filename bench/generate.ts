/**
 * Generator of large synthetic kernel-like C trees for the benchmark and
 * for tests: drivers/<subsys>/<name>.c, drivers/<subsys>/core.c and
 * include/linux/<subsys>.h, sized by file count, deterministic by seed
 * (same seed and options -> identical bytes), with a known number of
 * planted bugs of each lock rule listed in a manifest beside the code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Rng } from './rng.js';
import { PLANTED_RULES, writeCore, writeDriver, writeHeader, type PlantedBug, type PlantedRule } from './c-file.js';

export type { PlantedBug, PlantedRule } from './c-file.js';
export { PLANTED_RULES } from './c-file.js';
export { generateSeries, type GeneratedSeries, type SeriesPatch } from './series.js';

/** The manifest's file name, at the root of the generated tree. kreview reads only .c/.h files. */
export const MANIFEST_NAME = 'bench-manifest.json';

export interface GenerateOptions {
  /** Number of .c files (each subsystem's core.c included); headers come on top. At least 2. */
  files: number;
  seed: number;
  /** Mean size of a driver file in bytes (log-normal spread around it). Default 16 KiB, near the kernel's mean. */
  meanFileBytes?: number;
  /** Planted bugs per rule. Default: max(1, round(files / 40)) of each. */
  bugs?: Partial<Record<PlantedRule, number>>;
}

export interface BenchManifest {
  version: 1;
  seed: number;
  cFiles: number;
  headers: number;
  bytes: number;
  counts: Record<PlantedRule, number>;
  bugs: PlantedBug[];
}

export interface GeneratedTree {
  dir: string;
  seed: number;
  /** Every generated C file, relative to `dir`, sorted. */
  files: string[];
  /** Total size of those files. */
  bytes: number;
  /** Absolute path of the manifest JSON. */
  manifest: string;
  bugs: PlantedBug[];
}

const SUBSYSTEMS = [
  'net', 'gpu', 'usb', 'iommu', 'scsi', 'media', 'sound', 'input', 'mmc', 'spi',
  'i2c', 'pci', 'hwmon', 'watchdog', 'tty', 'block', 'crypto', 'dma', 'firmware', 'gpio',
  'leds', 'mfd', 'misc', 'nvme', 'phy', 'power', 'pwm', 'regulator', 'rtc', 'thermal',
] as const;

const SYLLABLES = ['ka', 'ro', 'vex', 'tal', 'mi', 'qu', 'dra', 'ne', 'sol', 'bri', 'zen', 'lo', 'fa', 'gri', 'ux', 'pel', 'or', 'ty'];

function stemName(rng: Rng, taken: Set<string>): string {
  for (;;) {
    let s = '';
    const n = rng.int(2, 3);
    for (let i = 0; i < n; i++) s += rng.pick(SYLLABLES);
    if (/^[a-z]/.test(s) && !taken.has(s)) {
      taken.add(s);
      return s;
    }
    // Collisions get a number; the loop ends because numbered names are fresh.
    const numbered = `${s}${taken.size}`;
    if (!taken.has(numbered)) {
      taken.add(numbered);
      return numbered;
    }
  }
}

export function generateTree(dir: string, opts: GenerateOptions): GeneratedTree {
  if (!Number.isInteger(opts.files) || opts.files < 2) throw new Error('generateTree: files must be an integer >= 2');
  const rng = new Rng(opts.seed);
  const nsub = Math.min(SUBSYSTEMS.length, Math.max(Math.min(2, Math.floor(opts.files / 2)), Math.ceil(opts.files / 70)));
  const subsystems = SUBSYSTEMS.slice(0, nsub);
  const mean = opts.meanFileBytes ?? 16 * 1024;
  const sigma = 0.8;
  const mu = Math.log(mean) - (sigma * sigma) / 2;

  // Plan the drivers first, so the bug placement does not depend on how much code was written.
  const taken = new Set<string>(subsystems);
  const drivers: { file: string; p: string; subsys: string; targetBytes: number; bugs: PlantedRule[] }[] = [];
  for (let i = nsub; i < opts.files; i++) {
    const subsys = subsystems[i % nsub]!;
    const p = stemName(rng, taken);
    const targetBytes = Math.round(Math.min(160_000, Math.max(3_000, Math.exp(mu + sigma * rng.normal()))));
    drivers.push({ file: `drivers/${subsys}/${p}.c`, p, subsys, targetBytes, bugs: [] });
  }
  const counts = {} as Record<PlantedRule, number>;
  for (const rule of PLANTED_RULES) {
    counts[rule] = opts.bugs?.[rule] ?? Math.max(1, Math.round(opts.files / 40));
    for (let k = 0; k < counts[rule]; k++) rng.pick(drivers).bugs.push(rule);
  }

  const out = new Map<string, string>();
  for (const s of subsystems) {
    out.set(`include/linux/${s}.h`, writeHeader(s));
    out.set(`drivers/${s}/core.c`, writeCore(s, rng));
  }
  const bugs: PlantedBug[] = [];
  for (const d of drivers) out.set(d.file, writeDriver(d, rng, bugs));

  let bytes = 0;
  for (const [rel, text] of out) {
    const abs = join(dir, rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, text);
    bytes += Buffer.byteLength(text);
  }
  const files = [...out.keys()].sort();
  const manifest: BenchManifest = {
    version: 1,
    seed: opts.seed,
    cFiles: opts.files,
    headers: nsub,
    bytes,
    counts,
    bugs: bugs.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line)),
  };
  const manifestPath = join(dir, MANIFEST_NAME);
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  return { dir, seed: opts.seed, files, bytes, manifest: manifestPath, bugs: manifest.bugs };
}
