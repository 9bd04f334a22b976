// Idempotency-Key as the contract's "Idempotency and holds from public pages" says: a key
// belongs to the cart it was first sent with; same key, cart and body → the first answer;
// another body → 422 idempotency_key_reused; another cart → a new request that never reaches
// the first cart's reservation. Ids come from RESERVATION_ID_SECRET, not from the tokens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEdge, basicCatalog, skuWithStock, uid } from '../harness.mjs';

let edge;
before(async () => {
  edge = await startEdge();
  await basicCatalog(edge);
});
after(async () => edge?.stop());

const reserve = (body, key, headers = {}) => edge.storefront('POST', '/v1/reservations', body, { 'idempotency-key': key, ...headers });

test('another cart with the same key is a new reservation and cannot reach the first', async () => {
  const sku = uid('I');
  await skuWithStock(edge, sku, { warehouse: 5 });
  const key = uid('k');
  const a = await reserve({ cart_id: 'cart-a', lines: [{ sku, quantity: 2 }] }, key);
  assert.equal(a.status, 201, JSON.stringify(a.body));
  const b = await reserve({ cart_id: 'cart-b', lines: [{ sku, quantity: 1 }] }, key);
  assert.equal(b.status, 201, JSON.stringify(b.body));
  assert.notEqual(b.body.reservation_id, a.body.reservation_id, 'cart B never gets cart A\'s reservation');
  assert.equal(b.body.cart_id, 'cart-b');
  assert.deepEqual(b.body.lines, [{ sku, quantity: 1 }]);
  assert.equal((await edge.availability(sku)).available, 2, 'both holds stand');
  // Releasing B's reservation leaves A's hold alone.
  assert.equal((await edge.storefront('DELETE', `/v1/reservations/${b.body.reservation_id}`)).status, 200);
  assert.equal((await edge.availability(sku)).available, 3);
  const commit = await edge.checkout('POST', `/v1/reservations/${a.body.reservation_id}/commit`, { order_id: uid('o') });
  assert.equal(commit.status, 200);
});

test('the same key and cart: the same body gets the first answer, another body is 422 and holds nothing', async () => {
  const sku = uid('I');
  const other = uid('J');
  await skuWithStock(edge, sku, { warehouse: 5 });
  await skuWithStock(edge, other, { warehouse: 5 });
  const key = uid('k');
  const body = { cart_id: 'c', lines: [{ sku, quantity: 1 }] };
  const first = await reserve(body, key);
  assert.equal(first.status, 201);
  // The same request spelled differently (defaults written out, keys reordered) is the same body.
  const again = await reserve({ lines: [{ quantity: 1, sku }], ttl_seconds: 600, channel: 'web', cart_id: 'c' }, key);
  assert.deepEqual([again.status, again.body], [201, first.body]);
  for (const changed of [
    { cart_id: 'c', lines: [{ sku, quantity: 2 }] },
    { cart_id: 'c', ttl_seconds: 60, lines: [{ sku, quantity: 1 }] },
    { cart_id: 'c', lines: [{ sku: other, quantity: 1 }] },
    { cart_id: 'c', lines: [{ sku, quantity: 1 }, { sku: other, quantity: 1 }] },
  ]) {
    const r = await reserve(changed, key);
    assert.equal(r.status, 422, JSON.stringify(changed));
    assert.equal(r.body.error, 'idempotency_key_reused');
    assert.ok(r.body.message);
  }
  assert.equal((await edge.availability(sku)).available, 4);
  assert.equal((await edge.availability(other)).available, 5, 'a refused body holds nothing');
});

test('a multi-line reservation with a key: retried the same, refused when changed', async () => {
  const a = uid('M');
  const b = uid('N');
  await skuWithStock(edge, a, { warehouse: 3 });
  await skuWithStock(edge, b, { warehouse: 3 });
  const key = uid('k');
  const body = { cart_id: 'm', lines: [{ sku: a, quantity: 1 }, { sku: b, quantity: 1 }] };
  const first = await reserve(body, key);
  assert.equal(first.status, 201);
  assert.deepEqual((await reserve(body, key)).body, first.body);
  assert.equal((await reserve({ ...body, lines: [{ sku: a, quantity: 2 }, { sku: b, quantity: 1 }] }, key)).body.error, 'idempotency_key_reused');
  assert.equal((await edge.availability(a)).available, 2);
  const other = await reserve({ ...body, cart_id: 'm2' }, key);
  assert.equal(other.status, 201);
  assert.notEqual(other.body.reservation_id, first.body.reservation_id);
});

test('lines are checked one by one before a SKU named twice is merged', async () => {
  const sku = uid('L');
  await skuWithStock(edge, sku, { warehouse: 9 });
  const r = await edge.storefront('POST', '/v1/reservations', { cart_id: 'neg', lines: [{ sku, quantity: 5 }, { sku, quantity: -4 }] });
  assert.equal(r.status, 422, JSON.stringify(r.body));
  assert.equal(r.body.field, 'quantity');
  assert.equal((await edge.availability(sku)).available, 9);
});

test('the batch availability read names each SKU once, however it is repeated', async () => {
  const a = uid('B');
  const b = uid('C');
  await skuWithStock(edge, a, { warehouse: 1 });
  await skuWithStock(edge, b, { warehouse: 1 });
  const r = await edge.json('GET', `/v1/availability?skus=${a},${b},${a}&channel=web`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.items.map((i) => i.sku), [a, b]);
});

test('ids come from RESERVATION_ID_SECRET: rotating the tokens changes no idempotent id', async () => {
  const secret = 'a-reservation-id-secret';
  const body = (sku) => ({ cart_id: 'rot', lines: [{ sku, quantity: 1 }] });
  const ids = [];
  for (const tokens of [{}, { ADMIN_TOKEN: 'rotated-admin', CHECKOUT_TOKEN: 'rotated-checkout' }]) {
    const e = await startEdge({ vars: { RESERVATION_ID_SECRET: secret, ...tokens } });
    try {
      await basicCatalog(e);
      await skuWithStock(e, 'ROT', { warehouse: 2 });
      ids.push((await e.storefront('POST', '/v1/reservations', body('ROT'), { 'idempotency-key': 'same-key' })).body.reservation_id);
    } finally {
      await e.stop();
    }
  }
  assert.match(ids[0], /^[0-9a-f]{32}\.ROT$/);
  assert.equal(ids[1], ids[0]);
});
