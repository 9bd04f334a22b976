// PoS webhooks: every signature scheme accepted, a wrong one refused with state unchanged,
// duplicates, stale counts, unmapped ids, size and body errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startEdge, basicCatalog, skuWithStock, uid, hmacBase64, signLightspeed, signLastunit, freePort } from '../harness.mjs';

let edge;
let clover;
let cloverStock = {}; // "merchant/item" → quantity, or a status number to fail with
const cloverSeen = [];

before(async () => {
  const port = await freePort();
  clover = createServer((req, res) => {
    cloverSeen.push({ url: req.url, auth: req.headers.authorization });
    const m = /^\/v3\/merchants\/([^/]+)\/item_stocks\/([^/?]+)$/.exec(req.url);
    const v = m && cloverStock[`${m[1]}/${m[2]}`];
    if (req.headers.authorization !== 'Bearer test-clover-token' || v === undefined) {
      res.writeHead(404).end('{}');
    } else if (typeof v === 'object') {
      res.writeHead(v.status).end('{}');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ item: { id: m[2] }, quantity: v, stockCount: v }));
    }
  });
  await new Promise((r) => clover.listen(port, '127.0.0.1', r));
  edge = await startEdge({ vars: { CLOVER_API_BASE: `http://127.0.0.1:${port}`, CLOVER_API_TOKEN: 'test-clover-token' } });
  await basicCatalog(edge);
});
after(async () => {
  await edge?.stop();
  clover?.close();
});

async function snapshot(sku) {
  const v = (await edge.admin('GET', `/admin/skus/${sku}`)).body;
  return { on_hand: v.on_hand, version: v.version };
}

// --- Shopify ---------------------------------------------------------------------------------

function shopify(body, { secret = edge.vars.SHOPIFY_WEBHOOK_SECRET, eventId = uid('shp'), topic = 'inventory_levels/update', signature } = {}) {
  const raw = JSON.stringify(body);
  return edge.json('POST', '/webhooks/shopify', raw, {
    'x-shopify-hmac-sha256': signature ?? hmacBase64(secret, raw),
    'x-shopify-event-id': eventId,
    'x-shopify-topic': topic,
  });
}

test('shopify: a signed count applies; a wrong signature is 401 and changes nothing; duplicates and stale counts', async () => {
  const sku = uid('shp');
  const item = Number('8089' + parseInt(sku.slice(-6), 16)); // Shopify sends numeric ids
  await skuWithStock(edge, sku, { 'main-st': 2 }, { pos_refs: { shopify: String(item) } });
  const t = new Date().toISOString();
  const body = { inventory_item_id: item, location_id: 655441491, available: 6, updated_at: t };
  const before = await snapshot(sku);
  const bad = await shopify(body, { secret: 'wrong' });
  assert.equal(bad.status, 401);
  assert.equal(bad.body.error, 'unauthorized');
  assert.deepEqual(await snapshot(sku), before);
  const eventId = uid('evt');
  const ok = await shopify(body, { eventId });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.deepEqual(ok.body, { applied: 1, duplicates: 0, ignored: 0 });
  assert.equal((await edge.availability(sku, 'store')).available, 6);
  const dup = await shopify(body, { eventId });
  assert.deepEqual(dup.body, { applied: 0, duplicates: 1, ignored: 0 });
  const stale = await shopify({ ...body, available: 1, updated_at: new Date(Date.now() - 3600000).toISOString() });
  assert.deepEqual(stale.body, { applied: 0, duplicates: 0, ignored: 1 });
  assert.equal((await edge.availability(sku, 'store')).available, 6);
  const unmapped = await shopify({ ...body, inventory_item_id: 1 });
  assert.deepEqual(unmapped.body, { applied: 0, duplicates: 0, ignored: 1 });
  const otherTopic = await shopify(body, { topic: 'products/update' });
  assert.equal(otherTopic.status, 200);
  assert.equal(otherTopic.body.applied, 0);
  const raw = '{not json';
  const unreadable = await edge.json('POST', '/webhooks/shopify', raw, {
    'x-shopify-hmac-sha256': hmacBase64(edge.vars.SHOPIFY_WEBHOOK_SECRET, raw), 'x-shopify-event-id': uid('e'), 'x-shopify-topic': 'inventory_levels/update',
  });
  assert.equal(unreadable.status, 400);
});

test('a body above 256 KiB is 413', async () => {
  const raw = JSON.stringify({ pad: 'x'.repeat(256 * 1024 + 10) });
  for (const route of ['shopify', 'square', 'lightspeed', 'clover', 'lastunit']) {
    const r = await edge.json('POST', `/webhooks/${route}`, raw, { 'x-shopify-hmac-sha256': hmacBase64(edge.vars.SHOPIFY_WEBHOOK_SECRET, raw) });
    assert.equal(r.status, 413, route);
  }
});

// --- Square ----------------------------------------------------------------------------------

function squareNotice(counts, eventId = uid('sq')) {
  return {
    merchant_id: '6SSW7HV8K2ST5', type: 'inventory.count.updated', event_id: eventId, created_at: new Date().toISOString(),
    data: { type: 'inventory', id: uid('id'), object: { inventory_counts: counts } },
  };
}

function square(body, key = edge.vars.SQUARE_SIGNATURE_KEY) {
  const raw = JSON.stringify(body);
  return edge.json('POST', '/webhooks/square', raw, { 'x-square-hmacsha256-signature': hmacBase64(key, edge.vars.SQUARE_NOTIFICATION_URL, raw) });
}

test('square: IN_STOCK counts apply, other states are ignored, a wrong key is 401 with nothing changed', async () => {
  const sku = uid('sq');
  const ref = `SQ${sku.slice(-8).toUpperCase()}`;
  await skuWithStock(edge, sku, { 'main-st': 1 }, { pos_refs: { square: ref } });
  const now = new Date().toISOString();
  const notice = squareNotice([
    { calculated_at: now, catalog_object_id: ref, catalog_object_type: 'ITEM_VARIATION', location_id: 'L9XZ3', quantity: '10', state: 'IN_STOCK' },
    { calculated_at: now, catalog_object_id: ref, catalog_object_type: 'ITEM_VARIATION', location_id: 'L9XZ3', quantity: '2', state: 'SOLD' },
  ]);
  const before = await snapshot(sku);
  const bad = await square(notice, 'wrong-key');
  assert.equal(bad.status, 401);
  assert.deepEqual(await snapshot(sku), before);
  const ok = await square(notice);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.deepEqual(ok.body, { applied: 1, duplicates: 0, ignored: 1 });
  assert.equal((await edge.admin('GET', `/admin/skus/${sku}`)).body.on_hand['main-st'], 10);
  const again = await square(notice);
  assert.deepEqual(again.body, { applied: 0, duplicates: 1, ignored: 1 });
});

// --- Lightspeed --------------------------------------------------------------------------------

function lightspeed(payload, secret = edge.vars.LIGHTSPEED_CLIENT_SECRET) {
  const raw = new URLSearchParams({ type: 'inventory.update', domain_prefix: 'shop', payload: JSON.stringify(payload), environment: 'prod' }).toString();
  return edge.json('POST', '/webhooks/lightspeed', raw, { 'content-type': 'application/x-www-form-urlencoded', 'x-signature': signLightspeed(secret, raw) });
}

test('lightspeed: a signed inventory.update applies; a wrong secret is 401 with nothing changed', async () => {
  const sku = uid('ls');
  const product = `prod-${sku}`;
  await edge.admin('PUT', '/admin/locations/main-st', { name: 'Main St store', pos_refs: { shopify: '655441491', square: 'L9XZ3', clover: 'MID123', lightspeed: 'outlet-uuid' } });
  await skuWithStock(edge, sku, { 'main-st': 1 }, { pos_refs: { lightspeed: product } });
  const payload = { id: uid('rec'), product_id: product, outlet_id: 'outlet-uuid', count: '12.00000', version: 7, updated_at: new Date().toISOString() };
  const before = await snapshot(sku);
  const bad = await lightspeed(payload, 'wrong');
  assert.equal(bad.status, 401);
  assert.deepEqual(await snapshot(sku), before);
  const ok = await lightspeed(payload);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.deepEqual(ok.body, { applied: 1, duplicates: 0, ignored: 0 });
  assert.equal((await edge.admin('GET', `/admin/skus/${sku}`)).body.on_hand['main-st'], 12);
  assert.deepEqual((await lightspeed(payload)).body, { applied: 0, duplicates: 1, ignored: 0 });
});

// --- Clover ----------------------------------------------------------------------------------

function cloverPost(body, auth = edge.vars.CLOVER_AUTH_CODE) {
  const headers = auth === null ? {} : { 'x-clover-auth': auth };
  return edge.json('POST', '/webhooks/clover', JSON.stringify(body), headers);
}

test('clover: verification answered 200; a notice reads the stock back with the API token; a wrong auth code is 401', async () => {
  const sku = uid('cl');
  const item = `ITEM${sku.slice(-6).toUpperCase()}`;
  await skuWithStock(edge, sku, { 'main-st': 1 }, { pos_refs: { clover: item } });
  const verify = await cloverPost({ verificationCode: 'abc-123' }, null);
  assert.equal(verify.status, 200);
  cloverStock[`MID123/${item}`] = 7;
  const notice = { appId: 'APP', merchants: { MID123: [{ objectId: `I:${item}`, type: 'UPDATE', ts: Date.now() }] } };
  const before = await snapshot(sku);
  const bad = await cloverPost(notice, 'wrong-code');
  assert.equal(bad.status, 401);
  assert.deepEqual(await snapshot(sku), before);
  const ok = await cloverPost(notice);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.deepEqual(ok.body, { applied: 1, duplicates: 0, ignored: 0 });
  assert.equal((await edge.admin('GET', `/admin/skus/${sku}`)).body.on_hand['main-st'], 7);
  assert.ok(cloverSeen.some((s) => s.url === `/v3/merchants/MID123/item_stocks/${item}` && s.auth === 'Bearer test-clover-token'));
  assert.deepEqual((await cloverPost(notice)).body, { applied: 0, duplicates: 1, ignored: 0 });
  // The read-back failing is not acknowledged, so Clover retries.
  cloverStock[`MID123/${item}`] = { status: 500 };
  const failing = await cloverPost({ appId: 'APP', merchants: { MID123: [{ objectId: `I:${item}`, type: 'UPDATE', ts: Date.now() + 1 }] } });
  assert.ok(failing.status >= 500, String(failing.status));
  assert.equal((await edge.admin('GET', `/admin/skus/${sku}`)).body.on_hand['main-st'], 7);
});

// --- lastunit (generic) ----------------------------------------------------------------------

test('lastunit: one event or a batch, signed; wrong secret or old t is 401; a bad batch changes nothing', async () => {
  const sku = uid('lu');
  await skuWithStock(edge, sku, { 'main-st': 5 });
  const sale = { event_id: uid('e'), type: 'sale', sku, location: 'main-st', quantity: 1, channel: 'store', occurred_at: new Date().toISOString() };
  const before = await snapshot(sku);
  assert.equal((await edge.webhook(sale, { secret: 'wrong' })).status, 401);
  assert.equal((await edge.webhook(sale, { t: Math.floor(Date.now() / 1000) - 301 })).status, 401);
  assert.equal((await edge.json('POST', '/webhooks/lastunit', JSON.stringify(sale))).status, 401);
  assert.deepEqual(await snapshot(sku), before);
  const one = await edge.webhook(sale);
  assert.equal(one.status, 200, JSON.stringify(one.body));
  assert.deepEqual(one.body, { applied: 1, duplicates: 0, ignored: 0 });
  const batch = await edge.webhook({ events: [sale, { ...sale, event_id: uid('e') }] });
  assert.deepEqual(batch.body, { applied: 1, duplicates: 1, ignored: 0 });
  assert.equal((await edge.admin('GET', `/admin/skus/${sku}`)).body.on_hand['main-st'], 3);
  const mid = await snapshot(sku);
  const badBatch = await edge.webhook({ events: [{ ...sale, event_id: uid('e') }, { ...sale, event_id: uid('e'), location: 'nowhere' }] });
  assert.equal(badBatch.status, 422);
  const badEvent = await edge.webhook({ events: [{ ...sale, event_id: uid('e') }, { ...sale, event_id: uid('e'), type: 'steal' }] });
  assert.equal(badEvent.status, 400);
  assert.deepEqual(await snapshot(sku), mid);
  const staleCount = await edge.webhook({ event_id: uid('c'), type: 'count', sku, location: 'main-st', quantity: 50, occurred_at: new Date(Date.now() - 86400000).toISOString() });
  assert.deepEqual(staleCount.body, { applied: 0, duplicates: 0, ignored: 1 });
  const raw = 'not json';
  const unreadable = await edge.json('POST', '/webhooks/lastunit', raw, { 'x-lastunit-signature': signLastunit(edge.vars.LASTUNIT_WEBHOOK_SECRET, raw) });
  assert.equal(unreadable.status, 400);
  assert.equal((await edge.json('POST', '/webhooks/nobody', '{}')).status, 404);
});

test('a PoS count does not resurrect a unit sold at the edge that it has not seen', async () => {
  const sku = uid('rz');
  const ref = `RZ${sku.slice(-6).toUpperCase()}`;
  await skuWithStock(edge, sku, { 'main-st': 3 }, { pos_refs: { square: ref } });
  const countedAt = new Date().toISOString();
  const r = await edge.storefront('POST', '/v1/reservations', { cart_id: 'c', channel: 'web', lines: [{ sku, quantity: 1 }] });
  assert.equal(r.status, 201);
  assert.equal((await edge.checkout('POST', `/v1/reservations/${r.body.reservation_id}/commit`, { order_id: 'o' })).status, 200);
  // Square's count was computed before it learnt of the web order: still 3.
  const ok = await square(squareNotice([{ calculated_at: countedAt, catalog_object_id: ref, catalog_object_type: 'ITEM_VARIATION', location_id: 'L9XZ3', quantity: '3', state: 'IN_STOCK' }]));
  assert.equal(ok.status, 200);
  assert.equal((await edge.admin('GET', `/admin/skus/${sku}`)).body.on_hand['main-st'], 2);
});
