/**
 * Summaries shared between the views of a series: a function that depends
 * on nothing the series touches is summarised once for every view; one that
 * calls into a touched file, or waits on work a touched file binds, is
 * summarised again in each view. Either way the report is the one a run
 * without sharing gives.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadPatchSeries } from '../../src/cli/load.js';
import { analyseSeries, seriesChange, type SeriesAnalysis } from '../../src/cli/series-analysis.js';
import { memoryIo } from '../../src/cli/io.js';
import { DiskTree } from '../../src/parse/disk-tree.js';
import { applySeries } from '../../src/parse/apply.js';
import type { PatchSource } from '../../src/parse/diff-schema.js';
import { createIndex } from '../../src/parse/index/index.js';
import { defaultConfig } from '../../src/rules/config.js';
import { Summaries, type Summary } from '../../src/rules/summaries.js';
import { SummaryShare, type ShareScope } from '../../src/rules/summary-share.js';
import type { Finding } from '../../src/report/schema.js';

// Fixture for kreview: written for this project. gadget-core.c is what the
// series touches; gadget-lib.c is not touched but calls back into it.
const HEADER = `// Fixture for kreview: written for this project
struct gadget {
	struct mutex lock;
	struct work_struct work;
	int n;
};

void gadget_inner(struct gadget *g);
void gadget_helper(struct gadget *g);
void gadget_stop(struct gadget *g);
void gadget_poke(struct gadget *g);
int gadget_count(struct gadget *g);
`;

const LIB = `// Fixture for kreview: written for this project
#include "gadget.h"

void gadget_helper(struct gadget *g)
{
	gadget_inner(g);
}

void gadget_stop(struct gadget *g)
{
	cancel_work_sync(&g->work);
}

void gadget_poke(struct gadget *g)
{
	gadget_extra(g);
}

int gadget_count(struct gadget *g)
{
	int n;

	mutex_lock(&g->lock);
	n = g->n;
	mutex_unlock(&g->lock);
	return n;
}
`;

const CORE = `// Fixture for kreview: written for this project
#include "gadget.h"

void gadget_inner(struct gadget *g)
{
	g->n++;
}

static void gadget_work_fn(struct work_struct *w)
{
	struct gadget *g = container_of(w, struct gadget, work);

	mutex_lock(&g->lock);
	g->n = 0;
	mutex_unlock(&g->lock);
}

void gadget_init(struct gadget *g)
{
	mutex_init(&g->lock);
}

int gadget_run(struct gadget *g)
{
	int n;

	mutex_lock(&g->lock);
	n = g->n;
	mutex_unlock(&g->lock);
	gadget_helper(g);
	gadget_poke(g);
	return n + gadget_count(g);
}

void gadget_shutdown(struct gadget *g)
{
	mutex_lock(&g->lock);
	gadget_stop(g);
	mutex_unlock(&g->lock);
}
`;

const CORE_F = 'drivers/misc/gadget-core.c';
const HEADER_F = 'drivers/misc/gadget.h';

// Patch 1: the callee in the touched file now wants the lock, which the untouched helper's callers do
// not hold; and gadget_extra(), which an untouched helper calls but nothing defined, appears and wants it too.
const ASSERT = `--- a/${CORE_F}
+++ b/${CORE_F}
@@ -4,5 +4,11 @@
 void gadget_inner(struct gadget *g)
 {
+\tlockdep_assert_held(&g->lock);
 \tg->n++;
 }
+
+void gadget_extra(struct gadget *g)
+{
+\tlockdep_assert_held(&g->lock);
+}
 `;

// Patch 2: the work the untouched gadget_stop() cancels is now bound, to a function that takes the lock
// gadget_shutdown() holds around it (a deadlock reported at the wait, in gadget-lib.c).
const BIND = `--- a/${CORE_F}
+++ b/${CORE_F}
@@ -20,5 +20,6 @@
 void gadget_init(struct gadget *g)
 {
 \tmutex_init(&g->lock);
+\tINIT_WORK(&g->work, gadget_work_fn);
 }
 `;

// A change outside any function (the struct): nothing can be shared.
const FIELD = `--- a/${HEADER_F}
+++ b/${HEADER_F}
@@ -4,4 +4,5 @@
 \tstruct work_struct work;
 \tint n;
+\tint m;
 };
 `;

const mail = (i: number, total: number, subject: string, diff: string) => `From mboxrd@z Thu Jan  1 00:00:00 1970
From: Ann Example <ann@example.net>
Subject: [PATCH ${i}/${total}] ${subject}
Date: Mon, 27 Apr 2026 14:30:0${i} +0000
Message-ID: <${i}-of-${total}.gadget@example.net>
${i > 1 ? `In-Reply-To: <1-of-${total}.gadget@example.net>\n` : ''}MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

${subject}.
---
diff --git a/${diff.split('\n')[0]!.slice(6)} b/${diff.split('\n')[0]!.slice(6)}
${diff}
`;

describe('summaries shared between the views of a series', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kreview-share-'));
  const tree = join(dir, 'tree');
  type Run = { shared: SeriesAnalysis; fresh: SeriesAnalysis; patches: PatchSource[] };
  const run = async (name: string, mbox: string): Promise<Run> => {
    writeFileSync(join(dir, name), mbox);
    const { series, patches } = await loadPatchSeries(memoryIo(), [join(dir, name)], { loreUrl: 'http://127.0.0.1:9' });
    const config = defaultConfig();
    return {
      shared: analyseSeries(new DiskTree(tree), series, patches, config),
      fresh: analyseSeries(new DiskTree(tree), series, patches, config, { reuse: false }),
      patches,
    };
  };
  const ids = (fs: Finding[]) => fs.map((f) => `${f.rule} ${f.file}:${f.line} ${f.message}`).sort();
  let two: Run;
  let header: Run;

  beforeAll(async () => {
    mkdirSync(join(tree, 'drivers/misc'), { recursive: true });
    writeFileSync(join(tree, HEADER_F), HEADER);
    writeFileSync(join(tree, 'drivers/misc/gadget-lib.c'), LIB);
    writeFileSync(join(tree, CORE_F), CORE);
    two = await run('two.mbox', `${mail(1, 2, 'gadget: assert the lock', ASSERT)}\n${mail(2, 2, 'gadget: bind the work', BIND)}`);
    header = await run('header.mbox', mail(1, 1, 'gadget: one more field', FIELD));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a helper that depends on nothing touched is summarised once for all three views', () => {
    expect(two.shared.failure).toBeNull();
    expect(two.shared.summaries.stored).toBeGreaterThan(0);
    // gadget_count() in the untouched file: built in the first view, taken by the other two.
    expect(two.shared.summaries.reused).toBeGreaterThanOrEqual(2);
    expect(two.fresh.summaries).toEqual({ stored: 0, reused: 0 });
  });

  test('an untouched helper calling into a touched file, or a name one comes to define, is summarised again', () => {
    const f = two.shared.outcomes[0]!.introduced.filter((x) => x.rule === 'assert-held-caller');
    expect(f.map((x) => `${x.function} ${x.lock} ${x.message.split(' ')[0]}`)).toEqual(['gadget_run g->lock gadget_helper()', 'gadget_run g->lock gadget_poke()']);
  });

  test('an untouched wait on work a touched file binds is summarised again in each view', () => {
    // sync-under-lock reports at the wait, in the untouched file, which a series report leaves out:
    // look at the waits of gadget_stop()'s summary in each view instead.
    const views = [new DiskTree(tree), ...applySeries(new DiskTree(tree), two.patches).snapshots];
    const change = seriesChange(views, [CORE_F], defaultConfig())!;
    expect(change.share.bindingsChanged).toBe(true);
    const targets = (scope: ShareScope) => {
      const share = new SummaryShare<Summary>(scope);
      return views.map((v) => {
        const index = createIndex(v);
        const fn = index.resolve('gadget_stop', CORE_F)!;
        return new Summaries(index, defaultConfig(), { share }).get(fn)!.waits.flatMap((w) => w.targets.map((t) => t.callback));
      });
    };
    expect(targets(change.share)).toEqual([[], [], ['gadget_work_fn']]);
    // Were the moved bindings not looked at, the last view would take the first view's summary.
    expect(targets({ ...change.share, bindingsChanged: false })).toEqual([[], [], []]);
  });

  test('sharing changes nothing in the report', () => {
    for (const [a, b] of [
      [two.shared, two.fresh],
      [header.shared, header.fresh],
    ] as const) {
      expect(ids(a.before.findings)).toEqual(ids(b.before.findings));
      expect(ids(a.after.findings)).toEqual(ids(b.after.findings));
      expect(ids(a.introduced)).toEqual(ids(b.introduced));
      expect(ids(a.fixed)).toEqual(ids(b.fixed));
    }
  });

  test('a change outside the functions (a struct in a header) shares nothing', () => {
    expect(header.shared.failure).toBeNull();
    expect(header.shared.summaries).toEqual({ stored: 0, reused: 0 });
  });
});
