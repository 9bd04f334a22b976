// Catalog, availability, auth and CORS against the real local edge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEdge, basicCatalog, skuWithStock, uid, waitFor } from '../harness.mjs';

let edge;
before(async () => {
  edge = await startEdge();
  await basicCatalog(edge);
});
after(async () => edge?.stop());

test('admin routes need the admin token: 401 without or wrong, 403 for another valid credential', async () => {
  for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: 'Basic abc' }]) {
    const r = await edge.json('GET', '/admin/skus', undefined, headers);
    assert.equal(r.status, 401);
    assert.equal(r.body.error, 'unauthorized');
  }
  for (const token of [edge.vars.STOREFRONT_KEY, edge.vars.CHECKOUT_TOKEN]) {
    const r = await edge.json('PUT', '/admin/locations/x', { name: 'x' }, { authorization: `Bearer ${token}` });
    assert.equal(r.status, 403);
    assert.equal(r.body.error, 'forbidden');
  }
  const r = await edge.admin('GET', '/admin/locations');
  assert.equal(r.status, 200);
  assert.ok(!JSON.stringify(r.body).includes(edge.vars.ADMIN_TOKEN));
});

test('locations and channels: PUT answers, unknown location refused, bad names refused', async () => {
  const loc = await edge.admin('PUT', '/admin/locations/popup', { name: 'Pop-up', pos_refs: { square: 'POP1' } });
  assert.equal(loc.status, 200);
  assert.equal(loc.body.location, 'popup');
  const bad = await edge.admin('PUT', '/admin/channels/outlet', { locations: ['nowhere'] });
  assert.equal(bad.status, 422);
  assert.equal(bad.body.error, 'unknown_location');
  const badName = await edge.admin('PUT', '/admin/channels/Web!', { locations: ['popup'] });
  assert.equal(badName.status, 422);
  assert.equal(badName.body.error, 'invalid_input');
  const unreadable = await edge.admin('PUT', '/admin/channels/outlet', '{not json');
  assert.equal(unreadable.status, 400);
  const ch = await edge.admin('PUT', '/admin/channels/outlet', { locations: ['popup'] });
  assert.equal(ch.status, 200);
  assert.deepEqual(ch.body.locations, ['popup']);
  const list = await edge.admin('GET', '/admin/channels');
  assert.deepEqual(list.body.outlet, ['popup']);
});

test('PUT /admin/skus registers; bad policies are 422 and change nothing', async () => {
  const sku = uid('S');
  const r = await edge.admin('PUT', `/admin/skus/${sku}`, {
    title: 'Linen shirt, M', low_stock_threshold: 3, max_per_cart: 5,
    buffer: { mode: 'fixed', units: 2 }, buffer_channels: ['web', 'marketplace'], allocation: null,
    pos_refs: { shopify: '1' },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.sku, sku);
  assert.equal(r.body.buffer, 2);
  const bad = await edge.admin('PUT', `/admin/skus/${sku}`, { buffer: { mode: 'auto', min: 5, max: 1 } });
  assert.equal(bad.status, 422);
  const unknownField = await edge.admin('PUT', `/admin/skus/${sku}`, { colour: 'red' });
  assert.equal(unknownField.status, 400);
  const badSku = await edge.admin('PUT', `/admin/skus/${'x'.repeat(65)}`, {});
  assert.equal(badSku.status, 422);
  const view = await edge.admin('GET', `/admin/skus/${sku}`);
  assert.equal(view.body.buffer, 2, 'the refused PUT changed nothing');
  for (const k of ['on_hand', 'reserved', 'buffer', 'available', 'velocity_per_day', 'days_of_supply', 'incoming', 'returns', 'ledger']) {
    assert.ok(k in view.body, `GET /admin/skus/{sku} has ${k}`);
  }
  assert.equal((await edge.admin('GET', '/admin/skus/no-such-sku')).status, 404);
  assert.equal(view.body.title, 'Linen shirt, M');
});

test('an automatic buffer may name the store\'s hours: kept as sent, bad hours 422 and nothing changed', async () => {
  const sku = uid('H');
  const buffer = { mode: 'auto', min: 1, max: 6, store_hours: '09:00-19:00' };
  const r = await edge.admin('PUT', `/admin/skus/${sku}`, { title: sku, buffer });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  for (const hours of ['9 to 7', '09:00-09:00', '25:00-26:00']) {
    const bad = await edge.admin('PUT', `/admin/skus/${sku}`, { title: sku, buffer: { ...buffer, store_hours: hours } });
    assert.equal(bad.status, 422, hours);
    assert.equal(bad.body.error, 'invalid_input');
  }
  const view = await edge.admin('GET', `/admin/skus/${sku}`);
  assert.deepEqual(view.body.buffer_policy, buffer, 'the refused PUTs changed nothing');
  assert.equal(view.body.buffer, 1, 'nothing sold yet: min');
});

test('availability: contract fields, status, buffer, default channel, unknown SKU 404', async () => {
  const sku = uid('A');
  await skuWithStock(edge, sku, { 'main-st': 3, warehouse: 4 }, { buffer: { mode: 'fixed', units: 2 }, low_stock_threshold: 3 });
  const web = await edge.json('GET', `/v1/availability/${sku}`);
  assert.equal(web.status, 200);
  assert.match(web.headers.get('content-type'), /^application\/json; charset=utf-8/);
  assert.deepEqual(Object.keys(web.body).sort(), ['available', 'channel', 'in_store_only', 'sku', 'status', 'updated_at', 'version']);
  assert.equal(web.body.channel, 'web');
  assert.equal(web.body.available, 5); // 7 on hand less the buffer of 2
  assert.equal(web.body.status, 'in_stock');
  assert.match(web.body.updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  const store = await edge.availability(sku, 'store');
  assert.equal(store.available, 3); // the buffer does not apply to the store
  assert.equal(store.status, 'low_stock');
  const market = await edge.availability(sku, 'marketplace');
  assert.equal(market.available, 2);
  const unknown = await edge.json('GET', '/v1/availability/no-such-sku');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error, 'unknown_sku');
  const badChannel = await edge.json('GET', `/v1/availability/${sku}?channel=nope`);
  assert.equal(badChannel.status, 422);
  assert.equal(badChannel.body.error, 'unknown_channel');
});

test('in_store_only and out_of_stock', async () => {
  const sku = uid('M');
  await skuWithStock(edge, sku, { 'main-st': 1 }, { buffer: { mode: 'fixed', units: 1 } });
  const web = await edge.availability(sku, 'web');
  assert.equal(web.available, 0);
  assert.equal(web.status, 'out_of_stock');
  assert.equal(web.in_store_only, true);
  const store = await edge.availability(sku, 'store');
  assert.equal(store.available, 1);
  assert.equal(store.in_store_only, false);
});

test('batch availability: items in order, at most 100 SKUs', async () => {
  const a = uid('B');
  const b = uid('B');
  await skuWithStock(edge, a, { warehouse: 2 });
  await skuWithStock(edge, b, { warehouse: 9 });
  const r = await edge.json('GET', `/v1/availability?skus=${a},${b}&channel=marketplace`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.items.map((i) => [i.sku, i.channel, i.available]), [[a, 'marketplace', 2], [b, 'marketplace', 9]]);
  const tooMany = Array.from({ length: 101 }, (_, i) => `s${i}`).join(',');
  assert.equal((await edge.json('GET', `/v1/availability?skus=${tooMany}`)).status, 422);
  const withUnknown = await edge.json('GET', `/v1/availability?skus=${a},nope`);
  assert.equal(withUnknown.status, 200);
  assert.deepEqual(withUnknown.body.unknown, ['nope']);
});

test('admin events: every type, version rises, a batch with one bad event changes nothing', async () => {
  const sku = uid('E');
  await skuWithStock(edge, sku, { 'main-st': 10, warehouse: 10 });
  const v0 = (await edge.availability(sku)).version;
  const events = [
    { event_id: uid('e'), type: 'sale', sku, location: 'main-st', quantity: 2, channel: 'store' },
    { event_id: uid('e'), type: 'return', sku, location: 'main-st', quantity: 1, channel: 'store', origin_channel: 'web', reason: 'too small', restock: true },
    { event_id: uid('e'), type: 'receive', sku, location: 'warehouse', quantity: 5 },
    { event_id: uid('e'), type: 'adjust', sku, location: 'warehouse', quantity: -1, reason: 'damaged' },
    { event_id: uid('e'), type: 'transfer', sku, location: 'warehouse', to_location: 'main-st', quantity: 3 },
    { event_id: uid('e'), type: 'waste', sku, location: 'main-st', quantity: 1, reason: 'stain' },
  ];
  const r = await edge.admin('POST', '/admin/events', { events });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body, { applied: 6, duplicates: 0, ignored: 0 });
  const view = await edge.admin('GET', `/admin/skus/${sku}`);
  assert.deepEqual(view.body.on_hand, { 'main-st': 8, warehouse: 11 });
  assert.equal(view.body.in_transit[0].quantity, 3);
  assert.equal(view.body.returns.web.returned, 1);
  assert.equal(view.body.returns.web.reasons['too small'], 1);
  assert.ok(view.body.version > v0);
  assert.ok(view.body.ledger.length >= 6);

  const before = await edge.admin('GET', `/admin/skus/${sku}`);
  const mixed = await edge.admin('POST', '/admin/events', {
    events: [
      { event_id: uid('e'), type: 'sale', sku, location: 'main-st', quantity: 1 },
      { event_id: uid('e'), type: 'sale', sku, location: 'nowhere', quantity: 1 },
    ],
  });
  assert.equal(mixed.status, 422);
  assert.equal(mixed.body.error, 'unknown_location');
  const unknownSku = await edge.admin('POST', '/admin/events', {
    events: [
      { event_id: uid('e'), type: 'sale', sku, location: 'main-st', quantity: 1 },
      { event_id: uid('e'), type: 'sale', sku: 'ghost', location: 'main-st', quantity: 1 },
    ],
  });
  assert.equal(unknownSku.status, 404);
  assert.equal(unknownSku.body.error, 'unknown_sku');
  const invalid = await edge.admin('POST', '/admin/events', { event_id: 'x', type: 'steal', sku, location: 'main-st', quantity: 1 });
  assert.equal(invalid.status, 422);
  const after = await edge.admin('GET', `/admin/skus/${sku}`);
  assert.deepEqual(after.body.on_hand, before.body.on_hand);
  assert.equal(after.body.version, before.body.version);
});

test('purchase orders show as incoming and a receive naming the po closes the line', async () => {
  const sku = uid('P');
  await skuWithStock(edge, sku, { warehouse: 1 });
  const expected = new Date(Date.now() + 3 * 86400000).toISOString();
  const po = await edge.admin('POST', '/admin/purchase-orders', { po_id: 'PO-17', location: 'warehouse', lines: [{ sku, quantity: 24, expected_at: expected }] });
  assert.equal(po.status, 201, JSON.stringify(po.body));
  let view = await edge.admin('GET', `/admin/skus/${sku}`);
  assert.equal(view.body.incoming.length, 1);
  assert.equal(view.body.incoming[0].quantity, 24);
  const unknown = await edge.admin('POST', '/admin/purchase-orders', { po_id: 'PO-18', location: 'warehouse', lines: [{ sku: 'ghost', quantity: 1, expected_at: expected }] });
  assert.equal(unknown.status, 404);
  const r = await edge.admin('POST', '/admin/events', { event_id: uid('r'), type: 'receive', sku, location: 'warehouse', quantity: 24, po_id: 'PO-17' });
  assert.equal(r.status, 200);
  view = await edge.admin('GET', `/admin/skus/${sku}`);
  assert.equal(view.body.incoming.length, 0);
  assert.equal(view.body.on_hand.warehouse, 25);
});

test('dashboard rows and questions come from the summaries the SKU objects push', async () => {
  const sku = uid('D');
  await skuWithStock(edge, sku, { warehouse: 2 });
  const past = (d) => new Date(Date.now() - d * 86400000).toISOString();
  await edge.admin('POST', '/admin/events', {
    events: [1, 2, 3].map((d) => ({ event_id: uid('s'), type: 'sale', sku, location: 'warehouse', channel: 'web', quantity: 1, occurred_at: past(d) })),
  });
  const row = await waitFor(async () => {
    const r = await edge.admin('GET', '/admin/dashboard?horizon_days=7&channel=web');
    assert.equal(r.status, 200);
    return r.body.rows.find((x) => x.sku === sku && x.velocity_per_day.web > 0);
  }, { what: 'the dashboard row' });
  for (const k of ['available', 'velocity_per_day', 'days_of_supply', 'incoming', 'stockout_risk', 'projected_stockout_at']) assert.ok(k in row, k);
  assert.equal(row.stockout_risk, 'at_risk');
  const rows = (await edge.admin('GET', '/admin/dashboard?horizon_days=7&channel=web')).body.rows;
  const firstOk = rows.findIndex((r) => r.stockout_risk === 'ok');
  const lastRisk = rows.map((r) => r.stockout_risk).lastIndexOf('at_risk');
  assert.ok(firstOk === -1 || lastRisk < firstOk, 'riskiest first');
  const ask = await edge.admin('GET', '/admin/ask?q=which+products+are+at+risk+of+online+stockout+this+week');
  assert.equal(ask.status, 200);
  assert.equal(ask.body.question, 'which products are at risk of online stockout this week');
  assert.equal(typeof ask.body.answer, 'string');
  assert.ok(ask.body.skus.includes(sku), JSON.stringify(ask.body));
  assert.equal((await edge.admin('GET', '/admin/dashboard?channel=nope')).status, 422);
});

test('CORS: allowed origins only, preflight with Authorization and Idempotency-Key; widget files for any origin', async () => {
  const allowed = edge.vars.ALLOWED_ORIGINS.split(',')[0];
  const ok = await edge.fetch('/v1/health', { headers: { origin: allowed } });
  assert.equal(ok.headers.get('access-control-allow-origin'), allowed);
  const other = await edge.fetch('/v1/health', { headers: { origin: 'https://evil.example' } });
  assert.equal(other.headers.get('access-control-allow-origin'), null);
  const pre = await edge.fetch('/v1/reservations', {
    method: 'OPTIONS',
    headers: { origin: allowed, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,idempotency-key,content-type' },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), allowed);
  const allowHeaders = pre.headers.get('access-control-allow-headers').toLowerCase();
  for (const h of ['authorization', 'idempotency-key', 'content-type']) assert.ok(allowHeaders.includes(h), h);
  assert.ok(pre.headers.get('access-control-allow-methods').includes('DELETE'));
  const preEvil = await edge.fetch('/v1/reservations', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
  assert.equal(preEvil.headers.get('access-control-allow-origin'), null);
  const widget = await edge.fetch('/widget/lastunit.js', { headers: { origin: 'https://any.example' } });
  await widget.arrayBuffer();
  assert.equal(widget.headers.get('access-control-allow-origin'), '*');
});

test('unknown routes are 404 JSON', async () => {
  const r = await edge.json('GET', '/v1/nothing');
  assert.equal(r.status, 404);
  assert.equal(r.body.error, 'not_found');
});

test('a new channel reaches every SKU object, also past the first fan-out batch (catalog alarm)', async () => {
  const prefix = uid('F');
  const skus = Array.from({ length: 230 }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
  for (let i = 0; i < skus.length; i += 25) {
    await Promise.all(skus.slice(i, i + 25).map((s) => edge.admin('PUT', `/admin/skus/${s}`, { title: s })));
  }
  const loc = uid('loc').toLowerCase();
  const channel = uid('ch').toLowerCase();
  assert.equal((await edge.admin('PUT', `/admin/locations/${loc}`, { name: 'Far' })).status, 200);
  assert.equal((await edge.admin('PUT', `/admin/channels/${channel}`, { locations: [loc, 'warehouse'] })).status, 200);
  for (const s of [skus[0], skus[skus.length - 1]]) {
    await waitFor(async () => (await edge.json('GET', `/v1/availability/${s}?channel=${channel}`)).status === 200, { what: `${channel} at ${s}`, timeoutMs: 30000 });
  }
});

test('one PoS id maps to one SKU and one location', async () => {
  const a = uid('R');
  const b = uid('R');
  const ref = uid('ref');
  assert.equal((await edge.admin('PUT', `/admin/skus/${a}`, { title: a, pos_refs: { square: ref } })).status, 200);
  assert.equal((await edge.admin('PUT', `/admin/skus/${a}`, { title: 'again', pos_refs: { square: ref } })).status, 200, 'its own id again');
  const taken = await edge.admin('PUT', `/admin/skus/${b}`, { title: b, pos_refs: { square: ref } });
  assert.equal(taken.status, 422);
  assert.equal(taken.body.error, 'invalid_input');
  assert.equal((await edge.json('GET', `/v1/availability/${b}`)).status, 404, 'the refused SKU was not created');
  const loc = await edge.admin('PUT', '/admin/locations/annex', { name: 'Annex', pos_refs: { square: 'L9XZ3' } });
  assert.equal(loc.status, 422, 'main-st already has that Square id');
});
