// Orders in: the connected stores' orders (the Shopify and WooCommerce stand-ins, tests/standins)
// become sales and returns on the connection's channel, each line once however often it is
// delivered; unknown SKUs are ignored and listed; a bad signature changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEdge, basicCatalog, skuWithStock, uid, hmacBase64, eventually } from '../harness.mjs';
import * as shopify from '../standins/shopify.mjs';
import * as woocommerce from '../standins/woocommerce.mjs';

const WOO_SECRET = 'test-woocommerce-secret';
const MAIN_ST = 655441491; // main-st's pos_refs.shopify in basicCatalog
let edge;
let shop;
let woo;
let nextId = 7_000_000;
const id = () => (nextId += 1);

before(async () => {
  shop = await shopify.start();
  woo = await woocommerce.start();
  // The REST key reads WooCommerce's refunds (an order lists them without their lines).
  edge = await startEdge({
    vars: {
      WOOCOMMERCE_WEBHOOK_SECRET: WOO_SECRET,
      WOOCOMMERCE_API_BASE: woo.apiBase, WOOCOMMERCE_CONSUMER_KEY: woo.consumerKey, WOOCOMMERCE_CONSUMER_SECRET: woo.consumerSecret,
    },
  });
  await basicCatalog(edge);
  for (const [provider, body] of [['shopify', { channel: 'web', location: 'main-st' }], ['woocommerce', { channel: 'web', location: 'main-st' }]]) {
    const r = await edge.admin('PUT', `/admin/connections/${provider}`, body);
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  shop.addLocation({ id: MAIN_ST, name: 'Main St' });
  shop.configureWebhooks({ url: `${edge.url}/webhooks/shopify`, secret: edge.vars.SHOPIFY_WEBHOOK_SECRET });
  woo.configureWebhooks({ url: `${edge.url}/webhooks/woocommerce`, secret: WOO_SECRET });
  await woo.settled();
});
after(async () => {
  await edge?.stop();
  await shop?.close();
  await woo?.close();
});

const onHand = async (sku) => (await edge.admin('GET', `/admin/skus/${sku}`)).body.on_hand['main-st'];

/** Every answer the edge gave to `store`'s deliveries of `topic` about `order` (by id). */
function answers(store, topic, orderId, key = 'id') {
  return store.deliveries
    .filter((d) => d.topic === topic && JSON.parse(d.body)[key] === orderId)
    .flatMap((d) => d.attempts)
    .map((a) => ({ status: a.status, body: a.response && JSON.parse(a.response) }));
}

/** A Shopify variant for `sku` (the inventory item id is not the SKU's pos_refs: the level
 * webhooks the stand-in sends after each order name an item lastunit does not map). */
function variant(sku, { variantId = id() } = {}) {
  return shop.addVariant({ sku, variantId, inventoryItemId: id(), levels: { [MAIN_ST]: 50 } });
}

test('a Shopify order is sold once, however often it is delivered (1 to 8 times)', async () => {
  const sku = uid('shirt');
  await skuWithStock(edge, sku, { 'main-st': 5 });
  variant(sku);
  const order = shop.placeOrder({ lines: [{ sku, quantity: 2 }], locationId: MAIN_ST });
  await shop.settled();
  const first = answers(shop, 'orders/create', order.id);
  assert.deepEqual(first, [{ status: 200, body: { applied: 1, duplicates: 0, ignored: 0 } }]);
  assert.equal(await onHand(sku), 3);
  const delivery = shop.deliveries.find((d) => d.topic === 'orders/create' && JSON.parse(d.body).id === order.id);
  shop.redeliver(delivery.id, 7);
  await shop.settled();
  const all = answers(shop, 'orders/create', order.id);
  assert.equal(all.length, 8);
  for (const a of all.slice(1)) assert.deepEqual(a, { status: 200, body: { applied: 0, duplicates: 1, ignored: 0 } });
  assert.equal(await onHand(sku), 3, 'sold once');
  const view = (await edge.admin('GET', `/admin/skus/${sku}`)).body;
  assert.equal(view.returns.web.sold, 2, 'a sale on the connection\'s channel');
});

test('lines match by SKU code, then by variant id (pos_refs.shopify_variant); an unknown SKU is ignored and listed, never refused', async () => {
  // pos_refs.shopify is the inventory item (what writes need); order lines carry the variant.
  const byVariant = uid('scarf');
  const { variantId, inventoryItemId } = variant('STORE-ONLY-CODE');
  await skuWithStock(edge, byVariant, { 'main-st': 4 }, { pos_refs: { shopify: String(inventoryItemId), shopify_variant: String(variantId) } });
  // A SKU holding a variant id in pos_refs.shopify (the inventory item's place) is not matched by it.
  const misfiled = uid('misfiled');
  const wrong = variant('ANOTHER-STORE-CODE');
  await skuWithStock(edge, misfiled, { 'main-st': 4 }, { pos_refs: { shopify: String(wrong.variantId) } });
  const ghost = uid('ghost');
  variant(ghost);
  const order = shop.placeOrder({ lines: [{ sku: 'STORE-ONLY-CODE', quantity: 1 }, { sku: ghost, quantity: 3 }, { sku: 'ANOTHER-STORE-CODE', quantity: 1 }], locationId: MAIN_ST });
  await shop.settled();
  assert.deepEqual(answers(shop, 'orders/create', order.id), [{ status: 200, body: { applied: 1, duplicates: 0, ignored: 2 } }]);
  assert.equal(await onHand(byVariant), 3);
  assert.equal(await onHand(misfiled), 4);
  const list = await edge.admin('GET', '/admin/connections');
  const entry = list.body.connections.find((c) => c.provider === 'shopify');
  const unknown = entry.unknown_lines.filter((l) => l.order_id === String(order.id));
  assert.deepEqual(unknown.map((l) => [l.sku, l.quantity]), [['ANOTHER-STORE-CODE', 1], [ghost, 3]]);
  // Delivered again: each still listed once.
  shop.redeliver(shop.deliveries.find((d) => d.topic === 'orders/create' && JSON.parse(d.body).id === order.id).id, 2);
  await shop.settled();
  const again = (await edge.admin('GET', '/admin/connections')).body.connections.find((c) => c.provider === 'shopify');
  assert.equal(again.unknown_lines.filter((l) => l.order_id === String(order.id)).length, 2, 'each line listed once');
});

test('Shopify cancellations and restocked refunds come back once; a refund without restock moves nothing', async () => {
  const sku = uid('mug');
  await skuWithStock(edge, sku, { 'main-st': 6 });
  variant(sku);
  // Cancelled with a refund: refunds/create (cancel lines) and orders/cancelled carry the same units.
  const a = shop.placeOrder({ lines: [{ sku, quantity: 2 }], locationId: MAIN_ST });
  await shop.settled();
  assert.equal(await onHand(sku), 4);
  shop.cancelOrder(a.id, { restock: true, refund: true });
  await shop.settled();
  assert.deepEqual(answers(shop, 'refunds/create', a.id, 'order_id').map((x) => x.body), [{ applied: 1, duplicates: 0, ignored: 0 }]);
  assert.deepEqual(answers(shop, 'orders/cancelled', a.id).map((x) => x.body), [{ applied: 0, duplicates: 1, ignored: 0 }]);
  assert.equal(await onHand(sku), 6, 'back once');
  // Cancelled without a refund: orders/cancelled alone brings the unfulfilled units back.
  const b = shop.placeOrder({ lines: [{ sku, quantity: 1 }], locationId: MAIN_ST });
  await shop.settled();
  shop.cancelOrder(b.id);
  await shop.settled();
  assert.equal(await onHand(sku), 6);
  // A return restocked, then one that is not.
  const c = shop.placeOrder({ lines: [{ sku, quantity: 2 }], locationId: MAIN_ST });
  await shop.settled();
  shop.refundOrder(c.id, { lines: [{ sku, quantity: 1, restockType: 'return' }] });
  shop.refundOrder(c.id, { lines: [{ sku, quantity: 1, restockType: 'no_restock' }] });
  await shop.settled();
  assert.deepEqual(answers(shop, 'refunds/create', c.id, 'order_id').map((x) => x.body), [
    { applied: 1, duplicates: 0, ignored: 0 },
    { applied: 0, duplicates: 0, ignored: 1 },
  ]);
  assert.equal(await onHand(sku), 5);
  const view = (await edge.admin('GET', `/admin/skus/${sku}`)).body;
  assert.equal(view.returns.web.returned, 4, 'returns on the web channel');
});

test('a bad signature is 401 and changes nothing, for both stores', async () => {
  const sku = uid('sock');
  await skuWithStock(edge, sku, { 'main-st': 3 });
  const order = JSON.stringify({ id: id(), created_at: new Date().toISOString(), line_items: [{ id: id(), variant_id: null, sku, quantity: 1 }] });
  const shopifyBad = await edge.json('POST', '/webhooks/shopify', order, {
    'x-shopify-hmac-sha256': hmacBase64('wrong-secret', order),
    'x-shopify-topic': 'orders/create',
  });
  assert.equal(shopifyBad.status, 401);
  const wooOrder = JSON.stringify({ id: id(), status: 'processing', line_items: [{ id: id(), product_id: 1, variation_id: 0, sku, quantity: 1 }] });
  for (const signature of [hmacBase64('wrong-secret', wooOrder), undefined]) {
    const headers = { 'x-wc-webhook-topic': 'order.created' };
    if (signature) headers['x-wc-webhook-signature'] = signature;
    const r = await edge.json('POST', '/webhooks/woocommerce', wooOrder, headers);
    assert.equal(r.status, 401, JSON.stringify(r.body));
    assert.equal(r.body.error, 'unauthorized');
  }
  assert.equal(await onHand(sku), 3);
  // Signed right, the same order sells.
  const ok = await edge.json('POST', '/webhooks/woocommerce', wooOrder, {
    'x-wc-webhook-topic': 'order.created',
    'x-wc-webhook-signature': hmacBase64(WOO_SECRET, wooOrder),
  });
  assert.deepEqual(ok.body, { applied: 1, duplicates: 0, ignored: 0 });
  assert.equal(await onHand(sku), 2);
});

test('WooCommerce: the creation pings are answered, orders sell once, cancelled and refunded orders come back', async () => {
  const pings = woo.deliveries.filter((d) => d.topic === 'ping');
  assert.equal(pings.length, 3);
  for (const p of pings) assert.equal(p.attempts[0].status, 200);

  const sku = uid('tee');
  await skuWithStock(edge, sku, { 'main-st': 8 });
  woo.addProduct({ name: 'Tee', sku, stockQuantity: 8 });
  // A variation, matched by pos_refs "parent/variation" (its WooCommerce SKU is not ours).
  const parent = woo.addProduct({ name: 'Hoodie', type: 'variable' });
  const variation = woo.addVariation(parent, { sku: 'HOODIE-BLACK-M', stockQuantity: 4 });
  const hoodie = uid('hoodie');
  await skuWithStock(edge, hoodie, { 'main-st': 4 }, { pos_refs: { woocommerce: `${parent}/${variation}` } });

  const a = woo.placeOrder({ lines: [{ sku, quantity: 2 }, { variationId: variation, quantity: 1 }] });
  await woo.settled();
  assert.deepEqual(answers(woo, 'order.created', a.id).map((x) => x.body), [{ applied: 2, duplicates: 0, ignored: 0 }]);
  woo.redeliver(woo.deliveries.find((d) => d.topic === 'order.created' && JSON.parse(d.body).id === a.id).id, 3);
  await woo.settled();
  assert.deepEqual([await onHand(sku), await onHand(hoodie)], [6, 3], 'sold once');
  woo.cancelOrder(a.id);
  await woo.settled();
  assert.deepEqual([await onHand(sku), await onHand(hoodie)], [8, 4], 'cancelled: back');

  const b = woo.placeOrder({ lines: [{ sku, quantity: 3 }] });
  await woo.settled();
  assert.equal(await onHand(sku), 5);
  woo.refundOrder(b.id, { lines: [{ sku, quantity: 3 }], restock: true });
  await woo.settled();
  assert.equal(woo.orders.get(b.id).status, 'refunded');
  // The refund's lines are read from the store after the webhook (its alarm).
  await eventually(async () => assert.equal(await onHand(sku), 8, 'refunded: back'), { what: 'the refund read' });

  // A checkout: created pending (nothing moves), then paid (processing), then completed.
  const d = woo.placeOrder({ lines: [{ sku, quantity: 1 }], checkout: true });
  woo.setOrderStatus(d.id, 'completed');
  await woo.settled();
  assert.deepEqual(answers(woo, 'order.created', d.id).map((x) => x.body), [{ applied: 0, duplicates: 0, ignored: 1 }]);
  assert.deepEqual(answers(woo, 'order.updated', d.id).map((x) => x.body), [
    { applied: 1, duplicates: 0, ignored: 0 },
    { applied: 0, duplicates: 1, ignored: 0 },
  ]);
  assert.equal(await onHand(sku), 7, 'the paid checkout sold once');

  // Never paid: a pending order takes nothing, so its cancellation gives nothing back.
  const c = woo.placeOrder({ lines: [{ sku, quantity: 1 }], status: 'pending' });
  await woo.settled();
  woo.setOrderStatus(c.id, 'cancelled');
  await woo.settled();
  assert.deepEqual(answers(woo, 'order.updated', c.id).map((x) => x.body), [{ applied: 0, duplicates: 0, ignored: 1 }]);
  assert.equal(await onHand(sku), 7);
  // The stores' product.updated (their stock after each order) is never a shelf count.
  const productAnswers = woo.deliveries.filter((d) => d.topic === 'product.updated').flatMap((d) => d.attempts);
  assert.ok(productAnswers.length > 0);
  for (const x of productAnswers) assert.equal(JSON.parse(x.response).applied, 0);
});

test('WooCommerce partial refunds with restock come back once each, as returns on the web channel; the cancellation brings back the rest', async () => {
  const sku = uid('jug');
  await skuWithStock(edge, sku, { 'main-st': 10 });
  woo.addProduct({ name: 'Jug', sku, stockQuantity: 10 });
  const o = woo.placeOrder({ lines: [{ sku, quantity: 5 }] });
  await woo.settled();
  assert.equal(await onHand(sku), 5);
  // Two partial refunds, restocked: 1 unit, then 2.
  woo.refundOrder(o.id, { lines: [{ sku, quantity: 1 }], reason: 'chipped' });
  await woo.settled();
  await eventually(async () => assert.equal(await onHand(sku), 6), { what: 'the first refund' });
  woo.refundOrder(o.id, { lines: [{ sku, quantity: 2 }] });
  await woo.settled();
  await eventually(async () => assert.equal(await onHand(sku), 8), { what: 'the second refund' });
  // Every order.updated delivered again, the newest first: the refunds are read again, nothing moves.
  const updates = woo.deliveries.filter((d) => d.topic === 'order.updated' && JSON.parse(d.body).id === o.id);
  assert.equal(updates.length, 2);
  for (const d of [...updates].reverse()) woo.redeliver(d.id, 2);
  await woo.settled();
  const reads = () => woo.requests.filter((r) => r.method === 'GET' && r.url.startsWith(`/wp-json/wc/v3/orders/${o.id}/refunds`)).length;
  await eventually(() => assert.ok(reads() >= 3, `${reads()} reads`), { what: 'the redeliveries read' });
  // Then the order is cancelled: the 2 units no refund restocked come back.
  woo.setOrderStatus(o.id, 'cancelled');
  await woo.settled();
  await eventually(async () => assert.equal(await onHand(sku), 10, 'the rest, once'), { what: 'the cancellation' });
  await eventually(async () => assert.equal(woo.stock(woo.orders.get(o.id).line_items[0].product_id), 10), { what: 'the store agrees' });
  const view = (await edge.admin('GET', `/admin/skus/${sku}`)).body;
  const returns = view.ledger.filter((e) => e.type === 'return').reverse();
  assert.deepEqual(returns.map((e) => [e.quantity, e.channel, e.origin_channel, e.reason]), [
    [1, 'web', 'web', 'refunded'], [2, 'web', 'web', 'refunded'], [2, 'web', 'web', 'cancelled'],
  ]);
  assert.equal(view.returns.web.returned, 5, 'returns by origin channel');
});
