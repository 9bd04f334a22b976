// Crash and restart: the local edge is killed with SIGKILL in the middle of checkout and PoS
// load, five times, and started again on the same state directory.
//
// Clients behave like real ones: a storefront sends every reservation with an Idempotency-Key,
// the checkout server retries a commit it got no answer for, the PoS retries a delivery with the
// same event id. After each restart, before anything is retried, every acknowledged (2xx)
// reservation, commit and webhook must still be there; then the unanswered ones are retried and
// must count exactly once. Finally the books are checked to the unit, and holds taken just before
// a crash must expire after it on their own (alarm), with no request to their SKU.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEdge, basicCatalog, skuWithStock, uid, waitFor, signLastunit, shopperAddress } from '../harness.mjs';
import { rng, safeJson, tally } from './lib.mjs';

const stateDir = mkdtempSync(join(tmpdir(), 'lastunit-crash-'));
let edge;
before(async () => {
  edge = await startEdge({ stateDir });
  await basicCatalog(edge);
});
after(async () => {
  await edge?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

const INITIAL = 100000;
const CRASHES = 5;

test('kill -9 five times under load: every acknowledged write survives, retries count once, holds still expire', async () => {
  const r = rng();
  const sku = uid('CRASH');
  await skuWithStock(edge, sku, { warehouse: INITIAL }, { max_per_cart: 3 });
  const sf = () => ({ authorization: `Bearer ${edge.vars.STOREFRONT_KEY}` });
  // Each key is one shopper's add-to-cart, from their own address (a retry comes from the same one).
  const addresses = new Map();
  const shopper = (key) => addresses.get(key) ?? addresses.set(key, shopperAddress()).get(key);
  const co = () => ({ authorization: `Bearer ${edge.vars.CHECKOUT_TOKEN}` });

  /** key → {quantity, body (the 201 answer) | null} */
  const reservations = new Map();
  /** reservation id → acknowledged? */
  const commits = new Map();
  /** event id → {raw, kind, quantity, acked} */
  const deliveries = new Map();
  const lost = []; // requests with no answer (connection cut), retried after the restart
  const unexpected = [];

  let answered = 0; // answers received so far (any status): how far the load has got
  const counted = async (request) => {
    const res = await request;
    if (res.status !== 0) answered++;
    return res;
  };
  const reserve = (key, quantity) => counted(safeJson(edge, 'POST', '/v1/reservations', { cart_id: `cart-${key}`, channel: 'web', ttl_seconds: 3600, lines: [{ sku, quantity }] }, { ...sf(), 'idempotency-key': key, 'cf-connecting-ip': shopper(key) }));
  const commit = (id) => counted(safeJson(edge, 'POST', `/v1/reservations/${id}/commit`, { order_id: `o-${id.slice(0, 8)}` }, co()));
  const deliver = (raw) => counted(safeJson(edge, 'POST', '/webhooks/lastunit', raw, { 'content-type': 'application/json', 'x-lastunit-signature': signLastunit(edge.vars.LASTUNIT_WEBHOOK_SECRET, raw) }));

  async function shopperLoop(stop) {
    while (!stop.now) {
      const key = uid('idem');
      const quantity = r.int(1, 3);
      reservations.set(key, { quantity, body: null });
      const res = await reserve(key, quantity);
      if (res.status === 0 || res.status === 503) {
        lost.push({ kind: 'reserve', key });
        continue;
      }
      if (res.status !== 201) {
        unexpected.push(res);
        continue;
      }
      reservations.get(key).body = res.body;
      if (r.next() < 0.5) {
        const id = res.body.reservation_id;
        commits.set(id, false);
        const c = await commit(id);
        if (c.status === 0 || c.status === 503) lost.push({ kind: 'commit', id });
        else if (c.status === 200) commits.set(id, true);
        else unexpected.push(c);
      }
    }
  }

  async function posLoop(stop) {
    while (!stop.now) {
      const event_id = uid('pos');
      const kind = r.next() < 0.7 ? 'sale' : 'receive';
      const quantity = r.int(1, 2);
      const ev = kind === 'sale'
        ? { event_id, type: 'sale', sku, location: 'warehouse', quantity, channel: 'store', occurred_at: new Date().toISOString() }
        : { event_id, type: 'receive', sku, location: 'warehouse', quantity, occurred_at: new Date().toISOString() };
      const raw = JSON.stringify(ev);
      deliveries.set(event_id, { raw, kind, quantity, acked: false });
      const w = await deliver(raw);
      if (w.status === 0 || w.status === 503) lost.push({ kind: 'webhook', event_id });
      else if (w.status === 200 && w.body.applied === 1) deliveries.get(event_id).acked = true;
      else unexpected.push(w);
    }
  }

  /** Everything acknowledged so far is still there (checked without retrying anything new). */
  async function checkAcknowledged(round) {
    for (const [key, v] of reservations) {
      if (!v.body) continue;
      const again = await reserve(key, v.quantity);
      assert.equal(again.status, 201, `${round}: reservation ${key} answered ${again.status} ${JSON.stringify(again.body)}`);
      assert.deepEqual(again.body, v.body, `${round}: the same Idempotency-Key gives the first answer`);
    }
    for (const [id, acked] of commits) {
      if (!acked) continue;
      const again = await commit(id);
      assert.equal(again.status, 200, `${round}: acknowledged commit ${id} now answers ${again.status} ${JSON.stringify(again.body)}`);
      assert.deepEqual(again.body, { status: 'committed' });
    }
    for (const [event_id, d] of deliveries) {
      if (!d.acked) continue;
      const again = await deliver(d.raw);
      assert.equal(again.status, 200, `${round}: ${event_id}`);
      assert.deepEqual(again.body, { applied: 0, duplicates: 1, ignored: 0 }, `${round}: acknowledged delivery ${event_id} is remembered`);
    }
  }

  /** Retries what got no answer, as clients do, until each is answered. */
  async function retryLost(round) {
    const todo = lost.splice(0);
    for (const l of todo) {
      if (l.kind === 'reserve') {
        const v = reservations.get(l.key);
        const res = await reserve(l.key, v.quantity);
        assert.equal(res.status, 201, `${round}: retried reservation ${JSON.stringify(res.body)}`);
        v.body = res.body;
      } else if (l.kind === 'commit') {
        const c = await commit(l.id);
        assert.equal(c.status, 200, `${round}: retried commit ${JSON.stringify(c.body)}`);
        commits.set(l.id, true);
      } else {
        const d = deliveries.get(l.event_id);
        const w = await deliver(d.raw);
        assert.equal(w.status, 200, `${round}: retried delivery ${JSON.stringify(w.body)}`);
        assert.equal(w.body.applied + w.body.duplicates, 1, `${round}: counted once ${JSON.stringify(w.body)}`);
        d.acked = true;
      }
    }
    return todo.length;
  }

  // A SKU whose holds must expire by alarm after the last crash.
  const expSku = uid('EXP');
  await skuWithStock(edge, expSku, { warehouse: 3 }, { max_per_cart: 3 });

  const log = [];
  for (let round = 1; round <= CRASHES; round++) {
    const stop = { now: false };
    const loops = [...Array.from({ length: 6 }, () => shopperLoop(stop)), posLoop(stop), posLoop(stop)];
    let expHold;
    if (round === CRASHES) {
      expHold = await edge.storefront('POST', '/v1/reservations', { cart_id: 'exp', channel: 'web', ttl_seconds: 5, lines: [{ sku: expSku, quantity: 3 }] });
      assert.equal(expHold.status, 201);
      await waitFor(async () => (await edge.admin('GET', '/admin/dashboard')).body.rows?.some((x) => x.sku === expSku && x.reserved === 3), { what: 'the hold in the dashboard' });
    }
    // The crash comes after a random amount of work rather than a random time, so it lands in
    // the middle of the load however busy the machine is.
    const crashAt = answered + r.int(50, 300);
    await waitFor(() => answered >= crashAt, { timeoutMs: 60000, intervalMs: 5, what: `round ${round}: the load under way` });
    await edge.kill9();
    stop.now = true;
    await Promise.all(loops);
    const lostNow = lost.length;
    await edge.start();
    await checkAcknowledged(`after crash ${round}`);
    const retried = await retryLost(`after crash ${round}`);
    log.push({ round, lost: lostNow, retried, reservations: reservations.size, commits: commits.size, deliveries: deliveries.size });
    if (round === CRASHES) {
      // No request touches expSku: only its own alarm can expire the hold and tell the catalog.
      const row = await waitFor(async () => {
        const rows = (await edge.admin('GET', '/admin/dashboard')).body.rows ?? [];
        const x = rows.find((y) => y.sku === expSku);
        return x && x.reserved === 0 ? x : null;
      }, { timeoutMs: 30000, intervalMs: 500, what: 'the hold taken before the crash to expire by alarm' });
      assert.equal(row.reserved, 0);
      assert.ok(Date.now() >= Date.parse(expHold.body.expires_at), 'not released early');
      const view = (await edge.admin('GET', `/admin/skus/${expSku}`)).body;
      assert.equal(view.reserved, 0);
      assert.equal(view.available.web, 3);
    }
  }
  console.log(JSON.stringify(log));
  assert.deepEqual(unexpected.map((u) => [u.status, u.body]), [], 'only 2xx answers (or no answer at all)');
  assert.ok(log.some((l) => l.lost > 0), `some requests were cut by a crash: ${JSON.stringify(log)}`);

  // The books, to the unit: every reservation, commit and delivery counted exactly once.
  let webSold = 0;
  let held = 0;
  for (const [, v] of reservations) {
    if (!v.body) continue;
    if (commits.get(v.body.reservation_id)) webSold += v.quantity;
    else held += v.quantity;
  }
  let storeSold = 0;
  let received = 0;
  for (const [, d] of deliveries) {
    assert.ok(d.acked, 'every delivery was answered in the end');
    if (d.kind === 'sale') storeSold += d.quantity;
    else received += d.quantity;
  }
  const view = (await edge.admin('GET', `/admin/skus/${sku}`)).body;
  const expect = { on_hand: INITIAL + received - storeSold - webSold, reserved: held, web: webSold, store: storeSold };
  const got = { on_hand: view.on_hand.warehouse, reserved: view.reserved, web: view.returns?.web?.sold ?? 0, store: view.returns?.store?.sold ?? 0 };
  assert.deepEqual(got, expect, `books after ${CRASHES} crashes (${JSON.stringify(tally([...deliveries.values()].map((d) => d.kind)))})`);
});
