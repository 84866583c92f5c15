/**
 * The floor: plain tree-sitter-c over a list of files, one parser, one
 * thread, no pre-pass, no tree walk. Run as a child process by bench/run.ts
 * so its peak memory is measured like kreview's:
 *
 *   node --expose-gc dist/bench/raw-parse.js <root> <list-file>
 *
 * <list-file> holds one path relative to <root> per line. Files are read
 * before the clock starts; the figure is parse time only. Prints one JSON
 * object: { files, bytes, ms }.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Parser from 'tree-sitter';
import C from 'tree-sitter-c';

export interface RawParseResult {
  files: number;
  bytes: number;
  ms: number;
}

/**
 * Parse every text once. The event loop is given a turn after each file:
 * the binding frees a tree's native memory in a N-API finalizer, and those
 * only run between turns, so a purely synchronous loop keeps every tree
 * alive (measured: ~10 MB per 360 KB file, never returned).
 */
export async function rawParse(texts: string[]): Promise<{ ms: number }> {
  const parser = new Parser();
  parser.setLanguage(C as unknown as Parser.Language);
  // V8 does not see the trees' native memory, so it rarely collects their small
  // wrappers; with --expose-gc a minor collection every few MB of source keeps
  // the peak RSS that of a working parser rather than of a lazy heap. Its cost
  // is inside the timed loop: kreview has to pay it too.
  const gc = (globalThis as { gc?: (o?: { type: 'minor' | 'major' }) => void }).gc;
  let sinceGc = 0;
  const t0 = performance.now();
  for (const text of texts) {
    // The 0.22 binding truncates input at its default buffer size: size the buffer above the text.
    parser.parse(text, undefined, { bufferSize: Math.max(32 * 1024, text.length * 2 + 1024) });
    sinceGc += text.length;
    if (gc && sinceGc > 4e6) {
      gc({ type: 'minor' });
      sinceGc = 0;
    }
    await new Promise((r) => setImmediate(r));
  }
  return { ms: performance.now() - t0 };
}

async function main(argv: string[]): Promise<void> {
  const [root, list] = argv;
  if (!root || !list) {
    process.stderr.write('usage: raw-parse.js <root> <list-file>\n');
    process.exitCode = 2;
    return;
  }
  const files = readFileSync(list, 'utf8').split('\n').filter(Boolean);
  let bytes = 0;
  const texts = files.map((f) => {
    const buf = readFileSync(join(root, f));
    bytes += buf.length;
    return buf.toString('utf8');
  });
  const { ms } = await rawParse(texts);
  const result: RawParseResult = { files: files.length, bytes, ms };
  process.stdout.write(JSON.stringify(result) + '\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
