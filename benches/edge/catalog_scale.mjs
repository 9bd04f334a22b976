#!/usr/bin/env node
// Catalog scale: seed N SKUs (PUT /admin/skus/{sku}, then stock through /admin/events), wait
// until the dashboard lists every one (its rows are the summaries each SKU object pushes from
// its alarm), then time GET /admin/dashboard over all of them and GET /v1/availability?skus=
// with 100 SKUs.
//
//   node benches/edge/catalog_scale.mjs [--skus 10000] [--repeat 20]
import http from 'node:http';
import { adminPut, arg, startServer, request, machine, VARS, fmt, summarize, sleep } from './lib.mjs';

const N = arg('skus', 10000);
const REPEAT = arg('repeat', 20);
const SEED_CONCURRENCY = 16;
const admin = { authorization: `Bearer ${VARS.ADMIN_TOKEN}` };
const name = (i) => `CAT-${String(i).padStart(5, '0')}`;

const edge = await startServer('lastunit');
const agent = new http.Agent({ keepAlive: true, maxSockets: SEED_CONCURRENCY });
try {
  const put = (path, body) => adminPut(agent, edge.url, path, body);
  await put('/admin/locations/main-st', { name: 'Main St' });
  await put('/admin/locations/warehouse', { name: 'Warehouse' });
  await put('/admin/channels/store', { locations: ['main-st'] });
  await put('/admin/channels/web', { locations: ['warehouse', 'main-st'] });

  const t0 = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, async () => {
    for (;;) {
      const i = next++;
      if (i >= N) return;
      await put(`/admin/skus/${name(i)}`, { title: `Product ${i}`, low_stock_threshold: 3, buffer: { mode: 'fixed', units: 1 } });
    }
  }));
  const configured = (Date.now() - t0) / 1000;
  // Stock: one count per SKU, 100 events (100 SKU objects) per request, two requests at a time.
  const batches = [];
  for (let i = 0; i < N; i += 100) {
    batches.push(Array.from({ length: Math.min(100, N - i) }, (_, k) => ({ event_id: `seed-${i + k}`, type: 'count', sku: name(i + k), location: (i + k) % 3 ? 'warehouse' : 'main-st', quantity: (i + k) % 40 })));
  }
  next = 0;
  await Promise.all(Array.from({ length: 2 }, async () => {
    for (;;) {
      const b = batches[next++];
      if (!b) return;
      const r = await request(agent, `${edge.url}/admin/events`, { method: 'POST', headers: admin, body: JSON.stringify({ events: b }) });
      if (r.status !== 200) throw new Error(`events: ${r.status} ${r.body.slice(0, 300)}`);
    }
  }));
  const stocked = (Date.now() - t0) / 1000;

  // Wait until the dashboard lists every SKU (with its stock).
  let rows = 0;
  const waitStart = Date.now();
  for (;;) {
    const r = await request(agent, `${edge.url}/admin/dashboard?horizon_days=7&channel=web`, { headers: admin });
    const body = JSON.parse(r.body);
    rows = body.rows.filter((x) => x.sku.startsWith('CAT-') && x.version > 1).length;
    if (rows >= N) break;
    if (Date.now() - waitStart > 600000) throw new Error(`dashboard lists ${rows} of ${N} after 10 min`);
    await sleep(1000);
  }
  const listed = (Date.now() - t0) / 1000;

  const dash = [];
  let bytes = 0;
  for (let k = 0; k < REPEAT; k++) {
    const r = await request(agent, `${edge.url}/admin/dashboard?horizon_days=7&channel=web`, { headers: admin });
    if (r.status !== 200) throw new Error(`dashboard ${r.status}`);
    bytes = r.body.length;
    dash.push(r.ms);
  }
  const page = [];
  for (let k = 0; k < REPEAT; k++) {
    const r = await request(agent, `${edge.url}/admin/dashboard?horizon_days=7&channel=web&offset=0&limit=50`, { headers: admin });
    const body = JSON.parse(r.body);
    if (r.status !== 200 || body.rows.length !== 50 || body.total < N) throw new Error(`dashboard page ${r.status} ${r.body.slice(0, 200)}`);
    page.push(r.ms);
  }
  const batch = [];
  for (let k = 0; k < REPEAT; k++) {
    const start = (k * 397) % (N - 99); // any window of 100 inside the N SKUs (N = 100 included)
    const skus = Array.from({ length: 100 }, (_, j) => name(start + j)).join(',');
    const r = await request(agent, `${edge.url}/v1/availability?skus=${skus}&channel=web`);
    const items = JSON.parse(r.body).items;
    if (r.status !== 200 || items.length !== 100) throw new Error(`batch ${r.status} ${r.body.slice(0, 200)}`);
    batch.push(r.ms);
  }
  const d = summarize(dash);
  const b = summarize(batch);
  const pg = summarize(page);
  console.log(`# catalog scale: ${N} SKUs configured in ${fmt(configured)} s, stocked by ${fmt(stocked)} s, all on the dashboard by ${fmt(listed)} s`);
  console.log(`# machine: ${machine()}`);
  console.log('| request | runs | p50 ms | p99 ms | max ms | answer |');
  console.log('| --- | ---: | ---: | ---: | ---: | --- |');
  console.log(`| GET /admin/dashboard (${N} rows) | ${d.n} | ${fmt(d.p50)} | ${fmt(d.p99)} | ${fmt(d.max)} | ${fmt(bytes / 1024, 0)} KiB |`);
  console.log(`| GET /admin/dashboard?limit=50 (first page of ${N}, as the page asks) | ${pg.n} | ${fmt(pg.p50)} | ${fmt(pg.p99)} | ${fmt(pg.max)} | 50 rows |`);
  console.log(`| GET /v1/availability?skus= (100 SKUs) | ${b.n} | ${fmt(b.p50)} | ${fmt(b.p99)} | ${fmt(b.max)} | 100 items |`);
} finally {
  agent.destroy();
  await edge.stop();
}
