#!/usr/bin/env node
// Mapping many SKUs to a connected store at once: how many answers the local edge loses as
// `503 Your worker restarted mid-request` (wrangler's proxy, when workerd went away under the
// request) and whether both stores converge after.
//
//   node benches/edge/mapped_burst.mjs [--skus 2000] [--concurrency 32] [--hang 0] [--refs 1] [--log FILE]
//
// `skus` SKUs are PUT with `pos_refs` of both connected stores (Shopify's and WooCommerce's
// stand-ins), `concurrency` at a time, each then given stock; `--hang 1` leaves the Shopify
// stand-in unanswering for the first 20 s of it. Every answer is counted by status; workerd's
// and wrangler's lines that tell why are printed (and the whole log is written to
// `--log FILE` when given).
import { writeFileSync } from 'node:fs';
import { arg, startServer, machine, VARS } from './lib.mjs';
import { storeSecrets } from '../../tests/harness.mjs';
import * as shopify from '../../tests/standins/shopify.mjs';
import * as woocommerce from '../../tests/standins/woocommerce.mjs';

const SKUS = arg('skus', 2000);
const CONCURRENCY = arg('concurrency', 32);
const HANG = arg('hang', 0);
// `--refs 0`: the same PUTs without `pos_refs` (the control: nothing reports to a store).
const REFS = arg('refs', 1);
const logIdx = process.argv.indexOf('--log');
const LOG_FILE = logIdx > 0 ? process.argv[logIdx + 1] : null;
const lvlIdx = process.argv.indexOf('--log-level');
const LOG_LEVEL = lvlIdx > 0 ? process.argv[lvlIdx + 1] : 'log';
const LOCATION = 655441491;

const shop = await shopify.start();
const woo = await woocommerce.start();
shop.addLocation({ id: LOCATION });
const edge = await startServer('lastunit', { logLevel: LOG_LEVEL, vars: storeSecrets({ shop, woo }) });
const admin = { authorization: `Bearer ${VARS.ADMIN_TOKEN}`, 'content-type': 'application/json' };
const statuses = {};
const lost = [];
const call = async (p, m, b) => {
  let r;
  try {
    r = await fetch(edge.url + p, { method: m, headers: admin, body: b === undefined ? undefined : JSON.stringify(b) });
  } catch (e) {
    statuses.network = (statuses.network ?? 0) + 1;
    return { status: 0, body: String(e) };
  }
  const text = await r.text();
  const key = r.status === 503 && /restarted mid-request/.test(text) ? '503 restarted' : String(r.status);
  statuses[key] = (statuses[key] ?? 0) + 1;
  if (r.status >= 500) lost.push({ at: new Date().toISOString(), m, p, status: r.status, text: text.slice(0, 200) });
  return { status: r.status, body: text };
};
const must = async (p, m, b) => {
  const r = await call(p, m, b);
  if (r.status >= 300) throw new Error(`${m} ${p}: ${r.status} ${r.body}`);
};

const started = Date.now();
try {
  await must('/admin/locations/main-st', 'PUT', { name: 'Main St', pos_refs: { shopify: String(LOCATION) } });
  await must('/admin/channels/store', 'PUT', { locations: ['main-st'] });
  await must('/admin/channels/web', 'PUT', { locations: ['main-st'] });
  await must('/admin/connections/shopify', 'PUT', { channel: 'web', location: 'main-st' });
  await must('/admin/connections/woocommerce', 'PUT', { channel: 'web', location: 'main-st' });
  if (HANG) shop.hangFor(20000);
  const products = [];
  for (let i = 0; i < SKUS; i++) {
    const sku = `M${String(i).padStart(5, '0')}`;
    const { inventoryItemId } = shop.addVariant({ sku, levels: { [LOCATION]: 0 } });
    const wooId = woo.addProduct({ name: sku, sku });
    products.push({ sku, item: inventoryItemId, wooId, stock: 3 + (i % 5) });
  }
  const queue = [...products];
  const t0 = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (let p = queue.shift(); p; p = queue.shift()) {
      await call(`/admin/skus/${p.sku}`, 'PUT', { title: p.sku, buffer: { mode: 'none' }, ...(REFS && { pos_refs: { shopify: String(p.item), woocommerce: String(p.wooId) } }) });
      await call('/admin/events', 'POST', { event_id: `stock-${p.sku}`, type: 'count', sku: p.sku, location: 'main-st', quantity: p.stock });
    }
  }));
  const sent = (Date.now() - t0) / 1000;
  console.log(`# ${SKUS} SKUs ${REFS ? 'mapped' : 'not mapped (no pos_refs)'} to Shopify and WooCommerce stand-ins, ${CONCURRENCY} at a time${HANG ? ', Shopify hanging for the first 20 s' : ''}: sent in ${sent.toFixed(1)} s`);
  console.log(`# machine: ${machine()}`);
  console.log(`# answers: ${JSON.stringify(statuses)}`);
  // Convergence (bounded): every store holds lastunit's number.
  const deadline = Date.now() + (REFS ? 180000 : 0);
  const held = () => products.filter((q) => shop.level(q.item, LOCATION) === q.stock && woo.stock(q.wooId) === q.stock).length;
  while (held() < products.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  console.log(`# converged: ${held()} of ${products.length} SKUs in both stores, ${((Date.now() - t0) / 1000).toFixed(1)} s after the first PUT`);
  for (const l of lost.slice(0, 5)) console.log(`# lost: ${JSON.stringify(l)}`);
  const why = edge.logs().split('\n').filter((l) => /restart|unreachable|RuntimeError|panic|exceeded|uncaught|segfault|abort|error|Error|too many|overloaded|memory|killed/i.test(l));
  console.log(`# edge log lines that say why (${why.length}):`);
  const seen = new Map();
  for (const l of why) {
    const k = l.replace(/\d+/g, 'N').slice(0, 160);
    seen.set(k, [(seen.get(k)?.[0] ?? 0) + 1, l]);
  }
  for (const [, [n, l]] of [...seen.entries()].slice(0, 40)) console.log(`#   ${n}× ${l.slice(0, 400)}`);
} finally {
  if (LOG_FILE) writeFileSync(LOG_FILE, edge.logs());
  await edge.stop();
  await shop.close();
  await woo.close();
  console.log(`# total ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
