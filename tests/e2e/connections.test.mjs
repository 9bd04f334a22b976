// Connected stores: the operator's configuration (PUT/GET /admin/connections) and the
// WooCommerce ids it relies on, against the real local edge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEdge, basicCatalog, uid } from '../harness.mjs';

let edge;
before(async () => {
  edge = await startEdge();
  await basicCatalog(edge);
});
after(async () => edge?.stop());

test('PUT /admin/connections/{provider} keeps each connection, and GET lists them with a status', async () => {
  const shopify = await edge.admin('PUT', '/admin/connections/shopify', { channel: 'web', location: 'main-st', write: true });
  assert.equal(shopify.status, 200, JSON.stringify(shopify.body));
  assert.deepEqual(shopify.body, { provider: 'shopify', channel: 'web', location: 'main-st', write: true, location_ref: '655441491' });
  const woo = await edge.admin('PUT', '/admin/connections/woocommerce', { channel: 'web', location: 'warehouse' });
  assert.equal(woo.status, 200, JSON.stringify(woo.body));
  assert.equal(woo.body.write, true, 'write defaults to true');
  const square = await edge.admin('PUT', '/admin/connections/square', { location: 'main-st' });
  assert.equal(square.status, 200, JSON.stringify(square.body));

  const list = await edge.admin('GET', '/admin/connections');
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.connections.map((c) => c.provider), ['shopify', 'woocommerce', 'square']);
  for (const c of list.body.connections) {
    assert.ok(['ok', 'retrying', 'failing'].includes(c.status), JSON.stringify(c));
    for (const field of ['last_write_at', 'pending_writes', 'last_error']) assert.ok(field in c, `${field} in ${JSON.stringify(c)}`);
  }
  // No credential of any store is ever shown.
  const text = JSON.stringify(list.body);
  for (const name of ['SHOPIFY_ADMIN_TOKEN', 'WOOCOMMERCE_CONSUMER_SECRET', 'WOOCOMMERCE_CONSUMER_KEY', 'SQUARE_ACCESS_TOKEN']) {
    if (edge.vars[name]) assert.ok(!text.includes(edge.vars[name]), name);
  }
});

test('a connection must name a known provider, channel and location, with the ids its writes need', async () => {
  const cases = [
    ['etsy', { channel: 'web', location: 'main-st' }, 422, 'invalid_input'],
    ['shopify', { channel: 'app', location: 'main-st' }, 422, 'unknown_channel'],
    ['shopify', { channel: 'web', location: 'depot' }, 422, 'unknown_location'],
    ['shopify', { location: 'main-st' }, 422, 'invalid_input'],
    // The warehouse has no Shopify location id: lastunit could not name it in a write.
    ['shopify', { channel: 'web', location: 'warehouse' }, 422, 'invalid_input'],
    ['shopify', { channel: 'web', location: 'main-st', token: 'shpat_secret' }, 400, 'bad_request'],
  ];
  const before = await edge.admin('GET', '/admin/connections');
  for (const [provider, body, status, code] of cases) {
    const r = await edge.admin('PUT', `/admin/connections/${provider}`, body);
    assert.equal(r.status, status, `${provider} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error, code);
    assert.ok(r.body.message, 'a sentence says why');
  }
  const after = await edge.admin('GET', '/admin/connections');
  assert.deepEqual(after.body, before.body, 'a refused connection changes nothing');
});

test('pos_refs take woocommerce ids: a product id or "parent/variation", nothing else', async () => {
  const ok = await edge.admin('PUT', `/admin/skus/${uid('W')}`, { title: 'Variation', pos_refs: { woocommerce: '812/815' } });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const simple = await edge.admin('PUT', `/admin/skus/${uid('W')}`, { title: 'Simple', pos_refs: { woocommerce: '901' } });
  assert.equal(simple.status, 200, JSON.stringify(simple.body));
  for (const bad of ['shirt-m', '812/', '0', '812/815/1']) {
    const r = await edge.admin('PUT', `/admin/skus/${uid('W')}`, { pos_refs: { woocommerce: bad } });
    assert.equal(r.status, 422, bad);
    assert.equal(r.body.field, 'pos_refs');
  }
  const taken = await edge.admin('PUT', `/admin/skus/${uid('W')}`, { pos_refs: { woocommerce: '901' } });
  assert.equal(taken.status, 422, 'one woocommerce id names one SKU');
});
