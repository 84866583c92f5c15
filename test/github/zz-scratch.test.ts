import { it } from 'vitest';
import { buildFixturePull } from './fixture-pr.js';
import { startFakeGithub } from './server.js';
import { createClient } from '../../src/github/client.js';
import { loadPull, fetchBase } from '../../src/github/pull.js';
import { analyseSeries } from '../../src/cli/series-analysis.js';
import { defaultConfig } from '../../src/rules/config.js';
it('scratch', async () => {
  const fx = buildFixturePull();
  console.log(fx.pull.commits[2]!.patch.slice(0, 600), fx.pull.files.map(f => [f.filename, f.patch.slice(0, 200)]));
  const gh = await startFakeGithub({ owner: 'o', repo: 'r', pulls: [fx.pull], contents: new Map([[fx.pull.baseSha, fx.base]]), maxPerPage: 2 });
  const c = createClient({ owner: 'o', repo: 'r', number: 1 }, { apiUrl: gh.url });
  const lp = await loadPull(c);
  console.log(lp.series.title, lp.patches.map(p => [p.index, p.total, p.subject, p.messageId, p.source, p.files.length]), lp.skipped);
  for (const inc of [false, true]) {
    const t0 = Date.now();
    const base = await fetchBase(c, lp.pull, lp.patches, { includes: inc });
    console.log(base.paths());
    const a = analyseSeries(base, lp.series, lp.patches, defaultConfig());
    console.log(inc, Date.now() - t0, a.failure, a.introduced.map(f => [f.rule, f.file, f.line, f.function]));
  }
  console.log(gh.requests.map(r => r.method + ' ' + r.path + ' ' + r.accept));
  await gh.close(); fx.cleanup();
}, 120000);
