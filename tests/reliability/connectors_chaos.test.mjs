// Convergence under chaos: register sales, web checkouts, online orders taken by Shopify and
// WooCommerce (delivered again later: duplicated and out of order), their refunds with restock,
// merchants editing Shopify's and WooCommerce's levels, store outages (500s, hangs, lost
// answers) and throttling, in a seeded random order. After the storm and a quiet period, every
// connected store shows lastunit's availability for its channel, no store was written past a
// write lastunit wanted twice (idempotency keys hold), and no unit was sold twice (each sale,
// order and return counted once).
// RELIABILITY_SEED=n replays a run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEdge, eventually, hmacBase64, uid, sleep, storeSecrets } from '../harness.mjs';
import * as shopify from '../standins/shopify.mjs';
import * as woocommerce from '../standins/woocommerce.mjs';
import { rng } from './lib.mjs';

const SHOP_LOCATION = 655441491;
const WOO_SECRET = 'test-woocommerce-secret';
const SKUS = 6;
const STEPS = 160;
let edge, shop, woo;
const r = rng();

before(async () => {
  shop = await shopify.start({ bucket: { maximumAvailable: 60, restoreRate: 20 } });
  woo = await woocommerce.start();
  shop.addLocation({ id: SHOP_LOCATION });
  edge = await startEdge({
    vars: { ...storeSecrets({ shop, woo }), WOOCOMMERCE_WEBHOOK_SECRET: WOO_SECRET },
  });
  shop.configureWebhooks({ url: `${edge.url}/webhooks/shopify`, secret: edge.vars.SHOPIFY_WEBHOOK_SECRET });
  woo.configureWebhooks({ url: `${edge.url}/webhooks/woocommerce`, secret: WOO_SECRET });
});
after(async () => {
  await edge?.stop();
  await shop?.close();
  await woo?.close();
});

async function ok(p) {
  const res = await p;
  assert.ok(res.status < 300, `${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

function squareCount(square, quantity) {
  const body = JSON.stringify({
    merchant_id: 'M1', type: 'inventory.count.updated', event_id: uid('sq'), created_at: new Date().toISOString(),
    data: { type: 'inventory', id: uid('id'), object: { inventory_counts: [
      { calculated_at: new Date().toISOString(), catalog_object_id: square, catalog_object_type: 'ITEM_VARIATION', location_id: 'L9XZ3', quantity: String(quantity), state: 'IN_STOCK' },
    ] } },
  });
  return edge.json('POST', '/webhooks/square', body, { 'x-square-hmacsha256-signature': hmacBase64(edge.vars.SQUARE_SIGNATURE_KEY, edge.vars.SQUARE_NOTIFICATION_URL, body) });
}

test(`connected stores converge to lastunit's numbers after a storm (seed ${r.seed})`, async () => {
  await ok(edge.admin('PUT', '/admin/locations/main-st', { name: 'Main St', pos_refs: { shopify: String(SHOP_LOCATION), square: 'L9XZ3' } }));
  await ok(edge.admin('PUT', '/admin/channels/store', { locations: ['main-st'] }));
  await ok(edge.admin('PUT', '/admin/channels/web', { locations: ['main-st'] }));
  const products = [];
  for (let i = 0; i < SKUS; i++) {
    const sku = uid(`K${i}`);
    const start = r.int(5, 30);
    const { inventoryItemId } = shop.addVariant({ sku, levels: { [SHOP_LOCATION]: r.int(0, 40) } });
    const wooId = woo.addProduct({ name: sku, sku, stockQuantity: r.int(0, 40) });
    const square = `SQ${sku.slice(-10).toUpperCase()}`;
    await ok(edge.admin('PUT', `/admin/skus/${sku}`, { title: sku, buffer: { mode: 'fixed', units: 1 }, pos_refs: { shopify: String(inventoryItemId), woocommerce: String(wooId), square } }));
    await ok(squareCount(square, start));
    products.push({ sku, item: inventoryItemId, wooId, square, shelf: start, sold: 0 });
  }
  await ok(edge.admin('PUT', '/admin/connections/shopify', { channel: 'web', location: 'main-st' }));
  await ok(edge.admin('PUT', '/admin/connections/woocommerce', { channel: 'web', location: 'main-st' }));

  const orders = []; // online orders still holding a unit: { store, id, p }
  const orderDeliveries = (store) => store.deliveries.filter((d) => /^order|^orders\//.test(d.topic));
  const physical = (p) => p.shelf - p.sold > 0; // a unit is still on the shelf
  for (let step = 0; step < STEPS; step++) {
    const p = r.pick(products);
    switch (r.int(0, 13)) {
      case 0: case 1: case 2: { // a sale at the register (of a unit still on the shelf): its new count
        if (p.shelf - p.sold > 0) {
          p.shelf -= 1;
          await ok(squareCount(p.square, p.shelf));
        }
        break;
      }
      case 3: case 4: { // a web checkout: hold, then commit
        const res = await edge.json('POST', '/v1/reservations', { cart_id: uid('cart'), channel: 'web', lines: [{ sku: p.sku, quantity: 1 }] },
          { authorization: `Bearer ${edge.vars.CHECKOUT_TOKEN}` });
        if (res.status !== 201) break;
        const c = await edge.json('POST', `/v1/reservations/${res.body.reservation_id}/commit`, { order_id: uid('o') }, { authorization: `Bearer ${edge.vars.CHECKOUT_TOKEN}` });
        if (c.status === 200) p.sold += 1;
        break;
      }
      case 5: case 6: shop.setLevel(p.item, SHOP_LOCATION, r.int(0, 50)); break; // a merchant edit in Shopify (its webhook follows)
      case 7: r.pick([() => shop.failNext(r.int(1, 3)), () => shop.hangNext(1), () => shop.loseAnswerNext(1, { kind: r.pick(['fail', 'hang']) }), () => shop.throttleNext(1, { retryAfter: 1 }), () => shop.drainBucket()])(); break;
      case 8: r.pick([() => woo.failNext(r.int(1, 3)), () => woo.hangNext(1), () => woo.throttleNext(1, { retryAfter: 1 })])(); break;
      case 9: { // an online order in a store that shows the unit
        if (!physical(p)) break;
        if (r.int(0, 1) === 0 && shop.level(p.item, SHOP_LOCATION) > 0) {
          orders.push({ store: 'shopify', id: shop.placeOrder({ lines: [{ sku: p.sku, quantity: 1 }], locationId: SHOP_LOCATION }).id, p });
          p.sold += 1;
        } else if (woo.stock(p.wooId) > 0) {
          orders.push({ store: 'woocommerce', id: woo.placeOrder({ lines: [{ productId: p.wooId, quantity: 1 }], checkout: r.int(0, 1) === 1 }).id, p });
          p.sold += 1;
        }
        break;
      }
      case 10: { // a store delivers an earlier order webhook again: a duplicate, after what came since
        const store = r.pick([shop, woo]);
        const past = orderDeliveries(store);
        if (past.length) store.redeliver(r.pick(past).id, r.int(1, 3));
        break;
      }
      case 11: { // an online order refunded, its unit restocked
        if (!orders.length) break;
        const o = orders.splice(r.int(0, orders.length - 1), 1)[0];
        if (o.store === 'shopify') shop.refundOrder(o.id, { lines: [{ sku: o.p.sku, quantity: 1, restockType: 'return' }] });
        else woo.refundOrder(o.id, { lines: [{ sku: o.p.sku, quantity: 1 }] });
        o.p.sold -= 1;
        break;
      }
      case 12: woo.setStock(p.wooId, r.int(0, 50)); break; // a merchant edit in WooCommerce (product.updated follows)
      default: await sleep(r.int(0, 40)); // time passing between customers
    }
  }
  await shop.settled();
  await woo.settled();
  shop.heal();
  woo.heal();
  // Quiet: every order, refund and count is in (refunds are read from the store after their
  // webhook), then every store converges to lastunit's web availability (the order grace included).
  await eventually(async () => {
    for (const p of products) {
      const view = (await edge.admin('GET', `/admin/skus/${p.sku}`)).body;
      assert.equal(view.on_hand['main-st'], p.shelf - p.sold, `${p.sku}: register sales, checkouts, online orders and refunds each counted once, none twice`);
    }
  }, { timeoutMs: 60000, intervalMs: 500, what: `every unit counted once (seed ${r.seed})` });
  await eventually(async () => {
    for (const p of products) {
      const want = (await edge.json('GET', `/v1/availability/${p.sku}?channel=web`)).body.available;
      assert.equal(shop.level(p.item, SHOP_LOCATION), want, `Shopify ${p.sku}`);
      assert.equal(woo.stock(p.wooId), want, `WooCommerce ${p.sku}`);
    }
  }, { timeoutMs: 120000, intervalMs: 500, what: `every store equals lastunit (seed ${r.seed})` });
  assert.ok(!shop.writes.some((w) => w.outcome === 'idempotency_mismatch'), 'a key is never reused for another write');
  await eventually(async () => {
    const list = (await edge.admin('GET', '/admin/connections')).body.connections;
    for (const c of list) assert.equal(c.pending_writes, 0, c.provider);
  }, { timeoutMs: 30000, what: 'nothing pending' });
});
