// The storefront widget in a real headless Chromium against the real edge (wrangler dev):
// a shop page on ANOTHER origin includes /widget/lastunit.js from the edge, as a shop would.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, basicCatalog, eventually, freePort, skuWithStock, startEdge, uid, waitFor } from '../harness.mjs';
import { changes, launchBrowser, readWidget, recordChanges, requireWidgetBuild, startStatic, widgetShows } from './support.mjs';

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
        '/typo': shopPage(edge.url, ['tee', 'no-such-sku'], { scriptAttrs: 'data-lastunit-poll-ms="1500"' }),
        '/polling': shopPage(edge.url, ['sock'], { scriptAttrs: 'data-lastunit-poll-ms="400"' }),
        '/unreachable': (u) => shopPage(edge.url, ['tee'], { scriptAttrs: `data-lastunit-endpoint="http://127.0.0.1:${u.searchParams.get('port')}" data-lastunit-poll-ms="500"` }),
        '/garbage': (u) => shopPage(edge.url, ['tee'], { scriptAttrs: `data-lastunit-endpoint="http://127.0.0.1:${u.port}/garbage" data-lastunit-poll-ms="500"` }),
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
    const batch = (await edge.json('GET', `/v1/availability?skus=${skus.join(',')}&channel=web`)).body.items;
    assert.deepEqual(batch.map((a) => [a.sku, a.status, a.in_store_only]), [['tee', 'in_stock', false], ['cap', 'low_stock', false], ['mug', 'out_of_stock', true], ['lamp', 'out_of_stock', false]]);
    const words = { tee: 'In stock', cap: 'Only 2 left', mug: 'Out of stock online, 1 in store', lamp: 'Out of stock' };
    for (const item of batch) {
      await widgetShows(page, item.sku, {
        status: item.status, available: item.available, inStoreOnly: item.in_store_only, text: words[item.sku],
        ariaLive: 'polite', buttonDisabled: item.status === 'out_of_stock',
      });
    }
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
    }
    await widgetShows(page, 'tee', { available: expected });
    const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    timings.webhook_200_to_dom_ms = samples.map((s) => s.fromAnswer);
    timings.webhook_send_to_dom_ms = samples.map((s) => s.fromSend);
    timings.median_200_to_dom_ms = median(samples.map((s) => s.fromAnswer));
    timings.median_send_to_dom_ms = median(samples.map((s) => s.fromSend));
    console.log('webhook → DOM (ms):', JSON.stringify(timings));
  });

  test('selling out disables the add-to-cart button; a return re-enables it', async () => {
    await widgetShows(page, 'cap', { status: 'low_stock', buttonDisabled: false });
    const r = await edge.webhook({ events: [sale('cap', 'warehouse', 2)] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await widgetShows(page, 'cap', { status: 'out_of_stock', text: 'Out of stock', available: 0, buttonDisabled: true });
    const back = await edge.webhook({ event_id: uid('ret'), type: 'return', sku: 'cap', location: 'warehouse', quantity: 1, origin_channel: 'web', reason: 'wrong_size', restock: true, occurred_at: new Date().toISOString() });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    await widgetShows(page, 'cap', { status: 'low_stock', text: 'Only 1 left', available: 1, buttonDisabled: false });
  });

  test('a hold shows a countdown, holds the unit, and expires on its own', async () => {
    const before = (await readWidget(page, 'tee')).available;
    const res = await page.evaluate(() => window.lastunit.reserve('tee', 1, { ttlSeconds: 4, cartId: 'c-test' }));
    assert.ok(res.reservation_id, JSON.stringify(res));
    await widgetShows(page, 'tee', { hold: /^Held for you for 0:0[1-4]$/, available: before - 1 });
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
    await widgetShows(page, 'tee', { status: 'in_stock', hold: /^Held for you for (10:00|9:[0-5]\d)$/ });
    const cart2 = await page.evaluate(() => window.lastunit.reserve('tee', 1).then((r) => r));
    assert.equal(cart2.cart_id, cart1.cart_id);
    await waitFor(async () => (await readWidget(page, 'tee')).hold?.startsWith('2 held'), { what: 'both holds' });
    for (const r of [cart1, cart2]) await page.evaluate((id) => window.lastunit.release(id), r.reservation_id);
    await waitFor(async () => (await readWidget(page, 'tee')).hold === null, { what: 'both released' });
    await page.reload();
    // The tab's saved holds are shown at boot, before the edge answers anything: once the stock
    // shows, a hold that was not forgotten would show too.
    await widgetShows(page, 'tee', { status: 'in_stock', hold: null });
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
    await eventually(async () => {
      const events = await page.evaluate(() => window.__events.filter((e) => e.sku === 'lamp'));
      assert.deepEqual(events.at(-1), { sku: 'lamp', channel: 'web', status: 'out_of_stock', available: 0 });
    }, { what: 'the late element announced' });
  });

  test('recovers after the edge restarts, showing "Checking stock…" while it is gone', async () => {
    await recordChanges(page);
    await edge.halt();
    await widgetShows(page, 'tee', { status: 'unknown', text: 'Checking stock…', available: null }, { timeoutMs: 8000 });
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
    await widgetShows(p, 'sock', { status: 'in_stock', available: 3 });
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
      // Every status the widget ever shows, from the first.
      await p.addInitScript(() => {
        window.__statuses = [];
        new MutationObserver((records) => {
          for (const r of records) window.__statuses.push(r.target.getAttribute('data-lastunit-status'));
        }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-lastunit-status'] });
      });
      // The widget tries the socket three times (reading once over HTTP after the first), then
      // polls every 500 ms: two answered (or failed) polls mean it has handled every answer.
      const polls = [];
      const ended = (r) => r.url().includes('/v1/availability?skus=') && polls.push(r.url());
      p.on('requestfinished', ended);
      p.on('requestfailed', ended);
      await p.goto(shop.url + path);
      await waitFor(() => polls.length >= 2, { what: `${path}: two polls` });
      await widgetShows(p, 'tee', { status: 'unknown', text: 'Checking stock…', available: null, buttonDisabled: false });
      const statuses = await p.evaluate(() => window.__statuses);
      assert.ok(statuses.length > 0, path);
      assert.deepEqual(statuses.filter((s) => s !== 'unknown'), [], `${path}: never anything but unknown`);
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
    // From then on it is only polled (every 1.5 s here): a reconnection would come within
    // 0.8 s of the failed socket, so two polls later there would be one.
    const polls = [];
    p.on('request', (r) => r.url().includes('/v1/availability?skus=') && r.url().includes('no-such-sku') && polls.push(r.url()));
    await waitFor(() => polls.length >= 2, { what: 'two polls of the unknown SKU' });
    assert.equal(sockets.filter((u) => u.includes('no-such-sku')).length, 1, JSON.stringify(sockets));
    await widgetShows(p, 'tee', { status: 'in_stock' });
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
