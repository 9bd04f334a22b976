#!/usr/bin/env node
// What one reservation costs as active holds pile up on a SKU: one client, reserve + release,
// for 3 s at 0, 500, 2,000 and 5,000 holds already active (taken with distinct carts first).
//
//   node benches/edge/holds_cost.mjs
import http from 'node:http';
import { startServer, load, request, machine, VARS, fmt, stockedSku } from './lib.mjs';

const admin = { authorization: `Bearer ${VARS.ADMIN_TOKEN}` };
const sf = { authorization: `Bearer ${VARS.STOREFRONT_KEY}` };
const edge = await startServer('lastunit');
try {
  await stockedSku(edge);
  console.log(`# one client, reserve + release of one unit, 3 s per step`);
  console.log(`# machine: ${machine()}`);
  console.log('| active holds on the SKU | reserve p50 ms | release p50 ms | reserve p99 ms |');
  console.log('| ---: | ---: | ---: | ---: |');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  let n = 0;
  for (const target of [0, 500, 2000, 5000]) {
    while (n < target) {
      const batch = [];
      for (let k = 0; k < 16 && n < target; k++, n++) {
        batch.push(request(agent, `${edge.url}/v1/reservations`, { method: 'POST', headers: sf, body: JSON.stringify({ cart_id: `fill-${n}`, lines: [{ sku: 'P', quantity: 1 }] }) }));
      }
      for (const r of await Promise.all(batch)) if (r.status !== 201) throw new Error(`fill: ${r.status} ${r.body}`);
    }
    const r = await load({ concurrency: 1, seconds: 3, step: async (a, w, i) => {
      const res = await request(a, `${edge.url}/v1/reservations`, { method: 'POST', headers: sf, body: JSON.stringify({ cart_id: `p${target}-${i}`, lines: [{ sku: 'P', quantity: 1 }] }) });
      const d = await request(a, `${edge.url}/v1/reservations/${JSON.parse(res.body).reservation_id}`, { method: 'DELETE', headers: sf });
      return [{ ...res, label: 'reserve' }, { ...d, label: 'release' }];
    } });
    const v = await (await fetch(`${edge.url}/admin/skus/P`, { headers: admin })).json();
    console.log(`| ${v.holds} | ${fmt(r.reserve.p50, 2)} | ${fmt(r.release.p50, 2)} | ${fmt(r.reserve.p99, 2)} |`);
  }
  agent.destroy();
} finally {
  await edge.stop();
}
