// Live WebSockets and pushes to connected channels.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import WebSocket from 'ws';
import { startEdge, basicCatalog, skuWithStock, uid, verifyLastunit, waitFor, freePort } from '../harness.mjs';

let edge;
let hook;
let hookUrl;
const received = []; // {body, signature, status}
let failNext = 0;

before(async () => {
  const port = await freePort();
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const status = failNext > 0 ? (failNext--, 503) : 200;
      received.push({ path: req.url, body, signature: req.headers['x-lastunit-signature'], status, at: Date.now() });
      res.writeHead(status).end();
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

function openLive(sku, channel) {
  const ws = new WebSocket(`${edge.url.replace('http', 'ws')}/v1/live/${sku}?channel=${channel}`);
  const messages = [];
  ws.on('message', (m) => messages.push(JSON.parse(m.toString())));
  return new Promise((res, rej) => {
    ws.once('open', () => res({ ws, messages }));
    ws.once('error', rej);
    ws.once('unexpected-response', (_req, r) => rej(new Error(`status ${r.statusCode}`)));
  });
}

test('a WebSocket gets the current availability, then a change caused by a webhook', async () => {
  const sku = uid('L');
  await skuWithStock(edge, sku, { 'main-st': 4 });
  const { ws, messages } = await openLive(sku, 'store');
  await waitFor(() => messages.length >= 1, { what: 'the first message' });
  assert.equal(messages[0].type, 'availability');
  assert.equal(messages[0].sku, sku);
  assert.equal(messages[0].channel, 'store');
  assert.equal(messages[0].available, 4);
  const r = await edge.webhook({ event_id: uid('e'), type: 'sale', sku, location: 'main-st', quantity: 3, channel: 'store' });
  assert.equal(r.status, 200);
  await waitFor(() => messages.some((m) => m.available === 1), { what: 'the change' });
  const change = messages.find((m) => m.available === 1);
  assert.equal(change.type, 'availability');
  assert.equal(change.status, 'low_stock');
  assert.ok(change.version > messages[0].version, 'version rises');
  ws.close();
});

test('live: unknown SKU and plain GET are refused', async () => {
  await assert.rejects(openLive('no-such-sku', 'web'), /404/);
  const plain = await edge.json('GET', '/v1/live/whatever');
  assert.ok(plain.status === 426 || plain.status === 404, String(plain.status));
});

test('a subscriber receives a signed push after a change, and a retry after a failing first attempt', async () => {
  const sku = uid('P');
  await skuWithStock(edge, sku, { warehouse: 5 });
  const put = await edge.admin('PUT', '/admin/subscribers/market', { url: `${hookUrl}/lastunit`, secret: 'sub-secret', channel: 'marketplace' });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.ok(!JSON.stringify(put.body).includes('sub-secret'), 'the secret is never echoed');
  assert.equal((await edge.admin('PUT', '/admin/subscribers/bad', { url: 'ftp://x', secret: 's', channel: 'marketplace' })).status, 422);
  assert.equal((await edge.admin('PUT', '/admin/subscribers/bad', { url: hookUrl, secret: 's', channel: 'nope' })).status, 422);

  failNext = 1; // the first delivery fails: it must be retried
  const start = received.length;
  await edge.admin('POST', '/admin/events', { event_id: uid('e'), type: 'sale', sku, location: 'warehouse', quantity: 2, channel: 'marketplace' });
  const delivered = await waitFor(
    () => received.slice(start).find((r) => r.status === 200 && JSON.parse(r.body).sku === sku && JSON.parse(r.body).available === 3),
    { what: 'a successful push', timeoutMs: 20000 },
  );
  const attempts = received.slice(start).filter((r) => JSON.parse(r.body).sku === sku);
  assert.ok(attempts.length >= 2, 'failed once, then retried');
  assert.equal(attempts[0].status, 503);
  assert.ok(verifyLastunit('sub-secret', delivered.body, delivered.signature), `signature ${delivered.signature}`);
  assert.ok(!verifyLastunit('other', delivered.body, delivered.signature));
  const body = JSON.parse(delivered.body);
  assert.equal(body.channel, 'marketplace');
  assert.equal(body.status, 'low_stock');
  assert.equal(body.available, 3);

  // The newest value supersedes: two quick changes end with the latest availability.
  await edge.admin('POST', '/admin/events', { event_id: uid('e'), type: 'sale', sku, location: 'warehouse', quantity: 1, channel: 'marketplace' });
  await edge.admin('POST', '/admin/events', { event_id: uid('e'), type: 'sale', sku, location: 'warehouse', quantity: 1, channel: 'marketplace' });
  await waitFor(() => received.some((r) => r.status === 200 && JSON.parse(r.body).sku === sku && JSON.parse(r.body).available === 1), { what: 'the newest value', timeoutMs: 20000 });

  // Listed without its secret; removed (an addition to the contract).
  const list = await edge.admin('GET', '/admin/subscribers');
  assert.deepEqual(list.body.subscribers.find((x) => x.name === 'market'), { name: 'market', url: `${hookUrl}/lastunit`, channel: 'marketplace', alerts: false });
  assert.equal((await edge.admin('DELETE', '/admin/subscribers/market')).status, 200);
  assert.equal((await edge.admin('DELETE', '/admin/subscribers/market')).status, 404);
});
