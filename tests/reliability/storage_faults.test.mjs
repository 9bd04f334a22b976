// A storage failure in the middle of a change: the edge injects one (the test-only fault hook,
// docs/LIMITS.md "Test hooks") while it writes the third ledger row of a batch of PoS events.
// The batch must answer 500 and leave nothing behind, neither in storage nor in memory: the same
// edge still answers from what is stored, and a retry fails again rather than being taken for a
// duplicate. After a restart without the fault, the PoS's retry applies every event exactly once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEdge, basicCatalog, uid } from '../harness.mjs';

const stateDir = mkdtempSync(join(tmpdir(), 'lastunit-faults-'));
const SKU = uid('FAULT');
let edge;
before(async () => {
  edge = await startEdge({ stateDir, vars: { LASTUNIT_TEST: '1', LASTUNIT_TEST_FAULTS: `ledger-row:3:${SKU}` } });
  await basicCatalog(edge);
});
after(async () => {
  await edge?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

/** What a SKU's books say: stock, holds, ledger and version. */
async function books(e) {
  const v = await e.admin('GET', `/admin/skus/${SKU}`);
  assert.equal(v.status, 200, JSON.stringify(v.body));
  const { on_hand, reserved, ledger_entries, ledger, version, available } = v.body;
  return { on_hand, reserved, ledger_entries, ledger, version, available };
}

test('a storage failure mid-batch answers 500, stores nothing, and the retry after a restart applies once', async () => {
  const put = await edge.admin('PUT', `/admin/skus/${SKU}`, { title: 'fault', buffer: { mode: 'none' } });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  // One ledger row per change set: below the fault.
  const first = await edge.webhook({ event_id: uid('count'), type: 'count', sku: SKU, location: 'warehouse', quantity: 10 });
  assert.deepEqual(first.body, { applied: 1, duplicates: 0, ignored: 0 });
  const hold = await edge.storefront('POST', '/v1/reservations', { cart_id: uid('cart'), lines: [{ sku: SKU, quantity: 2 }] });
  assert.equal(hold.status, 201, JSON.stringify(hold.body));
  const stored = await books(edge);
  assert.equal(stored.reserved, 2);

  const batch = {
    events: [
      { event_id: uid('rcv'), type: 'receive', sku: SKU, location: 'warehouse', quantity: 5 },
      { event_id: uid('sale'), type: 'sale', sku: SKU, location: 'warehouse', quantity: 1, channel: 'web' },
      { event_id: uid('sale'), type: 'sale', sku: SKU, location: 'warehouse', quantity: 2, channel: 'marketplace' },
      { event_id: uid('rcv'), type: 'receive', sku: SKU, location: 'main-st', quantity: 4 },
      { event_id: uid('waste'), type: 'waste', sku: SKU, location: 'main-st', quantity: 1, reason: 'broken' },
    ],
  };
  const failed = await edge.webhook(batch);
  assert.equal(failed.status, 500, JSON.stringify(failed.body));
  assert.equal(failed.body.error, 'internal_error');
  // Memory was taken back with storage: the books are as stored, and the retry is not a duplicate.
  assert.deepEqual(await books(edge), stored);
  const again = await edge.webhook(batch);
  assert.equal(again.status, 500, 'memory kept applied ids of a batch that was never stored');
  assert.deepEqual(await books(edge), stored);
  // Changes without ledger rows still store: the fault is in that one transaction only.
  assert.equal((await edge.storefront('DELETE', `/v1/reservations/${hold.body.reservation_id}`)).status, 200);

  await edge.halt();
  const healthy = await startEdge({ stateDir });
  try {
    const restarted = await books(healthy);
    assert.deepEqual({ ...restarted, version: 0, available: 0 }, { ...stored, reserved: 0, version: 0, available: 0 }, 'half a batch was stored');
    const retry = await healthy.webhook(batch);
    assert.deepEqual(retry.body, { applied: 5, duplicates: 0, ignored: 0 });
    const dup = await healthy.webhook(batch);
    assert.deepEqual(dup.body, { applied: 0, duplicates: 5, ignored: 0 });
    const end = await books(healthy);
    assert.deepEqual(end.on_hand, { warehouse: 10 + 5 - 1 - 2, 'main-st': 4 - 1 });
    assert.equal(end.ledger_entries, stored.ledger_entries + 5);
    assert.equal(new Set(end.ledger.map((e) => `${e.version}/${e.location}`)).size, end.ledger.length);
  } finally {
    await healthy.stop();
  }
});
