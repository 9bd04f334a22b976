// State survives the edge being stopped (or killed) and started again on the same state dir.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEdge, basicCatalog, skuWithStock, uid, waitFor } from '../harness.mjs';

const stateDir = mkdtempSync(join(tmpdir(), 'lastunit-persist-'));
let edge;
after(async () => {
  await edge?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

test('catalog, stock, holds, ledger, dedupe ids, idempotent answers and summaries survive a restart and a kill -9', async () => {
  edge = await startEdge({ stateDir });
  await basicCatalog(edge);
  const sku = uid('K');
  await skuWithStock(edge, sku, { warehouse: 6, 'main-st': 2 }, { buffer: { mode: 'fixed', units: 1 } });
  const sale = { event_id: uid('e'), type: 'sale', sku, location: 'main-st', quantity: 1, channel: 'store' };
  assert.equal((await edge.webhook(sale)).body.applied, 1);
  const key = uid('key');
  const r = await edge.storefront('POST', '/v1/reservations', { cart_id: 'c', lines: [{ sku, quantity: 2 }] }, { 'idempotency-key': key });
  assert.equal(r.status, 201);
  await waitFor(async () => (await edge.admin('GET', '/admin/dashboard')).body.rows.some((x) => x.sku === sku && x.reserved === 2), { what: 'summary' });
  // A commit acknowledged before the restart must answer the same when retried after it.
  const done = await edge.storefront('POST', '/v1/reservations', { cart_id: 'd', lines: [{ sku, quantity: 1 }] });
  assert.equal((await edge.checkout('POST', `/v1/reservations/${done.body.reservation_id}/commit`, { order_id: 'o-d' })).status, 200);
  await waitFor(async () => (await edge.admin('GET', '/admin/dashboard')).body.rows.some((x) => x.sku === sku && x.reserved === 2 && x.on_hand.warehouse === 5), { what: 'summary' });
  const before = (await edge.admin('GET', `/admin/skus/${sku}`)).body;

  for (const how of ['restart', 'kill9']) {
    if (how === 'restart') await edge.restart();
    else {
      await edge.kill9();
      await edge.start();
    }
    const after = (await edge.admin('GET', `/admin/skus/${sku}`)).body;
    assert.deepEqual(after.on_hand, before.on_hand, how);
    assert.equal(after.reserved, 2, how);
    assert.equal(after.version, before.version, how);
    assert.deepEqual(after.ledger, before.ledger, how);
    assert.deepEqual((await edge.admin('GET', '/admin/channels')).body.web, ['warehouse', 'main-st']);
    assert.deepEqual((await edge.webhook(sale)).body, { applied: 0, duplicates: 1, ignored: 0 }, `${how}: the event id is remembered`);
    const again = await edge.storefront('POST', '/v1/reservations', { cart_id: 'c', lines: [{ sku, quantity: 2 }] }, { 'idempotency-key': key });
    assert.deepEqual(again.body, r.body, `${how}: the first answer is remembered`);
    assert.ok((await edge.admin('GET', '/admin/dashboard')).body.rows.some((x) => x.sku === sku), `${how}: summaries kept`);
    const retried = await edge.checkout('POST', `/v1/reservations/${done.body.reservation_id}/commit`, { order_id: 'o-d' });
    assert.deepEqual([retried.status, retried.body], [200, { status: 'committed' }], `${how}: a retried commit answers the same`);
  }
  const c = await edge.checkout('POST', `/v1/reservations/${r.body.reservation_id}/commit`, { order_id: 'o-p' });
  assert.equal(c.status, 200);
  assert.equal((await edge.admin('GET', `/admin/skus/${sku}`)).body.on_hand.warehouse, 3);
});
