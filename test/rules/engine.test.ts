import { describe, expect, it } from 'vitest';
import { Finding } from '../../src/report/schema.js';
import { defaultConfig, parseConfig } from '../../src/rules/config.js';
import { runRules } from '../../src/rules/engine.js';
import { RULES, ruleById } from '../../src/rules/registry.js';
import { lint, memIndex, PRELUDE } from './helpers.js';

const TWICE = PRELUDE + `
void twice(struct grp *g)
{
	mutex_lock(&g->mutex);
	mutex_lock(&g->mutex);
	mutex_unlock(&g->mutex);
}
int early(struct grp *g, int v)
{
	mutex_lock(&g->mutex);
	if (v)
		return v;
	mutex_unlock(&g->mutex);
	return 0;
}
`;

describe('rule engine', () => {
  it('lists the contract rule ids with their metadata', () => {
    expect(RULES.map((r) => r.meta.id)).toEqual(['assert-held-caller', 'sync-under-lock', 'double-lock', 'lock-imbalance', 'comment-code-mismatch', 'warn-reachable']);
    for (const r of RULES) expect(r.meta.docs.length).toBeGreaterThan(r.meta.description.length);
    expect(ruleById('double-lock')!.meta.severity).toBe('error');
  });

  it('produces contract findings with an unknown confirmation and no patch', () => {
    const f = lint(TWICE);
    expect(f.map((x) => x.rule)).toEqual(['double-lock', 'lock-imbalance']);
    for (const x of f) {
      expect(() => Finding.parse(x)).not.toThrow();
      expect(x.patch).toBeNull();
      expect(x.confirmation).toEqual({ status: 'unknown', summary: 'not run through the model', trace: [] });
    }
  });

  it('keeps ids stable when lines move, and distinct for distinct findings', () => {
    const a = lint(TWICE);
    const b = lint('\n\n/* moved */\n' + TWICE);
    expect(b.map((x) => x.line)).toEqual(a.map((x) => x.line + 3));
    expect(b.map((x) => x.id)).toEqual(a.map((x) => x.id));
    expect(new Set(a.map((x) => x.id)).size).toBe(a.length);
  });

  it('turns rules off and overrides severities from the configuration', () => {
    const f = lint(TWICE, { config: { rules: { 'lock-imbalance': 'off', 'double-lock': 'info' } } });
    expect(f.map((x) => [x.rule, x.severity])).toEqual([['double-lock', 'info']]);
    expect(lint(TWICE, { config: { rules: { 'double-lock': false } } }).map((x) => x.rule)).toEqual(['lock-imbalance']);
  });

  it('checks only the functions asked for', () => {
    const index = memIndex({ 't.c': TWICE });
    const f = runRules({ index, files: ['t.c'], functions: new Set(['early']), config: parseConfig({}) });
    expect(f.map((x) => x.function)).toEqual(['early']);
  });

  it('treats configured lock aliases as the same lock', () => {
    const src = PRELUDE + `
struct pair { struct mutex lock; struct mutex *alt; };
void both(struct pair *p)
{
	mutex_lock(&p->lock);
	mutex_lock(p->alt);
	mutex_unlock(p->alt);
	mutex_unlock(&p->lock);
}
`;
    expect(lint(src, { rule: 'double-lock' })).toEqual([]);
    expect(lint(src, { rule: 'double-lock', config: { lockAliases: { '*p->alt': 'p->lock' } } }).map((x) => x.lock)).toEqual(['p->lock']);
  });
});

describe('rule engine on awkward C', () => {
  it('survives recursion, mutual recursion and calls through function pointers', () => {
    const f = lint(PRELUDE + `
struct ops { void (*cb)(struct grp *g); };
static void walk(struct grp *g, int n);
static void walk2(struct grp *g, int n)
{
	if (n)
		walk(g, n - 1);
}
static void walk(struct grp *g, int n)
{
	mutex_lock(&g->mutex);
	mutex_unlock(&g->mutex);
	walk2(g, n);
	walk(g, n - 1);
}
void run(struct grp *g, struct ops *ops)
{
	mutex_lock(&g->mutex);
	ops->cb(g);
	(*ops->cb)(g);
	walk(g, 3);
	mutex_unlock(&g->mutex);
}
`);
    expect(f.map((x) => [x.rule, x.function])).toEqual([['double-lock', 'run']]);
  });
});

describe('caller prefetch', () => {
  it('asks for the callers of every waiting or lock-claiming function in one go, before any single lookup', () => {
    const src = `${PRELUDE}
struct dev { struct mutex lock; struct work_struct work; };
static void dev_work(struct work_struct *w) { struct dev *d = container_of(w, struct dev, work); mutex_lock(&d->lock); mutex_unlock(&d->lock); }
void dev_init(struct dev *d) { INIT_WORK(&d->work, dev_work); }
void dev_stop(struct dev *d) { cancel_work_sync(&d->work); }
/* Caller must hold d->lock. */
void dev_poke(struct dev *d) { d->lock.x = 1; }
void dev_plain(struct dev *d) { dev_poke(d); }
void dev_close(struct dev *d) { mutex_lock(&d->lock); dev_stop(d); mutex_unlock(&d->lock); }
`;
    const index = memIndex({ 't.c': src });
    const events: string[] = [];
    const callers = index.callers.bind(index);
    const traced = {
      ...index,
      prefetchCallers: (names: string[]) => void events.push(`prefetch ${names.join(',')}`),
      callers: (name: string) => {
        events.push(`callers ${name}`);
        return callers(name);
      },
    };
    const found = runRules({ index: traced, files: ['t.c'], config: defaultConfig() });
    expect(events[0]).toBe('prefetch dev_poke,dev_stop');
    expect(events.slice(1).every((e) => e.startsWith('callers '))).toBe(true);
    expect(found.some((f) => f.rule === 'sync-under-lock' && f.function === 'dev_stop')).toBe(true);
  });
});
