// Reservations: all or nothing, idempotency, commit, release, expiry by alarm, concurrency.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startEdge, basicCatalog, skuWithStock, uid, eventually } from '../harness.mjs';

let edge;
before(async () => {
  edge = await startEdge();
  await basicCatalog(edge);
});
after(async () => edge?.stop());

const reserve = (body, headers = {}) => edge.storefront('POST', '/v1/reservations', body, headers);

test('a single-line reservation: 201 with the contract body, then commit, then commit again', async () => {
  const sku = uid('R');
  await skuWithStock(edge, sku, { warehouse: 3 });
  const r = await reserve({ cart_id: 'c-81', channel: 'web', ttl_seconds: 600, lines: [{ sku, quantity: 2 }] });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.cart_id, 'c-81');
  assert.equal(r.body.channel, 'web');
  assert.deepEqual(r.body.lines, [{ sku, quantity: 2 }]);
  const ttl = Date.parse(r.body.expires_at) - Date.now();
  assert.ok(ttl > 590000 && ttl <= 600000, `expires in ${ttl} ms`);
  assert.match(r.body.reservation_id, /^[0-9a-f]{32}\./);
  assert.equal((await edge.availability(sku)).available, 1);
  const id = r.body.reservation_id;
  const c1 = await edge.checkout('POST', `/v1/reservations/${id}/commit`, { order_id: 'o-1' });
  assert.equal(c1.status, 200);
  assert.deepEqual(c1.body, { status: 'committed' });
  const c2 = await edge.checkout('POST', `/v1/reservations/${id}/commit`, { order_id: 'o-1' });
  assert.equal(c2.status, 200);
  assert.deepEqual(c2.body, { status: 'committed' });
  const view = await edge.admin('GET', `/admin/skus/${sku}`);
  assert.equal(view.body.on_hand.warehouse, 1, 'sold once');
  assert.equal(view.body.reserved, 0);
  assert.equal((await edge.availability(sku)).available, 1);
  const del = await edge.storefront('DELETE', `/v1/reservations/${id}`);
  assert.equal(del.status, 409, 'a committed reservation cannot be released');
});

test('credentials: storefront may not commit (403), none is 401, admin is 403', async () => {
  const sku = uid('R');
  await skuWithStock(edge, sku, { warehouse: 3 });
  assert.equal((await edge.json('POST', '/v1/reservations', { cart_id: 'c', lines: [{ sku, quantity: 1 }] })).status, 401);
  assert.equal((await edge.json('POST', '/v1/reservations', { cart_id: 'c', lines: [{ sku, quantity: 1 }] }, { authorization: 'Bearer wrong' })).status, 401);
  assert.equal((await edge.admin('POST', '/v1/reservations', { cart_id: 'c', lines: [{ sku, quantity: 1 }] })).status, 403);
  const r = await reserve({ cart_id: 'c', lines: [{ sku, quantity: 1 }] });
  assert.equal(r.status, 201);
  const byStorefront = await edge.storefront('POST', `/v1/reservations/${r.body.reservation_id}/commit`, { order_id: 'o' });
  assert.equal(byStorefront.status, 403);
  assert.equal(byStorefront.body.error, 'forbidden');
  assert.equal((await edge.json('POST', `/v1/reservations/${r.body.reservation_id}/commit`, { order_id: 'o' })).status, 401);
  // The checkout server may do what the storefront may.
  const byCheckout = await edge.checkout('POST', '/v1/reservations', { cart_id: 'c2', lines: [{ sku, quantity: 1 }] });
  assert.equal(byCheckout.status, 201);
  assert.equal((await edge.availability(sku)).available, 1);
});

test('release gives the units back; unknown ids are 404', async () => {
  const sku = uid('R');
  await skuWithStock(edge, sku, { warehouse: 2 });
  const r = await reserve({ cart_id: 'c', lines: [{ sku, quantity: 2 }] });
  assert.equal((await edge.availability(sku)).available, 0);
  const del = await edge.storefront('DELETE', `/v1/reservations/${r.body.reservation_id}`);
  assert.equal(del.status, 200);
  assert.deepEqual(del.body, { status: 'released' });
  assert.equal((await edge.availability(sku)).available, 2);
  const again = await edge.storefront('DELETE', `/v1/reservations/${r.body.reservation_id}`);
  assert.equal(again.status, 200);
  assert.equal((await edge.storefront('DELETE', '/v1/reservations/nope')).status, 404);
  assert.equal((await edge.checkout('POST', `/v1/reservations/${'0'.repeat(32)}.${sku}/commit`, { order_id: 'x' })).status, 404);
  const released = await edge.checkout('POST', `/v1/reservations/${r.body.reservation_id}/commit`, { order_id: 'x' });
  assert.equal(released.status, 409);
});

test('short of stock: 409 with sku and available; limits: ttl and max_per_cart are 422', async () => {
  const sku = uid('R');
  await skuWithStock(edge, sku, { warehouse: 1 }, { max_per_cart: 2 });
  const short = await reserve({ cart_id: 'c', lines: [{ sku, quantity: 2 }] });
  assert.equal(short.status, 409);
  assert.deepEqual({ error: short.body.error, sku: short.body.sku, available: short.body.available }, { error: 'insufficient_stock', sku, available: 1 });
  const over = await reserve({ cart_id: 'c', lines: [{ sku, quantity: 3 }] });
  assert.equal(over.status, 422);
  assert.equal(over.body.error, 'over_cart_limit');
  for (const ttl of [0, 3601, -5]) {
    const r = await reserve({ cart_id: 'c', ttl_seconds: ttl, lines: [{ sku, quantity: 1 }] });
    assert.equal(r.status, 422, `ttl ${ttl}`);
  }
  assert.equal((await reserve({ cart_id: 'c', lines: [{ sku: 'ghost', quantity: 1 }] })).status, 404);
  assert.equal((await reserve({ cart_id: 'c', channel: 'nope', lines: [{ sku, quantity: 1 }] })).status, 422);
  assert.equal((await reserve('{bad json')).status, 400);
  assert.equal((await edge.availability(sku)).available, 1, 'nothing held by refused requests');
});

test('a multi-line cart short on one line holds nothing', async () => {
  const a = uid('A');
  const b = uid('B');
  await skuWithStock(edge, a, { warehouse: 5 });
  await skuWithStock(edge, b, { warehouse: 1 });
  const r = await reserve({ cart_id: 'c', lines: [{ sku: a, quantity: 1 }, { sku: b, quantity: 2 }] });
  assert.equal(r.status, 409);
  assert.equal(r.body.error, 'insufficient_stock');
  assert.equal(r.body.sku, b);
  assert.equal(r.body.available, 1);
  assert.equal((await edge.availability(a)).available, 5);
  assert.equal((await edge.availability(b)).available, 1);
  assert.equal((await edge.admin('GET', `/admin/skus/${a}`)).body.reserved, 0);
});

test('a multi-line cart: 201, commit every line, commit again the same', async () => {
  const a = uid('A');
  const b = uid('B');
  await skuWithStock(edge, a, { warehouse: 5 });
  await skuWithStock(edge, b, { warehouse: 3 });
  const r = await reserve({ cart_id: 'c-9', channel: 'web', lines: [{ sku: a, quantity: 1 }, { sku: b, quantity: 2 }] });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.deepEqual(r.body.lines, [{ sku: a, quantity: 1 }, { sku: b, quantity: 2 }]);
  assert.equal((await edge.availability(b)).available, 1);
  const id = r.body.reservation_id;
  for (let i = 0; i < 2; i++) {
    const c = await edge.checkout('POST', `/v1/reservations/${id}/commit`, { order_id: 'o-9' });
    assert.equal(c.status, 200);
    assert.deepEqual(c.body, { status: 'committed' });
  }
  assert.equal((await edge.admin('GET', `/admin/skus/${a}`)).body.on_hand.warehouse, 4);
  assert.equal((await edge.admin('GET', `/admin/skus/${b}`)).body.on_hand.warehouse, 1);
  const m = await reserve({ cart_id: 'c-10', lines: [{ sku: a, quantity: 1 }, { sku: b, quantity: 1 }] });
  assert.equal((await edge.storefront('DELETE', `/v1/reservations/${m.body.reservation_id}`)).status, 200);
  assert.equal((await edge.availability(a)).available, 4);
  assert.equal((await edge.availability(b)).available, 1);
});

test('the same Idempotency-Key returns the first answer and holds nothing more', async () => {
  const a = uid('I');
  const b = uid('I');
  await skuWithStock(edge, a, { warehouse: 5 });
  await skuWithStock(edge, b, { warehouse: 5 });
  const key = uid('key');
  const single = { cart_id: 'c', lines: [{ sku: a, quantity: 2 }] };
  const r1 = await reserve(single, { 'idempotency-key': key });
  const r2 = await reserve(single, { 'idempotency-key': key });
  assert.equal(r1.status, 201);
  assert.deepEqual(r2, { ...r2, status: 201 });
  assert.deepEqual(r2.body, r1.body);
  assert.equal((await edge.availability(a)).available, 3);
  const key2 = uid('key');
  const multi = { cart_id: 'c', lines: [{ sku: a, quantity: 1 }, { sku: b, quantity: 1 }] };
  const m1 = await reserve(multi, { 'idempotency-key': key2 });
  const m2 = await reserve(multi, { 'idempotency-key': key2 });
  assert.equal(m1.status, 201);
  assert.deepEqual(m2.body, m1.body);
  assert.equal((await edge.availability(a)).available, 2);
  assert.equal((await edge.availability(b)).available, 4);
  // A first answer that was a refusal is the answer again, even once stock is there.
  const key3 = uid('key');
  const big = { cart_id: 'c', lines: [{ sku: b, quantity: 9 }] };
  const f1 = await reserve(big, { 'idempotency-key': key3 });
  assert.equal(f1.status, 409);
  await edge.admin('POST', '/admin/events', { event_id: uid('e'), type: 'receive', sku: b, location: 'warehouse', quantity: 20 });
  const f2 = await reserve(big, { 'idempotency-key': key3 });
  assert.equal(f2.status, f1.status);
  assert.deepEqual(f2.body, f1.body);
});

test('200 concurrent single-unit reservations on a SKU with 7 units grant exactly 7', async () => {
  const sku = uid('C');
  await skuWithStock(edge, sku, { warehouse: 7 });
  const answers = await Promise.all(
    Array.from({ length: 200 }, (_, i) => reserve({ cart_id: `cart-${i}`, lines: [{ sku, quantity: 1 }] })),
  );
  const statuses = answers.map((a) => a.status);
  assert.equal(statuses.filter((s) => s === 201).length, 7, JSON.stringify(statuses));
  assert.equal(statuses.filter((s) => s === 409).length, 193);
  assert.equal((await edge.availability(sku)).available, 0);
  assert.equal((await edge.admin('GET', `/admin/skus/${sku}`)).body.reserved, 7);
});

test('a hold expires on its own (alarm, no request), and its commit is then 410', async () => {
  const sku = uid('X');
  await skuWithStock(edge, sku, { warehouse: 2 });
  // Watch the SKU: after the hold is taken nothing asks it anything, so only the alarm can
  // announce the expiry.
  const ws = new WebSocket(`${edge.url.replace('http', 'ws')}/v1/live/${sku}?channel=web`);
  const messages = [];
  ws.on('message', (m) => messages.push(JSON.parse(m.toString())));
  await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
  const r = await reserve({ cart_id: 'c', ttl_seconds: 3, lines: [{ sku, quantity: 2 }] });
  assert.equal(r.status, 201);
  await eventually(() => {
    const held = messages.findIndex((m) => m.available === 0);
    assert.ok(held >= 0, `the hold was announced: ${JSON.stringify(messages)}`);
    assert.ok(messages.slice(held).some((m) => m.available === 2), `expiry pushed by the alarm: ${JSON.stringify(messages)}`);
  }, { timeoutMs: 20000, what: 'the hold, then its expiry, on the live stream' });
  ws.close();
  const c = await edge.checkout('POST', `/v1/reservations/${r.body.reservation_id}/commit`, { order_id: 'late' });
  assert.equal(c.status, 410);
  assert.equal(c.body.error, 'reservation_expired');
  assert.equal((await edge.availability(sku)).available, 2);
});
