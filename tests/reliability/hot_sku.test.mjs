// Hot product under fire: 5 units, 1,000 concurrent checkout attempts racing signed PoS sales.
//
// The shoppers: each POSTs a reservation (storefront key, distinct cart), and when it gets 201
// "pays" for a random 50 to 600 ms, then commits with the checkout token (about one in five
// abandons instead and releases). The register: every 40 to 120 ms it sells one unit through
// `/webhooks/lastunit`, but only a unit that is certainly on its shelf (5 minus its own sales,
// minus web orders committed or being committed): a register cannot sell a unit that is not
// there, while a unit merely *held* for a web cart is still on the shelf, so the register takes
// it and the edge must bump that hold ("the register wins").
//
// What must hold: web commits + register sales never exceed 5 (no oversell), every refused
// reservation is 409 insufficient_stock, every commit that did not go through is 409 (its hold
// was bumped), and the SKU's books balance afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEdge, basicCatalog, skuWithStock, uid, sleep, signLastunit, shopperAddress } from '../harness.mjs';
import { tally, rng, safeJson, gate } from './lib.mjs';

let edge;
before(async () => {
  edge = await startEdge();
  await basicCatalog(edge);
});
after(async () => edge?.stop());

const STOCK = 5;
const SHOPPERS = 1000;

test('hot SKU: 1,000 concurrent checkouts racing PoS sales never sell more than 5', async () => {
  const r = rng();
  const g = gate(64);
  const sku = uid('HOT');
  await skuWithStock(edge, sku, { 'main-st': STOCK }, { max_per_cart: 1 });
  assert.equal((await edge.availability(sku, 'web')).available, STOCK);

  const reserveStatus = [];
  const refusedBodies = [];
  const commitStatus = [];
  const commitBodies = [];
  const releaseStatus = [];
  let committed = 0; // acknowledged web commits
  let committing = 0; // commits in flight (the unit may already be gone from the shelf)
  let posSold = 0; // register sales the edge applied
  const posAnswers = [];
  let stormOver = false;

  async function shopper(i) {
    const address = shopperAddress(); // each shopper is a browser of its own
    const res = await g(() => safeJson(edge, 'POST', '/v1/reservations', { cart_id: `cart-${i}`, channel: 'web', ttl_seconds: 600, lines: [{ sku, quantity: 1 }] },
      { authorization: `Bearer ${edge.vars.STOREFRONT_KEY}`, 'cf-connecting-ip': address }));
    reserveStatus.push(res.status);
    if (res.status !== 201) {
      refusedBodies.push({ status: res.status, ...(typeof res.body === "object" ? res.body : { text: String(res.body).slice(0, 300) }) });
      return;
    }
    await sleep(r.int(50, 600));
    const id = res.body.reservation_id;
    if (r.next() < 0.2) {
      const d = await g(() => safeJson(edge, 'DELETE', `/v1/reservations/${id}`, undefined, { authorization: `Bearer ${edge.vars.STOREFRONT_KEY}` }));
      releaseStatus.push(d.status);
      return;
    }
    committing++;
    const c = await g(() => safeJson(edge, 'POST', `/v1/reservations/${id}/commit`, { order_id: `o-${i}` }, { authorization: `Bearer ${edge.vars.CHECKOUT_TOKEN}` }));
    committing--;
    commitStatus.push(c.status);
    if (c.status === 200) committed++;
    else commitBodies.push(c.body);
  }

  async function register() {
    while (!stormOver) {
      await sleep(r.int(40, 120));
      if (STOCK - posSold - committed - committing <= 0) continue;
      const raw = JSON.stringify({ event_id: uid('pos-sale'), type: 'sale', sku, location: 'main-st', quantity: 1, channel: 'store', occurred_at: new Date().toISOString() });
      const w = await safeJson(edge, 'POST', '/webhooks/lastunit', raw, { 'content-type': 'application/json', 'x-lastunit-signature': signLastunit(edge.vars.LASTUNIT_WEBHOOK_SECRET, raw) });
      posAnswers.push(w);
      if (w.status === 200) posSold += w.body.applied;
    }
  }

  // Shoppers arrive within ~1.5 s, all sessions live together (HTTP calls share 64 connections:
  // see `gate`); the register sells meanwhile on its own connection.
  const reg = register();
  await Promise.all(Array.from({ length: SHOPPERS }, async (_, i) => {
    await sleep(r.int(0, 1500));
    await shopper(i);
  }));
  stormOver = true;
  await reg;

  const t = tally(reserveStatus);
  const msg = `seed ${r.seed}: reservations ${JSON.stringify(t)}, commits ${JSON.stringify(tally(commitStatus))}, releases ${JSON.stringify(tally(releaseStatus))}, register sold ${posSold}`;
  console.log(msg);
  assert.equal(reserveStatus.length, SHOPPERS);
  const odd = refusedBodies.filter((b) => b.status !== 409);
  assert.deepEqual(odd.slice(0, 3), [], `only 201 or 409: ${msg}`);
  for (const b of refusedBodies) {
    assert.equal(b.error, 'insufficient_stock', JSON.stringify(b));
    assert.equal(b.sku, sku);
    assert.ok(Number.isInteger(b.available) && b.available >= 0 && b.available < 1, JSON.stringify(b));
    assert.equal(typeof b.message, 'string');
  }
  for (const s of commitStatus) assert.ok(s === 200 || s === 409, `commit answered ${s}: ${msg}`);
  for (const b of commitBodies) assert.equal(b.error, 'insufficient_stock', `a bumped hold's commit: ${JSON.stringify(b)}`);
  for (const s of releaseStatus) assert.ok(s === 200 || s === 409, `release answered ${s}`);
  for (const w of posAnswers) {
    assert.equal(w.status, 200, JSON.stringify(w.body));
    assert.deepEqual(w.body, { applied: 1, duplicates: 0, ignored: 0 });
  }

  // No oversell, across channels.
  assert.ok(committed + posSold <= STOCK, `sold ${committed} online + ${posSold} at the register > ${STOCK}: ${msg}`);
  assert.ok(committed >= 1 && posSold >= 1, `the race exercised both channels: ${msg}`);

  // The books balance: on hand = 5 − sales; the per-channel sale counts match what was acknowledged.
  const view = (await edge.admin('GET', `/admin/skus/${sku}`)).body;
  assert.equal(view.on_hand['main-st'], STOCK - committed - posSold, JSON.stringify(view.on_hand));
  assert.equal(view.returns?.web?.sold ?? 0, committed, 'web sales in the books = acknowledged commits');
  assert.equal(view.returns?.store?.sold ?? 0, posSold, 'store sales in the books = applied register sales');
  assert.equal(view.reserved, 0, 'no hold left: each was committed, released or bumped');
  for (const [c, a] of Object.entries(view.available)) assert.ok(a >= 0, `available on ${c} is ${a}`);
  const left = STOCK - committed - posSold;
  assert.equal(view.available.web, left);
  assert.equal(view.available.store, left);
  // Every ledger entry adds up to what is on hand.
  assert.ok(view.ledger_entries <= view.ledger.length, 'the whole ledger is in view');
  const sum = view.ledger.filter((e) => e.location === 'main-st').reduce((s, e) => s + e.quantity, 0);
  assert.equal(sum, view.on_hand['main-st'], 'the ledger sums to on hand');
  for (const e of view.ledger) assert.ok(e.on_hand_after >= 0, `on hand went below 0: ${JSON.stringify(e)}`);
  const pub = await edge.availability(sku, 'web');
  assert.equal(pub.available, left);
});
