#!/usr/bin/env node
// Hot-SKU reservations per second on the local edge, against a bare Durable Object doing one
// SQLite write per request, with the same load client, concurrency and duration.
//
//   node benches/edge/hot_sku.mjs [--concurrency 32] [--seconds 10]
//
// Workloads (each after a 2 s warm-up):
//   bare DO          POST /v1/write              one INSERT in one object          (201)
//   lastunit A       POST /v1/reservations       one unit, a distinct cart each    (201; holds pile up)
//   lastunit B       reserve, then DELETE it     the same, each hold released      (201, 200)
// A and B use two SKUs (HOT-A, HOT-B), so B does not carry A's holds.
// The SKU has 1,000,000 units (the most one SKU may have), so every reservation succeeds.
import { arg, startServer, load, request, machine, VARS, fmt, sleep } from './lib.mjs';

const CONCURRENCY = arg('concurrency', 32);
const SECONDS = arg('seconds', 10);
const WARMUP = 2;

const admin = { authorization: `Bearer ${VARS.ADMIN_TOKEN}` };
const storefront = { authorization: `Bearer ${VARS.STOREFRONT_KEY}` };

async function setupLastunit(url) {
  const ok = async (p, m, b) => {
    const r = await fetch(url + p, { method: m, headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify(b) });
    if (r.status >= 300) throw new Error(`${m} ${p}: ${r.status} ${await r.text()}`);
  };
  await ok('/admin/locations/warehouse', 'PUT', { name: 'Warehouse' });
  await ok('/admin/channels/web', 'PUT', { locations: ['warehouse'] });
  for (const sku of ['HOT-A', 'HOT-B']) {
    await ok(`/admin/skus/${sku}`, 'PUT', { title: 'Hot product', buffer: { mode: 'none' }, max_per_cart: 10 });
    await ok('/admin/events', 'POST', { event_id: `stock-${sku}`, type: 'count', sku, location: 'warehouse', quantity: 1000000 });
  }
}

const bareStep = (url) => async (agent, w, i) => {
  const r = await request(agent, `${url}/v1/write`, { method: 'POST', body: JSON.stringify({ cart_id: `c-${w}-${i}` }) });
  return [{ ...r, label: 'write' }];
};

const reserveStep = (url, tag, release) => async (agent, w, i) => {
  const sku = release ? 'HOT-B' : 'HOT-A';
  const body = JSON.stringify({ cart_id: `${tag}-${w}-${i}`, channel: 'web', ttl_seconds: 600, lines: [{ sku, quantity: 1 }] });
  const r = await request(agent, `${url}/v1/reservations`, { method: 'POST', headers: storefront, body });
  const out = [{ ...r, label: 'reserve' }];
  if (release && r.status === 201) {
    const id = JSON.parse(r.body).reservation_id;
    const d = await request(agent, `${url}/v1/reservations/${id}`, { method: 'DELETE', headers: storefront });
    out.push({ ...d, label: 'release' });
  }
  return out;
};

async function run(name, step) {
  await load({ concurrency: CONCURRENCY, seconds: WARMUP, step: step('warm') });
  const r = await load({ concurrency: CONCURRENCY, seconds: SECONDS, step: step('run') });
  return { name, ...r };
}

const results = [];
const bare = await startServer('bare');
try {
  results.push(await run('bare DO, 1 SQLite write per request', () => bareStep(bare.url)));
} finally {
  await bare.stop();
}
const edge = await startServer('lastunit');
try {
  await setupLastunit(edge.url);
  results.push(await run('lastunit A: reservations (holds kept)', (tag) => reserveStep(edge.url, `a${tag}`, false)));
  results.push(await run('lastunit B: reserve + release', (tag) => reserveStep(edge.url, `b${tag}`, true)));
  const a = await (await fetch(`${edge.url}/admin/skus/HOT-A`, { headers: admin })).json();
  const b = await (await fetch(`${edge.url}/admin/skus/HOT-B`, { headers: admin })).json();
  results.push({ name: 'after', 'HOT-A holds': a.holds, 'HOT-B holds': b.holds });
} finally {
  await edge.stop();
}

console.log(`# through wrangler dev (second table: its dev proxy is in every request): hot SKU: ${CONCURRENCY} concurrent clients, ${SECONDS} s each (after ${WARMUP} s warm-up)`);
console.log(`# machine: ${machine()}`);
const b = results[0];
console.log('| workload | requests/s | p50 ms | p99 ms | statuses | vs bare DO |');
console.log('| --- | ---: | ---: | ---: | --- | ---: |');
for (const r of results.slice(0, 3)) {
  const main = r.reserve ?? r.write;
  const ratio = main.rps / b.write.rps;
  console.log(`| ${r.name} | ${fmt(main.rps)} | ${fmt(main.p50)} | ${fmt(main.p99)} | ${JSON.stringify(r.statuses)} | ${fmt(ratio, 2)} |`);
  if (r.release) {
    console.log(`| ↳ releases in B | ${fmt(r.release.rps)} | ${fmt(r.release.p50)} | ${fmt(r.release.p99)} | | |`);
    console.log(`| ↳ all requests in B (each one durable write) | ${fmt(r.total.rps)} | ${fmt(r.total.p50)} | ${fmt(r.total.p99)} | | ${fmt(r.total.rps / b.write.rps, 2)} |`);
  }
}
console.log(`# after the runs: ${JSON.stringify(results[3])}`);
const bad = results.slice(0, 3).flatMap((r) => Object.entries(r.statuses).filter(([k]) => !/ (200|201)$/.test(k)));
if (bad.length) {
  console.error(`unexpected statuses: ${JSON.stringify(bad)}`);
  process.exitCode = 1;
}
await sleep(10);
