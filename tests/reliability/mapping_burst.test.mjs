// Many SKUs mapped to the connected stores at once (a shop wiring its catalog): 300 SKUs PUT with
// the `pos_refs` of both stores and stocked, 16 at a time, while Shopify hangs for the first
// seconds. Every SKU's alarm reports to the one writer of each store (ConnectionObject), so this
// is the fan-in at its steepest: every request must be answered below 5xx, and both stores must
// then hold lastunit's number of every SKU. (Beyond ~64 connections wrangler's proxy and workerd
// drop connections whatever the Worker does, `503 Your worker restarted mid-request`: shown by
// benches/edge/mapped_burst.mjs, so this stays at 16.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEdge, eventually, connectedShop, storeSecrets } from '../harness.mjs';
import * as shopify from '../standins/shopify.mjs';
import * as woocommerce from '../standins/woocommerce.mjs';

const SHOP_LOCATION = 655441491;
const SKUS = 300;
const AT_A_TIME = 16;
let edge, shop, woo;

before(async () => {
  shop = await shopify.start();
  woo = await woocommerce.start();
  shop.addLocation({ id: SHOP_LOCATION });
  edge = await startEdge({ vars: storeSecrets({ shop, woo }) });
});
after(async () => {
  await edge?.stop();
  await shop?.close();
  await woo?.close();
});

test(`${SKUS} SKUs mapped ${AT_A_TIME} at a time: every answer below 5xx, both stores converge`, async () => {
  await connectedShop(edge, { shopify: String(SHOP_LOCATION) });
  const products = Array.from({ length: SKUS }, (_, i) => {
    const sku = `MAP${String(i).padStart(4, '0')}`;
    const { inventoryItemId } = shop.addVariant({ sku, levels: { [SHOP_LOCATION]: 0 } });
    return { sku, item: inventoryItemId, wooId: woo.addProduct({ name: sku, sku }), stock: 1 + (i % 7) };
  });
  // The writer retries what the hang cost it; the mapping must not wait on it.
  shop.hangFor(5000);
  const failures = [];
  const queue = [...products];
  await Promise.all(Array.from({ length: AT_A_TIME }, async () => {
    for (let p = queue.shift(); p; p = queue.shift()) {
      const put = await edge.admin('PUT', `/admin/skus/${p.sku}`, {
        title: p.sku, buffer: { mode: 'none' }, pos_refs: { shopify: String(p.item), woocommerce: String(p.wooId) },
      });
      if (put.status >= 300) failures.push(`PUT ${p.sku}: ${put.status} ${JSON.stringify(put.body)}`);
      const count = await edge.admin('POST', '/admin/events', { event_id: `stock-${p.sku}`, type: 'count', sku: p.sku, location: 'main-st', quantity: p.stock });
      if (count.status >= 300) failures.push(`count ${p.sku}: ${count.status} ${JSON.stringify(count.body)}`);
    }
  }));
  assert.deepEqual(failures, [], 'every PUT and count answered below 300');
  await eventually(async () => {
    const behind = products.filter((p) => shop.level(p.item, SHOP_LOCATION) !== p.stock || woo.stock(p.wooId) !== p.stock);
    assert.equal(behind.length, 0, `stores behind lastunit: ${behind.slice(0, 5).map((p) => p.sku).join(', ')}…`);
    const { body } = await edge.admin('GET', '/admin/connections');
    for (const c of body.connections) assert.equal(c.pending_writes, 0, `${c.provider} has nothing left to write`);
  }, { timeoutMs: 120000, intervalMs: 500, what: 'both stores to hold every SKU\'s number' });
});
