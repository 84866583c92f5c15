/**
 * warn-reachable in a series analysis: the WARNs a series cannot change are
 * explored once (reused in every view, lines moved) or, for lint and review,
 * not at all; what those commands report stays the same.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadPatchSeries } from '../../src/cli/load.js';
import { analyseSeries, preexistingInChanged, seriesChange, type SeriesAnalysis } from '../../src/cli/series-analysis.js';
import { memoryIo } from '../../src/cli/io.js';
import { DiskTree } from '../../src/parse/disk-tree.js';
import { applySeries } from '../../src/parse/apply.js';
import { parseDiff } from '../../src/parse/diff.js';
import { defaultConfig } from '../../src/rules/config.js';
import { recalledWarn } from '../../src/model/scenarios/warn-reachable.js';
import type { Finding } from '../../src/report/schema.js';
import type { TreeIndex } from '../../src/parse/index/types.js';

const F = 'drivers/misc/widget.c';

// Fixture for kreview: written for this project. Three WARNs: patch 1 fixes
// the first (and shifts the lines of everything below it), patch 2 makes the
// second fire, the third fires all along and no patch touches its code.
const WIDGET = `// Fixture for kreview: written for this project
struct widget {
	int state;
	int mode;
	int level;
};

struct holder {
	struct widget *w;
};

static void widget_check(struct widget *w)
{
	WARN_ON(w->state == 2);
}

static void widget_mode_check(struct widget *w)
{
	WARN_ON(w->mode == 3);
}

static void widget_level_check(struct widget *w)
{
	WARN_ON(w->level > 4);
}

int widget_probe(struct holder *h)
{
	struct widget *w;

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	w->state = 1;
	w->mode = 1;
	w->level = 1;
	h->w = w;
	return 0;
}

void widget_break(struct holder *h)
{
	h->w->state = 2;
}

void widget_set_mode(struct holder *h)
{
	h->w->mode = 1;
}

void widget_raise(struct holder *h)
{
	h->w->level = 5;
}

void widget_query(struct holder *h)
{
	widget_mode_check(h->w);
}

void widget_measure(struct holder *h)
{
	widget_level_check(h->w);
}

void widget_remove(struct holder *h)
{
	widget_check(h->w);
	kfree(h->w);
	h->w = NULL;
}
`;

const mail = (i: number, subject: string, diff: string) => `From mboxrd@z Thu Jan  1 00:00:00 1970
From: Ann Example <ann@example.net>
Subject: [PATCH ${i}/2] ${subject}
Date: Mon, 27 Apr 2026 14:30:0${i} +0000
Message-ID: <${i}-of-2.widget@example.net>
In-Reply-To: <cover.widget@example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

${subject}.
---
diff --git a/${F} b/${F}
--- a/${F}
+++ b/${F}
${diff}`;

const COVER = `From mboxrd@z Thu Jan  1 00:00:00 1970
From: Ann Example <ann@example.net>
Subject: [PATCH 0/2] widget: states
Date: Mon, 27 Apr 2026 14:30:00 +0000
Message-ID: <cover.widget@example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

Two patches.
`;

const P1 = `@@ -40,7 +40,8 @@
 
 void widget_break(struct holder *h)
 {
-	h->w->state = 2;
+	/* the broken state is gone */
+	h->w->state = 3;
 }
 
 void widget_set_mode(struct holder *h)
`;
const P2 = `@@ -46,7 +46,7 @@
 
 void widget_set_mode(struct holder *h)
 {
-	h->w->mode = 1;
+	h->w->mode = 3;
 }
 
 void widget_raise(struct holder *h)
`;

/** The confirmation the rule kept, its time left out. */
const recalled = (index: TreeIndex, f: Finding) => {
  const r = recalledWarn(index, f)!;
  return { ...r, confirmation: { ...r.confirmation, summary: r.confirmation.summary.replace(/\d+ ms\b/g, 'N ms') } };
};

const ids = (fs: Finding[]) => fs.map((f) => `${f.id}@${f.patch?.index ?? '-'}`).sort();

describe('warn-reachable over the views of a series', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kreview-series-warn-'));
  const tree = join(dir, 'tree');
  let plain: SeriesAnalysis;
  let focused: SeriesAnalysis;
  let fresh: SeriesAnalysis;
  beforeAll(async () => {
    mkdirSync(join(tree, 'drivers/misc'), { recursive: true });
    writeFileSync(join(tree, F), WIDGET);
    writeFileSync(join(dir, 'series.mbox'), `${COVER}\n${mail(1, 'widget: never break the state', P1)}\n${mail(2, 'widget: mode 3', P2)}`);
    const { series, patches } = await loadPatchSeries(memoryIo(), [join(dir, 'series.mbox')], { loreUrl: 'http://127.0.0.1:9' });
    const config = defaultConfig();
    plain = analyseSeries(new DiskTree(tree), series, patches, config);
    focused = analyseSeries(new DiskTree(tree), series, patches, config, { focus: true });
    fresh = analyseSeries(new DiskTree(tree), series, patches, config, { reuse: false });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const warns = (fs: Finding[]) => fs.filter((f) => f.rule === 'warn-reachable');

  test('the fixture: patch 1 fixes the state WARN, patch 2 introduces the mode WARN, the level WARN fires throughout', () => {
    expect(warns(fresh.fixed).map((f) => [f.message, f.patch?.index])).toEqual([[expect.stringMatching(/^WARN_ON\(w->state == 2\) fires/), 1]]);
    expect(warns(fresh.introduced).map((f) => [f.message, f.patch?.index])).toEqual([[expect.stringMatching(/^WARN_ON\(w->mode == 3\) fires/), 2]]);
    expect(warns(fresh.preexisting).map((f) => f.message)).toEqual([expect.stringMatching(/^WARN_ON\(w->level > 4\) fires/)]);
  });

  test('each exploration the patches cannot change runs once: the same findings, the same traces, lines moved', () => {
    // Three views, three WARNs with a plan: the level WARN is explored once and reused twice.
    expect(plain.warn.reused).toBeGreaterThanOrEqual(2);
    expect(plain.outcomes.map((o) => ids(o.present))).toEqual(fresh.outcomes.map((o) => ids(o.present)));
    expect(ids(plain.introduced)).toEqual(ids(fresh.introduced));
    expect(ids(plain.fixed)).toEqual(ids(fresh.fixed));
    for (const [a, b] of [[plain.after, fresh.after], [plain.before, fresh.before]] as const) {
      expect(a.findings).toEqual(b.findings);
      for (const f of warns(b.findings)) expect(recalled(a.index, f)).toEqual(recalled(b.index, f));
    }
    // The level WARN's entry points sit below patch 1's added line: its reused trace moved with them.
    const level = warns(plain.after.findings).find((f) => /level/.test(f.message))!;
    const trace = recalledWarn(plain.after.index, level)!.confirmation.trace;
    const baseLine = WIDGET.split('\n').indexOf('void widget_measure(struct holder *h)') + 1;
    expect(trace.find((s) => s.step.startsWith('widget_measure('))!.line).toBe(baseLine + 1);
  });

  test('with the focus, the WARN no patch can change is not explored, and lint and review see the same', () => {
    expect(focused.warn.skipped).toBeGreaterThan(0);
    expect(ids(focused.introduced)).toEqual(ids(fresh.introduced));
    expect(ids(focused.fixed)).toEqual(ids(fresh.fixed));
    expect(ids(preexistingInChanged(focused))).toEqual(ids(preexistingInChanged(fresh)));
    expect(warns(focused.after.findings).some((f) => /level/.test(f.message))).toBe(false);
  });

  test('the focus names the functions whose code changed; a comment alone changes only the text', () => {
    const base = new DiskTree(tree);
    const patched = (diff: string) => applySeries(base, [{ index: 1, total: 1, subject: 's', messageId: null, source: 't', files: parseOne(diff) }]).snapshots[0]!;
    const comment = `@@ -42,3 +42,4 @@
 {
+\t/* why */
 \th->w->state = 2;
 }
`;
    const f = seriesChange([base, patched(comment)], [F], defaultConfig())!.focus;
    expect([...f.code]).toEqual([]);
    expect([...f.text]).toEqual([`${F}\0widget_break`]);
    const code = seriesChange([base, patched(P2.replace(/-46,7 \+46,7/, '-45,7 +45,7'))], [F], defaultConfig())!.focus;
    expect([...code.code]).toEqual(['widget_set_mode']);
    // A change outside the functions (the struct) can change any exploration: no focus.
    const struct = `@@ -4,3 +4,4 @@
 \tint mode;
+\tint extra;
 \tint level;
 };
`;
    expect(seriesChange([base, patched(struct)], [F], defaultConfig())).toBeNull();
  });
});

function parseOne(hunks: string) {
  return parseDiff(`diff --git a/${F} b/${F}\n--- a/${F}\n+++ b/${F}\n${hunks}`, 'test');
}

describe('the views of a series over a git tree', () => {
  test('share one git snapshot: no view runs git status, and the findings are those of a plain tree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kreview-series-git-'));
    try {
      const tree = join(dir, 'tree');
      mkdirSync(join(tree, 'drivers/misc'), { recursive: true });
      writeFileSync(join(tree, F), WIDGET);
      const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: tree, stdio: 'ignore' });
      git('init', '-q');
      git('add', '.');
      git('commit', '-q', '-m', 'base');
      writeFileSync(join(dir, 'series.mbox'), `${COVER}\n${mail(1, 'widget: never break the state', P1)}\n${mail(2, 'widget: mode 3', P2)}`);
      const { series, patches } = await loadPatchSeries(memoryIo(), [join(dir, 'series.mbox')], { loreUrl: 'http://127.0.0.1:9' });
      const a = analyseSeries(new DiskTree(tree), series, patches, defaultConfig());
      for (const run of [a.before, a.after]) {
        // A definition search goes through the per-commit table, which needs the tree's git state.
        run.index.functions('no_such_function_anywhere');
        const st = (run.index as TreeIndex & { stats(): { search: { gitStatus: number; declBuilds: number; declShardLoads: number } } }).stats().search;
        expect(st.gitStatus).toBe(0);
        expect(st.declBuilds + st.declShardLoads).toBeGreaterThan(0);
      }
      const plainDir = join(dir, 'plain');
      mkdirSync(join(plainDir, 'drivers/misc'), { recursive: true });
      writeFileSync(join(plainDir, F), WIDGET);
      const b = analyseSeries(new DiskTree(plainDir), series, patches, defaultConfig());
      expect(ids(a.introduced)).toEqual(ids(b.introduced));
      expect(ids(a.fixed)).toEqual(ids(b.fixed));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
