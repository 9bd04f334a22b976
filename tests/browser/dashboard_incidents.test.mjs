// Oversell incidents on the dashboard, in headless Chromium against the real edge: a register
// sale of units already sold online shows first, naming the orders, and closing it removes it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { basicCatalog, eventually, skuWithStock, startEdge, uid } from '../harness.mjs';
import { launchBrowser } from './support.mjs';

const TOKEN = 'test-admin-token';
let edge, browser, page, sku;

before(async () => {
  edge = await startEdge();
  await basicCatalog(edge);
  sku = uid('B');
  await skuWithStock(edge, sku, { 'main-st': 1 });
  const r = await edge.storefront('POST', '/v1/reservations', { cart_id: uid('c'), channel: 'web', ttl_seconds: 600, lines: [{ sku, quantity: 1 }] });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal((await edge.checkout('POST', `/v1/reservations/${r.body.reservation_id}/commit`, { order_id: 'web-1001' })).status, 200);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
});

after(async () => {
  await browser?.close();
  await edge?.stop();
});

test('an incident appears first on the dashboard, names the order, and closes', async () => {
  await page.goto(`${edge.url}/dashboard`);
  await page.waitForSelector('#token-dialog[open]');
  await page.fill('#token', TOKEN);
  await page.click('#token-form button[type=submit]');
  await page.waitForSelector('#rows tr[data-sku]');
  assert.equal(await page.isVisible('#incidents-section'), false, 'no incident yet');
  const sale = await edge.admin('POST', '/admin/events', { event_id: uid('reg'), type: 'sale', sku, location: 'main-st', channel: 'store', quantity: 1 });
  assert.equal(sale.status, 200);
  await eventually(async () => {
    await page.click('#refresh');
    await page.waitForSelector(`#incidents li[data-sku="${sku}"]`, { timeout: 1000 });
  }, { timeoutMs: 20000, what: 'the incident on the dashboard' });
  const text = await page.textContent(`#incidents li[data-sku="${sku}"]`);
  assert.match(text, /1 short at main-st/);
  assert.match(text, /web-1001/);
  const first = await page.$eval('main > section:not([hidden])', (s) => s.id);
  assert.equal(first, 'incidents-section', 'open incidents come first');
  await page.click(`#incidents li[data-sku="${sku}"] button.close-incident`);
  await page.waitForSelector(`#incidents li[data-sku="${sku}"]`, { state: 'detached' });
  await eventually(async () => {
    const left = (await edge.admin('GET', '/admin/incidents')).body.incidents.filter((i) => i.sku === sku);
    assert.deepEqual(left, []);
  }, { what: 'the closed incident gone from the list' });
});
