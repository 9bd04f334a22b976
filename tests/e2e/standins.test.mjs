// The stand-ins of Shopify, WooCommerce and Square enforce what the real APIs enforce. Each test
// drives one behaviour through plain HTTP, as a client would, and checks it from the outside:
// the answer, the level the stand-in holds afterwards, and the webhooks a receiver got (with
// the signature checked here, independently of the stand-in's own code). No lastunit edge.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import * as shopify from '../standins/shopify.mjs';
import * as woocommerce from '../standins/woocommerce.mjs';
import * as square from '../standins/square.mjs';
import { eventually } from '../harness.mjs';

/** A webhook receiver: keeps every POST (headers and raw body) and answers 200 (500 while
 * `failNext(n)` lasts). */
async function startReceiver() {
  const got = [];
  let refuse = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      got.push({ url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
      if (refuse > 0) {
        refuse -= 1;
        res.statusCode = 500;
      }
      res.end('ok');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    got,
    topics: (header) => got.map((g) => g.headers[header]),
    clear: () => got.splice(0),
    failNext: (n) => {
      refuse = n;
    },
    close: () => new Promise((r) => server.close(r)),
  };
}
const hmac = (key, data) => createHmac('sha256', key).update(data).digest('base64');

// ---------------------------------------------------------------------------------------------
describe('Shopify stand-in', () => {
  const SECRET = 'shopify-webhook-secret';
  let shop;
  let hooks;
  let ids;
  const itemGid = () => `gid://shopify/InventoryItem/${ids.inventoryItemId}`;
  const LOC = 'gid://shopify/Location/1';

  async function gql(query, variables, { version = '2026-01', token = shop.token } = {}) {
    const r = await fetch(`${shop.apiBase(version)}/graphql.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shopify-access-token': token },
      body: JSON.stringify({ query, variables }),
    });
    return { status: r.status, body: await r.json() };
  }
  const SET = `mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
    inventorySetQuantities(input: $input) @idempotent(key: $key) {
      inventoryAdjustmentGroup { id changes { name delta quantityAfterChange } }
      userErrors { code field message }
    }
  }`;
  const input = (quantity, changeFromQuantity, extra = {}) => ({
    name: 'available',
    reason: 'correction',
    referenceDocumentUri: 'lastunit://sync/web',
    quantities: [{ inventoryItemId: itemGid(), locationId: LOC, quantity, changeFromQuantity, ...extra }],
  });
  let keys = 0;
  const key = () => `key-${(keys += 1)}`;

  before(async () => {
    hooks = await startReceiver();
    shop = await shopify.start({ webhook: { url: hooks.url, secret: SECRET } });
    shop.addLocation({ id: 1, name: 'Main St' });
    shop.addLocation({ id: 2, name: 'Warehouse' });
  });
  after(async () => {
    await shop.close();
    await hooks.close();
  });
  // Every test starts from one fresh variant with 5 available at location 1 and no faults.
  const fresh = async () => {
    await shop.settled();
    shop.heal();
    shop.setBucket({ currentlyAvailable: 1000, restoreRate: 100 });
    ids = shop.addVariant({ sku: `SKU-${keys}-${Math.random().toString(36).slice(2, 6)}`, levels: { 1: 5 } });
    hooks.clear();
  };

  test('refuses a missing or wrong access token with 401', async () => {
    await fresh();
    for (const token of ['', 'wrong']) {
      const r = await gql('{ shop { name } }', {}, { token });
      assert.equal(r.status, 401);
      assert.match(r.body.errors, /Invalid API key or access token/);
    }
    assert.equal((await gql('{ shop { name } }')).status, 200);
    const noType = await fetch(`${shop.apiBase()}/graphql.json`, { method: 'POST', headers: { 'x-shopify-access-token': shop.token }, body: '{"query":"{ shop { name } }"}' });
    assert.equal(noType.status, 400, 'a body that is not sent as JSON (or GraphQL) carries no query');
  });

  test('changeFromQuantity: a stale compare is refused and changes nothing; a matching one applies', async () => {
    await fresh();
    const stale = await gql(SET, { input: input(3, 4), key: key() });
    assert.deepEqual(stale.body.data.inventorySetQuantities.userErrors.map((e) => e.code), ['CHANGE_FROM_QUANTITY_STALE']);
    assert.equal(stale.body.data.inventorySetQuantities.inventoryAdjustmentGroup, null);
    assert.equal(shop.level(ids.inventoryItemId, 1), 5);
    const ok = await gql(SET, { input: input(3, 5), key: key() });
    assert.deepEqual(ok.body.data.inventorySetQuantities.userErrors, []);
    assert.equal(shop.level(ids.inventoryItemId, 1), 3);
    // null skips the compare.
    await gql(SET, { input: input(9, null), key: key() });
    assert.equal(shop.level(ids.inventoryItemId, 1), 9);
  });

  test('one stale quantity in a batch applies none of them', async () => {
    await fresh();
    const other = shop.addVariant({ sku: `B-${keys}`, levels: { 1: 7 } });
    const batch = input(1, 5);
    batch.quantities.push({ inventoryItemId: `gid://shopify/InventoryItem/${other.inventoryItemId}`, locationId: LOC, quantity: 2, changeFromQuantity: 6 });
    const r = await gql(SET, { input: batch, key: key() });
    const errors = r.body.data.inventorySetQuantities.userErrors;
    assert.deepEqual(errors.map((e) => [e.code, e.field]), [['CHANGE_FROM_QUANTITY_STALE', ['input', 'quantities', '1', 'changeFromQuantity']]]);
    assert.equal(shop.level(ids.inventoryItemId, 1), 5);
    assert.equal(shop.level(other.inventoryItemId, 1), 7);
  });

  test('a repeated idempotency key applies once and answers the first result; other input with it is refused', async () => {
    await fresh();
    const k = key();
    const first = await gql(SET, { input: input(4, 5), key: k });
    shop.setLevel(ids.inventoryItemId, 1, 5, { notify: false }); // someone puts it back to 5
    const again = await gql(SET, { input: input(4, 5), key: k });
    assert.deepEqual(again.body.data, first.body.data);
    assert.equal(shop.level(ids.inventoryItemId, 1), 5, 'the replay applied nothing');
    const mismatch = await gql(SET, { input: input(2, 5), key: k });
    assert.deepEqual(mismatch.body.data.inventorySetQuantities.userErrors.map((e) => e.code), ['IDEMPOTENCY_KEY_PARAMETER_MISMATCH']);
    assert.equal(shop.level(ids.inventoryItemId, 1), 5);
    assert.deepEqual(shop.writes.slice(-3).map((w) => w.outcome), ['applied', 'replayed', 'idempotency_mismatch']);
  });

  test('an answer lost after the write: the retry with the same key does not apply twice', async () => {
    await fresh();
    shop.loseAnswerNext(1);
    const k = key();
    assert.equal((await gql(SET, { input: input(2, 5), key: k })).status, 500);
    assert.equal(shop.level(ids.inventoryItemId, 1), 2, 'the lost write was applied');
    shop.setLevel(ids.inventoryItemId, 1, 4, { notify: false });
    const retry = await gql(SET, { input: input(2, 5), key: k });
    assert.deepEqual(retry.body.data.inventorySetQuantities.userErrors, []);
    assert.equal(shop.level(ids.inventoryItemId, 1), 4, 'the retry was answered from the first result');
  });

  test('inline literals and aliases are read like variables; each aliased mutation has its own key', async () => {
    await fresh();
    const other = shop.addVariant({ sku: `AL-${keys}`, levels: { 1: 9 } });
    const set = (alias, item, quantity, from, k) => `${alias}: inventorySetQuantities(input: { name: "available", reason: "correction", referenceDocumentUri: "lastunit://x",
        quantities: [{ inventoryItemId: "gid://shopify/InventoryItem/${item}", locationId: "${LOC}", quantity: ${quantity}, changeFromQuantity: ${from} }] })
        @idempotent(key: "${k}") { userErrors { code } }`;
    const k1 = `inline-${key()}`;
    const k2 = `inline-${key()}`;
    const doc = `mutation { ${set('one', ids.inventoryItemId, 1, 5, k1)} ${set('two', other.inventoryItemId, 2, 9, k2)} }`;
    const r = await gql(doc);
    assert.deepEqual(r.body.data, { one: { userErrors: [] }, two: { userErrors: [] } });
    assert.deepEqual([shop.level(ids.inventoryItemId, 1), shop.level(other.inventoryItemId, 1)], [1, 2]);
    await gql(doc);
    assert.deepEqual(shop.writes.slice(-2).map((w) => [w.idempotencyKey, w.outcome]), [[k1, 'replayed'], [k2, 'replayed']]);
  });

  test('API versions: 2025-10 has no changeFromQuantity; 2026-01 falls back to compareQuantity; 2026-04 requires both changeFromQuantity and @idempotent', async () => {
    await fresh();
    const old = await gql(SET, { input: input(1, 5), key: key() }, { version: '2025-10' });
    assert.match(old.body.errors[0].message, /changeFromQuantity .*not defined/);
    const required = await gql(SET, { input: { ...input(1, 5), quantities: [{ inventoryItemId: itemGid(), locationId: LOC, quantity: 1 }] }, key: key() }, { version: '2025-10' });
    assert.deepEqual(required.body.data.inventorySetQuantities.userErrors.map((e) => e.code), ['COMPARE_QUANTITY_REQUIRED']);
    const compare = { ...input(1, 5), quantities: [{ inventoryItemId: itemGid(), locationId: LOC, quantity: 1, compareQuantity: 4 }] };
    const staleCompare = await gql(SET, { input: compare, key: key() }, { version: '2026-01' });
    assert.deepEqual(staleCompare.body.data.inventorySetQuantities.userErrors.map((e) => e.code), ['COMPARE_QUANTITY_STALE']);
    // In 2026-01 a changeFromQuantity (even null) overrides compareQuantity.
    const override = { ...input(1, null), quantities: [{ ...compare.quantities[0], changeFromQuantity: null }] };
    assert.deepEqual((await gql(SET, { input: override, key: key() })).body.data.inventorySetQuantities.userErrors, []);
    assert.equal(shop.level(ids.inventoryItemId, 1), 1);
    const noCfq = { ...input(3, 1), quantities: [{ inventoryItemId: itemGid(), locationId: LOC, quantity: 3 }] };
    const r2604 = await gql(SET, { input: noCfq, key: key() }, { version: '2026-04' });
    assert.match(r2604.body.errors[0].message, /changeFromQuantity/);
    const noKey = `mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code } } }`;
    assert.match((await gql(noKey, { input: input(3, 1) }, { version: '2026-04' })).body.errors[0].message, /@idempotent/);
    assert.deepEqual((await gql(noKey, { input: input(3, 1) }, { version: '2026-01' })).body.data.inventorySetQuantities.userErrors, []);
    assert.equal(shop.level(ids.inventoryItemId, 1), 3);
  });

  test('bad input is refused before anything runs: unknown field, bad reason, unknown item, more than 250 quantities', async () => {
    await fresh();
    const unknownField = `mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) @idempotent(key: "${key()}") { nope } }`;
    assert.match((await gql(unknownField, { input: input(0, 5) })).body.errors[0].message, /Field 'nope' doesn't exist/);
    assert.deepEqual((await gql(SET, { input: { ...input(0, 5), reason: 'because' }, key: key() })).body.data.inventorySetQuantities.userErrors.map((e) => e.code), ['INVALID_REASON']);
    const unknownItem = input(0, 5);
    unknownItem.quantities[0].inventoryItemId = 'gid://shopify/InventoryItem/999999';
    assert.deepEqual((await gql(SET, { input: unknownItem, key: key() })).body.data.inventorySetQuantities.userErrors.map((e) => e.code), ['INVALID_INVENTORY_ITEM']);
    const notStocked = input(0, 5);
    notStocked.quantities[0].locationId = 'gid://shopify/Location/2';
    assert.deepEqual((await gql(SET, { input: notStocked, key: key() })).body.data.inventorySetQuantities.userErrors.map((e) => e.code), ['ITEM_NOT_STOCKED_AT_LOCATION']);
    const many = input(0, 5);
    many.quantities = Array.from({ length: 251 }, () => many.quantities[0]);
    assert.match((await gql(SET, { input: many, key: key() })).body.errors[0].message, /maximum allowed of 250/);
    assert.match((await gql('{ nothing }')).body.errors[0].message, /doesn't exist on type 'QueryRoot'/);
    assert.equal(shop.level(ids.inventoryItemId, 1), 5);
  });

  test('a level reads back through inventoryItem.inventoryLevel and inventoryLevel(id)', async () => {
    await fresh();
    const r = await gql(`query($id: ID!, $loc: ID!) { inventoryItem(id: $id) { id inventoryLevel(locationId: $loc) { id quantities(names: ["available", "on_hand"]) { name quantity } } } }`, { id: itemGid(), loc: LOC });
    const level = r.body.data.inventoryItem.inventoryLevel;
    assert.deepEqual(level.quantities, [{ name: 'available', quantity: 5 }, { name: 'on_hand', quantity: 5 }]);
    const byId = await gql(`{ inventoryLevel(id: "${level.id}") { quantities(names: ["available"]) { name quantity } } }`);
    assert.deepEqual(byId.body.data.inventoryLevel.quantities, [{ name: 'available', quantity: 5 }]);
    assert.equal((await gql(`{ inventoryItem(id: "${itemGid()}") { inventoryLevel(locationId: "gid://shopify/Location/2") { id } } }`)).body.data.inventoryItem.inventoryLevel, null);
  });

  test('productVariants pages by cursor with sku and inventory item ids', async () => {
    await fresh();
    const Q = `query($after: String) { productVariants(first: 3, after: $after) { edges { cursor node { id sku inventoryItem { id } } } pageInfo { hasNextPage endCursor } } }`;
    const seen = [];
    let after = null;
    let pages = 0;
    for (;;) {
      const r = (await gql(Q, { after })).body.data.productVariants;
      pages += 1;
      seen.push(...r.edges.map((e) => e.node));
      if (!r.pageInfo.hasNextPage) break;
      after = r.pageInfo.endCursor;
    }
    const all = shop.levels().length;
    assert.equal(seen.length, new Set(seen.map((v) => v.id)).size, 'no variant twice');
    assert.ok(seen.length >= all && pages === Math.ceil(seen.length / 3));
    assert.ok(seen.some((v) => v.sku === shop.variantBySku(v.sku).sku && v.inventoryItem.id === itemGid()));
    assert.match((await gql('{ productVariants(first: 251) { nodes { id } } }')).body.errors[0].message, /250/);
  });

  test('cost: every answer carries extensions.cost; an empty bucket answers THROTTLED and runs nothing; it refills', async () => {
    await fresh();
    const ok = await gql(SET, { input: input(4, 5), key: key() });
    const cost = ok.body.extensions.cost;
    assert.ok(cost.requestedQueryCost >= 10 && cost.actualQueryCost <= cost.requestedQueryCost);
    assert.deepEqual(Object.keys(cost.throttleStatus).sort(), ['currentlyAvailable', 'maximumAvailable', 'restoreRate']);
    shop.setBucket({ restoreRate: 0 });
    shop.drainBucket();
    const t = await gql(SET, { input: input(1, 4), key: key() });
    assert.deepEqual(t.body.errors.map((e) => [e.message, e.extensions.code]), [['Throttled', 'THROTTLED']]);
    assert.equal(t.body.data, undefined);
    assert.equal(t.body.extensions.cost.actualQueryCost, null);
    assert.equal(t.body.extensions.cost.throttleStatus.currentlyAvailable, 0);
    assert.equal(shop.level(ids.inventoryItemId, 1), 4);
    shop.setBucket({ restoreRate: 1000 });
    await eventually(async () => assert.deepEqual((await gql(SET, { input: input(1, 4), key: key() })).body.data.inventorySetQuantities.userErrors, []), { what: 'the bucket to refill' });
    assert.equal(shop.level(ids.inventoryItemId, 1), 1);
  });

  test('fault modes: 500 for N requests, hang, THROTTLED, then healthy again', async () => {
    await fresh();
    shop.failNext(2);
    assert.equal((await gql('{ shop { name } }')).status, 500);
    assert.equal((await gql('{ shop { name } }')).status, 500);
    assert.equal((await gql('{ shop { name } }')).status, 200);
    shop.hangNext(1);
    await assert.rejects(
      fetch(`${shop.apiBase()}/graphql.json`, { method: 'POST', headers: { 'x-shopify-access-token': shop.token }, body: '{"query":"{ shop { name } }"}', signal: AbortSignal.timeout(300) }),
      /abort|timeout/i,
    );
    shop.throttleNext(1);
    const t = await gql(SET, { input: input(1, 5), key: key() });
    assert.deepEqual([t.status, t.body.errors[0].extensions.code], [200, 'THROTTLED']);
    assert.equal(shop.level(ids.inventoryItemId, 1), 5);
    shop.failFor(60_000);
    assert.equal((await gql('{ shop { name } }')).status, 500);
    shop.heal();
    assert.equal((await gql('{ shop { name } }')).status, 200);
  });

  test('webhooks: inventory_levels/update after every change (its own writes too), signed as Shopify signs', async () => {
    await fresh();
    await gql(SET, { input: input(2, 5), key: key() });
    await shop.settled();
    assert.equal(hooks.got.length, 1);
    const [h] = hooks.got;
    assert.equal(h.headers['x-shopify-topic'], 'inventory_levels/update');
    assert.equal(h.headers['x-shopify-hmac-sha256'], hmac(SECRET, h.body));
    for (const name of ['x-shopify-webhook-id', 'x-shopify-event-id', 'x-shopify-shop-domain', 'x-shopify-api-version', 'x-shopify-triggered-at']) assert.ok(h.headers[name], name);
    const body = JSON.parse(h.body);
    assert.deepEqual([body.inventory_item_id, body.location_id, body.available], [ids.inventoryItemId, 1, 2]);
    assert.ok(body.updated_at);
    // A stale write changes nothing and sends nothing.
    await gql(SET, { input: input(1, 5), key: key() });
    await shop.settled();
    assert.equal(hooks.got.length, 1);
  });

  test('orders: orders/create with its lines, the level goes down; cancel restocks; a refund restocks its return lines', async () => {
    await fresh();
    const order = shop.placeOrder({ lines: [{ variantId: ids.variantId, quantity: 2 }] });
    await shop.settled();
    assert.equal(shop.level(ids.inventoryItemId, 1), 3);
    assert.deepEqual(hooks.topics('x-shopify-topic'), ['orders/create', 'inventory_levels/update']);
    const created = JSON.parse(hooks.got[0].body);
    assert.equal(hooks.got[0].headers['x-shopify-hmac-sha256'], hmac(SECRET, hooks.got[0].body));
    const li = created.line_items[0];
    assert.deepEqual([li.variant_id, li.product_id, li.quantity], [ids.variantId, ids.productId, 2]);
    assert.ok(li.id && li.sku);
    assert.equal(created.id, order.id);
    shop.refundOrder(order.id, { lines: [{ lineItemId: li.id, quantity: 1, restockType: 'return' }] });
    await shop.settled();
    assert.equal(shop.level(ids.inventoryItemId, 1), 4);
    const refund = JSON.parse(hooks.got.find((g) => g.headers['x-shopify-topic'] === 'refunds/create').body);
    assert.deepEqual(refund.refund_line_items.map((r) => [r.line_item_id, r.quantity, r.restock_type, r.location_id]), [[li.id, 1, 'return', 1]]);
    shop.cancelOrder(order.id, { restock: true });
    await shop.settled();
    assert.equal(shop.level(ids.inventoryItemId, 1), 6);
    const cancelled = JSON.parse(hooks.got.find((g) => g.headers['x-shopify-topic'] === 'orders/cancelled').body);
    assert.ok(cancelled.cancelled_at);
  });

  test('a cancellation with refund sends refunds/create (cancel lines) and orders/cancelled, and restocks once', async () => {
    await fresh();
    const order = shop.placeOrder({ lines: [{ variantId: ids.variantId, quantity: 2 }] });
    await shop.settled();
    hooks.clear();
    shop.cancelOrder(order.id, { restock: true, refund: true });
    await shop.settled();
    assert.equal(shop.level(ids.inventoryItemId, 1), 5);
    const topics = hooks.topics('x-shopify-topic');
    assert.deepEqual(topics.filter((t) => t !== 'inventory_levels/update'), ['refunds/create', 'orders/cancelled']);
    const refund = JSON.parse(hooks.got[topics.indexOf('refunds/create')].body);
    assert.deepEqual(refund.refund_line_items.map((r) => [r.quantity, r.restock_type]), [[2, 'cancel']]);
    assert.throws(() => shop.cancelOrder(order.id), /already cancelled/);
  });

  test('a custom line in an order names no variant and moves no stock', async () => {
    await fresh();
    const order = shop.placeOrder({ lines: [{ custom: true, title: 'Gift wrap', quantity: 1 }, { variantId: ids.variantId, quantity: 1 }] });
    await shop.settled();
    assert.deepEqual(order.line_items.map((li) => [li.variant_id, li.product_id]), [[null, null], [ids.variantId, ids.productId]]);
    assert.equal(shop.level(ids.inventoryItemId, 1), 4);
    shop.refundOrder(order.id, { lines: [{ lineItemId: order.line_items[0].id, restockType: 'return' }] });
    shop.cancelOrder(order.id);
    await shop.settled();
    assert.equal(shop.level(ids.inventoryItemId, 1), 5);
  });

  test('redelivery sends the same event again: same X-Shopify-Event-Id, Triggered-At and bytes, a new Webhook-Id per delivery', async () => {
    await fresh();
    shop.placeOrder({ lines: [{ variantId: ids.variantId, quantity: 1 }] });
    await shop.settled();
    const d = shop.deliveries.find((x) => x.topic === 'orders/create' && x.body.includes(`"variant_id":${ids.variantId}`));
    shop.redeliver(d.id, 3);
    await shop.settled();
    const copies = hooks.got.filter((g) => g.headers['x-shopify-event-id'] === d.id);
    assert.equal(copies.length, 4);
    assert.equal(new Set(copies.map((c) => c.body)).size, 1);
    assert.equal(new Set(copies.map((c) => c.headers['x-shopify-triggered-at'])).size, 1);
    assert.equal(new Set(copies.map((c) => c.headers['x-shopify-webhook-id'])).size, 4);
    assert.ok(copies.every((c) => c.headers['x-shopify-hmac-sha256'] === hmac(SECRET, c.body)));
    assert.equal(shop.level(ids.inventoryItemId, 1), 4, 'redelivery moves no stock');
  });

  test('a subscription to some topics gets only those', async () => {
    const only = await startReceiver();
    const picky = await shopify.start({ webhook: { url: only.url, secret: SECRET, topics: ['orders/create'] } });
    picky.addLocation({ id: 1 });
    const v = picky.addVariant({ sku: 'T', levels: { 1: 3 } });
    picky.placeOrder({ lines: [{ variantId: v.variantId }] });
    await picky.settled();
    assert.deepEqual(only.topics('x-shopify-topic'), ['orders/create']);
    await picky.close();
    await only.close();
  });

  test('with webhookRetry, a delivery the receiver refuses is sent again until it is taken', async () => {
    const picky = await startReceiver();
    picky.failNext(2);
    const retrying = await shopify.start({ webhook: { url: picky.url, secret: SECRET }, webhookRetry: { attempts: 3, delayMs: 1 } });
    retrying.addLocation({ id: 1 });
    const v = retrying.addVariant({ sku: 'R', levels: { 1: 1 } });
    retrying.setLevel(v.inventoryItemId, 1, 2);
    await retrying.settled();
    assert.deepEqual(retrying.deliveries[0].attempts.map((a) => a.status), [500, 500, 200]);
    assert.equal(new Set(picky.got.map((g) => g.headers['x-shopify-event-id'])).size, 1);
    await retrying.close();
    await picky.close();
  });
});

// ---------------------------------------------------------------------------------------------
describe('WooCommerce stand-in', () => {
  const SECRET = 'woo-webhook-secret';
  let woo;
  let hooks;
  const basic = (k, s) => `Basic ${Buffer.from(`${k}:${s}`).toString('base64')}`;
  async function call(method, path, body, { auth = basic(woo.consumerKey, woo.consumerSecret), query = '' } = {}) {
    const headers = { 'content-type': 'application/json' };
    if (auth) headers.authorization = auth;
    const r = await fetch(`${woo.apiBase}${path}${query}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, headers: r.headers, body: await r.json() };
  }
  before(async () => {
    hooks = await startReceiver();
    woo = await woocommerce.start();
  });
  after(async () => {
    await woo.close();
    await hooks.close();
  });

  test('refuses requests without credentials, with a wrong key, and writes with a read-only key', async () => {
    const id = woo.addProduct({ sku: 'AUTH', stockQuantity: 3 });
    assert.equal((await call('GET', `/products/${id}`, undefined, { auth: null })).status, 401);
    const wrong = await call('GET', `/products/${id}`, undefined, { auth: basic('ck_wrong', 'cs') });
    assert.deepEqual([wrong.status, wrong.body.code], [401, 'woocommerce_rest_authentication_error']);
    assert.equal((await call('PUT', `/products/${id}`, { stock_quantity: 1 }, { auth: null })).status, 401);
    const viaQuery = await call('GET', `/products/${id}`, undefined, { auth: null, query: `?consumer_key=${woo.consumerKey}&consumer_secret=${woo.consumerSecret}` });
    assert.equal(viaQuery.status, 200);
    const ro = await woocommerce.start({ permissions: 'read' });
    const roId = ro.addProduct({ stockQuantity: 2 });
    const r = await fetch(`${ro.apiBase}/products/${roId}`, { method: 'PUT', headers: { authorization: basic(ro.consumerKey, ro.consumerSecret), 'content-type': 'application/json' }, body: '{"stock_quantity":1}' });
    assert.equal(r.status, 401);
    assert.equal(ro.stock(roId), 2);
    await ro.close();
    assert.equal(woo.stock(id), 3);
  });

  test('PUT stock_quantity on a product and a variation; stock_status follows the quantity', async () => {
    const id = woo.addProduct({ sku: 'SIMPLE', stockQuantity: 4 });
    const r = await call('PUT', `/products/${id}`, { manage_stock: true, stock_quantity: 0 });
    assert.deepEqual([r.status, r.body.stock_quantity, r.body.stock_status, r.body.sku], [200, 0, 'outofstock', 'SIMPLE']);
    assert.equal((await call('PUT', `/products/${id}`, { stock_quantity: 2 })).body.stock_status, 'instock');
    const parent = woo.addProduct({ name: 'Shirt', manageStock: false });
    const v = woo.addVariation(parent, { sku: 'SHIRT-M', stockQuantity: 1 });
    const rv = await call('PUT', `/products/${parent}/variations/${v}`, { manage_stock: true, stock_quantity: 0 });
    assert.deepEqual([rv.status, rv.body.stock_quantity, rv.body.stock_status], [200, 0, 'outofstock']);
    assert.equal(woo.product(parent).stock_status, 'outofstock', 'a variable product is in stock when a variation is');
    assert.equal((await call('PUT', `/products/${id}/variations/${v}`, { stock_quantity: 5 })).status, 404, 'a variation under another parent');
    assert.equal((await call('PUT', `/products/${v}`, { stock_quantity: 5 })).status, 404, 'a variation is not a product');
    assert.equal(woo.stock(v), 0);
  });

  test('a bad value is refused with 400 and changes nothing; without manage_stock the quantity does not stick', async () => {
    const id = woo.addProduct({ stockQuantity: 4 });
    const bad = await call('PUT', `/products/${id}`, { stock_quantity: 'many' });
    assert.deepEqual([bad.status, bad.body.code], [400, 'rest_invalid_param']);
    assert.equal(woo.stock(id), 4);
    const off = await call('PUT', `/products/${id}`, { manage_stock: false, stock_quantity: 9 });
    assert.equal(off.body.stock_quantity, null);
  });

  test('GET /products and /variations page with per_page/page and X-WP-Total/X-WP-TotalPages', async () => {
    const fresh = await woocommerce.start();
    for (let i = 0; i < 25; i += 1) fresh.addProduct({ sku: `P${i}` });
    const parent = fresh.addProduct({ sku: 'PARENT', manageStock: false });
    for (let i = 0; i < 3; i += 1) fresh.addVariation(parent, { sku: `V${i}` });
    const auth = basic(fresh.consumerKey, fresh.consumerSecret);
    const skus = [];
    for (let page = 1; ; page += 1) {
      const r = await fetch(`${fresh.apiBase}/products?per_page=10&page=${page}`, { headers: { authorization: auth } });
      assert.equal(r.headers.get('x-wp-total'), '26');
      assert.equal(r.headers.get('x-wp-totalpages'), '3');
      skus.push(...(await r.json()).map((p) => p.sku));
      if (page === 3) break;
    }
    assert.equal(skus.length, 26);
    assert.equal(new Set(skus).size, 26);
    const vars = await fetch(`${fresh.apiBase}/products/${parent}/variations?per_page=2`, { headers: { authorization: auth } });
    assert.deepEqual([vars.headers.get('x-wp-total'), vars.headers.get('x-wp-totalpages')], ['3', '2']);
    assert.deepEqual((await vars.json()).map((v) => v.sku), ['V0', 'V1']);
    assert.equal((await fetch(`${fresh.apiBase}/products?per_page=101`, { headers: { authorization: auth } })).status, 400);
    const some = await fetch(`${fresh.apiBase}/products?include=${parent}`, { headers: { authorization: auth } });
    assert.deepEqual((await some.json()).map((p) => p.sku), ['PARENT']);
    await fresh.close();
  });

  test('a SKU is unique: a PUT with another product\'s SKU is refused; duplicates made outside the API are listed as they are', async () => {
    const a = woo.addProduct({ sku: 'DUP-A' });
    const b = woo.addProduct({ sku: 'DUP-B' });
    const r = await call('PUT', `/products/${b}`, { sku: 'DUP-A' });
    assert.deepEqual([r.status, r.body.code], [400, 'product_invalid_sku']);
    assert.equal(woo.product(b).sku, 'DUP-B');
    const c = woo.addProduct({ sku: 'DUP-A' });
    const listed = (await call('GET', '/products', undefined, { query: '?sku=DUP-A' })).body.map((p) => p.id);
    assert.deepEqual(listed, [a, c]);
  });

  test('a JSON body sent without Content-Type: application/json sets nothing, as WordPress reads it as form fields', async () => {
    const id = woo.addProduct({ stockQuantity: 4 });
    const r = await fetch(`${woo.apiBase}/products/${id}`, { method: 'PUT', headers: { authorization: basic(woo.consumerKey, woo.consumerSecret) }, body: '{"stock_quantity":1}' });
    assert.equal(r.status, 200);
    assert.equal(woo.stock(id), 4);
    const form = await fetch(`${woo.apiBase}/products/${id}`, { method: 'PUT', headers: { authorization: basic(woo.consumerKey, woo.consumerSecret), 'content-type': 'application/x-www-form-urlencoded' }, body: 'manage_stock=true&stock_quantity=2' });
    assert.equal(form.status, 200);
    assert.equal(woo.stock(id), 2, 'form fields are read, with "true" as a boolean');
  });

  test('a webhook whose deliveries keep failing is disabled, and sends nothing until it is turned back on', async () => {
    const flaky = await startReceiver();
    const shop = await woocommerce.start();
    const [hook] = shop.configureWebhooks({ url: flaky.url, secret: SECRET, topics: ['product.updated'] });
    await shop.settled();
    const id = shop.addProduct({ stockQuantity: 10 });
    flaky.failNext(6);
    for (let q = 9; q >= 4; q -= 1) shop.setStock(id, q);
    await shop.settled();
    assert.deepEqual(shop.webhooks().map((h) => [h.id, h.status]), [[hook.id, 'disabled']]);
    const before = flaky.got.length;
    shop.setStock(id, 3);
    await shop.settled();
    assert.equal(flaky.got.length, before, 'a disabled webhook sends nothing');
    shop.activateWebhook(hook.id);
    shop.setStock(id, 2);
    await shop.settled();
    assert.equal(JSON.parse(flaky.got.at(-1).body).stock_quantity, 2);
    await shop.close();
    await flaky.close();
  });

  test('batch updates: up to 100 at once', async () => {
    const a = woo.addProduct({ stockQuantity: 1 });
    const b = woo.addProduct({ stockQuantity: 1 });
    const r = await call('POST', '/products/batch', { update: [{ id: a, stock_quantity: 7 }, { id: b, stock_quantity: 8 }] });
    assert.deepEqual(r.body.update.map((p) => p.stock_quantity), [7, 8]);
    const tooMany = await call('POST', '/products/batch', { update: Array.from({ length: 101 }, () => ({ id: a, stock_quantity: 1 })) });
    assert.equal(tooMany.status, 413);
    assert.equal(woo.stock(a), 7);
  });

  test('webhooks: an unsigned ping on creation, then product.updated after a write (the echo), signed', async () => {
    hooks.clear();
    const hookList = woo.configureWebhooks({ url: hooks.url, secret: SECRET });
    await woo.settled();
    assert.deepEqual(hooks.got.map((g) => g.body), hookList.map((h) => `webhook_id=${h.id}`));
    assert.ok(hooks.got.every((g) => !g.headers['x-wc-webhook-signature']));
    hooks.clear();
    const id = woo.addProduct({ sku: 'ECHO', stockQuantity: 5 });
    await call('PUT', `/products/${id}`, { manage_stock: true, stock_quantity: 3 });
    await call('PUT', `/products/${id}`, { manage_stock: true, stock_quantity: 3 }); // no change, no webhook
    await woo.settled();
    assert.equal(hooks.got.length, 1);
    const [h] = hooks.got;
    assert.equal(h.headers['x-wc-webhook-signature'], hmac(SECRET, h.body));
    assert.deepEqual(['topic', 'resource', 'event'].map((k) => h.headers[`x-wc-webhook-${k}`]), ['product.updated', 'product', 'updated']);
    for (const k of ['x-wc-webhook-id', 'x-wc-webhook-delivery-id', 'x-wc-webhook-source']) assert.ok(h.headers[k], k);
    assert.deepEqual([JSON.parse(h.body).id, JSON.parse(h.body).stock_quantity], [id, 3]);
  });

  test('orders: order.created takes the stock; cancelled and refunded come as order.updated and put it back', async () => {
    const parent = woo.addProduct({ name: 'Mug', manageStock: false });
    const v = woo.addVariation(parent, { sku: 'MUG-RED', stockQuantity: 5 });
    hooks.clear();
    const order = woo.placeOrder({ lines: [{ sku: 'MUG-RED', quantity: 2 }] });
    await woo.settled();
    assert.equal(woo.stock(v), 3);
    const created = hooks.got.find((g) => g.headers['x-wc-webhook-topic'] === 'order.created');
    assert.equal(created.headers['x-wc-webhook-signature'], hmac(SECRET, created.body));
    const li = JSON.parse(created.body).line_items[0];
    assert.deepEqual([li.product_id, li.variation_id, li.quantity, li.sku], [parent, v, 2, 'MUG-RED']);
    woo.cancelOrder(order.id);
    await woo.settled();
    assert.equal(woo.stock(v), 5);
    const updated = hooks.got.filter((g) => g.headers['x-wc-webhook-topic'] === 'order.updated').map((g) => JSON.parse(g.body).status);
    assert.deepEqual(updated, ['cancelled']);
    const second = woo.placeOrder({ lines: [{ variationId: v, quantity: 1 }] });
    woo.refundOrder(second.id, { lines: [{ sku: 'MUG-RED', quantity: 1 }], restock: true });
    await woo.settled();
    assert.equal(woo.stock(v), 5);
    assert.equal(JSON.parse(hooks.got.at(-1).body).status, 'refunded');
  });

  test('refunds: the order lists them without lines; GET /orders/{id}/refunds has the lines (negative quantities, _refunded_item_id)', async () => {
    const id = woo.addProduct({ sku: 'REFUND-ME', stockQuantity: 6 });
    hooks.clear();
    const order = woo.placeOrder({ lines: [{ sku: 'REFUND-ME', quantity: 3 }] });
    woo.refundOrder(order.id, { lines: [{ sku: 'REFUND-ME', quantity: 1 }], reason: 'chipped' });
    woo.refundOrder(order.id, { lines: [{ sku: 'REFUND-ME', quantity: 1 }], restock: false });
    await woo.settled();
    assert.equal(woo.stock(id), 4, 'the restocked unit only');
    const last = JSON.parse(hooks.got.filter((g) => g.headers['x-wc-webhook-topic'] === 'order.updated').at(-1).body);
    assert.equal(last.status, 'processing', 'partly refunded');
    assert.deepEqual(last.refunds.map((r) => Object.keys(r).sort()), [['id', 'reason', 'total'], ['id', 'reason', 'total']]);
    const list = await call('GET', `/orders/${order.id}/refunds`);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.map((r) => r.id), [...last.refunds].reverse().map((r) => r.id), 'newest first');
    const line = list.body[1].line_items[0];
    assert.deepEqual([line.quantity, line.sku, line.product_id, list.body[1].reason], [-1, 'REFUND-ME', id, 'chipped']);
    assert.deepEqual(line.meta_data.map((m) => [m.key, m.value]), [['_refunded_item_id', String(last.line_items[0].id)]]);
    assert.equal((await call('GET', '/orders/999999/refunds')).status, 404);
    // Cancelled, it puts back what it still holds: 3 taken, 1 restocked by a refund.
    woo.cancelOrder(order.id);
    await woo.settled();
    assert.equal(woo.stock(id), 6);
  });

  test('a checkout: order.created as pending moves no stock, then order.updated as processing takes it', async () => {
    const id = woo.addProduct({ sku: 'CHECKOUT', stockQuantity: 5 });
    hooks.clear();
    const order = woo.placeOrder({ lines: [{ sku: 'CHECKOUT', quantity: 2 }], checkout: true });
    await woo.settled();
    const orderHooks = hooks.got.filter((g) => g.headers['x-wc-webhook-resource'] === 'order').map((g) => [g.headers['x-wc-webhook-topic'], JSON.parse(g.body).status, JSON.parse(g.body).id]);
    assert.deepEqual(orderHooks, [['order.created', 'pending', order.id], ['order.updated', 'processing', order.id]]);
    assert.equal(woo.stock(id), 3);
  });

  test('fault modes: 429 with Retry-After, 500, hang', async () => {
    const id = woo.addProduct({ stockQuantity: 1 });
    woo.throttleNext(1, { retryAfter: 7 });
    const t = await call('GET', `/products/${id}`);
    assert.deepEqual([t.status, t.headers.get('retry-after')], [429, '7']);
    woo.failNext(1);
    assert.equal((await call('PUT', `/products/${id}`, { stock_quantity: 4 })).status, 500);
    assert.equal(woo.stock(id), 1, 'a failed write applies nothing');
    woo.hangNext(1);
    await assert.rejects(fetch(`${woo.apiBase}/products/${id}`, { signal: AbortSignal.timeout(300) }), /abort|timeout/i);
    assert.equal((await call('GET', `/products/${id}`)).status, 200);
  });
});

// ---------------------------------------------------------------------------------------------
describe('Square stand-in', () => {
  const KEY = 'square-signature-key';
  const NOTIFICATION_URL = 'https://edge.example/webhooks/square';
  let sq;
  let hooks;
  let n = 0;
  const idem = () => `idem-${(n += 1)}`;
  async function call(method, path, body, { auth = `Bearer ${sq.token}`, version = '2026-01-22' } = {}) {
    const headers = { 'content-type': 'application/json' };
    if (auth) headers.authorization = auth;
    if (version) headers['square-version'] = version;
    const r = await fetch(`${sq.apiBase}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, body: await r.json() };
  }
  const sale = (variation, quantity = '1', occurredAt = new Date().toISOString(), from = 'IN_STOCK', to = 'SOLD') => ({
    type: 'ADJUSTMENT',
    adjustment: { from_state: from, to_state: to, catalog_object_id: variation, location_id: 'L1', quantity, occurred_at: occurredAt, reference_id: 'order-1' },
  });
  const batch = (changes, key = idem()) => call('POST', '/v2/inventory/changes/batch-create', { idempotency_key: key, changes });
  const fresh = async (count = 10) => {
    await sq.settled();
    sq.heal();
    const { variationIds: [v] } = sq.addItem({ name: 'Tee', variations: [{ sku: `TEE-${(n += 1)}`, counts: { L1: count } }] });
    await sq.settled();
    hooks.clear();
    return v;
  };

  before(async () => {
    hooks = await startReceiver();
    sq = await square.start({ locations: ['L1', 'L2'], webhook: { url: null, signatureKey: KEY } });
    sq.configureWebhooks({ url: hooks.url, notificationUrl: NOTIFICATION_URL, signatureKey: KEY });
  });
  after(async () => {
    await sq.close();
    await hooks.close();
  });

  test('refuses a missing or wrong Bearer token with 401 UNAUTHORIZED, and a malformed Square-Version', async () => {
    const v = await fresh();
    for (const auth of [null, 'Bearer nope']) {
      const r = await call('POST', '/v2/inventory/changes/batch-create', { idempotency_key: idem(), changes: [sale(v)] }, { auth });
      assert.deepEqual([r.status, r.body.errors[0].category, r.body.errors[0].code], [401, 'AUTHENTICATION_ERROR', 'UNAUTHORIZED']);
    }
    assert.equal(sq.count(v, 'L1'), 10);
    assert.equal((await call('POST', '/v2/inventory/counts/batch-retrieve', {}, { version: 'latest' })).status, 400);
  });

  test('a POST body must be sent as application/json', async () => {
    const r = await fetch(`${sq.apiBase}/v2/inventory/counts/batch-retrieve`, { method: 'POST', headers: { authorization: `Bearer ${sq.token}` }, body: '{}' });
    assert.deepEqual([r.status, (await r.json()).errors[0].code], [400, 'INVALID_CONTENT_TYPE']);
  });

  test('IN_STOCK to SOLD takes units off, SOLD to IN_STOCK puts them back; the answer holds the counts', async () => {
    const v = await fresh(10);
    const r = await batch([sale(v, '3')]);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.counts.map((c) => [c.catalog_object_id, c.location_id, c.state, c.quantity]), [[v, 'L1', 'IN_STOCK', '7']]);
    assert.equal(r.body.changes[0].adjustment.reference_id, 'order-1');
    assert.equal(sq.count(v, 'L1'), 7);
    await batch([sale(v, '1', new Date().toISOString(), 'SOLD', 'IN_STOCK')]);
    assert.equal(sq.count(v, 'L1'), 8);
  });

  test('bad requests change nothing: no idempotency_key, more than 100 changes, a number quantity, a read-only state, one bad change in a batch', async () => {
    const v = await fresh(10);
    const noKey = await call('POST', '/v2/inventory/changes/batch-create', { changes: [sale(v)] });
    assert.deepEqual([noKey.status, noKey.body.errors[0].code, noKey.body.errors[0].field], [400, 'MISSING_REQUIRED_PARAMETER', 'idempotency_key']);
    assert.equal((await batch(Array.from({ length: 101 }, () => sale(v)))).body.errors[0].code, 'ARRAY_LENGTH_TOO_LONG');
    const num = sale(v);
    num.adjustment.quantity = 1;
    assert.equal((await batch([num])).body.errors[0].code, 'EXPECTED_STRING');
    assert.equal((await batch([sale(v, '1', new Date().toISOString(), 'IN_STOCK', 'SOLD_ONLINE')])).status, 400);
    const noTime = sale(v);
    delete noTime.adjustment.occurred_at;
    assert.equal((await batch([sale(v), noTime])).body.errors[0].field, 'changes[1].adjustment.occurred_at');
    assert.equal(sq.count(v, 'L1'), 10);
    await sq.settled();
    assert.equal(hooks.got.length, 0);
  });

  test('the same idempotency key and body answer the first result and apply once; the key with another body is refused', async () => {
    const v = await fresh(10);
    const key = idem();
    const body = [sale(v, '2')];
    const first = await batch(body, key);
    const again = await batch(body, key);
    assert.deepEqual(again.body, first.body);
    assert.equal(sq.count(v, 'L1'), 8);
    const reused = await batch([sale(v, '5')], key);
    assert.deepEqual([reused.status, reused.body.errors[0].code], [400, 'IDEMPOTENCY_KEY_REUSED']);
    assert.equal(sq.count(v, 'L1'), 8);
  });

  test('an answer lost after the write: the retry with the same key applies nothing more', async () => {
    const v = await fresh(10);
    sq.loseAnswerNext(1);
    const key = idem();
    const body = [sale(v, '1')];
    assert.equal((await batch(body, key)).status, 500);
    assert.equal((await batch(body, key)).status, 200);
    assert.equal(sq.count(v, 'L1'), 9);
  });

  test('changes are sequenced by occurred_at: an adjustment older than the last physical count does not move it', async () => {
    const v = await fresh(10);
    const t0 = Date.now();
    sq.setCount(v, 'L1', 20, { occurredAt: new Date(t0).toISOString() });
    await batch([sale(v, '3', new Date(t0 - 60_000).toISOString())]);
    assert.equal(sq.count(v, 'L1'), 20);
    await batch([sale(v, '3', new Date(t0 + 1).toISOString())]);
    assert.equal(sq.count(v, 'L1'), 17);
  });

  test('inventory.count.updated after each change, lastunit\'s own and the register\'s, signed over the notification URL and the body', async () => {
    const v = await fresh(10);
    await batch([sale(v, '2')]);
    sq.registerSale(v, 'L1', 1);
    await sq.settled();
    assert.equal(hooks.got.length, 2);
    for (const h of hooks.got) assert.equal(h.headers['x-square-hmacsha256-signature'], hmac(KEY, NOTIFICATION_URL + h.body));
    const [own, register] = hooks.got.map((h) => JSON.parse(h.body));
    assert.equal(own.type, 'inventory.count.updated');
    assert.ok(own.event_id && own.merchant_id && own.created_at);
    assert.deepEqual(own.data.object.inventory_counts.map((c) => [c.catalog_object_id, c.location_id, c.state, c.quantity]), [[v, 'L1', 'IN_STOCK', '8']]);
    assert.ok(own.data.object.inventory_counts[0].calculated_at);
    assert.equal(register.data.object.inventory_counts[0].quantity, '7');
    sq.redeliver(sq.deliveries.at(-1).id, 2);
    await sq.settled();
    assert.equal(hooks.got.filter((h) => JSON.parse(h.body).event_id === register.event_id).length, 3);
  });

  test('counts/batch-retrieve filters by object and location and pages by cursor', async () => {
    const v = await fresh(4);
    sq.setCount(v, 'L2', 6);
    const one = await call('POST', '/v2/inventory/counts/batch-retrieve', { catalog_object_ids: [v], location_ids: ['L2'] });
    assert.deepEqual(one.body.counts.map((c) => [c.location_id, c.quantity]), [['L2', '6']]);
    const first = await call('POST', '/v2/inventory/counts/batch-retrieve', { catalog_object_ids: [v], limit: 1 });
    assert.equal(first.body.counts.length, 1);
    const second = await call('POST', '/v2/inventory/counts/batch-retrieve', { catalog_object_ids: [v], limit: 1, cursor: first.body.cursor });
    assert.deepEqual([...first.body.counts, ...second.body.counts].map((c) => c.location_id).sort(), ['L1', 'L2']);
    assert.equal(second.body.cursor, undefined);
    const single = await call('GET', `/v2/inventory/${v}?location_ids=L1`);
    assert.deepEqual(single.body.counts.map((c) => [c.location_id, c.quantity]), [['L1', '4']]);
    assert.deepEqual((await call('GET', '/v2/locations')).body.locations.map((l) => l.id), ['L1', 'L2']);
  });

  test('catalog: list ITEM_VARIATION and search page by cursor, each variation with its sku', async () => {
    const cat = await square.start({ locations: ['L1'], pageSize: 4 });
    for (let i = 0; i < 3; i += 1) cat.addItem({ name: `Item ${i}`, variations: [{ sku: `S${i}a` }, { sku: `S${i}b` }, { sku: `S${i}c` }] });
    const auth = { authorization: `Bearer ${cat.token}` };
    const skus = [];
    let cursor;
    let pages = 0;
    do {
      const r = await (await fetch(`${cat.apiBase}/v2/catalog/list?types=ITEM_VARIATION${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: auth })).json();
      pages += 1;
      assert.ok(r.objects.every((o) => o.type === 'ITEM_VARIATION'));
      skus.push(...r.objects.map((o) => o.item_variation_data.sku));
      cursor = r.cursor;
    } while (cursor);
    assert.deepEqual([skus.length, new Set(skus).size, pages], [9, 9, 3]);
    const s = await (await fetch(`${cat.apiBase}/v2/catalog/search`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ object_types: ['ITEM_VARIATION'], limit: 5 }) })).json();
    assert.equal(s.objects.length, 5);
    assert.ok(s.cursor);
    await cat.close();
  });

  test('fault modes: 429 RATE_LIMITED, 500, hang; nothing applied', async () => {
    const v = await fresh(10);
    sq.throttleNext(1);
    const t = await batch([sale(v)]);
    assert.deepEqual([t.status, t.body.errors[0].category, t.body.errors[0].code], [429, 'RATE_LIMIT_ERROR', 'RATE_LIMITED']);
    sq.failNext(1);
    assert.equal((await batch([sale(v)])).status, 500);
    sq.hangNext(1);
    await assert.rejects(fetch(`${sq.apiBase}/v2/inventory/counts/batch-retrieve`, { method: 'POST', headers: { authorization: `Bearer ${sq.token}` }, body: '{}', signal: AbortSignal.timeout(300) }), /abort|timeout/i);
    assert.equal(sq.count(v, 'L1'), 10);
  });
});
