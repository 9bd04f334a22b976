// Oversell incidents and reorder advice against the real local edge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startEdge, basicCatalog, skuWithStock, uid, eventually, catalogCaughtUp, freePort, verifyLastunit } from '../harness.mjs';

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
