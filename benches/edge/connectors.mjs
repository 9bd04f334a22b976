#!/usr/bin/env node
// Connected stores: from a change at the edge to the number arriving in Shopify and WooCommerce
// (their stand-ins, tests/standins/), the writes a burst of changes costs, and a resync.
//
//   node benches/edge/connectors.mjs [--changes 100] [--burst 50] [--skus 10000]
//
// - latency: `changes` sales, one after another on rotating SKUs, each an admin `sale` event;
//   for each, the time from sending it to the store holding the new number (the stand-ins run
//   in this process, so the arrival is seen the moment the write is applied);
// - burst: `burst` sales of one SKU sent back to back: how many writes each store received,
//   per second of the burst, and that the last number is final;
// - resync: `skus` SKUs mapped to both stores, their levels in both stores moved behind
//   lastunit's back, then `POST /admin/connections/{p}/resync`: the time until every store holds
//   lastunit's numbers, the API calls (WooCommerce's batches, Shopify's mutations and
//   read-backs), and the cost points Shopify's stand-in charged (its `actualQueryCost`).
import { arg, startServer, machine, VARS, fmt, summarize } from './lib.mjs';
import { storeSecrets } from '../../tests/harness.mjs';
import * as shopify from '../../tests/standins/shopify.mjs';
import * as woocommerce from '../../tests/standins/woocommerce.mjs';

const CHANGES = arg('changes', 100);
const BURST = arg('burst', 50);
const SKUS = arg('skus', 10000);
const LOCATION = 655441491;
const now = () => Number(process.hrtime.bigint()) / 1e6;
const tick = () => new Promise((r) => setImmediate(r));

const shop = await shopify.start();
const woo = await woocommerce.start();
shop.addLocation({ id: LOCATION });
const edge = await startServer('lastunit', {
  vars: storeSecrets({ shop, woo }),
});
const admin = { authorization: `Bearer ${VARS.ADMIN_TOKEN}`, 'content-type': 'application/json' };
// wrangler dev answers 503 "Your worker restarted mid-request" when workerd drops a connection
// under load (nothing restarts: BENCHMARKS.md, mapped_burst.mjs); every call here is safe to
// send again (PUTs, events with ids), so it is.
const call = async (p, m, b, attempt = 1) => {
  const r = await fetch(edge.url + p, { method: m, headers: admin, body: b === undefined ? undefined : JSON.stringify(b) });
  if (r.status === 503 && attempt < 4) {
    const text = await r.text();
    if (/restarted mid-request/.test(text)) {
      console.log(`# ${m} ${p}: ${text.trim()} (sent again, attempt ${attempt + 1})`);
      return call(p, m, b, attempt + 1);
    }
    throw new Error(`${m} ${p}: 503 ${text}`);
  }
  if (r.status >= 300) throw new Error(`${m} ${p}: ${r.status} ${await r.text()}`);
  return r.json();
};
async function until(cond, what, ms = 60000) {
  const deadline = now() + ms;
  while (!cond()) {
    if (now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await tick();
  }
  return now();
}
const products = [];
async function product(i, stock) {
  const sku = `B${String(i).padStart(5, '0')}`;
  const { inventoryItemId } = shop.addVariant({ sku, levels: { [LOCATION]: 0 } });
  const wooId = woo.addProduct({ name: sku, sku });
  await call(`/admin/skus/${sku}`, 'PUT', { title: sku, buffer: { mode: 'none' }, pos_refs: { shopify: String(inventoryItemId), woocommerce: String(wooId) } });
  await call('/admin/events', 'POST', { event_id: `stock-${sku}`, type: 'count', sku, location: 'main-st', quantity: stock });
  products.push({ sku, item: inventoryItemId, wooId, stock });
}
const sale = (p, k) => call('/admin/events', 'POST', { event_id: `sale-${p.sku}-${k}`, type: 'sale', sku: p.sku, location: 'main-st', quantity: 1, channel: 'store' });
const holds = (p, n) => shop.level(p.item, LOCATION) === n && woo.stock(p.wooId) === n;

try {
  await call('/admin/locations/main-st', 'PUT', { name: 'Main St', pos_refs: { shopify: String(LOCATION) } });
  await call('/admin/channels/store', 'PUT', { locations: ['main-st'] });
  await call('/admin/channels/web', 'PUT', { locations: ['main-st'] });
  await call('/admin/connections/shopify', 'PUT', { channel: 'web', location: 'main-st' });
  await call('/admin/connections/woocommerce', 'PUT', { channel: 'web', location: 'main-st' });
  for (let i = 0; i < 10; i++) await product(i, 100000);
  for (const p of products) await until(() => holds(p, p.stock), `${p.sku} first write`);

  // Latency.
  const toShop = [];
  const toWoo = [];
  for (let k = 0; k < CHANGES; k++) {
    const p = products[k % products.length];
    const sent = now();
    await sale(p, `l${k}`);
    p.stock -= 1;
    let shopAt = null, wooAt = null;
    await until(() => {
      if (shopAt === null && shop.level(p.item, LOCATION) === p.stock) shopAt = now();
      if (wooAt === null && woo.stock(p.wooId) === p.stock) wooAt = now();
      return shopAt !== null && wooAt !== null;
    }, `change ${k}`);
    toShop.push(shopAt - sent);
    toWoo.push(wooAt - sent);
  }
  const s = summarize(toShop), w = summarize(toWoo);
  console.log(`# connected stores: ${CHANGES} changes, one at a time, to Shopify and WooCommerce stand-ins`);
  console.log(`# machine: ${machine()}`);
  console.log('| change → store holds it | p50 ms | p99 ms | max ms |');
  console.log('| --- | ---: | ---: | ---: |');
  console.log(`| Shopify (inventorySetQuantities) | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.max)} |`);
  console.log(`| WooCommerce (PUT /products/{id}) | ${fmt(w.p50)} | ${fmt(w.p99)} | ${fmt(w.max)} |`);

  // Burst.
  const p = products[0];
  const shopBefore = shop.writes.length, wooBefore = woo.writes.filter((x) => x.id === p.wooId).length;
  const t0 = now();
  for (let k = 0; k < BURST; k++) await sale(p, `b${k}`);
  p.stock -= BURST;
  const sentFor = (now() - t0) / 1000;
  const doneAt = await until(() => holds(p, p.stock), 'the burst\'s last number');
  const seconds = Math.max(1, (doneAt - t0) / 1000);
  const shopWrites = shop.writes.length - shopBefore;
  const wooWrites = woo.writes.filter((x) => x.id === p.wooId).length - wooBefore;
  console.log(`# burst: ${BURST} sales of one SKU sent in ${fmt(sentFor)} s; both stores held the last number ${fmt(seconds)} s after the first`);
  console.log('| store | writes for the burst | writes per second of it |');
  console.log('| --- | ---: | ---: |');
  console.log(`| Shopify | ${shopWrites} | ${fmt(shopWrites / seconds)} |`);
  console.log(`| WooCommerce | ${wooWrites} | ${fmt(wooWrites / seconds)} |`);

  // Resync: SKUS SKUs mapped to both stores (seeded 8 at a time, their stock 100 events a
  // request), first written by the writers as they arrive; then every store level is moved
  // behind lastunit's back (as a restore from a backup would), and a resync is asked of each.
  const seeded = [];
  for (let i = 10; i < SKUS; i++) seeded.push(i);
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (seeded.length) {
      const i = seeded.shift();
      const sku = `B${String(i).padStart(5, '0')}`;
      const { inventoryItemId } = shop.addVariant({ sku, levels: { [LOCATION]: 0 } });
      const wooId = woo.addProduct({ name: sku, sku });
      await call(`/admin/skus/${sku}`, 'PUT', { title: sku, buffer: { mode: 'none' }, pos_refs: { shopify: String(inventoryItemId), woocommerce: String(wooId) } });
      products.push({ sku, item: inventoryItemId, wooId, stock: 7 });
    }
  }));
  const fresh = products.slice(10);
  for (let i = 0; i < fresh.length; i += 100) {
    const events = fresh.slice(i, i + 100).map((q) => ({ event_id: `stock-${q.sku}`, type: 'count', sku: q.sku, location: 'main-st', quantity: q.stock }));
    await call('/admin/events', 'POST', { events });
  }
  // Everything written once, and the catalog holding every SKU's summary (a resync reads them).
  await until(() => products.every((q) => holds(q, q.stock)), 'the first writes', 60 * 60 * 1000);
  for (;;) {
    const { connections } = await call('/admin/connections', 'GET');
    if (connections.every((c) => c.pending_writes === 0)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  for (const q of products) {
    shop.setLevel(q.item, LOCATION, 0, { notify: false });
    woo.setStock(q.wooId, 0, { notify: false });
  }
  const shopCalls = shop.requests.length, wooCalls = woo.requests.length, costsBefore = shop.costs.length;
  const r0 = now();
  const queued = [await call('/admin/connections/shopify/resync', 'POST'), await call('/admin/connections/woocommerce/resync', 'POST')];
  let lastShop = null, lastWoo = null;
  await until(() => {
    if (lastShop === null && products.every((q) => shop.level(q.item, LOCATION) === q.stock)) lastShop = now();
    if (lastWoo === null && products.every((q) => woo.stock(q.wooId) === q.stock)) lastWoo = now();
    return lastShop !== null && lastWoo !== null;
  }, 'the resync', 60 * 60 * 1000);
  const spent = shop.costs.slice(costsBefore);
  const points = (op) => spent.filter((c) => c.operation === op).reduce((n, c) => n + c.actual, 0);
  const count = (op) => spent.filter((c) => c.operation === op).length;
  const wooReqs = woo.requests.slice(wooCalls);
  const batches = wooReqs.filter((q) => q.method === 'POST' && q.url.endsWith('/batch')).length;
  console.log(`# resync of ${products.length} SKUs (${queued.map((q) => `${q.provider} ${q.skus} queued`).join(', ')}), every store level moved behind lastunit's back first`);
  console.log('| store | seconds | API calls | of which | cost points (actual) |');
  console.log('| --- | ---: | ---: | --- | ---: |');
  console.log(`| Shopify | ${fmt((lastShop - r0) / 1000)} | ${shop.requests.length - shopCalls} | ${count('mutation')} mutations (${points('mutation')} points), ${count('query')} read-backs after CHANGE_FROM_QUANTITY_STALE (${points('query')} points), ${count('throttled')} throttled | ${points('mutation') + points('query')} |`);
  console.log(`| WooCommerce | ${fmt((lastWoo - r0) / 1000)} | ${wooReqs.length} | ${batches} batches of up to 100, ${wooReqs.length - batches} PUTs | — |`);
} finally {
  await edge.stop();
  await shop.close();
  await woo.close();
}
