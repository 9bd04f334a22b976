// Delivery chaos: PoS systems retry and reorder. The same deliveries (Shopify absolute counts
// with rising updated_at, Square inventory.count.updated, generic events), each repeated 1 to 8
// times, shuffled and sent 8 at a time to one edge, must leave exactly the state that one
// ordered delivery of each leaves on a second, fresh edge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEdge, uid, signLastunit } from '../harness.mjs';
import { rng, wholeState, shopifyDelivery, squareDelivery, send, pool, tally } from './lib.mjs';

let chaos;
let ordered;
before(async () => {
  [chaos, ordered] = await Promise.all([startEdge(), startEdge()]);
});
after(async () => Promise.all([chaos?.stop(), ordered?.stop()]));

const SHOP_MAIN = 655441491;
const SHOP_ANNEX = 655441492;

async function catalog(edge, skus) {
  const ok = (r) => assert.ok(r.status < 300, JSON.stringify(r.body));
  ok(await edge.admin('PUT', '/admin/locations/main-st', { name: 'Main St', pos_refs: { shopify: String(SHOP_MAIN), square: 'L9XZ3' } }));
  ok(await edge.admin('PUT', '/admin/locations/annex', { name: 'Annex', pos_refs: { shopify: String(SHOP_ANNEX), square: 'LANNEX' } }));
  ok(await edge.admin('PUT', '/admin/locations/warehouse', { name: 'Warehouse' }));
  ok(await edge.admin('PUT', '/admin/channels/store', { locations: ['main-st', 'annex'] }));
  ok(await edge.admin('PUT', '/admin/channels/web', { locations: ['warehouse', 'main-st', 'annex'] }));
  ok(await edge.admin('PUT', '/admin/channels/marketplace', { locations: ['warehouse'] }));
  for (const [sku, refs] of Object.entries(skus)) {
    ok(await edge.admin('PUT', `/admin/skus/${sku}`, { title: sku, low_stock_threshold: 3, buffer: { mode: 'fixed', units: 1 }, pos_refs: refs }));
  }
}

/** Builds the deliveries: each is a function of the target edge's secrets giving {route, raw, headers}. */
function deliveries(r, skus) {
  const [A, B, C] = skus;
  const itemA = 808950810 + r.int(1, 1000);
  const itemB = itemA + 1;
  const sqA = `SQA${r.int(100000, 999999)}`;
  const base = Date.now() - 20 * 60 * 1000;
  const at = (s) => new Date(base + s * 1000).toISOString();
  const list = [];
  // Shopify: absolute counts for A at main-st and B at both locations, updated_at rising.
  for (let i = 0; i < 6; i++) {
    list.push({ kind: 'shopify', args: { item: itemA, location: SHOP_MAIN, available: r.int(0, 30), updatedAt: at(10 * i + 1), eventId: uid('shp') } });
    list.push({ kind: 'shopify', args: { item: itemB, location: SHOP_MAIN, available: r.int(0, 9), updatedAt: at(10 * i + 2), eventId: uid('shp') } });
    list.push({ kind: 'shopify', args: { item: itemB, location: SHOP_ANNEX, available: r.int(0, 9), updatedAt: at(10 * i + 3), eventId: uid('shp') } });
  }
  // Square: counts for A at the annex; a notice may carry other states (ignored).
  for (let i = 0; i < 5; i++) {
    const counts = [{ calculated_at: at(10 * i + 4), catalog_object_id: sqA, catalog_object_type: 'ITEM_VARIATION', location_id: 'LANNEX', quantity: String(r.int(0, 12)), state: 'IN_STOCK' }];
    if (i % 2) counts.push({ calculated_at: at(10 * i + 4), catalog_object_id: sqA, catalog_object_type: 'ITEM_VARIATION', location_id: 'LANNEX', quantity: '1', state: 'SOLD' });
    list.push({ kind: 'square', args: { counts, eventId: uid('sqe') } });
  }
  // Generic events at the warehouse (where no PoS counts): every kind of movement.
  let t = 100;
  const gen = (ev) => list.push({ kind: 'lastunit', ev: { event_id: uid('gen'), location: 'warehouse', occurred_at: at(t++), ...ev } });
  for (const sku of [A, C]) {
    gen({ type: 'receive', sku, quantity: 40 });
    gen({ type: 'sale', sku, quantity: 2, channel: 'web' });
    gen({ type: 'sale', sku, quantity: 1, channel: 'marketplace' });
    gen({ type: 'return', sku, quantity: 1, channel: 'web', origin_channel: 'web', reason: 'too_small', restock: true });
    gen({ type: 'return', sku, quantity: 1, channel: 'web', origin_channel: 'marketplace', reason: 'damaged', restock: false });
    gen({ type: 'adjust', sku, quantity: -3, reason: 'found damaged' });
    gen({ type: 'waste', sku, quantity: 1, reason: 'expired' });
    gen({ type: 'transfer', sku, quantity: 2, to_location: 'main-st' });
  }
  // A batch of two generic events in one delivery.
  list.push({ kind: 'lastunit', batch: [
    { event_id: uid('gen'), type: 'sale', sku: C, location: 'warehouse', quantity: 1, channel: 'web', occurred_at: at(t++) },
    { event_id: uid('gen'), type: 'adjust', sku: C, location: 'warehouse', quantity: 2, reason: 'recount', occurred_at: at(t++) },
  ] });
  return { list, refs: { [A]: { shopify: String(itemA), square: sqA }, [B]: { shopify: String(itemB) }, [C]: {} } };
}

function render(edge, d) {
  const v = edge.vars;
  if (d.kind === 'shopify') return shopifyDelivery(v.SHOPIFY_WEBHOOK_SECRET, d.args);
  if (d.kind === 'square') return squareDelivery(v.SQUARE_SIGNATURE_KEY, v.SQUARE_NOTIFICATION_URL, d.args);
  const raw = JSON.stringify(d.batch ? { events: d.batch } : d.ev);
  // Signed when sent: the signature carries the time, the event ids stay the same.
  return { route: '/webhooks/lastunit', raw, sign: true, headers: { 'content-type': 'application/json' } };
}

async function deliver(edge, prepared) {
  const headers = prepared.sign ? { ...prepared.headers, 'x-lastunit-signature': signLastunit(edge.vars.LASTUNIT_WEBHOOK_SECRET, prepared.raw) } : prepared.headers;
  return send(edge, { ...prepared, headers });
}

test('every delivery repeated up to 8 times and shuffled ends in the state of one ordered delivery', async () => {
  const r = rng();
  const skus = [uid('CHA'), uid('CHB'), uid('CHC')];
  const { list, refs } = deliveries(r, skus);
  await Promise.all([catalog(chaos, refs), catalog(ordered, refs)]);

  // Ordered: one delivery of each, in order, on the fresh edge.
  for (const d of list) {
    const res = await deliver(ordered, render(ordered, d));
    assert.equal(res.status, 200, `${d.kind}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.duplicates, 0);
  }

  // Chaos: 1..8 copies of each, shuffled, 8 in flight at once.
  const copies = [];
  list.forEach((d, i) => {
    const prepared = render(chaos, d);
    for (let k = r.int(1, 8); k > 0; k--) copies.push({ i, prepared });
  });
  const shuffled = r.shuffle(copies);
  const answers = await pool(shuffled.length, 8, async (j) => deliver(chaos, shuffled[j].prepared));
  const statuses = tally(answers.map((a) => a.status));
  assert.deepEqual(statuses, { 200: shuffled.length }, `seed ${r.seed}: ${JSON.stringify(answers.find((a) => a.status !== 200))}`);
  // Each delivery's events applied at most once across all its copies.
  const perDelivery = new Map();
  answers.forEach((a, j) => {
    const i = shuffled[j].i;
    const p = perDelivery.get(i) ?? { applied: 0, copies: 0 };
    p.applied += a.body.applied;
    p.copies++;
    perDelivery.set(i, p);
  });
  for (const [i, p] of perDelivery) {
    const events = list[i].batch ? list[i].batch.length : 1;
    assert.ok(p.applied <= events, `delivery ${i} (${list[i].kind}) applied ${p.applied} times over ${p.copies} copies`);
  }
  for (const a of answers) assert.ok(a.body.applied + a.body.duplicates + a.body.ignored >= 1, `every copy is accounted for: ${JSON.stringify(a.body)}`);
  const dupes = answers.reduce((s, a) => s + a.body.duplicates, 0);
  assert.ok(dupes > 0, 'repeats were recognised as duplicates');

  const a = await wholeState(chaos, skus);
  const b = await wholeState(ordered, skus);
  for (const s of skus) {
    delete a[s].stock.ledger_entries; // stale counts leave no ledger entry: fewer in the shuffled run
    delete b[s].stock.ledger_entries;
  }
  assert.deepEqual(a, b, `seed ${r.seed}: shuffled and repeated deliveries must end where one ordered delivery ends`);
  assert.ok(b[skus[0]].stock.on_hand['main-st'] >= 0 && b[skus[2]].stock.on_hand.warehouse > 0, 'the deliveries did something');
});

// A movement that happened before an absolute count but is delivered after it: the count
// already includes it, so delivering it late must not take the unit off a second time.
// (Found by this suite; the engine fixed it in ff61719.)
test('a sale delivered after a later absolute count of its location is not counted twice', async () => {
  const base = Date.now() - 10 * 60 * 1000;
  const at = (s) => new Date(base + s * 1000).toISOString();
  const results = {};
  for (const [edge, order] of [[ordered, 'ordered'], [chaos, 'late']]) {
    const sku = uid('MIX');
    assert.equal((await edge.admin('PUT', `/admin/skus/${sku}`, { title: sku, buffer: { mode: 'none' } })).status, 200);
    const first = { event_id: uid('c'), type: 'count', sku, location: 'main-st', quantity: 5, occurred_at: at(0) };
    const sale = { event_id: uid('s'), type: 'sale', sku, location: 'main-st', quantity: 1, channel: 'store', occurred_at: at(10) };
    const recount = { event_id: uid('c'), type: 'count', sku, location: 'main-st', quantity: 4, occurred_at: at(20) }; // includes the sale
    for (const e of order === 'ordered' ? [first, sale, recount] : [first, recount, sale]) {
      const raw = JSON.stringify(e);
      const w = await send(edge, { route: '/webhooks/lastunit', raw, headers: { 'content-type': 'application/json', 'x-lastunit-signature': signLastunit(edge.vars.LASTUNIT_WEBHOOK_SECRET, raw) } });
      assert.equal(w.status, 200, JSON.stringify(w.body));
    }
    results[order] = (await edge.admin('GET', `/admin/skus/${sku}`)).body.on_hand['main-st'];
  }
  assert.deepEqual(results, { ordered: 4, late: 4 });
});
