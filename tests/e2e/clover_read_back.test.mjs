// Clover's read-back against a local stand-in of its API: a count is stamped with the moment it
// was read (a movement applied between the notice and the read is counted once), and one notice
// reads back at most 10 items (the rest are counted as ignored, never a 502 Clover would retry).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startEdge, basicCatalog, skuWithStock, uid, freePort } from '../harness.mjs';

const MAX_READ_BACKS = 10;

let edge;
let clover;
/** "merchant/item" → quantity; items not named answer 3. */
const stock = {};
/** Runs before the stand-in answers a read of "merchant/item" (what happens meanwhile). */
const whileReading = {};
let reads = [];

before(async () => {
  const port = await freePort();
  clover = createServer(async (req, res) => {
    const m = /^\/v3\/merchants\/([^/]+)\/item_stocks\/([^/?]+)$/.exec(req.url);
    if (!m || req.headers.authorization !== 'Bearer test-clover-token') return res.writeHead(404).end('{}');
    const key = `${m[1]}/${m[2]}`;
    reads.push(key);
    await whileReading[key]?.();
    const quantity = stock[key] ?? 3;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ item: { id: m[2] }, quantity, stockCount: quantity }));
  });
  await new Promise((r) => clover.listen(port, '127.0.0.1', r));
  edge = await startEdge({ vars: { CLOVER_API_BASE: `http://127.0.0.1:${port}`, CLOVER_API_TOKEN: 'test-clover-token' } });
  await basicCatalog(edge);
});
after(async () => {
  await edge?.stop();
  clover?.close();
});

function notice(updates) {
  const raw = JSON.stringify({ appId: 'APP', merchants: { MID123: updates } });
  return edge.json('POST', '/webhooks/clover', raw, { 'x-clover-auth': edge.vars.CLOVER_AUTH_CODE });
}

async function onHand(sku) {
  return (await edge.admin('GET', `/admin/skus/${sku}`)).body.on_hand['main-st'];
}

test('a sale applied between the notice and the read is counted once', async () => {
  const sku = uid('clr');
  const item = `ITEM${sku.slice(-6).toUpperCase()}`;
  await skuWithStock(edge, sku, { 'main-st': 5 }, { pos_refs: { clover: item } });
  // Clover noticed a change a moment ago. Before its stock is read back, the register's sale
  // reaches the edge on the generic route; the stock Clover then reports already has it.
  const noticedAt = Date.now() - 1000;
  let meanwhile;
  whileReading[`MID123/${item}`] = async () => {
    const sale = { event_id: uid('sale'), type: 'sale', sku, location: 'main-st', quantity: 1, channel: 'store', occurred_at: new Date().toISOString() };
    meanwhile = await edge.webhook(sale);
  };
  stock[`MID123/${item}`] = 4;
  const r = await notice([{ objectId: `I:${item}`, type: 'UPDATE', ts: noticedAt }]);
  assert.deepEqual(meanwhile?.body, { applied: 1, duplicates: 0, ignored: 0 }, 'the sale applied during the read');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body, { applied: 1, duplicates: 0, ignored: 0 });
  assert.equal(await onHand(sku), 4, 'the sale is inside the count read after it, not taken off again');
  delete whileReading[`MID123/${item}`];
});

test(`one notice reads back at most ${MAX_READ_BACKS} items; the rest are ignored and counted, with a 200`, async () => {
  const sku = uid('clb');
  const item = `ITEM${sku.slice(-6).toUpperCase()}`;
  await skuWithStock(edge, sku, { 'main-st': 1 }, { pos_refs: { clover: item } });
  stock[`MID123/${item}`] = 6;
  const ts = Date.now();
  // The mapped item first, then 24 items no SKU maps, one of them named twice.
  const others = Array.from({ length: 24 }, (_, i) => ({ objectId: `I:OTHER${sku.slice(-6).toUpperCase()}${i}`, type: 'UPDATE', ts: ts + i }));
  const updates = [{ objectId: `I:${item}`, type: 'UPDATE', ts }, ...others, { ...others[0], ts: ts + 100 }];
  reads = [];
  const r = await notice(updates);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(reads.length, MAX_READ_BACKS, `read back ${reads.length} items`);
  assert.equal(new Set(reads).size, reads.length, 'each item read once');
  // 1 applied; ignored: 9 read but unmapped, 15 beyond the bound, 1 repeat.
  assert.deepEqual(r.body, { applied: 1, duplicates: 0, ignored: 9 + 15 + 1 });
  assert.equal(await onHand(sku), 6);
});
