import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blocksMayMention, CACHE_FORMAT, cacheDirFromEnv, codeStamp, FactsCache } from '../../../src/parse/index/cache.js';
import { lowerFile, parseC, releaseParsed } from '../../../src/parse/c/api.js';
import { extractFacts } from '../../../src/parse/index/extract.js';
import type { FileFacts } from '../../../src/parse/index/extract.js';
import { removeTmpDirs, tmpDir } from './fixture.js';

afterAll(removeTmpDirs);

function facts(file: string, n = 0): FileFacts {
  return { file, functions: [], structs: [], globals: [{ name: `g${n}`, type: 'int', file, isStatic: false, pos: { line: 1, column: 1, endLine: 1, endColumn: 2 }, initFields: {} }], bindings: [], typedefs: {} };
}

describe('cacheDirFromEnv', () => {
  it('follows KREVIEW_NO_CACHE, KREVIEW_CACHE_DIR, XDG_CACHE_HOME, HOME in that order', () => {
    expect(cacheDirFromEnv({ KREVIEW_NO_CACHE: '1', KREVIEW_CACHE_DIR: '/x' })).toBeNull();
    expect(cacheDirFromEnv({ KREVIEW_CACHE_DIR: '/x', XDG_CACHE_HOME: '/y' })).toBe('/x');
    expect(cacheDirFromEnv({ XDG_CACHE_HOME: '/y', HOME: '/h' })).toBe('/y/kreview');
    expect(cacheDirFromEnv({ HOME: '/h' })).toBe('/h/.cache/kreview');
  });
});

describe('FactsCache', () => {
  it('keys on path, content and code', () => {
    const c = new FactsCache({ dir: null, stamp: 's1' });
    expect(c.key('a.c', 'x')).toBe(c.key('a.c', 'x'));
    expect(c.key('a.c', 'x')).not.toBe(c.key('a.c', 'y'));
    expect(c.key('a.c', 'x')).not.toBe(c.key('b.c', 'x'));
    expect(new FactsCache({ dir: null, stamp: 's2' }).key('a.c', 'x')).not.toBe(c.key('a.c', 'x'));
    expect(codeStamp()).toMatch(/^[0-9a-f]{16}$/);
  });

  it('serves a second process from disk', () => {
    const dir = tmpDir('kreview-cache-');
    const a = new FactsCache({ dir, stamp: 's' });
    const k = a.key('a.c', 'int x;');
    expect(a.get(k)).toBeUndefined();
    a.set(k, facts('a.c'), 6);
    expect(a.stats.writes).toBe(1);
    const b = new FactsCache({ dir, stamp: 's' });
    expect(b.get(k)?.globals[0]?.name).toBe('g0');
    expect(b.stats.diskHits).toBe(1);
    expect(b.get(k)).toBeDefined();
    expect(b.stats.memHits).toBe(1);
    // No temporary files left behind.
    const sub = readdirSync(join(dir, `facts-v${CACHE_FORMAT}`));
    const names = sub.flatMap((s) => readdirSync(join(dir, `facts-v${CACHE_FORMAT}`, s)));
    expect(names).toHaveLength(1);
    expect(names.every((n) => n.endsWith('.json.gz'))).toBe(true);
  });

  it('gives back from disk the functions it was given, parsing each body only when read', () => {
    const text = 'static void a(struct m *x)\n{\n\tmutex_lock(&x->lock);\n\tb(x);\n}\nvoid b(struct m *x)\n{\n\tif (x)\n\t\tc();\n}\n';
    const parsed = parseC(text, 'f.c');
    const original = extractFacts(parsed, lowerFile(parsed));
    releaseParsed(parsed);
    const dir = tmpDir('kreview-cache-');
    const a = new FactsCache({ dir, stamp: 's' });
    const k = a.key('f.c', text);
    a.set(k, original, text.length);
    const back = new FactsCache({ dir, stamp: 's' }).get(k)!;
    const [fa, fb] = back.functions;
    // Before a body is read, a text test answers for it; after, it no longer rules anything out.
    expect(blocksMayMention(fa!, '"b"')).toBe(true);
    expect(blocksMayMention(fa!, '"c"')).toBe(false);
    expect(blocksMayMention(fb!, '"mutex_lock"')).toBe(false);
    expect(JSON.parse(JSON.stringify(back))).toEqual(JSON.parse(JSON.stringify(original)));
    expect(blocksMayMention(fa!, '"c"')).toBe(true);
    expect(fa!.blocks).toBe(fa!.blocks);
  });

  it('ignores a corrupt entry and rewrites it', () => {
    const dir = tmpDir('kreview-cache-');
    const a = new FactsCache({ dir, stamp: 's' });
    const k = a.key('a.c', 'int x;');
    a.set(k, facts('a.c'), 6);
    writeFileSync(a.pathOf(k), 'not gzip at all');
    const b = new FactsCache({ dir, stamp: 's' });
    expect(b.get(k)).toBeUndefined();
    expect(b.stats.corrupt).toBe(1);
    b.set(k, facts('a.c', 7), 6);
    expect(readFileSync(b.pathOf(k)).length).toBeGreaterThan(20);
    expect(new FactsCache({ dir, stamp: 's' }).get(k)?.globals[0]?.name).toBe('g7');
  });

  it('evicts the least recently used entries past its memory budget', () => {
    // Without a disk entry to measure, an entry weighs 5 bytes of facts per byte of source.
    const c = new FactsCache({ dir: null, stamp: 's', memBytes: 500 });
    c.set('k1', facts('1.c'), 40);
    c.set('k2', facts('2.c'), 40);
    expect(c.get('k1')).toBeDefined();
    c.set('k3', facts('3.c'), 40);
    expect(c.get('k2')).toBeUndefined();
    expect(c.get('k1')).toBeDefined();
    expect(c.get('k3')).toBeDefined();
  });

  it('weighs an entry by its facts, not by its source: a budget the facts of one file fill holds one file', () => {
    const dir = tmpDir('kreview-cache-');
    const big = (file: string): FileFacts => ({ ...facts(file), globals: Array.from({ length: 50 }, (_, i) => ({ ...facts(file, i).globals[0]! })) });
    const json = JSON.stringify(big('1.c')).length;
    const c = new FactsCache({ dir, stamp: 's', memBytes: json + 100 });
    c.set('k1', big('1.c'), 10);
    c.set('k2', big('2.c'), 10);
    // k1 is on disk only now: served from there.
    expect(c.get('k1')).toBeDefined();
    expect(c.stats.diskHits).toBe(1);
    expect(c.get('k1')).toBeDefined();
    expect(c.stats.memHits).toBe(1);
  });

  it('shares its memory with the other sharing caches of the thread, counting a hit on their entries once', () => {
    const a = new FactsCache({ dir: null, stamp: 's', shared: true });
    const b = new FactsCache({ dir: null, stamp: 's', shared: true });
    const alone = new FactsCache({ dir: null, stamp: 's' });
    const k = a.key('shared.c', 'int shared;');
    a.set(k, facts('shared.c', 3), 11);
    expect(b.get(k)?.globals[0]?.name).toBe('g3');
    b.get(k);
    expect([b.stats.memHits, b.stats.sharedHits]).toEqual([2, 1]);
    expect(alone.get(k)).toBeUndefined();
  });

  it('keeps working when the directory cannot be written', () => {
    // A directory below a regular file can never be created.
    const file = join(tmpDir('kreview-cache-'), 'plain-file');
    writeFileSync(file, 'x');
    const c = new FactsCache({ dir: join(file, 'cache'), stamp: 's' });
    c.set('k', facts('a.c'), 1);
    expect(c.stats.writes).toBe(0);
    expect(c.get('k')).toBeDefined();
  });
});
