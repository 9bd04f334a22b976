#!/usr/bin/env node
// Where a request's time goes on the local edge: the same load client at 1 and 32 concurrent
// clients for 4 s against the bare Durable Object (one SQLite write), lastunit's Worker alone
// (GET /v1/health, no object), a read through a SKU object (GET /v1/availability/{sku}) and a
// reservation with its release.
//
//   node benches/edge/breakdown.mjs
import { startServer, load, request, machine, VARS, fmt, stockedSku } from './lib.mjs';

const sf = { authorization: `Bearer ${VARS.STOREFRONT_KEY}` };
const rows = [];
const measure = async (name, step) => {
  const one = await load({ concurrency: 1, seconds: 4, step });
  const many = await load({ concurrency: 32, seconds: 4, step });
  const k = Object.keys(one).find((x) => !['elapsed', 'statuses', 'total'].includes(x));
  rows.push(`| ${name} | ${fmt(one[k].p50, 2)} | ${fmt(many[k].rps)} | ${fmt(many[k].p50)} | ${JSON.stringify(many.statuses)} |`);
};

const bare = await startServer('bare');
try {
  await measure('bare DO: POST one SQLite write', async (a, w, i) => [{ ...(await request(a, `${bare.url}/v1/write`, { method: 'POST', body: JSON.stringify({ cart_id: `c${w}-${i}` }) })), label: 'x' }]);
} finally {
  await bare.stop();
}
const edge = await startServer('lastunit');
try {
  await stockedSku(edge);
  await measure('lastunit Worker only: GET /v1/health', async (a) => [{ ...(await request(a, `${edge.url}/v1/health`)), label: 'x' }]);
  await measure('lastunit read: GET /v1/availability/P', async (a) => [{ ...(await request(a, `${edge.url}/v1/availability/P`)), label: 'x' }]);
  await measure('lastunit write: POST /v1/reservations (then released)', async (a, w, i) => {
    const r = await request(a, `${edge.url}/v1/reservations`, { method: 'POST', headers: sf, body: JSON.stringify({ cart_id: `c${w}-${i}-${Math.random()}`, lines: [{ sku: 'P', quantity: 1 }] }) });
    if (r.status === 201) await request(a, `${edge.url}/v1/reservations/${JSON.parse(r.body).reservation_id}`, { method: 'DELETE', headers: sf });
    return [{ ...r, label: 'x' }];
  });
} finally {
  await edge.stop();
}
console.log(`# machine: ${machine()}`);
console.log('| request | 1 client: p50 ms | 32 clients: req/s | 32 clients: p50 ms | statuses |');
console.log('| --- | ---: | ---: | ---: | --- |');
for (const r of rows) console.log(r);
