// GET /v1/availability served from the Worker's cache (worker/src/availability_cache.rs): a
// reader never sees an answer more than 1 s older than the SKU's object, never an older version
// after a newer one, and its own isolate's writes at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEdge, basicCatalog, skuWithStock, uid, waitFor } from '../harness.mjs';

/** How long after the object answered the Worker may serve its answer (FRESH_MS). */
const FRESH_MS = 1000;
/** What one request may take on a loaded 2-core machine, beyond that. */
const MACHINE_MS = 2000;

let edge;
before(async () => {
  edge = await startEdge();
  await basicCatalog(edge);
});
after(() => edge?.stop());

/** Readers, each asking for `sku` one request after another until stopped: every answer kept. */
function readers(sku, n) {
  let stop = false;
  const seen = Array.from({ length: n }, () => []);
  const loops = seen.map(async (answers) => {
    while (!stop) {
      const r = await edge.json('GET', `/v1/availability/${sku}?channel=web`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      answers.push(r.body);
    }
  });
  return {
    latest: () => seen.map((a) => a.at(-1)).filter(Boolean),
    async stop() {
      stop = true;
      await Promise.all(loops);
      return seen;
    },
  };
}

function assertMonotonic(seen) {
  for (const [i, answers] of seen.entries()) {
    assert.ok(answers.length > 0, `reader ${i} was answered`);
    for (let k = 1; k < answers.length; k++) {
      assert.ok(answers[k].version >= answers[k - 1].version, `reader ${i}: version ${answers[k].version} after ${answers[k - 1].version}`);
    }
  }
}

test('a sell-out through the edge shows on the next read, under hot readers, and no reader sees a version go back', async () => {
  const sku = uid('HOT');
  await skuWithStock(edge, sku, { warehouse: 3 });
  const hot = readers(sku, 4);
  await waitFor(() => hot.latest().length === 4 && hot.latest().every((a) => a.available === 3), { what: 'every reader sees 3' });
  const sale = await edge.admin('POST', '/admin/events', { event_id: uid('sale'), type: 'sale', sku, location: 'warehouse', quantity: 3 });
  assert.equal(sale.status, 200, JSON.stringify(sale.body));
  // The write went through this edge's isolate, which dropped what it had cached of the SKU
  // (and kept reads under way meanwhile from caching theirs): the next read is the object's.
  const next = await edge.availability(sku);
  assert.equal(next.status, 'out_of_stock', JSON.stringify(next));
  assert.equal(next.available, 0);
  await waitFor(() => hot.latest().every((a) => a.status === 'out_of_stock'), { what: 'every reader sees the sell-out', timeoutMs: FRESH_MS + MACHINE_MS });
  const seen = await hot.stop();
  assertMonotonic(seen);
  const view = await edge.admin('GET', `/admin/skus/${sku}`);
  for (const answers of seen) assert.equal(answers.at(-1).version, view.body.version, 'each reader ends on the object\'s version');
});

test('a change the edge did not carry (a hold lapsing in the SKU\'s alarm) shows within 1 s of it', async () => {
  const sku = uid('LAPSE');
  await skuWithStock(edge, sku, { warehouse: 1 });
  const held = await edge.checkout('POST', '/v1/reservations', { cart_id: uid('cart'), channel: 'web', ttl_seconds: 1, lines: [{ sku, quantity: 1 }] });
  assert.equal(held.status, 201, JSON.stringify(held.body));
  const hot = readers(sku, 2);
  await waitFor(() => hot.latest().length === 2 && hot.latest().every((a) => a.status === 'out_of_stock'), { what: 'the hold shows' });
  // The SKU's alarm returns the unit at the hold's expiry, without the Worker: the readers'
  // cached answer lasts at most FRESH_MS more.
  const lapse = Date.parse(held.body.expires_at);
  await waitFor(() => hot.latest().every((a) => a.available === 1), {
    what: 'the lapsed hold back for every reader',
    timeoutMs: Math.max(0, lapse - Date.now()) + FRESH_MS + MACHINE_MS,
    intervalMs: 20,
  });
  assertMonotonic(await hot.stop());
});

test('the batch read answers from the same cache: the same items, an unknown SKU named', async () => {
  const a = uid('BA');
  const b = uid('BB');
  await skuWithStock(edge, a, { warehouse: 2 });
  await skuWithStock(edge, b, { warehouse: 5 });
  const one = await edge.availability(a); // cached now
  const batch = await edge.json('GET', `/v1/availability?skus=${a},${b},nope-${uid('x')}&channel=web`);
  assert.equal(batch.status, 200, JSON.stringify(batch.body));
  assert.deepEqual(batch.body.items[0], one);
  assert.deepEqual(batch.body.items.map((i) => [i.sku, i.available]), [[a, 2], [b, 5]]);
  assert.equal(batch.body.unknown.length, 1);
});
