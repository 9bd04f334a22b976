// Connected stores, writing out: lastunit's availability written into Shopify (Admin GraphQL)
// and WooCommerce (REST) stand-ins, against the real local edge. Echoes, compare-and-set,
// outages, throttling, bursts and resyncs. Every wait is a condition, never a sleep.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEdge, eventually, hmacBase64, uid, storeSecrets, connectedShop } from '../harness.mjs';
import * as shopify from '../standins/shopify.mjs';
import * as woocommerce from '../standins/woocommerce.mjs';

const SHOP_LOCATION = 655441491;
let edge, shop, woo;

before(async () => {
  shop = await shopify.start();
  woo = await woocommerce.start();
  shop.addLocation({ id: SHOP_LOCATION, name: 'Main St' });
  edge = await startEdge({ vars: storeSecrets({ shop, woo }) });
  shop.configureWebhooks({ url: `${edge.url}/webhooks/shopify`, secret: edge.vars.SHOPIFY_WEBHOOK_SECRET });
  await connectedShop(edge, { shopify: String(SHOP_LOCATION), square: 'L9XZ3' });
});
after(async () => {
  await edge?.stop();
  await shop?.close();
  await woo?.close();
});

/** A SKU in lastunit, Shopify and WooCommerce, with `count` units at main-st (a Square count). */
async function product(count, { shopLevel = 0, wooStock = 0 } = {}) {
  const sku = uid('C');
  const square = `SQ${sku.slice(-10).toUpperCase()}`;
  const { inventoryItemId } = shop.addVariant({ sku, levels: { [SHOP_LOCATION]: shopLevel } });
  const wooId = woo.addProduct({ name: sku, sku, stockQuantity: wooStock });
  const r = await edge.admin('PUT', `/admin/skus/${sku}`, {
    title: sku, buffer: { mode: 'none' },
    pos_refs: { shopify: String(inventoryItemId), woocommerce: String(wooId), square },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const p = { sku, square, item: inventoryItemId, wooId };
  await registerCount(p, count);
  return p;
}

/** The register's count at main-st, as Square's inventory.count.updated sends it. */
async function registerCount(p, quantity) {
  const body = JSON.stringify({
    merchant_id: 'M1', type: 'inventory.count.updated', event_id: uid('sq'), created_at: new Date().toISOString(),
    data: { type: 'inventory', id: uid('id'), object: { inventory_counts: [
      { calculated_at: new Date().toISOString(), catalog_object_id: p.square, catalog_object_type: 'ITEM_VARIATION', location_id: 'L9XZ3', quantity: String(quantity), state: 'IN_STOCK' },
    ] } },
  });
  const r = await edge.json('POST', '/webhooks/square', body, { 'x-square-hmacsha256-signature': hmacBase64(edge.vars.SQUARE_SIGNATURE_KEY, edge.vars.SQUARE_NOTIFICATION_URL, body) });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

const webAvailable = async (sku) => (await edge.json('GET', `/v1/availability/${sku}?channel=web`)).body.available;
const onHand = async (sku) => (await edge.admin('GET', `/admin/skus/${sku}`)).body.on_hand['main-st'];
const shopWrites = (p) => shop.writes.filter((w) => w.input.quantities.some((q) => q.inventoryItemId === `gid://shopify/InventoryItem/${p.item}`));

function storesShow(p, n, what) {
  return eventually(() => {
    assert.equal(shop.level(p.item, SHOP_LOCATION), n, 'Shopify');
    assert.equal(woo.stock(p.wooId), n, 'WooCommerce');
  }, { timeoutMs: 20000, what });
}

async function status(provider) {
  const r = await edge.admin('GET', '/admin/connections');
  return r.body.connections.find((c) => c.provider === provider);
}

test('a register sale reaches Shopify and WooCommerce, and their echoes change nothing', async () => {
  const p = await product(6);
  await storesShow(p, 6, 'both stores show lastunit\'s 6');
  await registerCount(p, 5); // a sale at the register
  await storesShow(p, 5, 'both stores follow the register sale');
  const w = shopWrites(p).at(-1);
  assert.equal(w.outcome, 'applied');
  assert.equal(w.input.name, 'available');
  assert.equal(w.input.quantities[0].changeFromQuantity, 6, 'compared against what lastunit knew Shopify held');
  assert.match(w.idempotencyKey, /^lastunit-/);
  assert.match(w.input.referenceDocumentUri, /^gid:\/\/lastunit\//);
  // Shopify sent inventory_levels/update for each write: lastunit answered them, and took
  // none as a count of the shelf.
  await shop.settled();
  const echoes = shop.deliveries.filter((d) => d.topic === 'inventory_levels/update' && JSON.parse(d.body).inventory_item_id === p.item);
  assert.ok(echoes.length >= 2, `${echoes.length} echoes`);
  assert.ok(echoes.every((d) => d.attempts.at(-1).status === 200));
  assert.equal(await onHand(p.sku), 5);
  const writes = shopWrites(p).length;
  await eventually(async () => assert.equal((await status('shopify')).pending_writes, 0), { what: 'nothing pending' });
  assert.equal(shopWrites(p).length, writes, 'an echo causes no write');
  const s = await status('shopify');
  assert.equal(s.status, 'ok');
  assert.ok(s.last_write_at);
  const levels = await edge.admin('GET', `/admin/connections/shopify/levels?skus=${p.sku}`);
  assert.deepEqual(levels.body.levels[p.sku], { store: 5, lastunit: 5, pending: false });
});

test('the store\'s own change is never a count of the shelf: lastunit writes its number back', async () => {
  const p = await product(4);
  await storesShow(p, 4, 'the stores start at 4');
  shop.setLevel(p.item, SHOP_LOCATION, 9); // a merchant types 9 in Shopify's admin
  await eventually(() => assert.equal(shop.level(p.item, SHOP_LOCATION), 4), { timeoutMs: 20000, what: 'lastunit\'s 4 written back' });
  const back = shopWrites(p).at(-1);
  assert.equal(back.input.quantities[0].changeFromQuantity, 9, 'the store\'s own number is what it compares with');
  assert.equal(await onHand(p.sku), 4, 'the shelf did not change');
  assert.equal(await webAvailable(p.sku), 4);
});

test('a stale compare-and-set reads the level back and converges', async () => {
  const p = await product(7);
  await storesShow(p, 7, 'the stores start at 7');
  // Someone else moved the level without a webhook reaching lastunit (more than lastunit's
  // number: it is written over at once; a lower one would wait for its order, see src/connect/echo.rs).
  shop.setLevel(p.item, SHOP_LOCATION, 9, { notify: false });
  await registerCount(p, 6);
  await eventually(() => assert.equal(shop.level(p.item, SHOP_LOCATION), 6), { timeoutMs: 20000, what: 'Shopify converges to 6' });
  const outcomes = shopWrites(p).map((w) => w.outcome);
  assert.ok(outcomes.includes('CHANGE_FROM_QUANTITY_STALE'), JSON.stringify(outcomes));
  assert.equal(shopWrites(p).at(-1).input.quantities[0].changeFromQuantity, 9, 'written against the level read back');
  assert.ok(shop.requests.some((r) => r.body.includes('inventoryLevel(id:')), 'the level was read back');
});

test('a store that is down, then hangs, converges once it is back', async () => {
  const p = await product(10);
  await storesShow(p, 10, 'the stores start at 10');
  shop.failFor(4000);
  woo.failFor(4000);
  await registerCount(p, 8);
  await eventually(async () => assert.notEqual((await status('shopify')).status, 'ok'), { what: 'Shopify retrying' });
  assert.ok((await status('shopify')).pending_writes >= 1);
  await storesShow(p, 8, 'both converge after the outage');
  shop.hangNext(1);
  await registerCount(p, 7);
  await storesShow(p, 7, 'Shopify converges after a hang (the write goes again under its key)');
  await eventually(async () => assert.equal((await status('shopify')).status, 'ok'), { timeoutMs: 20000, what: 'ok again' });
  const applied = shopWrites(p).filter((w) => w.outcome === 'applied').map((w) => w.input.quantities.find((q) => q.inventoryItemId.endsWith(`/${p.item}`)).quantity);
  assert.deepEqual(applied.slice(-2), [8, 7]);
});

test('throttling is waited out, Retry-After and Shopify\'s cost answer alike', async () => {
  const p = await product(5);
  await storesShow(p, 5, 'the stores start at 5');
  shop.throttleNext(1, { retryAfter: 1 });
  woo.throttleNext(1, { retryAfter: 1 });
  await registerCount(p, 4);
  await storesShow(p, 4, 'written after the throttle');
  shop.drainBucket();
  await registerCount(p, 3);
  await storesShow(p, 3, 'written once the bucket refilled');
  assert.ok(!shopWrites(p).some((w) => w.outcome === 'idempotency_mismatch'));
});

test('a burst of 50 changes makes far fewer writes, and the last one is final', async () => {
  const p = await product(100);
  await storesShow(p, 100, 'the stores start at 100');
  const before = { shop: shopWrites(p).length, woo: woo.writes.filter((w) => w.id === p.wooId).length };
  for (let i = 1; i <= 50; i++) {
    const r = await edge.admin('POST', '/admin/events', { event_id: uid('b'), type: 'sale', sku: p.sku, location: 'main-st', quantity: 1, channel: 'store' });
    assert.equal(r.status, 200);
  }
  await storesShow(p, 50, 'the final number');
  const shopCount = shopWrites(p).length - before.shop;
  const wooCount = woo.writes.filter((w) => w.id === p.wooId).length - before.woo;
  assert.ok(shopCount <= 15, `${shopCount} Shopify writes for 50 changes`);
  assert.ok(wooCount <= 15, `${wooCount} WooCommerce writes for 50 changes`);
});

test('resync writes every mapped SKU again, batched', async () => {
  const a = await product(2);
  const b = await product(3);
  await storesShow(a, 2, 'a');
  await storesShow(b, 3, 'b');
  shop.setLevel(a.item, SHOP_LOCATION, 40, { notify: false });
  shop.setLevel(b.item, SHOP_LOCATION, 41, { notify: false });
  woo.setStock(a.wooId, 40, { notify: false });
  const r = await edge.admin('POST', '/admin/connections/shopify/resync');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.ok(r.body.skus >= 2);
  const wooBefore = woo.requests.length;
  const w = await edge.admin('POST', '/admin/connections/woocommerce/resync');
  assert.equal(w.status, 200);
  await storesShow(a, 2, 'a written again');
  // WooCommerce's resync goes in batches (POST /products/batch, up to 100 a request).
  const resync = woo.requests.slice(wooBefore).filter((q) => q.method !== 'GET');
  const batches = resync.filter((q) => q.method === 'POST' && q.url === '/wp-json/wc/v3/products/batch');
  assert.ok(batches.length >= 1 && batches.length < w.body.skus, `${batches.length} batches for ${w.body.skus} SKUs`);
  const ids = batches.flatMap((q) => JSON.parse(q.body).update.map((u) => u.id));
  assert.ok(ids.includes(a.wooId) && ids.includes(b.wooId), 'both in a batch');
  assert.ok(!resync.some((q) => q.method === 'PUT' && q.url.endsWith(`/products/${a.wooId}`)), 'no PUT of a batched SKU');
  await eventually(() => assert.equal(shop.level(b.item, SHOP_LOCATION), 3), { timeoutMs: 20000, what: 'b written again' });
  const unknown = await edge.admin('POST', '/admin/connections/etsy/resync');
  assert.equal(unknown.status, 422);
});
