#!/usr/bin/env node
// The small shop of a state fixture (scripts/make-state-fixture.sh), written through the public
// API of whatever release is running at URL, and what that release answers about it.
//
//   node scripts/state-fixture-shop.mjs write  URL SHOP.json     writes the shop; SHOP.json says
//                                                                which holds, events and ids it made
//   node scripts/state-fixture-shop.mjs record URL SHOP.json OUT.json
//                                                                releases the shop's live holds (as
//                                                                their lapsing would) and records
//                                                                every SKU's answers into OUT.json
//
// Settings (tokens and webhook secrets) are the test harness's DEFAULT_VARS.
import { readFileSync, writeFileSync } from 'node:fs';
import { DEFAULT_VARS, hmacBase64, requestJson, signLastunit } from '../tests/harness.mjs';

export const SKUS = ['tee-m', 'mug', 'scarf'];
export const CHANNELS = ['store', 'web', 'marketplace'];
/** Live holds last this long: long enough to copy the state while they hold, short enough
 * that they have lapsed when the upgrade test runs (it waits for the rest if it must). */
export const HOLD_TTL_S = 120;

const [cmd, url, shopFile, outFile] = process.argv.slice(2);

const call = (method, path, body, headers = {}) => requestJson(url + path, method, body, headers);

const bearer = (token) => ({ authorization: `Bearer ${token}` });
const admin = (m, p, b) => call(m, p, b, bearer(DEFAULT_VARS.ADMIN_TOKEN));
const storefront = (m, p, b, h = {}) => call(m, p, b, { ...bearer(DEFAULT_VARS.STOREFRONT_KEY), ...h });
const checkout = (m, p, b) => call(m, p, b, bearer(DEFAULT_VARS.CHECKOUT_TOKEN));

async function ok(what, promise, status = [200, 201]) {
  const r = await promise;
  if (!status.includes(r.status)) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A batch from the signed generic webhook (provider `lastunit`, so its ids are remembered). */
function webhook(events) {
  const raw = JSON.stringify({ events });
  return call('POST', '/webhooks/lastunit', raw, { 'x-lastunit-signature': signLastunit(DEFAULT_VARS.LASTUNIT_WEBHOOK_SECRET, raw) });
}

async function write() {
  await ok('location', admin('PUT', '/admin/locations/main-st', { name: 'Main St store', pos_refs: { shopify: '655441491' } }));
  await ok('location', admin('PUT', '/admin/locations/warehouse', { name: 'Warehouse' }));
  await ok('channel', admin('PUT', '/admin/channels/store', { locations: ['main-st'] }));
  await ok('channel', admin('PUT', '/admin/channels/web', { locations: ['warehouse', 'main-st'] }));
  await ok('channel', admin('PUT', '/admin/channels/marketplace', { locations: ['warehouse'] }));
  await ok('sku', admin('PUT', '/admin/skus/tee-m', { title: 'Tee, M', max_per_cart: 5, buffer: { mode: 'fixed', units: 1 }, allocation: { marketplace: 4 }, pos_refs: { shopify: '4001' } }));
  await ok('sku', admin('PUT', '/admin/skus/mug', { title: 'Mug', buffer: { mode: 'auto', min: 0, max: 3 }, buffer_channels: ['web', 'marketplace'] }));
  await ok('sku', admin('PUT', '/admin/skus/scarf', { title: 'Scarf', buffer: { mode: 'none' }, low_stock_threshold: 2 }));

  const counts = [['tee-m', 'main-st', 10], ['tee-m', 'warehouse', 20], ['mug', 'main-st', 6], ['mug', 'warehouse', 12], ['scarf', 'main-st', 4], ['scarf', 'warehouse', 8]]
    .map(([sku, location, quantity]) => ({ event_id: `count-${sku}-${location}`, type: 'count', sku, location, quantity }));
  await ok('counts', webhook(counts));
  const moves = [
    { event_id: 'sale-1', type: 'sale', sku: 'tee-m', location: 'main-st', quantity: 1, channel: 'store' },
    { event_id: 'sale-2', type: 'sale', sku: 'tee-m', location: 'warehouse', quantity: 2, channel: 'web' },
    { event_id: 'sale-3', type: 'sale', sku: 'mug', location: 'main-st', quantity: 1, channel: 'store' },
    { event_id: 'sale-4', type: 'sale', sku: 'scarf', location: 'warehouse', quantity: 1, channel: 'marketplace' },
    { event_id: 'return-1', type: 'return', sku: 'tee-m', location: 'main-st', quantity: 1, channel: 'store', origin_channel: 'web', reason: 'wrong size', restock: true },
    { event_id: 'return-2', type: 'return', sku: 'mug', location: 'main-st', quantity: 1, channel: 'store', origin_channel: 'store', reason: 'damaged', restock: false },
    { event_id: 'return-3', type: 'return', sku: 'scarf', location: 'warehouse', quantity: 1, channel: 'web', origin_channel: 'marketplace', reason: 'changed mind', restock: true },
    { event_id: 'receive-1', type: 'receive', sku: 'mug', location: 'warehouse', quantity: 5 },
    { event_id: 'adjust-1', type: 'adjust', sku: 'scarf', location: 'main-st', quantity: -1, reason: 'found damaged' },
    { event_id: 'waste-1', type: 'waste', sku: 'mug', location: 'main-st', quantity: 1, reason: 'broken' },
    { event_id: 'transfer-1', type: 'transfer', sku: 'tee-m', location: 'warehouse', to_location: 'main-st', quantity: 3 },
    { event_id: 'receive-2', type: 'receive', sku: 'tee-m', location: 'main-st', quantity: 1, transfer_id: 'transfer-1' },
  ];
  await ok('movements', webhook(moves));

  // A PoS webhook: Shopify's count of tee-m at the store.
  const shopify = JSON.stringify({ inventory_item_id: 4001, location_id: 655441491, available: 12, updated_at: new Date().toISOString() });
  await ok('shopify', call('POST', '/webhooks/shopify', shopify, {
    'x-shopify-hmac-sha256': hmacBase64(DEFAULT_VARS.SHOPIFY_WEBHOOK_SECRET, shopify),
    'x-shopify-event-id': 'shopify-fixture-1',
    'x-shopify-topic': 'inventory_levels/update',
  }));

  const inDays = (d) => new Date(Date.now() + d * 86400000).toISOString().replace(/\.\d+Z$/, 'Z');
  await ok('purchase order', admin('POST', '/admin/purchase-orders', { po_id: 'PO-1', location: 'warehouse', lines: [{ sku: 'tee-m', quantity: 10, expected_at: inDays(7) }, { sku: 'mug', quantity: 6, expected_at: inDays(3) }] }));
  await ok('po receipt', webhook([{ event_id: 'receive-po-1', type: 'receive', sku: 'mug', location: 'warehouse', quantity: 2, po_id: 'PO-1' }]));

  const reserve = (cart, lines, { channel = 'web', ttl = 600, key } = {}) =>
    ok('reservation', storefront('POST', '/v1/reservations', { cart_id: cart, channel, ttl_seconds: ttl, lines }, key ? { 'idempotency-key': key } : {}));
  const holds = [];
  const committed = await reserve('cart-1', [{ sku: 'scarf', quantity: 1 }]);
  await ok('commit', checkout('POST', `/v1/reservations/${committed.reservation_id}/commit`, { order_id: 'order-1' }));
  holds.push({ id: committed.reservation_id, lines: committed.lines, channel: 'web', state: 'committed' });
  const committedMulti = await reserve('cart-2', [{ sku: 'mug', quantity: 1 }, { sku: 'scarf', quantity: 1 }]);
  await ok('commit', checkout('POST', `/v1/reservations/${committedMulti.reservation_id}/commit`, { order_id: 'order-2' }));
  holds.push({ id: committedMulti.reservation_id, lines: committedMulti.lines, channel: 'web', state: 'committed' });
  const market = await reserve('cart-3', [{ sku: 'tee-m', quantity: 1 }], { channel: 'marketplace' });
  await ok('commit', checkout('POST', `/v1/reservations/${market.reservation_id}/commit`, { order_id: 'order-3' }));
  holds.push({ id: market.reservation_id, lines: market.lines, channel: 'marketplace', state: 'committed' });
  const released = await reserve('cart-4', [{ sku: 'mug', quantity: 1 }]);
  await ok('release', storefront('DELETE', `/v1/reservations/${released.reservation_id}`));
  holds.push({ id: released.reservation_id, lines: released.lines, channel: 'web', state: 'released' });
  // Live when the state is copied; lapsed by the time the upgrade test runs.
  const single = await reserve('cart-5', [{ sku: 'tee-m', quantity: 2 }], { ttl: HOLD_TTL_S, key: 'fixture-key-1' });
  holds.push({ id: single.reservation_id, lines: single.lines, channel: 'web', state: 'live', expires_at: single.expires_at });
  const multi = await reserve('cart-6', [{ sku: 'tee-m', quantity: 1 }, { sku: 'mug', quantity: 2 }], { ttl: HOLD_TTL_S });
  holds.push({ id: multi.reservation_id, lines: multi.lines, channel: 'web', state: 'live', expires_at: multi.expires_at });

  const seen = { 'tee-m': 'sale-1', mug: 'waste-1', scarf: 'adjust-1' };
  writeFileSync(shopFile, JSON.stringify({ holds, seen, events: [...counts, ...moves] }, null, 2) + '\n');
}

async function record() {
  const shop = JSON.parse(readFileSync(shopFile, 'utf8'));
  for (const h of shop.holds.filter((h) => h.state === 'live')) {
    await ok('release', storefront('DELETE', `/v1/reservations/${h.id}`));
  }
  const skus = {};
  for (const sku of SKUS) {
    const view = await ok('view', admin('GET', `/admin/skus/${sku}`));
    const availability = {};
    for (const c of CHANNELS) {
      const a = await ok('availability', call('GET', `/v1/availability/${sku}?channel=${c}`));
      availability[c] = { available: a.available, status: a.status, in_store_only: a.in_store_only };
    }
    const { on_hand, unsellable, in_transit, incoming, returns, ledger, ledger_entries, config, buffer } = view;
    skus[sku] = { availability, on_hand, unsellable, in_transit, incoming, returns, ledger, ledger_entries, config, buffer, reserved: view.reserved, holds: view.holds };
  }
  const catalog = {
    skus: (await ok('skus', admin('GET', '/admin/skus'))).skus,
    locations: (await ok('locations', admin('GET', '/admin/locations'))).locations,
    channels: await ok('channels', admin('GET', '/admin/channels')),
  };
  // One applied event per SKU: sent again after an upgrade it must be a duplicate.
  const seen = Object.fromEntries(Object.entries(shop.seen).map(([sku, id]) => [sku, shop.events.find((e) => e.event_id === id)]));
  writeFileSync(outFile, JSON.stringify({ holds: shop.holds, seen, catalog, skus }, null, 2) + '\n');
}

if (cmd === 'write') await write();
else if (cmd === 'record') await record();
else {
  console.error('usage: state-fixture-shop.mjs write URL SHOP.json | record URL SHOP.json OUT.json');
  process.exit(2);
}
