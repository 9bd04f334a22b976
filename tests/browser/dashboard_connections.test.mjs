// The dashboard's connected stores, in headless Chromium against the real edge and a Shopify
// stand-in: each connection's status, and per product the number the store holds now.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { basicCatalog, catalogCaughtUp, eventually, startEdge, uid } from '../harness.mjs';
import * as shopify from '../standins/shopify.mjs';
import { launchBrowser } from './support.mjs';

const TOKEN = 'test-admin-token';
let edge, shop, browser, page, sku, item;

before(async () => {
  shop = await shopify.start();
  edge = await startEdge({ vars: { SHOPIFY_ADMIN_API_BASE: shop.apiBase('2026-01'), SHOPIFY_ADMIN_TOKEN: shop.token } });
  await basicCatalog(edge); // main-st is Shopify location 655441491
  sku = uid('D');
  ({ inventoryItemId: item } = shop.addVariant({ sku, levels: { 655441491: 0 } }));
  const r = await edge.admin('PUT', `/admin/skus/${sku}`, { title: 'Linen shirt', buffer: { mode: 'none' }, pos_refs: { shopify: String(item) } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await edge.admin('POST', '/admin/events', { event_id: uid('c'), type: 'count', sku, location: 'main-st', quantity: 4 });
  assert.equal((await edge.admin('PUT', '/admin/connections/shopify', { channel: 'web', location: 'main-st' })).status, 200);
  await eventually(() => assert.equal(shop.level(item, 655441491), 4), { timeoutMs: 20000, what: 'Shopify holds 4' });
  await catalogCaughtUp(edge, [sku]);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
});

after(async () => {
  await browser?.close();
  await edge?.stop();
  await shop?.close();
});

test('the dashboard shows each connection\'s status and what the store holds per product', async () => {
  await page.goto(`${edge.url}/dashboard`);
  await page.waitForSelector('#token-dialog[open]');
  await page.fill('#token', TOKEN);
  await page.click('#token-form button[type=submit]');
  await page.waitForSelector('#connections li[data-provider="shopify"]');
  const text = await page.textContent('#connections li[data-provider="shopify"]');
  assert.match(text, /Shopify/);
  assert.match(text, /sells as web from main-st/);
  assert.match(text, /0 pending/);
  assert.equal(await page.getAttribute('#connections li[data-provider="shopify"] .badge', 'data-status'), 'ok');
  await page.waitForSelector(`#rows tr[data-sku="${sku}"] td.available .in-stores`);
  assert.match(await page.textContent(`#rows tr[data-sku="${sku}"] td.available .in-stores`), /Shopify 4/);
  assert.ok(!(await page.content()).includes(shop.token), 'no credential on the page');
});
