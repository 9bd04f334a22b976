// Event times (CONTRACT "Event times"): no timestamp can make later movements or counts of a SKU
// be ignored. A generic or admin `occurred_at` more than 300 s ahead is 422 and changes nothing;
// a provider's own timestamp that far ahead is taken as the moment the delivery arrived.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEdge, basicCatalog, skuWithStock, uid, hmacBase64, signLightspeed } from '../harness.mjs';

let edge;

before(async () => {
  edge = await startEdge();
  await basicCatalog(edge);
});
after(async () => {
  await edge?.stop();
});

const NEXT_YEAR = '2027-12-01T00:00:00Z';

async function onHand(sku) {
  return (await edge.admin('GET', `/admin/skus/${sku}`)).body.on_hand['main-st'];
}

async function snapshot(sku) {
  const v = (await edge.admin('GET', `/admin/skus/${sku}`)).body;
  return { on_hand: v.on_hand, version: v.version, ledger_entries: v.ledger_entries };
}

/** Three store sales dated now, each of which must take one unit off. */
async function threeSalesEachCount(sku, send) {
  for (let i = 0; i < 3; i++) {
    const before = await onHand(sku);
    const sale = { event_id: uid('sale'), type: 'sale', sku, location: 'main-st', quantity: 1, channel: 'store', occurred_at: new Date().toISOString() };
    const r = await send(sale);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { applied: 1, duplicates: 0, ignored: 0 });
    assert.equal(await onHand(sku), before - 1, `sale ${i + 1} changed stock`);
  }
}

function shopify(body) {
  const raw = JSON.stringify(body);
  return edge.json('POST', '/webhooks/shopify', raw, {
    'x-shopify-hmac-sha256': hmacBase64(edge.vars.SHOPIFY_WEBHOOK_SECRET, raw),
    'x-shopify-event-id': uid('evt'),
    'x-shopify-topic': 'inventory_levels/update',
  });
}

function shopifyItem(sku) {
  return Number('8089' + parseInt(sku.slice(-6), 16));
}

test('a count dated 2027-12-01 is 422 on /admin/events and on the signed webhook, and changes nothing', async () => {
  const sku = uid('fut');
  const item = shopifyItem(sku);
  await skuWithStock(edge, sku, { 'main-st': 10 }, { pos_refs: { shopify: String(item) } });
  const before = await snapshot(sku);
  const count = { event_id: uid('count'), type: 'count', sku, location: 'main-st', quantity: 50, occurred_at: NEXT_YEAR };
  for (const send of [(e) => edge.admin('POST', '/admin/events', e), (e) => edge.webhook(e)]) {
    const r = await send(count);
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.equal(r.body.error, 'invalid_input');
    assert.equal(r.body.field, 'occurred_at');
    assert.match(r.body.message, /300 s/);
    assert.deepEqual(await snapshot(sku), before, 'nothing changed');
    // In a batch, the whole batch is refused.
    const sale = { event_id: uid('sale'), type: 'sale', sku, location: 'main-st', quantity: 1 };
    const batch = await send({ events: [sale, { ...count, event_id: uid('count') }] });
    assert.equal(batch.status, 422, JSON.stringify(batch.body));
    assert.deepEqual(await snapshot(sku), before, 'nothing of the batch applied');
  }
  // Later movements and counts still count: three sales dated now, then Shopify's current level.
  await threeSalesEachCount(sku, (e) => edge.admin('POST', '/admin/events', e));
  await threeSalesEachCount(sku, (e) => edge.webhook(e));
  const level = await shopify({ inventory_item_id: item, location_id: 655441491, available: 2, updated_at: new Date().toISOString() });
  assert.deepEqual(level.body, { applied: 1, duplicates: 0, ignored: 0 }, 'a current Shopify level is not ignored');
  assert.equal(await onHand(sku), 2);
  // 300 s of clock skew is tolerated.
  const soon = await edge.admin('POST', '/admin/events', { ...count, event_id: uid('count'), quantity: 4, occurred_at: new Date(Date.now() + 240_000).toISOString() });
  assert.equal(soon.status, 200, JSON.stringify(soon.body));
  assert.equal(await onHand(sku), 4);
  // ... and taken as of its arrival: a sale a moment later is not inside that count.
  await threeSalesEachCount(sku, (e) => edge.admin('POST', '/admin/events', e));
});

test('shopify: an updated_at dated 2027 is taken as the moment it arrived, and later sales and levels count', async () => {
  const sku = uid('fshp');
  const item = shopifyItem(sku);
  await skuWithStock(edge, sku, { 'main-st': 1 }, { pos_refs: { shopify: String(item) } });
  const skewed = await shopify({ inventory_item_id: item, location_id: 655441491, available: 9, updated_at: NEXT_YEAR });
  assert.deepEqual(skewed.body, { applied: 1, duplicates: 0, ignored: 0 });
  assert.equal(await onHand(sku), 9);
  await threeSalesEachCount(sku, (e) => edge.webhook(e));
  const current = await shopify({ inventory_item_id: item, location_id: 655441491, available: 3, updated_at: new Date().toISOString() });
  assert.deepEqual(current.body, { applied: 1, duplicates: 0, ignored: 0 }, 'not ignored as older than the 2027 level');
  assert.equal(await onHand(sku), 3);
  const ledger = (await edge.admin('GET', `/admin/skus/${sku}`)).body.ledger;
  assert.ok(ledger.every((e) => e.occurred_at < '2027'), 'no ledger entry is dated in the future');
});

test('square: a calculated_at dated 2027 is taken as the moment it arrived', async () => {
  const sku = uid('fsq');
  const ref = `SQ${sku.slice(-8).toUpperCase()}`;
  await skuWithStock(edge, sku, { 'main-st': 1 }, { pos_refs: { square: ref } });
  const notice = (quantity, at) => ({
    merchant_id: '6SSW7HV8K2ST5', type: 'inventory.count.updated', event_id: uid('sq'), created_at: at,
    data: { type: 'inventory', id: uid('id'), object: { inventory_counts: [{ calculated_at: at, catalog_object_id: ref, catalog_object_type: 'ITEM_VARIATION', location_id: 'L9XZ3', quantity: String(quantity), state: 'IN_STOCK' }] } },
  });
  const square = (body) => {
    const raw = JSON.stringify(body);
    return edge.json('POST', '/webhooks/square', raw, { 'x-square-hmacsha256-signature': hmacBase64(edge.vars.SQUARE_SIGNATURE_KEY, edge.vars.SQUARE_NOTIFICATION_URL, raw) });
  };
  assert.deepEqual((await square(notice(8, NEXT_YEAR))).body, { applied: 1, duplicates: 0, ignored: 0 });
  await threeSalesEachCount(sku, (e) => edge.webhook(e));
  assert.deepEqual((await square(notice(2, new Date().toISOString()))).body, { applied: 1, duplicates: 0, ignored: 0 });
  assert.equal(await onHand(sku), 2);
});

test('lightspeed: an updated_at dated 2027 is taken as the moment it arrived', async () => {
  const sku = uid('fls');
  const product = `prod-${sku}`;
  await skuWithStock(edge, sku, { 'main-st': 1 }, { pos_refs: { lightspeed: product } });
  const lightspeed = (count, at) => {
    const payload = { id: uid('rec'), product_id: product, outlet_id: 'outlet-uuid', count: `${count}.00000`, version: Date.now(), updated_at: at };
    const raw = new URLSearchParams({ type: 'inventory.update', payload: JSON.stringify(payload) }).toString();
    return edge.json('POST', '/webhooks/lightspeed', raw, { 'content-type': 'application/x-www-form-urlencoded', 'x-signature': signLightspeed(edge.vars.LIGHTSPEED_CLIENT_SECRET, raw) });
  };
  assert.deepEqual((await lightspeed(7, NEXT_YEAR)).body, { applied: 1, duplicates: 0, ignored: 0 });
  await threeSalesEachCount(sku, (e) => edge.webhook(e));
  assert.deepEqual((await lightspeed(1, new Date().toISOString())).body, { applied: 1, duplicates: 0, ignored: 0 });
  assert.equal(await onHand(sku), 1);
});
