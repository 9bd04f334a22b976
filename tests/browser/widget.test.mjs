// The storefront widget in a real headless Chromium against the real edge (wrangler dev):
// a shop page on ANOTHER origin includes /widget/lastunit.js from the edge, as a shop would.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, basicCatalog, freePort, skuWithStock, startEdge, uid, waitFor, sleep } from '../harness.mjs';
import { buttonDisabled, changes, launchBrowser, readWidget, recordChanges, requireWidgetBuild, startStatic } from './support.mjs';

const KEY = 'test-storefront-key';

/** The shop's product page: widget elements and buttons for `skus`, the widget from `edge`. */
function shopPage(edgeUrl, skus, { scriptAttrs = '', extra = '', key = KEY } = {}) {
  const items = skus
    .map((s) => `<li class="p"><h2>${s}</h2><div data-lastunit-sku="${s}" data-lastunit-channel="web"></div><button data-lastunit-add-to-cart="${s}">Add to cart</button></li>`)
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Test shop</title>
<script type="module" src="${edgeUrl}/widget/lastunit.js" ${key ? `data-lastunit-key="${key}"` : ''} ${scriptAttrs}></script></head>
<body><ul>${items}</ul>${extra}</body></html>`;
}

/** A category page's worth of SKUs: more than the widget opens sockets for (48). */
const CATEGORY = Array.from({ length: 60 }, (_, i) => `cat-${String(i).padStart(2, '0')}`);

const sale = (sku, location, quantity = 1, channel = 'store') => ({ event_id: uid('sale'), type: 'sale', sku, location, quantity, channel, occurred_at: new Date().toISOString() });

describe('storefront widget', () => {
  let edge, shop, browser, page;
  const pageErrors = [];
  const timings = {};

  before(async () => {
    requireWidgetBuild();
    const shopPort = await freePort();
    edge = await startEdge({ vars: { ALLOWED_ORIGINS: `http://127.0.0.1:${shopPort},https://shop.example`, STOREFRONT_KEY: KEY } });
    await basicCatalog(edge);
    await skuWithStock(edge, 'tee', { 'main-st': 5, warehouse: 5 }, { low_stock_threshold: 3 });
    await skuWithStock(edge, 'cap', { warehouse: 2 }, { low_stock_threshold: 3 });
    await skuWithStock(edge, 'mug', { 'main-st': 1 }, { low_stock_threshold: 3, buffer: { mode: 'fixed', units: 1 }, buffer_channels: ['web'] });
    await skuWithStock(edge, 'lamp', {}, { low_stock_threshold: 3 });
    await skuWithStock(edge, 'sock', { warehouse: 3 }, { low_stock_threshold: 1 });
    for (const sku of CATEGORY) {
      const r = await edge.admin('PUT', `/admin/skus/${sku}`, { title: sku, low_stock_threshold: 2, buffer: { mode: 'none' } });
      assert.ok(r.status < 300, JSON.stringify(r.body));
    }
    const counts = await edge.admin('POST', '/admin/events', { events: CATEGORY.map((sku, i) => ({ event_id: uid('count'), type: 'count', sku, location: 'warehouse', quantity: 3 + (i % 5) })) });
    assert.equal(counts.status, 200, JSON.stringify(counts.body));
    const skus = ['tee', 'cap', 'mug', 'lamp'];
    shop = await startStatic({
      port: shopPort,
      pages: {
        '/': shopPage(edge.url, skus),
        '/category': shopPage(edge.url, CATEGORY, { scriptAttrs: 'data-lastunit-poll-ms="500"' }),
        '/nokey': shopPage(edge.url, ['tee'], { key: null }),
        '/typo': shopPage(edge.url, ['tee', 'no-such-sku']),
        '/polling': shopPage(edge.url, ['sock'], { scriptAttrs: 'data-lastunit-poll-ms="400"' }),
        '/unreachable': (u) => shopPage(edge.url, ['tee'], { scriptAttrs: `data-lastunit-endpoint="http://127.0.0.1:${u.searchParams.get('port')}"` }),
        '/garbage': (u) => shopPage(edge.url, ['tee'], { scriptAttrs: `data-lastunit-endpoint="http://127.0.0.1:${u.port}/garbage"` }),
      },
    });
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
  });

  after(async () => {
    await browser?.close();
    await shop?.close();
    await edge?.stop();
    if (Object.keys(timings).length) {
      mkdirSync(join(ROOT, 'tests', '.tmp'), { recursive: true });
      writeFileSync(join(ROOT, 'tests', '.tmp', 'widget-latency.json'), JSON.stringify(timings, null, 2));
    }
  });

  test('loads cross-origin and shows the seeded stock, attributes matching GET /v1/availability', async () => {
    await page.goto(shop.url + '/');
    assert.notEqual(new URL(shop.url).origin, new URL(edge.url).origin);
    const skus = ['tee', 'cap', 'mug', 'lamp'];
    const known = ['in_stock', 'low_stock', 'out_of_stock'];
    await waitFor(async () => {
      for (const s of skus) if (!known.includes((await readWidget(page, s)).status)) return false;
      return true;
    }, { what: 'every widget to show stock' });
    const batch = (await edge.json('GET', `/v1/availability?skus=${skus.join(',')}&channel=web`)).body.items;
    for (const item of batch) {
      const w = await readWidget(page, item.sku);
      assert.equal(w.status, item.status, item.sku);
      assert.equal(w.available, item.available, item.sku);
      assert.equal(w.ariaLive, 'polite');
    }
    assert.deepEqual(await readWidget(page, 'tee').then((w) => [w.status, w.text]), ['in_stock', 'In stock']);
    assert.deepEqual(await readWidget(page, 'cap').then((w) => [w.status, w.text]), ['low_stock', 'Only 2 left']);
    assert.deepEqual(await readWidget(page, 'lamp').then((w) => [w.status, w.text]), ['out_of_stock', 'Out of stock']);
    const mug = await waitFor(async () => {
      const w = await readWidget(page, 'mug');
      return w.text === 'Out of stock online, 1 in store' && w;
    }, { what: 'the in-store count' });
    assert.equal(mug.status, 'out_of_stock');
    assert.ok(mug.inStoreOnly);
    assert.equal(await buttonDisabled(page, 'lamp'), true);
    assert.equal(await buttonDisabled(page, 'mug'), true);
    assert.equal(await buttonDisabled(page, 'tee'), false);
  });

  test('a signed PoS sale reaches the widget within milliseconds', async () => {
    await recordChanges(page);
    const samples = [];
    let expected = (await edge.availability('tee')).available;
    for (let i = 0; i < 5; i++) {
      const sent = Date.now();
      const r = await edge.webhook(sale('tee', 'main-st'));
      const answered = Date.now();
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.applied, 1);
      expected -= 1;
      const change = await waitFor(async () => (await changes(page)).find((c) => c.sku === 'tee' && c.attr === 'data-lastunit-available' && Number(c.available) === expected), { what: `tee to show ${expected}` });
      samples.push({ fromSend: change.at - sent, fromAnswer: change.at - answered });
      await sleep(100);
    }
    const w = await readWidget(page, 'tee');
    assert.equal(w.available, expected);
    const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    timings.webhook_200_to_dom_ms = samples.map((s) => s.fromAnswer);
    timings.webhook_send_to_dom_ms = samples.map((s) => s.fromSend);
    timings.median_200_to_dom_ms = median(samples.map((s) => s.fromAnswer));
    timings.median_send_to_dom_ms = median(samples.map((s) => s.fromSend));
    console.log('webhook → DOM (ms):', JSON.stringify(timings));
  });

  test('selling out disables the add-to-cart button; a return re-enables it', async () => {
    assert.equal(await buttonDisabled(page, 'cap'), false);
    const r = await edge.webhook({ events: [sale('cap', 'warehouse', 2)] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await waitFor(async () => (await readWidget(page, 'cap')).status === 'out_of_stock', { what: 'cap sold out' });
    assert.equal((await readWidget(page, 'cap')).text, 'Out of stock');
    assert.equal((await readWidget(page, 'cap')).available, 0);
    assert.equal(await buttonDisabled(page, 'cap'), true);
    const back = await edge.webhook({ event_id: uid('ret'), type: 'return', sku: 'cap', location: 'warehouse', quantity: 1, origin_channel: 'web', reason: 'wrong_size', restock: true, occurred_at: new Date().toISOString() });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    await waitFor(async () => (await readWidget(page, 'cap')).status === 'low_stock', { what: 'cap back' });
    assert.equal((await readWidget(page, 'cap')).text, 'Only 1 left');
    assert.equal(await buttonDisabled(page, 'cap'), false);
  });

  test('a hold shows a countdown, holds the unit, and expires on its own', async () => {
    const before = (await readWidget(page, 'tee')).available;
    const res = await page.evaluate(() => window.lastunit.reserve('tee', 1, { ttlSeconds: 4, cartId: 'c-test' }));
    assert.ok(res.reservation_id, JSON.stringify(res));
    const held = await waitFor(async () => {
      const w = await readWidget(page, 'tee');
      return w.hold && w.available === before - 1 && w;
    }, { what: 'the hold to show' });
    assert.match(held.hold, /^Held for you for 0:0[1-4]$/);
    assert.equal(await page.getAttribute('[data-lastunit-sku="tee"] [data-lastunit-part="hold"]', 'role'), 'timer');
    await waitFor(async () => (await readWidget(page, 'tee')).hold === null, { timeoutMs: 8000, what: 'the countdown to end' });
    await waitFor(async () => (await readWidget(page, 'tee')).available === before, { timeoutMs: 15000, what: 'the held unit to come back' });
  });

  test('release gives a hold back; a 409 says how many are left', async () => {
    const before = (await readWidget(page, 'tee')).available;
    const res = await page.evaluate(() => window.lastunit.reserve('tee', 2));
    await waitFor(async () => (await readWidget(page, 'tee')).hold?.startsWith('2 held for you for 9:'), { what: '2 held' });
    const released = await page.evaluate((id) => window.lastunit.release(id), res.reservation_id);
    assert.equal(released.status, 'released');
    await waitFor(async () => {
      const w = await readWidget(page, 'tee');
      return w.hold === null && w.available === before;
    }, { what: 'the release to show' });
    const refused = await page.evaluate(() => window.lastunit.reserve('cap', 3).then(() => null, (e) => ({ error: e.error, status: e.status, available: e.available })));
    assert.deepEqual(refused, { error: 'insufficient_stock', status: 409, available: 1 });
    await waitFor(async () => (await readWidget(page, 'cap')).notice?.startsWith('Only 1 left'), { what: 'the 409 notice' });
    const noKey = await page.evaluate(() => window.lastunit.reserve('tee', 0).then(() => null, (e) => e.error));
    assert.equal(noKey, 'invalid_quantity');
  });

  test('a hold and the cart id follow the shopper to the next page (same tab)', async () => {
    const cart1 = await page.evaluate(() => window.lastunit.reserve('tee', 1).then((r) => r));
    await waitFor(async () => (await readWidget(page, 'tee')).hold, { what: 'the hold' });
    await page.reload();
    const w = await waitFor(async () => {
      const w = await readWidget(page, 'tee');
      return w.hold && w.status === 'in_stock' && w;
    }, { what: 'the hold after a reload' });
    assert.match(w.hold, /^Held for you for (10:00|9:[0-5]\d)$/);
    const cart2 = await page.evaluate(() => window.lastunit.reserve('tee', 1).then((r) => r));
    assert.equal(cart2.cart_id, cart1.cart_id);
    await waitFor(async () => (await readWidget(page, 'tee')).hold?.startsWith('2 held'), { what: 'both holds' });
    for (const r of [cart1, cart2]) await page.evaluate((id) => window.lastunit.release(id), r.reservation_id);
    await waitFor(async () => (await readWidget(page, 'tee')).hold === null, { what: 'both released' });
    await page.reload();
    await waitFor(async () => (await readWidget(page, 'tee')).status === 'in_stock', { what: 'reloaded' });
    await sleep(300);
    assert.equal((await readWidget(page, 'tee')).hold, null);
  });

  test('the storefront key: from lastunit.configure when the script tag has none', async () => {
    const p = await browser.newPage();
    await p.goto(shop.url + '/nokey');
    assert.deepEqual(await p.evaluate(() => window.lastunit.reserve('tee', 1).then(() => null, (e) => ({ error: e.error, status: e.status }))), { error: 'no_storefront_key', status: 0 });
    await p.evaluate(() => window.lastunit.configure({ key: 'wrong-key' }));
    assert.deepEqual(await p.evaluate(() => window.lastunit.reserve('tee', 1).then(() => null, (e) => ({ error: e.error, status: e.status }))), { error: 'unauthorized', status: 401 });
    await p.evaluate((key) => window.lastunit.configure({ key, cartId: 'c-configured' }), KEY);
    const r = await p.evaluate(() => window.lastunit.reserve('tee', 1, { ttlSeconds: 30 }));
    assert.equal(r.cart_id, 'c-configured');
    assert.equal((await p.evaluate((id) => window.lastunit.release(id), r.reservation_id)).status, 'released');
    await p.close();
  });

  test('elements added later are found and kept live', async () => {
    await page.evaluate(() => {
      window.__events = [];
      document.addEventListener('lastunit:availability', (e) => window.__events.push(e.detail));
    });
    await page.evaluate(() => {
      const el = document.createElement('div');
      el.setAttribute('data-lastunit-sku', 'lamp');
      el.id = 'late';
      document.body.append(el);
    });
    await waitFor(async () => (await page.evaluate(() => document.getElementById('late').getAttribute('data-lastunit-status'))) === 'out_of_stock', { what: 'the late element' });
    const events = await page.evaluate(() => window.__events);
    assert.deepEqual(events.at(-1), { sku: 'lamp', channel: 'web', status: 'out_of_stock', available: 0 });
  });

  test('recovers after the edge restarts, showing "Checking stock…" while it is gone', async () => {
    await recordChanges(page);
    await edge.halt();
    await waitFor(async () => (await readWidget(page, 'tee')).status === 'unknown', { timeoutMs: 8000, what: 'the neutral state' });
    const down = await readWidget(page, 'tee');
    assert.equal(down.text, 'Checking stock…');
    assert.equal(down.available, null);
    await edge.start();
    await waitFor(async () => (await readWidget(page, 'tee')).status === 'in_stock', { timeoutMs: 30000, what: 'the widget to come back' });
    const expected = (await edge.availability('tee')).available - 1;
    assert.equal((await edge.webhook(sale('tee', 'warehouse'))).status, 200);
    await waitFor(async () => (await readWidget(page, 'tee')).available === expected, { timeoutMs: 15000, what: 'live updates after the restart' });
    // Never a stale "in stock" while the edge was down.
    const seen = await changes(page);
    const wentUnknown = seen.findIndex((c) => c.sku === 'tee' && c.status === 'unknown');
    assert.ok(wentUnknown >= 0);
  });

  test('polls when WebSockets are unavailable', async () => {
    const p = await browser.newPage();
    p.on('pageerror', (e) => pageErrors.push(String(e)));
    await p.addInitScript(() => { delete window.WebSocket; window.WebSocket = undefined; });
    await p.goto(shop.url + '/polling');
    await waitFor(async () => (await readWidget(p, 'sock')).status === 'in_stock', { what: 'polled stock' });
    assert.equal((await readWidget(p, 'sock')).available, 3);
    assert.equal((await edge.webhook(sale('sock', 'warehouse', 2))).status, 200);
    await waitFor(async () => (await readWidget(p, 'sock')).text === 'Only 1 left', { timeoutMs: 5000, what: 'the polled change' });
    await p.close();
  });

  test('an unreachable edge or one answering garbage leaves a neutral state, never a crash', async () => {
    const deadPort = await freePort();
    for (const path of [`/unreachable?port=${deadPort}`, '/garbage']) {
      const p = await browser.newPage();
      const errors = [];
      p.on('pageerror', (e) => errors.push(String(e)));
      await p.goto(shop.url + path);
      await sleep(2500);
      const w = await readWidget(p, 'tee');
      assert.equal(w.status, 'unknown', path);
      assert.equal(w.text, 'Checking stock…', path);
      assert.equal(await buttonDisabled(p, 'tee'), false, path);
      assert.deepEqual(errors, [], path);
      await p.close();
    }
  });

  test('a SKU the edge does not know says so once, and stops reconnecting', async () => {
    const p = await browser.newPage();
    const sockets = [];
    p.on('websocket', (ws) => sockets.push(ws.url()));
    await p.goto(shop.url + '/typo');
    await waitFor(async () => (await readWidget(p, 'no-such-sku'))?.text === 'Not available online', { what: 'the unknown SKU message' });
    assert.equal(await p.getAttribute('[data-lastunit-sku="no-such-sku"]', 'data-lastunit-error'), 'unknown_sku');
    assert.equal((await readWidget(p, 'no-such-sku')).status, 'unknown');
    await sleep(3000);
    assert.equal(sockets.filter((u) => u.includes('no-such-sku')).length, 1, JSON.stringify(sockets));
    assert.equal((await readWidget(p, 'tee')).status, 'in_stock');
    await p.close();
  });

  test('a category page of 60 products: 48 sockets, the rest polled in batches', async () => {
    const p = await browser.newPage();
    const sockets = [];
    p.on('websocket', (ws) => sockets.push(ws.url()));
    const polls = [];
    p.on('request', (r) => r.url().includes('/v1/availability?skus=') && polls.push(r.url()));
    await p.goto(shop.url + '/category');
    const truth = (await edge.json('GET', `/v1/availability?skus=${CATEGORY.join(',')}&channel=web`)).body.items;
    await waitFor(async () => {
      for (const a of truth) if ((await readWidget(p, a.sku)).available !== a.available) return false;
      return true;
    }, { what: 'all 60 products' });
    assert.equal(new Set(sockets).size, 48);
    assert.ok(polls.length >= 1);
    assert.ok(polls.every((u) => u.split('skus=')[1].split('&')[0].split(',').length === 12), polls[0]);
    const last = CATEGORY.at(-1);
    const before = (await readWidget(p, last)).available;
    assert.equal((await edge.webhook(sale(last, 'warehouse'))).status, 200);
    await waitFor(async () => (await readWidget(p, last)).available === before - 1, { timeoutMs: 5000, what: 'the polled product to change' });
    await p.close();
  });

  test('no uncaught errors in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
