// Oversell incidents and reorder advice against the real local edge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startEdge, basicCatalog, skuWithStock, uid, eventually, catalogCaughtUp, freePort, verifyLastunit } from '../harness.mjs';
import { gate } from '../reliability/lib.mjs';

let edge, hook, hookUrl;
const received = []; // {body, signature}

before(async () => {
  const port = await freePort();
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ body: JSON.parse(body), raw: body, signature: req.headers['x-lastunit-signature'] });
      res.writeHead(200).end();
    });
  });
  await new Promise((r) => hook.listen(port, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${port}`;
  edge = await startEdge();
  await basicCatalog(edge);
});
after(async () => {
  await edge?.stop();
  hook?.close();
});

async function onlineOrder(sku, orderId) {
  const r = await edge.storefront('POST', '/v1/reservations', { cart_id: uid('c'), channel: 'web', ttl_seconds: 600, lines: [{ sku, quantity: 1 }] });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const c = await edge.checkout('POST', `/v1/reservations/${r.body.reservation_id}/commit`, { order_id: orderId });
  assert.equal(c.status, 200, JSON.stringify(c.body));
}

test('a register sale of units sold online opens an incident naming the orders, newest first; close removes it', async () => {
  const sku = uid('I');
  await skuWithStock(edge, sku, { 'main-st': 2 });
  await onlineOrder(sku, 'o-1');
  await onlineOrder(sku, 'o-2');
  const sale = await edge.admin('POST', '/admin/events', { event_id: uid('reg'), type: 'sale', sku, location: 'main-st', channel: 'store', quantity: 2 });
  assert.equal(sale.status, 200, JSON.stringify(sale.body));
  const incident = await eventually(async () => {
    const r = await edge.admin('GET', '/admin/incidents');
    assert.equal(r.status, 200);
    const mine = r.body.incidents.filter((i) => i.sku === sku);
    assert.equal(mine.length, 1, JSON.stringify(r.body));
    return mine[0];
  }, { what: 'the incident in the catalog' });
  assert.equal(incident.location, 'main-st');
  assert.equal(incident.short, 2);
  assert.deepEqual(incident.orders.map((o) => o.order_id), ['o-2', 'o-1']);
  assert.equal(incident.cause, 'pos_sale_on_online_orders');
  assert.equal(incident.fillable, false);
  assert.ok(Date.parse(incident.detected_at) > 0);

  const close = await edge.admin('POST', `/admin/incidents/${encodeURIComponent(incident.id)}/close`);
  assert.equal(close.status, 200, JSON.stringify(close.body));
  assert.ok(close.body.closed_at);
  const again = await edge.admin('POST', `/admin/incidents/${encodeURIComponent(incident.id)}/close`);
  assert.equal(again.status, 404);
  assert.equal(again.body.error, 'unknown_incident');
  assert.equal((await edge.admin('POST', '/admin/incidents/nonsense/close')).status, 404);
  await eventually(async () => {
    const r = await edge.admin('GET', '/admin/incidents');
    assert.equal(r.body.incidents.filter((i) => i.sku === sku).length, 0);
  }, { what: 'the closed incident to leave the list' });
});

test('a subscriber with "alerts": true receives each incident, signed; one without does not', async () => {
  const put = await edge.admin('PUT', '/admin/subscribers/ops', { url: `${hookUrl}/alerts`, secret: 'ops-secret', channel: 'web', alerts: true });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal(put.body.alerts, true);
  assert.equal((await edge.admin('PUT', '/admin/subscribers/feed', { url: `${hookUrl}/feed`, secret: 's', channel: 'marketplace' })).body.alerts, false);
  const sku = uid('A');
  await skuWithStock(edge, sku, { 'main-st': 1 });
  await onlineOrder(sku, 'o-77');
  await edge.admin('POST', '/admin/events', { event_id: uid('reg'), type: 'sale', sku, location: 'main-st', channel: 'store', quantity: 1 });
  const alert = await eventually(() => {
    const a = received.find((r) => r.body.type === 'incident' && r.body.incident.sku === sku);
    assert.ok(a, 'an alert for the SKU');
    return a;
  }, { timeoutMs: 20000, what: 'the alert' });
  assert.ok(verifyLastunit('ops-secret', alert.raw, alert.signature), 'signed with the subscriber\'s secret');
  assert.deepEqual(alert.body.incident.orders.map((o) => o.order_id), ['o-77']);
  assert.equal(received.filter((r) => r.body.type === 'incident' && r.body.incident.sku === sku).length, 1, 'once');
  for (const name of ['ops', 'feed']) assert.equal((await edge.admin('DELETE', `/admin/subscribers/${name}`)).status, 200);
});

test('GET /admin/reorder: advice per SKU, incoming counted, bad terms refused', async () => {
  const sku = uid('O');
  await skuWithStock(edge, sku, { 'main-st': 40 });
  const events = [];
  for (let i = 0; i < 30; i++) events.push({ event_id: uid('s'), type: 'sale', sku, location: 'main-st', channel: 'store', quantity: 1 });
  assert.equal((await edge.admin('POST', '/admin/events', { events })).status, 200);
  await catalogCaughtUp(edge, [sku]);
  const r = await edge.admin('GET', '/admin/reorder?lead_days=3&cover_days=14');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.lead_days, 3);
  const a = r.body.skus.find((s) => s.sku === sku);
  assert.ok(a, JSON.stringify(r.body));
  assert.equal(a.on_hand, 10);
  assert.ok(a.reorder > 0 && a.reorder_point >= 10, JSON.stringify(a));
  assert.match(a.reasoning, /reorder point/);
  const po = await edge.admin('POST', '/admin/purchase-orders', { po_id: uid('po'), location: 'main-st', lines: [{ sku, quantity: 5000, expected_at: new Date(Date.now() + 86400000).toISOString() }] });
  assert.ok(po.status < 300, JSON.stringify(po.body));
  await eventually(async () => {
    const b = (await edge.admin('GET', '/admin/reorder')).body.skus.find((s) => s.sku === sku);
    assert.equal(b.incoming, 5000);
    assert.equal(b.reorder, 0, 'never reorders what is on the way');
  }, { what: 'the purchase order in the advice' });
  for (const q of ['lead_days=-1', 'cover_days=abc', 'lead_days=1000']) {
    const bad = await edge.admin('GET', `/admin/reorder?${q}`);
    assert.equal(bad.status, 422, q);
    assert.equal(bad.body.error, 'invalid_input');
  }
});

test('150 checkouts racing 4 register sales on 5 units: every unit counted once, and the incident names exactly the online orders the shelf can no longer cover, newest first', async () => {
  const sku = uid('R');
  await skuWithStock(edge, sku, { 'main-st': 5 });
  // The register's shoppers took their 4 units off the shelf before paying: the PoS reports the
  // sales while the checkouts are still committing. It starts once two online orders are in
  // (or once every checkout is done), so at least two online orders stand on those 5 units.
  let registerGo;
  const registerStarts = new Promise((resolve) => (registerGo = resolve));
  const committed = [];
  // Every checkout is live at once; their HTTP calls share 16 connections: wrangler's local
  // proxy drops requests (503 "Your worker restarted mid-request", docs/LIMITS.md) when many are
  // open on a loaded machine, 64 already on 2 shared cores.
  const shared = gate(16);
  const checkout = async (i) => {
    const r = await shared(() => edge.storefront('POST', '/v1/reservations', { cart_id: uid('c'), channel: 'web', ttl_seconds: 600, lines: [{ sku, quantity: 1 }] }));
    if (r.status === 409) return assert.equal(r.body.error, 'insufficient_stock', JSON.stringify(r.body));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const orderId = `${sku}-o${i}`;
    const c = await shared(() => edge.checkout('POST', `/v1/reservations/${r.body.reservation_id}/commit`, { order_id: orderId }));
    if (c.status === 200) {
      committed.push(orderId);
      if (committed.length === 2) registerGo();
      return;
    }
    // A register sale took the unit its hold stood on (nothing else of the channel was free).
    assert.equal(c.status, 409, JSON.stringify(c.body));
    assert.equal(c.body.error, 'insufficient_stock');
  };
  const register = async () => {
    await registerStarts;
    const sales = [0, 1, 2, 3].map((n) => ({ event_id: `${sku}-reg${n}`, type: 'sale', sku, location: 'main-st', channel: 'store', quantity: 1 }));
    // The first sale is delivered twice (a PoS retry racing its own first delivery).
    const answers = await Promise.all([...sales, sales[0]].map((s) => edge.webhook(s)));
    for (const a of answers) assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(answers.reduce((n, a) => n + a.body.applied, 0), 4, 'each register sale applied once');
    assert.equal(answers.reduce((n, a) => n + a.body.duplicates, 0), 1, 'the retry is a duplicate');
  };
  const checkouts = Promise.all(Array.from({ length: 150 }, (_, i) => checkout(i))).finally(() => registerGo());
  await Promise.all([checkouts, register()]);
  assert.ok(committed.length >= 2 && committed.length <= 5, `online orders: ${committed.length}`);

  // Every unit counted once: 5 units, less each online order and each register sale.
  const view = await edge.admin('GET', `/admin/skus/${sku}`);
  assert.equal(view.status, 200);
  const onHand = view.body.on_hand['main-st'];
  assert.equal(onHand, 5 - committed.length - 4, `on hand after ${committed.length} online orders and 4 register sales`);
  const sales = view.body.ledger.filter((e) => e.type === 'sale');
  const online = sales.filter((e) => e.channel === 'web').sort((a, b) => b.version - a.version);
  assert.deepEqual(online.map((e) => e.source.event_id).sort(), [...committed].sort(), 'one ledger sale per online order');
  assert.equal(sales.filter((e) => e.channel === 'store').length, 4, 'one ledger sale per register sale');
  for (const channel of ['web', 'store']) assert.equal((await edge.availability(sku, channel)).available, 0, channel);

  // Orders are picked oldest first, so the units short are the newest orders' units.
  const short = -onHand;
  assert.ok(short >= 1);
  const uncovered = online.slice(0, short).map((e) => e.source.event_id);
  const incident = await eventually(async () => {
    const r = await edge.admin('GET', '/admin/incidents');
    assert.equal(r.status, 200);
    const mine = r.body.incidents.filter((i) => i.sku === sku);
    assert.equal(mine.length, 1, JSON.stringify(mine));
    assert.equal(mine[0].short, short, JSON.stringify(mine[0]));
    return mine[0];
  }, { what: 'the incident with every register sale in it' });
  assert.equal(incident.location, 'main-st');
  assert.deepEqual(incident.orders.map((o) => o.order_id), uncovered, 'exactly the orders not covered, newest first');
  assert.ok(incident.orders.every((o) => o.channel === 'web' && o.units === 1), JSON.stringify(incident.orders));
  assert.equal(incident.cause, 'pos_sale_on_online_orders');
  assert.equal(incident.fillable, false, 'the warehouse has nothing to fill them from');
});
