/**
 * Hostile C: hand-made nasty sources, fixture files cut at random offsets,
 * and random token soup.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { IS_SOAK } from './helpers.js';

const TREE = new URL('../../fixtures/iommu/tree/', import.meta.url).pathname;

function cFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...cFiles(p));
    else if (/\.[ch]$/.test(name)) out.push(p);
  }
  return out;
}

/** The fixture tree's C files (written for this project), as [relative name, text]. */
export const FIXTURE_C: [string, string][] = cFiles(TREE).map((p) => [p.slice(TREE.length), readFileSync(p, 'utf8')]);

const GOTOS = IS_SOAK ? 10_000 : 3000;

export function nastyC(): Record<string, string> {
  const fn = (body: string) => `int f(struct s *g)\n{\n${body}\n}\n`;
  return {
    'parens-10000': fn(`\treturn ${'('.repeat(10_000)}a${')'.repeat(10_000)};`),
    'parens-10000-unclosed': fn(`\treturn ${'('.repeat(10_000)}a;`),
    'sum-100000-terms': fn(`\treturn ${Array(100_000).fill('a').join('+')};`),
    'calls-10000-nested': fn(`\treturn ${'f('.repeat(10_000)}0${')'.repeat(10_000)};`),
    // 100,000 lines take ~8 s to lower: `npm test` runs a tenth of it, the soak the whole (same for gotos).
    [IS_SOAK ? 'function-100000-lines' : 'function-10000-lines']: fn(Array.from({ length: IS_SOAK ? 100_000 : 10_000 }, (_, i) => `\tx${i % 7} = g->a + ${i};`).join('\n')),
    'blocks-10000-nested': fn(`${'{'.repeat(10_000)}mutex_lock(&g->m);${'}'.repeat(10_000)}`),
    'ifs-5000-nested': fn(`${'if (a) {\n'.repeat(5000)}x();${'}\n'.repeat(5000)}`),
    [`gotos-${GOTOS}`]: fn(Array.from({ length: GOTOS }, (_, i) => `l${i}: if (x) goto l${(i * 7919) % GOTOS};`).join('\n')),
    'switch-10000-cases': fn(`switch (x) {\n${Array.from({ length: 10_000 }, (_, i) => `case ${i}: y = ${i}; break;`).join('\n')}\n}`),
    'string-1mb': fn(`\tputs("${'x'.repeat(1024 * 1024)}");`),
    'string-unterminated': fn('\tputs("abc\n\tmutex_lock(&g->m);'),
    'comment-unterminated': fn('\t/* never closed\n\tmutex_lock(&g->m);'),
    'comment-1mb': `/*${' * x\n'.repeat(200_000)}*/\n${fn('\treturn 0;')}`,
    'directives-unbalanced': fn('#if A\n{\n#else\n}}\n#endif\n#endif\n#else\n\tmutex_lock(&g->m);'),
    'macro-soup': fn(`${'scoped_guard(mutex, &g->m) '.repeat(2000)}x();`),
    'foreach-soup': fn(`${'list_for_each_entry(p, &g->l, n) '.repeat(2000)}x();`),
    'annotations-everywhere': `${'__must_hold(&x->l) __acquires(y) __rcu '.repeat(5000)}\n${fn('\treturn 0;')}`,
    'nul-and-controls': fn('\tx = 1;\0\u0001\u0002\u001b[31m\tmutex_lock(&g->m);'),
    'lone-cr': fn('\tx = 1;\r\tmutex_lock(&g->m);\r\tmutex_unlock(&g->m);\r'),
    'crlf': fn('\tx = 1;\r\n\tmutex_lock(&g->m);\r\n\tmutex_unlock(&g->m);').replace(/\n/g, '\r\n'),
    'utf16-surrogates': fn('\tputs("\ud83d\ude00 \ud800");\n\t/* \udfff */ x = 1;'),
    'only-braces': '}'.repeat(100_000) + '{'.repeat(100_000),
    'empty': '',
    // Found by the soak: the statement starts with a MISSING identifier placed at the end of line 2.
    'missing-node-first': 'int f(struct s *g)\n{\n. int ++\n}\n',
    'backslash-newlines': fn('\tx = 1; \\\n\\\n\\\n'.repeat(IS_SOAK ? 10_000 : 3000)),
  };
}

/** A fixture file cut at a random offset (a truncated mail or a half-written file). */
export const truncatedC = fc
  .tuple(fc.integer({ min: 0, max: FIXTURE_C.length - 1 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([i, a, b]) => {
    const [name, text] = FIXTURE_C[i]!;
    const lo = Math.floor(Math.min(a, b) * text.length);
    const hi = Math.floor(Math.max(a, b) * text.length);
    // Either a prefix, or a slice out of the middle.
    return { name, text: a < 0.5 ? text.slice(0, hi) : text.slice(lo, hi) };
  });

const TOKENS = [
  'int', 'void', 'struct', 'static', 'return', 'if', 'else', 'while', 'for', 'do', 'switch', 'case', 'default', 'goto', 'break',
  'continue', 'sizeof', 'typeof', '(', ')', '{', '}', '[', ']', ';', ',', ':', '?', '*', '&', '->', '.', '=', '==', '+', '-',
  '++', '!', '...', '"s"', "'c'", '0x1f', '42', 'a', 'b', 'g', 'mutex_lock', 'mutex_unlock', 'guard(mutex)', 'scoped_guard',
  'list_for_each_entry', 'WARN_ON', 'container_of', 'lockdep_assert_held', '__must_hold', '__free(kfree)', '__rcu',
  'DEFINE_MUTEX', 'INIT_WORK', '#if 0', '#ifdef X', '#else', '#endif', '#define M(x) x', '/*', '*/', '//', '\n', '\\\n', ' ', '\t',
];

/** Random C-ish token soup, sometimes inside a function body. */
export const tokenSoup = fc
  .tuple(fc.array(fc.constantFrom(...TOKENS), { maxLength: 200 }), fc.boolean())
  .map(([toks, wrap]) => {
    const body = toks.map((t) => (t.startsWith('#') ? `\n${t}\n` : t)).join(' ');
    return wrap ? `int f(struct s *g)\n{\n${body}\n}\n` : body;
  });
