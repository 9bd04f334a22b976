#!/usr/bin/env node
// CSV import at scale (issue 13: a 10,000-row file): uploads N rows (one new SKU each, with a
// title and a count at one location) to POST /admin/import on workerd served directly (wrangler
// dev's proxy stalls under this load), follows GET /admin/import/status until the file is
// applied, and prints the wall time, workerd's CPU time and SKUs a second.
//
//   node benches/edge/catalog_import.mjs [--rows 10000]
import http from 'node:http';
import { adminPut, arg, request, machine, VARS, fmt, sleep } from './lib.mjs';
import { startWorkerd } from './workerd.mjs';

const N = arg('rows', 10000);
const admin = { authorization: `Bearer ${VARS.ADMIN_TOKEN}` };

const edge = await startWorkerd('lastunit');
const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
try {
  const put = (path, body) => adminPut(agent, edge.url, path, body);
  await put('/admin/locations/main-st', { name: 'Main St' });
  await put('/admin/channels/store', { locations: ['main-st'] });
  await put('/admin/channels/web', { locations: ['main-st'] });

  const rows = Array.from({ length: N }, (_, i) => `IMP-${String(i).padStart(5, '0')},Spring catalogue item ${i},main-st,${i % 50}`);
  const file = `sku,title,location,on_hand\n${rows.join('\n')}\n`;
  const cpu0 = edge.cpuMs();
  const t0 = Date.now();
  const up = await request(agent, `${edge.url}/admin/import`, { method: 'POST', headers: { ...admin, 'content-type': 'text/csv' }, body: file });
  if (![200, 202].includes(up.status)) throw new Error(`import: ${up.status} ${up.body.slice(0, 300)}`);
  const answered = (Date.now() - t0) / 1000;
  let last;
  for (;;) {
    last = await request(agent, `${edge.url}/admin/import/status`, { headers: admin });
    if (last.status === 200) break;
    if (last.status !== 202) throw new Error(`status: ${last.status} ${last.body.slice(0, 300)}`);
    await sleep(1000);
  }
  const wall = (Date.now() - t0) / 1000;
  const cpu = (edge.cpuMs() - cpu0) / 1000;
  const report = JSON.parse(last.body);
  if (report.skus_applied !== N || report.failed.length) throw new Error(`import incomplete: ${last.body.slice(0, 500)}`);
  console.log(`\n## CSV import of ${N} rows (new SKUs), workerd served directly\n`);
  console.log(`Machine: ${machine()}\n`);
  console.log('| rows | upload answered | applied (wall) | workerd CPU | SKUs / s (wall) |');
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  console.log(`| ${N} | ${fmt(answered)} s (${up.status}) | ${fmt(wall)} s | ${fmt(cpu)} s | ${fmt(N / wall)} |`);
} finally {
  agent.destroy();
  await edge.stop();
}
