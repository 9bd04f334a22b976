// Holds a script cannot drain: the storefront key sits in every product page, so one client
// address may hold at most max_per_cart units of a SKU across all its carts, create at most
// STOREFRONT_RESERVATIONS_PER_MINUTE reservations a minute (429 + Retry-After beyond), and hold
// for at most STOREFRONT_MAX_TTL_SECONDS. Other shoppers are still served.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEdge, basicCatalog, skuWithStock, uid, shopperAddress } from '../harness.mjs';

let edge;
before(async () => {
  edge = await startEdge({ vars: { STOREFRONT_RESERVATIONS_PER_MINUTE: '12', STOREFRONT_MAX_TTL_SECONDS: '300' } });
  await basicCatalog(edge);
});
after(async () => edge?.stop());

const hold = (sku, from, extra = {}) =>
  edge.storefront('POST', '/v1/reservations', { cart_id: uid('cart'), lines: [{ sku, quantity: 1 }], ...extra }, { 'cf-connecting-ip': from });

test('a script opening 10 carts from one address holds max_per_cart units; others are still served', async () => {
  const sku = uid('DRAIN');
  await skuWithStock(edge, sku, { warehouse: 10 }, { max_per_cart: 2 });
  const script = shopperAddress();
  const answers = await Promise.all(Array.from({ length: 10 }, () => hold(sku, script)));
  const statuses = answers.map((a) => a.status).sort();
  assert.deepEqual(statuses, [201, 201, ...Array(8).fill(422)], JSON.stringify(answers.map((a) => a.body)));
  for (const a of answers.filter((a) => a.status === 422)) {
    assert.equal(a.body.error, 'over_cart_limit');
    assert.equal(a.body.max_per_cart, 2);
  }
  assert.equal((await edge.availability(sku)).available, 8);
  assert.equal((await hold(sku, shopperAddress())).status, 201, 'another shopper is served');
  // The checkout server is no client: its holds are not capped across carts.
  for (let i = 0; i < 3; i++) {
    const r = await edge.checkout('POST', '/v1/reservations', { cart_id: uid('srv'), lines: [{ sku, quantity: 1 }] });
    assert.equal(r.status, 201);
  }
  // Releasing one of the script's holds frees one unit of its cap.
  const mine = answers.find((a) => a.status === 201).body.reservation_id;
  assert.equal((await edge.storefront('DELETE', `/v1/reservations/${mine}`)).status, 200);
  assert.equal((await hold(sku, script)).status, 201);
});

test('the storefront may create STOREFRONT_RESERVATIONS_PER_MINUTE a minute per address: then 429 with Retry-After', async () => {
  const sku = uid('RATE');
  await skuWithStock(edge, sku, { warehouse: 100 }, { max_per_cart: 100 });
  const script = shopperAddress();
  for (let i = 0; i < 12; i++) assert.equal((await hold(sku, script)).status, 201, `reservation ${i + 1}`);
  const limited = await hold(sku, script);
  assert.equal(limited.status, 429);
  assert.equal(limited.body.error, 'rate_limited');
  assert.ok(limited.body.message);
  const wait = Number(limited.headers.get('retry-after'));
  assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= 60, `Retry-After: ${limited.headers.get('retry-after')}`);
  assert.equal((await edge.availability(sku)).available, 88, 'the refused call held nothing');
  assert.equal((await hold(sku, shopperAddress())).status, 201, 'another address is served');
  const server = await edge.checkout('POST', '/v1/reservations', { cart_id: uid('srv'), lines: [{ sku, quantity: 1 }] }, { 'cf-connecting-ip': script });
  assert.equal(server.status, 201, 'the checkout token is not rate limited');
});

test('a storefront hold lasts at most STOREFRONT_MAX_TTL_SECONDS; the checkout token keeps an hour', async () => {
  const sku = uid('TTL');
  await skuWithStock(edge, sku, { warehouse: 5 });
  const lasts = (r) => (Date.parse(r.body.expires_at) - Date.now()) / 1000;
  const short = await hold(sku, shopperAddress(), { ttl_seconds: 3600 });
  assert.equal(short.status, 201);
  assert.ok(lasts(short) <= 300 && lasts(short) > 250, `storefront hold lasts ${lasts(short)} s`);
  const long = await edge.checkout('POST', '/v1/reservations', { cart_id: uid('srv'), ttl_seconds: 3600, lines: [{ sku, quantity: 1 }] });
  assert.ok(lasts(long) > 3500, `checkout hold lasts ${lasts(long)} s`);
  assert.equal((await hold(sku, shopperAddress(), { ttl_seconds: 3601 })).status, 422, 'beyond an hour is refused for everyone');
});

test('storefront calls without CF-Connecting-IP share one client (wrangler dev takes the caller\'s address)', async () => {
  const sku = uid('NOIP');
  await skuWithStock(edge, sku, { warehouse: 10 }, { max_per_cart: 1 });
  const bare = (c) => edge.json('POST', '/v1/reservations', { cart_id: c, lines: [{ sku, quantity: 1 }] }, { authorization: `Bearer ${edge.vars.STOREFRONT_KEY}` });
  assert.equal((await bare('n1')).status, 201);
  const second = await bare('n2');
  assert.equal(second.status, 422);
  assert.equal(second.body.error, 'over_cart_limit');
});
