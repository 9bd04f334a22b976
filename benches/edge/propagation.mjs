#!/usr/bin/env node
// Propagation: from a PoS webhook's 200 to the availability update arriving at every one of
// N live WebSocket subscribers of that SKU (GET /v1/live/{sku}?channel=web).
//
//   node benches/edge/propagation.mjs [--subscribers 500] [--webhooks 100]
//
// Each signed generic `sale` of one unit lowers `available` by one; webhooks are sent one after
// another, the next once every subscriber has the previous update. For every (webhook,
// subscriber) pair it records the arrival time minus the time the webhook's 200 arrived (the
// edge tells the sockets before it answers, so an update may arrive first: counted as 0 and
// reported), and the arrival minus the time the webhook was sent.
import WebSocket from 'ws';
import http from 'node:http';
import { signLastunit } from '../../tests/harness.mjs';
import { arg, startServer, request, machine, VARS, fmt, summarize } from './lib.mjs';

const SUBSCRIBERS = arg('subscribers', 500);
const WEBHOOKS = arg('webhooks', 100);
const STOCK = 100000;
const now = () => Number(process.hrtime.bigint()) / 1e6;

const admin = { authorization: `Bearer ${VARS.ADMIN_TOKEN}` };
const sign = (raw) => signLastunit(VARS.LASTUNIT_WEBHOOK_SECRET, raw);

const edge = await startServer('lastunit');
const sockets = [];
try {
  const ok = async (p, m, b) => {
    const r = await fetch(edge.url + p, { method: m, headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify(b) });
    if (r.status >= 300) throw new Error(`${m} ${p}: ${r.status} ${await r.text()}`);
  };
  await ok('/admin/locations/main-st', 'PUT', { name: 'Main St' });
  await ok('/admin/channels/store', 'PUT', { locations: ['main-st'] });
  await ok('/admin/channels/web', 'PUT', { locations: ['main-st'] });
  await ok('/admin/skus/LIVE', 'PUT', { title: 'Live product', buffer: { mode: 'none' } });
  await ok('/admin/events', 'POST', { event_id: 'stock-1', type: 'count', sku: 'LIVE', location: 'main-st', quantity: STOCK });

  // Subscribers: each remembers when it first saw each `available` value.
  const seen = Array.from({ length: SUBSCRIBERS }, () => new Map());
  const wsUrl = `${edge.url.replace('http', 'ws')}/v1/live/LIVE?channel=web`;
  for (let i = 0; i < SUBSCRIBERS; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, SUBSCRIBERS - i) }, (_, k) => new Promise((resolve, reject) => {
      const idx = i + k;
      const ws = new WebSocket(wsUrl);
      let lastVersion = -1;
      ws.on('message', (m) => {
        const t = now();
        const a = JSON.parse(String(m));
        if (a.type !== 'availability' || a.version < lastVersion) throw new Error(`bad message ${m}`);
        lastVersion = a.version;
        if (!seen[idx].has(a.available)) seen[idx].set(a.available, t);
        resolve();
      });
      ws.on('error', reject);
      sockets.push(ws);
    })));
  }

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const afterOk = [];
  const afterSend = [];
  let early = 0;
  const t0 = Date.now();
  for (let k = 1; k <= WEBHOOKS; k++) {
    const raw = JSON.stringify({ event_id: `sale-${k}`, type: 'sale', sku: 'LIVE', location: 'main-st', quantity: 1, channel: 'store' });
    const sent = now();
    const r = await request(agent, `${edge.url}/webhooks/lastunit`, { method: 'POST', headers: { 'x-lastunit-signature': sign(raw) }, body: raw });
    const okAt = now();
    if (r.status !== 200) throw new Error(`webhook ${k}: ${r.status} ${r.body}`);
    const want = STOCK - k;
    const deadline = okAt + 10000;
    while (seen.some((m) => !m.has(want))) {
      if (now() > deadline) throw new Error(`update ${k} did not reach every subscriber within 10 s`);
      await new Promise((res) => setImmediate(res));
    }
    for (const m of seen) {
      const at = m.get(want);
      if (at < okAt) early++;
      afterOk.push(Math.max(0, at - okAt));
      afterSend.push(at - sent);
    }
  }
  const elapsed = (Date.now() - t0) / 1000;
  agent.destroy();
  const a = summarize(afterOk);
  const s = summarize(afterSend);
  console.log(`# propagation: ${WEBHOOKS} webhooks to ${SUBSCRIBERS} live subscribers (${a.n} deliveries, ${fmt(elapsed)} s)`);
  console.log(`# machine: ${machine()}`);
  console.log('| measured from | p50 ms | p99 ms | max ms |');
  console.log('| --- | ---: | ---: | ---: |');
  console.log(`| the webhook's 200 | ${fmt(a.p50)} | ${fmt(a.p99)} | ${fmt(a.max)} |`);
  console.log(`| sending the webhook | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.max)} |`);
  console.log(`# ${early} of ${a.n} updates arrived before the webhook's 200 (counted as 0 ms from the 200)`);
} finally {
  for (const ws of sockets) ws.terminate();
  await edge.stop();
}
