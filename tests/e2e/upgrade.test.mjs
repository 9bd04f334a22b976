// Upgrades from real state. Each tests/fixtures/state-<rev>/ holds the local state an earlier
// release wrote (scripts/make-state-fixture.sh) and what that release answered. The current edge
// is served on a copy and must answer the same for every SKU: availability per channel, on hand,
// holds, ledger, incoming. Holds that were live in the old state have lapsed since (their units
// are back, their commit answers 410), committed and released ones answer as they did, and an
// event the old release applied is still a duplicate. A copy whose snapshot row is corrupted
// answers 503 state_unreadable on every route of that SKU and is never written over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startEdge, waitFor } from '../harness.mjs';

const FIXTURES = join(ROOT, 'tests', 'fixtures');
const fixtures = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((d) => d.startsWith('state-')) : [];

test('there is a fixture of the release before the versioned stored form', () => {
  assert.ok(fixtures.includes('state-ac9bdf6'), `fixtures: ${fixtures.join(', ')}`);
});

/** A fresh copy of a fixture's state directory. */
function copyOf(fixture) {
  const dir = mkdtempSync(join(tmpdir(), `lastunit-${fixture}-`));
  cpSync(join(FIXTURES, fixture, 'state'), join(dir, 'state'), { recursive: true });
  return dir;
}

/** Every SQLite file of the SKU objects in a state directory. */
function skuFiles(stateDir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/SkuObject/.test(p) && e.name.endsWith('.sqlite')) out.push(p);
    }
  };
  walk(stateDir);
  return out;
}

for (const fixture of fixtures) {
  const expected = JSON.parse(readFileSync(join(FIXTURES, fixture, 'expected.json'), 'utf8'));

  test(`${fixture}: every SKU answers as the release that wrote it did`, async () => {
    const dir = copyOf(fixture);
    const edge = await startEdge({ stateDir: join(dir, 'state') });
    try {
      // A fixture made moments ago still has live holds: they lapse at their own time.
      const lapse = Math.max(0, ...expected.holds.filter((h) => h.state === 'live').map((h) => Date.parse(h.expires_at)));
      await waitFor(() => Date.now() > lapse, { timeoutMs: 180000, intervalMs: 500, what: 'the fixture holds to lapse' });

      assert.deepEqual((await edge.admin('GET', '/admin/skus')).body.skus, expected.catalog.skus);
      assert.deepEqual((await edge.admin('GET', '/admin/locations')).body.locations, expected.catalog.locations);
      assert.deepEqual((await edge.admin('GET', '/admin/channels')).body, expected.catalog.channels);
      for (const [sku, want] of Object.entries(expected.skus)) {
        const view = await edge.admin('GET', `/admin/skus/${sku}`);
        assert.equal(view.status, 200, JSON.stringify(view.body));
        // An automatic buffer follows the SKU's sales velocity, which ages with the fixture (both
        // releases recalibrate it as the days pass): it must stay within its policy, and the units
        // it gives back or keeps are all that moves a channel it guards.
        const policy = want.config.buffer;
        const drift = policy.mode === 'auto' ? view.body.buffer - want.buffer : 0;
        if (policy.mode === 'auto') {
          assert.ok(view.body.buffer >= policy.min && view.body.buffer <= policy.max, `${sku}: buffer ${view.body.buffer} outside ${JSON.stringify(policy)}`);
        }
        for (const [channel, a] of Object.entries(want.availability)) {
          const got = await edge.json('GET', `/v1/availability/${sku}?channel=${channel}`);
          assert.equal(got.status, 200, JSON.stringify(got.body));
          const { available, status, in_store_only } = got.body;
          const guarded = drift !== 0 && (want.config.buffer_channels ?? []).includes(channel);
          if (guarded) assert.equal(available, a.available - drift, `${sku} on ${channel}: the buffer moved by ${drift}`);
          else assert.deepEqual({ available, status, in_store_only }, a, `${sku} on ${channel}`);
        }
        for (const field of ['on_hand', 'unsellable', 'in_transit', 'incoming', 'returns', 'ledger', 'ledger_entries', 'config', 'reserved', 'holds']) {
          assert.deepEqual(view.body[field], want[field], `${sku}: ${field}`);
        }
        if (drift === 0) assert.deepEqual(view.body.buffer, want.buffer, `${sku}: buffer`);
      }
      // Holds are remembered a day past their lapse or settling (SETTLED_KEPT_MS), by this release and the one
      // that wrote the fixture alike: within it a retried commit answers as before; past it the
      // answer may be 404 unknown_reservation (forgotten), but never a second sale.
      const day = 24 * 3600 * 1000;
      const remembered = Date.now() < lapse + day - 60000;
      const onHandBefore = {};
      for (const sku of Object.keys(expected.skus)) onHandBefore[sku] = (await edge.admin('GET', `/admin/skus/${sku}`)).body.on_hand;
      for (const h of expected.holds) {
        const commit = await edge.checkout('POST', `/v1/reservations/${h.id}/commit`, { order_id: `after-upgrade-${h.state}` });
        const want = { live: [410, 'reservation_expired'], committed: [200, undefined], released: [409, 'reservation_released'] }[h.state];
        const got = [commit.status, commit.body.error];
        const forgotten = !remembered && got[0] === 404 && got[1] === 'unknown_reservation';
        if (!forgotten) assert.deepEqual(got, want, `${h.state} hold ${h.id}: ${JSON.stringify(commit.body)}`);
        if (h.state === 'committed' && !forgotten) assert.equal(commit.body.status, 'committed');
      }
      for (const sku of Object.keys(expected.skus)) {
        assert.deepEqual((await edge.admin('GET', `/admin/skus/${sku}`)).body.on_hand, onHandBefore[sku], `${sku}: a retried commit sold again`);
      }
      for (const [sku, event] of Object.entries(expected.seen)) {
        const again = await edge.webhook(event);
        assert.deepEqual(again.body, { applied: 0, duplicates: 1, ignored: 0 }, `${sku}: event ${event.event_id} applied twice`);
      }
      // And the upgraded SKU keeps working: a sale lands on top of the old books.
      const sale = await edge.webhook({ event_id: `after-upgrade-${fixture}`, type: 'sale', sku: 'scarf', location: 'warehouse', quantity: 1, channel: 'web' });
      assert.deepEqual(sale.body, { applied: 1, duplicates: 0, ignored: 0 });
      const scarf = (await edge.admin('GET', '/admin/skus/scarf')).body;
      assert.equal(scarf.on_hand.warehouse, expected.skus.scarf.on_hand.warehouse - 1);
      assert.equal(scarf.ledger_entries, expected.skus.scarf.ledger_entries + 1);
    } finally {
      await edge.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${fixture}: a snapshot that does not read answers 503 on every route and is never written over`, async () => {
    const dir = copyOf(fixture);
    // Break scarf's snapshot in place: same length, so SQLite's pages stay whole.
    const marker = Buffer.from('{"sku":"scarf","config"');
    const broken = Buffer.from('{"sku":"scarf","cOnfig"');
    const file = skuFiles(join(dir, 'state')).find((f) => readFileSync(f).includes(marker));
    assert.ok(file, 'the fixture holds scarf\'s snapshot row');
    const bytes = readFileSync(file);
    bytes.set(broken, bytes.indexOf(marker));
    writeFileSync(file, bytes);
    const edge = await startEdge({ stateDir: join(dir, 'state') });
    try {
      const unreadable = (r, what) => {
        assert.equal(r.status, 503, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error, 'state_unreadable', what);
        assert.match(r.body.message, /cannot be read/, what);
      };
      unreadable(await edge.json('GET', '/v1/availability/scarf?channel=web'), 'availability');
      unreadable(await edge.admin('GET', '/admin/skus/scarf'), 'the admin view');
      unreadable(await edge.admin('PUT', '/admin/skus/scarf', { title: 'Scarf' }), 'PUT /admin/skus');
      unreadable(await edge.webhook({ event_id: 'after-break', type: 'receive', sku: 'scarf', location: 'warehouse', quantity: 1 }), 'an event');
      unreadable(await edge.storefront('POST', '/v1/reservations', { cart_id: 'c-broken', lines: [{ sku: 'scarf', quantity: 1 }] }), 'a reservation');
      unreadable(await edge.admin('POST', '/admin/purchase-orders', { po_id: 'PO-9', location: 'warehouse', lines: [{ sku: 'scarf', quantity: 1, expected_at: '2030-01-01T00:00:00Z' }] }), 'a purchase order');
      // The other SKUs are untouched by it.
      assert.equal((await edge.json('GET', '/v1/availability/tee-m?channel=web')).status, 200);
      assert.equal((await edge.admin('GET', '/admin/skus')).body.skus.includes('scarf'), true, 'scarf is still in the catalog');
    } finally {
      await edge.stop();
    }
    assert.ok(readFileSync(file).includes(broken), 'the unreadable snapshot was written over');
    rmSync(dir, { recursive: true, force: true });
  });
}
