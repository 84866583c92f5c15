import { describe, expect, test } from 'vitest';
import { exploreWarn, verdictOf } from '../../src/model/scenarios/warn-reachable.js';
import { DEFAULT_BOUNDS } from '../../src/model/bounds.js';
import { CallGraph, planFor, warnTargets } from '../../src/rules/warn-reachable.js';
import { memIndex } from './helpers.js';

const F = 'drivers/misc/widget.c';

/** A widget: probe allocates it, break_it moves it to state 2, remove checks it. */
function widget(remove: string): string {
  return `// Fixture for kreview: written for this project
struct widget {
	int state;
	int users;
};

struct holder {
	struct widget *w;
};

static void widget_check(struct widget *w)
{
	WARN_ON(w->state == 2);
}

int widget_probe(struct holder *h)
{
	struct widget *w;

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	w->state = 1;
	h->w = w;
	return 0;
}

void widget_break(struct holder *h)
{
	h->w->state = 2;
}

void widget_get(struct holder *h)
{
	h->w->users++;
}

${remove}
`;
}

const PLAIN = `void widget_remove(struct holder *h)
{
	widget_check(h->w);
	kfree(h->w);
	h->w = NULL;
}`;

const GUARDED = `void widget_remove(struct holder *h)
{
	if (h->w->state != 2)
		widget_check(h->w);
	kfree(h->w);
	h->w = NULL;
}`;

function verdict(text: string) {
  const index = memIndex({ [F]: text });
  const fns = index.functionsIn(F);
  const check = fns.find((f) => f.name === 'widget_check')!;
  const [t] = warnTargets(check);
  expect(t!.target).toMatchObject({ struct: 'struct widget', base: 'w', fields: ['state'] });
  const plan = planFor(index, new CallGraph(index), fns.filter((f) => !f.isStatic), fns, t!.target)!;
  expect(plan.setup.map((f) => f.name)).toEqual(['widget_probe']);
  expect(plan.finals.map((f) => f.name)).toEqual(['widget_remove']);
  expect(plan.middles.map((m) => m.fn.name)).toEqual(['widget_break']); // widget_get writes users, which the WARN does not read
  const ex = exploreWarn(index, t!.target, plan, { bounds: { ...DEFAULT_BOUNDS, timeMs: 1000 }, budgetMs: 5000, maxRuns: 8, maxLen: 4 });
  return { ex, c: verdictOf(t!.target, ex, 4) };
}

describe('warn-reachable scenario', () => {
  test('a WARN that a setter entry point makes fire is confirmed, with the sequence and the value', () => {
    const { ex, c } = verdict(widget(PLAIN));
    expect(c.status, c.summary).toBe('confirmed');
    expect(ex.firing.map((f) => f.entries)).toEqual([['widget_probe', 'widget_break', 'widget_remove']]);
    expect(ex.firing[0]!.explanation).toBe('when widget_remove() runs after widget_break(), with w->state = 2');
    const steps = c.trace.map((s) => `${s.thread}: ${s.step}`);
    expect(steps[0]).toBe('T0: widget_probe(h)');
    expect(steps).toContain('T0: widget_break(h) returns  [w->state = 2]');
    expect(steps.at(-1)).toBe('T0: WARN_ON(w->state == 2)  [fires: w->state = 2]');
  });

  test('the same WARN behind a guard in its caller fires on no sequence: refuted', () => {
    const { ex, c } = verdict(widget(GUARDED));
    expect(ex.firing).toEqual([]);
    expect(c.status, c.summary).toBe('refuted');
    expect(c.summary).toMatch(/fires on no sequence of up to 4 entry points/);
  });
});
