import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lint, PRELUDE } from './helpers.js';
import { parseLockClaim, parseValueClaim } from '../../src/rules/comment-code-mismatch.js';

const rule = 'comment-code-mismatch';
const DOM = `
struct dom { int t; };
struct g { struct dom *domain; struct dom *default_domain; int owner_cnt; int n; };
`;

describe('comment-code-mismatch', () => {
  it('reads the values a comment allows', () => {
    expect(parseValueClaim('and the current domain must be set back to NULL or the default domain.')).toMatchObject({
      subject: ['domain'],
      values: [{ text: 'NULL', null: true }, { words: 'default_domain' }],
    });
    expect(parseLockClaim('Caller must hold group->mutex.')).toBe('group->mutex');
    expect(parseLockClaim('Must be called with &priv->lock held')).toBe('priv->lock');
    expect(parseLockClaim('Context: Process context. Takes and releases the lock.')).toBeNull();
  });

  it('finds the seed case: the comment admits NULL, the WARN_ON fires on NULL', () => {
    const text = readFileSync(new URL('../../fixtures/rules/seed/group.c', import.meta.url), 'utf8');
    const f = lint({ 'drivers/dgroup.c': text }, { rule });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ function: 'dgroup_empty_check', line: 48 });
    expect(f[0]!.message).toMatch(/allows group->domain to be NULL, but WARN_ON\(\) fires when group->domain is NULL \(unless group->default_domain is NULL too\)/);
  });

  it('does not report a comment that matches its check', () => {
    expect(lint(DOM + `
void check(struct g *g)
{
	/* The domain must be NULL or the default domain. */
	WARN_ON(g->domain && g->domain != g->default_domain);
	/* the domain must be the default domain or the blocking domain */
	WARN_ON(g->domain != g->default_domain && g->domain != g->blocking_domain);
}
`, { rule })).toEqual([]);
  });

  it('finds "Caller must hold X" on a function that asserts another lock, and on one whose caller does not hold X', () => {
    const f = lint(PRELUDE + `
struct pair { struct mutex a; struct mutex b; int n; };
/* Caller must hold p->a. */
static void pair_set(struct pair *p)
{
	lockdep_assert_held(&p->b);
	p->n = 1;
}
/**
 * pair_bump - bump the counter
 * @p: the pair
 *
 * Context: called with p->a held.
 */
static void pair_bump(struct pair *p)
{
	p->n++;
}
void user(struct pair *p)
{
	mutex_lock(&p->a);
	mutex_unlock(&p->a);
	pair_bump(p);
}
void fine(struct pair *p)
{
	mutex_lock(&p->a);
	pair_bump(p);
	mutex_unlock(&p->a);
}
`, { rule });
    expect(f.map((x) => [x.function, x.lock])).toEqual([
      ['pair_set', 'p->a'],
      ['pair_bump', 'p->a'],
    ]);
    expect(f[0]!.message).toMatch(/asserts p->b/);
    expect(f[1]!.message).toMatch(/user\(\) calls pair_bump\(\) without it/);
  });

  it('finds a comment naming a function or field that does not exist, not one that does', () => {
    const f = lint(DOM + `
static void old_helper(struct g *g) { g->n = 0; }
static void old_other(struct g *g) { g->n = 1; }
static void old_third(struct g *g) { g->n = 2; }
void user(struct g *g)
{
	/* old_helper() resets g->n; old_reset() used to clear g->count too, see ->reset() and kfree() */
	old_helper(g);
}
`, { rule });
    expect(f.map((x) => x.message)).toEqual([
      expect.stringMatching(/names old_reset\(\), which is not defined/),
      expect.stringMatching(/names g->count, but struct g has no field count/),
    ]);
  });

  it('takes a field #defined as another path (`#define d_lock d_lockref.lock`) for a field', () => {
    const src = (alias: string) => ({
      'include/dentry.h': `struct spinlock { int x; };\nstruct lockref { struct spinlock lock; int count; };\nstruct dentry { struct lockref d_lockref; int d_flags; };\n${alias}`,
      'fs/d.c': `#include <dentry.h>
void set_flags(struct dentry *dentry)
{
	/* dentry->d_lock must be held by the caller */
	dentry->d_flags = 1;
}
`,
    });
    expect(lint(src('#define d_lock d_lockref.lock\n'), { rule })).toEqual([]);
    expect(lint(src(''), { rule }).map((x) => x.message)).toEqual([expect.stringMatching(/names dentry->d_lock, but struct dentry has no field d_lock/)]);
  });
});
