import { beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { loadPatchSeries } from '../../src/cli/load.js';
import { configFor, treeRoot } from '../../src/cli/analyse.js';
import { analyseSeries, type SeriesAnalysis } from '../../src/cli/series-analysis.js';
import { memoryIo } from '../../src/cli/io.js';
import { DiskTree } from '../../src/parse/disk-tree.js';
import { confirmAll } from '../../src/model/confirm.js';
import { defaultConfig } from '../../src/rules/config.js';
import { runRules } from '../../src/rules/engine.js';
import { warnReachable } from '../../src/rules/warn-reachable.js';
import { memIndex } from './helpers.js';

const F = 'drivers/misc/widget.c';

function widget(helper: string): string {
  return `// Fixture for kreview: written for this project
struct widget {
	int state;
};

struct holder {
	struct widget *w;
};

static void ${helper}(struct widget *w)
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

void widget_remove(struct holder *h)
{
	${helper}(h->w);
	kfree(h->w);
	h->w = NULL;
}
`;
}

describe('warn-reachable on a C snippet', () => {
  const lint = (text: string) => {
    const index = memIndex({ [F]: text });
    const raw = runRules({ index, files: [F], config: defaultConfig(), rules: [warnReachable] });
    return { raw, confirmed: confirmAll(raw, index) };
  };

  test('one finding per firing set of entry points, confirmed with the model witness, the function given back', () => {
    const { raw, confirmed } = lint(widget('widget_check'));
    expect(raw).toHaveLength(1);
    const f = confirmed[0]!;
    expect(f).toMatchObject({ rule: 'warn-reachable', severity: 'warning', function: 'widget_check' });
    expect(f.line).toBe(widget('widget_check').split('\n').findIndex((l) => l.includes('WARN_ON(')) + 1);
    expect(f.message).toBe('WARN_ON(w->state == 2) fires when widget_remove() runs after widget_break(), with w->state = 2');
    expect(f.confirmation.status).toBe('confirmed');
    expect(f.confirmation.trace.map((s) => s.step)).toContain('widget_break(h)');
    expect(f.related.map((r) => r.function)).toEqual(['widget_probe', 'widget_break', 'widget_remove']);
  });

  test('a WARN that fires right after setup, on a field setup never wrote, is not reported', () => {
    // The capability count is filled in from hardware in a real driver (an ops
    // table, a register read): the model leaves it unset, so it may be 0.
    const text = `// Fixture for kreview: written for this project
struct caps {
	int pins;
};

struct gadget {
	struct caps caps;
	int on;
};

struct holder {
	struct gadget *g;
};

int gadget_probe(struct holder *h)
{
	struct gadget *g;

	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g)
		return -ENOMEM;
	g->on = 1;
	h->g = g;
	return 0;
}

void gadget_init_caps(struct holder *h)
{
	h->g->caps.pins = 8;
}

static void gadget_check(struct gadget *g)
{
	WARN_ON(g->caps.pins == 0);
}

void gadget_set_pin(struct holder *h)
{
	gadget_check(h->g);
}
`;
    expect(lint(text).raw).toEqual([]);
    // (The first test above has the reported shape: widget_break() changes the state in between.)
  });

  test('the id depends on the entry points, not on the helper the WARN sits in', () => {
    const a = lint(widget('widget_check')).raw[0]!;
    const b = lint(widget('widget_assert_sane')).raw[0]!;
    expect(a.function).toBeNull();
    expect(b.id).toBe(a.id);
  });
});

describe('warn-reachable on the fixture series (seed point 2)', () => {
  const FIXTURES = join(import.meta.dirname, '../../fixtures/iommu');
  const IOMMU_C = 'drivers/iommu/iommu.c';
  let v3: SeriesAnalysis;
  let upTo06: SeriesAnalysis;
  let config: ReturnType<typeof configFor>;

  beforeAll(async () => {
    const root = treeRoot(join(FIXTURES, 'tree'));
    config = configFor(root, undefined);
    const { series, patches } = await loadPatchSeries(memoryIo(), [join(FIXTURES, 'series-v3.mbox')], { loreUrl: '' });
    v3 = analyseSeries(new DiskTree(root), series, patches, config);
    upTo06 = analyseSeries(new DiskTree(root), series, patches.slice(0, 6), config);
  }, 120_000);

  const seedWarn = (a: SeriesAnalysis) => {
    const text = a.after.index.view.read(IOMMU_C)!.split('\n');
    return text.findIndex((l) => l.includes('WARN_ON(group->owner_cnt ||')) + 1;
  };

  test('after v3 the quarantine sequence is new, on the WARN_ON of __iommu_group_empty_assert_owner_cnt(), pinned to 07/11', () => {
    const wr = v3.introduced.filter((f) => f.rule === 'warn-reachable');
    expect(wr).toHaveLength(1);
    const [f] = confirmAll(wr, v3.after.index);
    expect(f!.line).toBe(seedWarn(v3));
    expect(f!.function).toBe('__iommu_group_empty_assert_owner_cnt');
    expect(f!.patch).toEqual({ index: 7, total: 11 });
    expect(f!.message).toMatch(/^WARN_ON\(group->owner_cnt \|\| group->domain != group->default_domain\) fires when iommu_release_device\(\) runs after iommu_report_device_broken\(\)/);
    expect(f!.message).toContain('group->domain = group->blocking_domain');
    expect(f!.confirmation.status).toBe('confirmed');
    const steps = f!.confirmation.trace.map((s) => `${s.thread}: ${s.step}`);
    expect(steps[0]).toBe('T0: iommu_probe_device(dev)');
    expect(steps).toContain('T0: iommu_report_device_broken(dev)');
    expect(steps.some((s) => /^T1: iommu_group_device_quarantine_work\(\) returns {2}\[.*group->domain = group->blocking_domain/.test(s))).toBe(true);
    expect(steps).toContain('T0: iommu_release_device(dev)');
    expect(steps.at(-1)).toMatch(/^T0: WARN_ON\(group->owner_cnt \|\| group->domain != group->default_domain\) {2}\[fires: .*group->domain = group->blocking_domain/);
  });

  test('ownership still claimed when the last device goes fires before and after the series: not news', () => {
    const claimed = v3.preexisting.filter((f) => f.rule === 'warn-reachable' && /after iommu_group_claim_dma_owner\(\)/.test(f.message));
    expect(claimed).toHaveLength(1);
    expect(v3.before.findings.some((f) => f.id === claimed[0]!.id && f.line !== claimed[0]!.line)).toBe(true);
  });

  test('without 07/11 nothing warn-reachable is new for that WARN_ON', () => {
    expect(upTo06.introduced.filter((f) => f.rule === 'warn-reachable')).toEqual([]);
    // It still fires on the contract breaches it is there for (lint --all shows them).
    const line = seedWarn(upTo06);
    expect(upTo06.preexisting.filter((f) => f.rule === 'warn-reachable' && f.line === line).length).toBeGreaterThan(0);
  });
});
