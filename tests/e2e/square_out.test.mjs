// Square out: the sales Square did not make (online orders, edge checkouts) are written to the
// Square stand-in (tests/standins/square.mjs) as adjustments from the SKU object's alarm, once
// each, through outages and lost answers; Square's count that follows does not count them twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEdge, basicCatalog, skuWithStock, uid, eventually } from '../harness.mjs';
import * as shopify from '../standins/shopify.mjs';
import * as square from '../standins/square.mjs';

const L = 'L9XZ3'; // main-st's pos_refs.square in basicCatalog
const MAIN_ST = 655441491;
let edge;
let sq;
let shop;
let nextId = 9_000_000;
const id = () => (nextId += 1);

before(async () => {
  sq = await square.start({ locations: [L] });
  shop = await shopify.start();
  edge = await startEdge({ vars: { SQUARE_API_BASE: sq.apiBase, SQUARE_ACCESS_TOKEN: sq.token } });
  await basicCatalog(edge);
  for (const [provider, body] of [['square', { location: 'main-st' }], ['shopify', { channel: 'web', location: 'main-st' }]]) {
    const r = await edge.admin('PUT', `/admin/connections/${provider}`, body);
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  sq.configureWebhooks({ url: `${edge.url}/webhooks/square`, notificationUrl: edge.vars.SQUARE_NOTIFICATION_URL, signatureKey: edge.vars.SQUARE_SIGNATURE_KEY });
  shop.addLocation({ id: MAIN_ST });
  shop.configureWebhooks({ url: `${edge.url}/webhooks/shopify`, secret: edge.vars.SHOPIFY_WEBHOOK_SECRET });
});
after(async () => {
  await edge?.stop();
  await sq?.close();
  await shop?.close();
});

const onHand = async (sku) => (await edge.admin('GET', `/admin/skus/${sku}`)).body.on_hand['main-st'];

/** A SKU known to lastunit, Square (5 at main-st) and Shopify. */
async function product() {
  const sku = uid('sq');
  const { variationIds: [variation] } = sq.addItem({ name: sku, variations: [{ sku, counts: { [L]: 5 } }] });
  await skuWithStock(edge, sku, { 'main-st': 5 }, { pos_refs: { square: variation } });
  shop.addVariant({ sku, variantId: id(), inventoryItemId: id(), levels: { [MAIN_ST]: 50 } });
  return { sku, variation };
}

const adjustmentsOf = (variation) =>
  sq.writes.filter((w) => w.changes.some((c) => c.adjustment?.catalog_object_id === variation));

/** Waits until every count webhook Square sent is answered, then for the stock to read `n`. */
async function settlesAt(sku, n) {
  await eventually(async () => {
    await sq.settled();
    assert.equal(await onHand(sku), n);
  }, { what: `${sku} at ${n}`, timeoutMs: 20000 });
}

test('a Shopify order delivered 8 times is sold once, written to Square once, and Square\'s count does not count it twice', async () => {
  const { sku, variation } = await product();
  const order = shop.placeOrder({ lines: [{ sku, quantity: 1 }], locationId: MAIN_ST });
  await shop.settled();
  const delivery = shop.deliveries.find((d) => d.topic === 'orders/create' && JSON.parse(d.body).id === order.id);
  shop.redeliver(delivery.id, 7);
  await shop.settled();
  assert.equal(await onHand(sku), 4);
  await eventually(() => assert.equal(sq.count(variation, L), 4), { what: 'Square hears of the online sale', timeoutMs: 20000 });
  const writes = adjustmentsOf(variation);
  assert.equal(writes.length, 1, JSON.stringify(writes));
  assert.equal(writes[0].outcome, 'applied');
  const adj = writes[0].changes[0].adjustment;
  assert.deepEqual([adj.from_state, adj.to_state, adj.location_id, adj.quantity], ['IN_STOCK', 'SOLD', L, '1']);
  assert.match(adj.reference_id, new RegExp(`^shopify:order:${order.id}:line:`));
  assert.ok(writes[0].idempotencyKey.length <= 128);
  // Square's inventory.count.updated after lastunit's own adjustment: an echo, nothing moves.
  await settlesAt(sku, 4);
  const counts = sq.deliveries.filter((d) => JSON.parse(d.body).data.object.inventory_counts.some((c) => c.catalog_object_id === variation));
  assert.ok(counts.length >= 1);
  assert.equal(counts[0].attempts[0].status, 200);
  // Then a register sale counts as usual.
  sq.registerSale(variation, L, 1);
  await settlesAt(sku, 3);
  assert.equal(sq.count(variation, L), 3);
});

test('an edge checkout is written to Square too, and a refund restocked online goes back', async () => {
  const { sku, variation } = await product();
  const hold = await edge.json('POST', '/v1/reservations', JSON.stringify({ cart_id: uid('cart'), channel: 'web', lines: [{ sku, quantity: 2 }] }), {
    authorization: `Bearer ${edge.vars.CHECKOUT_TOKEN}`,
  });
  assert.equal(hold.status, 201, JSON.stringify(hold.body));
  const commit = await edge.json('POST', `/v1/reservations/${hold.body.reservation_id}/commit`, JSON.stringify({ order_id: uid('o') }), {
    authorization: `Bearer ${edge.vars.CHECKOUT_TOKEN}`,
  });
  assert.equal(commit.status, 200, JSON.stringify(commit.body));
  await eventually(() => assert.equal(sq.count(variation, L), 3), { what: 'Square hears of the checkout', timeoutMs: 20000 });
  await settlesAt(sku, 3);

  const order = shop.placeOrder({ lines: [{ sku, quantity: 1 }], locationId: MAIN_ST });
  await shop.settled();
  shop.refundOrder(order.id, { lines: [{ sku, quantity: 1, restockType: 'return' }] });
  await shop.settled();
  assert.equal(await onHand(sku), 3);
  await eventually(() => assert.ok(adjustmentsOf(variation).flatMap((w) => w.changes).some((c) => c.adjustment.to_state === 'IN_STOCK')), {
    what: 'the restocked return written back',
    timeoutMs: 20000,
  });
  await eventually(() => assert.equal(sq.count(variation, L), 3), { timeoutMs: 20000 });
  await settlesAt(sku, 3);
});

test('Square down, then an answer lost: the sale reaches Square once, with the same key, and the stock stays right', async () => {
  const { sku, variation } = await product();
  sq.failNext(2, { status: 503 });
  shop.placeOrder({ lines: [{ sku, quantity: 1 }], locationId: MAIN_ST });
  await shop.settled();
  await eventually(() => assert.equal(sq.count(variation, L), 4), { what: 'written after the outage', timeoutMs: 30000 });
  const writes = adjustmentsOf(variation);
  assert.deepEqual(writes.map((w) => w.outcome), ['applied'], 'failed attempts applied nothing');
  await settlesAt(sku, 4);

  // Square applies the next one but the answer is lost: the retry is replayed, not applied again.
  sq.loseAnswerNext(1);
  shop.placeOrder({ lines: [{ sku, quantity: 1 }], locationId: MAIN_ST });
  await shop.settled();
  await eventually(() => assert.equal(adjustmentsOf(variation).length, 3), { what: 'the retry', timeoutMs: 30000 });
  const [, lost, retry] = adjustmentsOf(variation);
  assert.equal(lost.outcome, 'applied');
  assert.equal(retry.outcome, 'replayed');
  assert.equal(retry.idempotencyKey, lost.idempotencyKey);
  assert.equal(sq.count(variation, L), 3);
  await settlesAt(sku, 3);
});

test('a register count that has not seen an online order does not resurrect it', async () => {
  const { sku, variation } = await product();
  sq.failFor(60_000, { status: 503 }); // Square's API is down, its register still counts
  shop.placeOrder({ lines: [{ sku, quantity: 1 }], locationId: MAIN_ST });
  await shop.settled();
  assert.equal(await onHand(sku), 4);
  sq.registerSale(variation, L, 1); // Square counts 4: it never heard of the web order
  await settlesAt(sku, 3);
  const square = async () => (await edge.admin('GET', '/admin/connections')).body.connections.find((c) => c.provider === 'square');
  await eventually(async () => {
    const c = await square();
    assert.equal(c.status, 'retrying');
    assert.ok(c.pending_writes >= 1, JSON.stringify(c));
    assert.match(c.last_error, /503/);
  }, { what: 'the Square connection shows the retries' });
  sq.heal();
  await eventually(() => assert.equal(sq.count(variation, L), 3), { what: 'Square catches up', timeoutMs: 30000 });
  await settlesAt(sku, 3);
  await eventually(async () => {
    const c = await square();
    assert.deepEqual([c.status, c.pending_writes, c.last_error], ['ok', 0, null]);
    assert.ok(c.last_write_at);
  }, { what: 'the Square connection is ok again' });
  assert.ok(!JSON.stringify(await square()).includes(sq.token), 'never a credential');
});
