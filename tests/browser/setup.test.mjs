// The setup view in headless Chromium against the real edge, from an empty store (as
// `make dev SEED_DEMO=0`) and a Shopify stand-in: a person sets the shop up in the page alone
// (locations, channels, products one by one and from a CSV file, the exports, a connected
// store, a subscriber), sees the API's refusals in words on the way, and the demo shop then
// shows the products' stock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startEdge } from '../harness.mjs';
import * as shopify from '../standins/shopify.mjs';
import { launchBrowser, requireWidgetBuild, widgetShows } from './support.mjs';

const TOKEN = 'test-admin-token';
const MAIN_ST_SHOPIFY = 655441491;

describe('setup from an empty store', () => {
  let edge, shop, browser, page, shirtItem, shirtVariant;
  const errors = [];

  before(async () => {
    requireWidgetBuild();
    shop = await shopify.start();
    ({ inventoryItemId: shirtItem, variantId: shirtVariant } = shop.addVariant({ sku: 'linen-shirt-m', levels: { [MAIN_ST_SHOPIFY]: 0 } }));
    // The store's catalog beyond it: a product lastunit lacks, and a code given to two products.
    shop.addVariant({ sku: 'wool-beanie', title: 'Beanie' });
    shop.addVariant({ sku: 'canvas-tote', title: 'Tote' });
    shop.addVariant({ sku: 'canvas-tote', title: 'Tote (copy)' });
    edge = await startEdge({ vars: { STOREFRONT_KEY: 'dev-storefront-key', SHOPIFY_ADMIN_API_BASE: shop.apiBase('2026-01'), SHOPIFY_ADMIN_TOKEN: shop.token } });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => errors.push(String(e)));
  });

  after(async () => {
    await browser?.close();
    await edge?.stop();
    await shop?.close();
  });

  const form = (id) => page.locator(`#${id}`);
  const input = (id, name) => form(id).locator(`[name="${name}"]`);
  /** Submits a form and answers the sentence it then shows (the API's answer in words). */
  async function submit(id, { ok = true } = {}) {
    const status = form(id).locator(`.form-status.${ok ? 'ok' : 'error'}`);
    await form(id).locator('.form-status').evaluate((el) => { el.textContent = ''; el.className = 'form-status'; });
    await form(id).locator('button[type=submit]').click();
    await status.filter({ hasText: /\S/ }).waitFor();
    return status.textContent();
  }

  test('an empty store opens on the setup, at its first step', async () => {
    await page.goto(`${edge.url}/dashboard`);
    await page.waitForSelector('#token-dialog[open]');
    await page.fill('#token', TOKEN);
    await page.click('#token-form button[type=submit]');
    await page.locator('section.step[data-step="locations"]').waitFor();
    assert.equal(await page.locator('#main').isHidden(), true, 'the dashboard waits behind the setup');
    assert.equal(await page.getAttribute('.steps button[data-step="locations"]', 'aria-current'), 'step');
  });

  test('locations: a bad id is refused in the API\'s words, then two locations with their ids', async () => {
    await input('location-form', 'location').fill('Main St');
    const refused = await submit('location-form', { ok: false });
    assert.match(refused, /^Not saved: .*location.*\[a-z0-9_-\]\{1,32\}/);
    assert.equal(await input('location-form', 'location').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('#locations-list li[data-location]').count(), 0, 'nothing was saved');

    await input('location-form', 'location').fill('main-st');
    await input('location-form', 'name').fill('Main St store');
    await input('location-form', 'pos_refs.shopify').fill(String(MAIN_ST_SHOPIFY));
    assert.match(await submit('location-form'), /Saved main-st \(Main St store\)/);
    await input('location-form', 'location').fill('warehouse');
    await input('location-form', 'name').fill('Warehouse');
    assert.match(await submit('location-form'), /Saved warehouse/);
    assert.deepEqual(await page.locator('#locations-list li[data-location]').evaluateAll((els) => els.map((e) => e.dataset.location)).then((l) => l.sort()), ['main-st', 'warehouse']);
    assert.match(await page.textContent('#locations-list li[data-location="main-st"]'), /Shopify 655441491/);
  });

  test('channels: three, each selling from the locations ticked, in the order ticked', async () => {
    await page.click('section.step[data-step="locations"] [data-go="channels"]');
    const tick = (l) => form('channel-form').locator(`input[name=locations][value="${l}"]`).check();
    await input('channel-form', 'channel').fill('store');
    await tick('main-st');
    assert.match(await submit('channel-form'), /Saved store: sells from main-st\./);
    await input('channel-form', 'channel').fill('web');
    await tick('warehouse');
    await tick('main-st');
    assert.equal(await page.textContent('#channel-order'), 'Draws on warehouse, then main-st.');
    assert.match(await submit('channel-form'), /Saved web: sells from warehouse, main-st\./);
    await input('channel-form', 'channel').fill('marketplace');
    await tick('warehouse');
    assert.match(await submit('channel-form'), /Saved marketplace/);
    const channels = (await edge.admin('GET', '/admin/channels')).body;
    assert.deepEqual(channels, { marketplace: ['warehouse'], store: ['main-st'], web: ['warehouse', 'main-st'] });
  });

  test('products: one added with its counts, then edited; a refused policy changes nothing', async () => {
    await page.click('section.step[data-step="channels"] [data-go="products"]');
    await input('sku-form', 'sku').fill('linen-shirt-m');
    await input('sku-form', 'title').fill('Linen shirt, M');
    await input('sku-form', 'pos_refs.shopify').fill(String(shirtItem));
    await input('sku-form', 'count.warehouse').fill('10');
    await input('sku-form', 'count.main-st').fill('4');
    assert.match(await submit('sku-form'), /Saved linen-shirt-m and its counts at main-st, warehouse\./);
    await page.locator('#skus-list li[data-sku="linen-shirt-m"]').waitFor();
    assert.equal(await page.textContent('#sku-form-title'), 'Change linen-shirt-m');

    // An automatic buffer of at least 5 and at most 2: the API's sentence, the field marked.
    await input('sku-form', 'buffer').selectOption('auto');
    await input('sku-form', 'buffer.min').fill('5');
    await input('sku-form', 'buffer.max').fill('2');
    assert.match(await submit('sku-form', { ok: false }), /^Not saved: .*min <= max/);
    assert.equal(await input('sku-form', 'buffer.min').getAttribute('aria-invalid'), 'true');
    assert.deepEqual((await edge.admin('GET', '/admin/skus/linen-shirt-m')).body.buffer_policy, { mode: 'none' });

    // Fixed 2 for the web only, a cart cap of 3.
    await input('sku-form', 'buffer').selectOption('fixed');
    await input('sku-form', 'buffer.units').fill('2');
    await input('sku-form', 'buffer_scope').selectOption('chosen');
    await form('sku-form').locator('input[name=buffer_channels][value="web"]').check();
    await input('sku-form', 'max_per_cart').fill('3');
    assert.match(await submit('sku-form'), /Saved linen-shirt-m\./);
    const view = (await edge.admin('GET', '/admin/skus/linen-shirt-m')).body;
    assert.deepEqual(view.config.buffer, { mode: 'fixed', units: 2 });
    assert.deepEqual(view.config.buffer_channels, ['web']);
    assert.equal(view.config.max_per_cart, 3);
    assert.deepEqual(view.on_hand, { 'main-st': 4, warehouse: 10 });
    assert.equal(view.available.web, 12);
  });

  // 20 products in one CSV file, as a spreadsheet saves it (BOM, CRLF): three of the demo shop's
  // and 17 more, each counted at the warehouse.
  const CSV_SKUS = ['ceramic-mug', 'desk-lamp', 'trail-socks', ...Array.from({ length: 17 }, (_, i) => `csv-item-${String(i + 1).padStart(2, '0')}`)];
  const csvFile = (rows) => ({ name: 'products.csv', mimeType: 'text/csv', buffer: Buffer.from(`\ufeffsku,title,location,on_hand,max_per_cart\r\n${rows.join('\r\n')}\r\n`) });

  test('products: a CSV with bad rows is refused row by row; a CSV of 20 is previewed, then applied', async () => {
    const report = page.locator('#import-panel .import-report');
    const file = page.locator('#import-panel input[type=file]');
    await file.setInputFiles(csvFile(['ceramic-mug,Mug,warehouse,6,', 'desk-lamp,Lamp,attic,2,', 'trail-socks,Socks,warehouse,many,']));
    await page.locator('#import-panel .import-report[data-state="refused"]').waitFor();
    assert.match(await report.textContent(), /Not imported, nothing changed: 2 bad rows/);
    assert.deepEqual(await report.locator('li[data-line]').evaluateAll((els) => els.map((e) => e.dataset.line)), ['3', '4']);
    assert.match(await report.locator('li[data-line="3"]').textContent(), /Line 3 \(desk-lamp\): .*attic/);
    assert.match(await report.locator('li[data-line="4"]').textContent(), /Line 4 \(trail-socks\): .*on_hand/);
    assert.equal(await page.locator('#import-panel .import-apply').isHidden(), true, 'a refused file cannot be applied');
    assert.deepEqual((await edge.admin('GET', '/admin/skus')).body.skus, ['linen-shirt-m'], 'nothing was created');

    await file.setInputFiles(csvFile(CSV_SKUS.map((sku, i) => `${sku},Item ${i + 1},warehouse,${i + 1},4`)));
    await page.locator('#import-panel .import-report[data-state="preview"]').waitFor();
    assert.match(await report.textContent(), /20 rows read: 20 SKUs would be created, 0 would be updated\. Nothing has changed yet\./);
    assert.equal(await report.locator('tbody tr').count(), 20);
    assert.match(await report.locator('tr[data-line="2"]').textContent(), /ceramic-mug.*warehouse.*would be created/);
    assert.deepEqual((await edge.admin('GET', '/admin/skus')).body.skus, ['linen-shirt-m'], 'a preview changes nothing');

    await page.click('#import-panel .import-apply');
    await page.locator('#import-panel .import-report[data-state="applied"]').waitFor({ timeout: 60000 });
    assert.match(await report.textContent(), /Imported 20 rows: 20 SKUs created, 0 updated, 20 counts recorded\./);
    await page.locator('#sku-count', { hasText: '21 products' }).waitFor();
    const mug = (await edge.admin('GET', '/admin/skus/ceramic-mug')).body;
    assert.deepEqual([mug.config.title, mug.config.max_per_cart, mug.on_hand], ['Item 1', 4, { warehouse: 1 }]);
    assert.deepEqual((await edge.admin('GET', '/admin/skus/csv-item-17')).body.on_hand, { warehouse: 20 });
  });

  test('products: the products and the ledger download as CSV files', async () => {
    const saved = async (button) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
      const path = await download.path();
      return { name: download.suggestedFilename(), text: (await import('node:fs')).readFileSync(path, 'utf8') };
    };
    const products = await saved('#export-panel .export-skus');
    assert.match(products.name, /\.csv$/);
    const lines = products.text.trimEnd().split(/\r?\n/);
    assert.match(lines[0], /^sku,title,location,on_hand/);
    assert.ok(lines.some((l) => l.startsWith('desk-lamp,Item 2,warehouse,2,')), products.text);
    assert.equal(new Set(lines.filter((l) => l.startsWith('csv-item-')).map((l) => l.split(',')[0])).size, 17);

    await page.fill('#export-panel input[name=sku]', 'desk-lamp');
    const ledger = await saved('#export-panel .export-ledger');
    const entries = ledger.text.trimEnd().split(/\r?\n/).slice(1);
    assert.equal(entries.length, 1, ledger.text);
    assert.match(entries[0], /,desk-lamp,warehouse,count,2,/);
    assert.match(await page.textContent('#export-panel .form-status.ok'), /Saved/);
  });

  test('connected stores: a refusal in words, then Shopify connected, written to, and resynced', async () => {
    await page.click('section.step[data-step="products"] [data-go="stores"]');
    await input('store-form', 'provider').selectOption('square');
    await input('store-form', 'location').selectOption('warehouse');
    assert.match(await submit('store-form', { ok: false }), /^Not connected: .*square/i);
    assert.equal((await edge.admin('GET', '/admin/connections')).body.connections.length, 0);

    await input('store-form', 'provider').selectOption('shopify');
    await input('store-form', 'channel').selectOption('web');
    await input('store-form', 'location').selectOption('main-st');
    assert.match(await submit('store-form'), /Connected Shopify as web at main-st/);
    const item = page.locator('#stores-list li[data-provider="shopify"]');
    await item.waitFor();
    assert.match(await item.textContent(), /sells as web from main-st/);
    await eventually(() => assert.equal(shop.level(shirtItem, MAIN_ST_SHOPIFY), 12), { timeoutMs: 20000, what: 'Shopify holds the web availability' });
    await item.locator('button.resync').click();
    await item.getByText(/queued to be written to Shopify/).waitFor();
  });

  test('connected stores: the store\'s products previewed, then imported with the missing ones created', async () => {
    const item = page.locator('#stores-list li[data-provider="shopify"]');
    const report = item.locator('.import-report');
    const group = (name) => report.locator(`[data-group="${name}"]`);
    const skusBefore = (await edge.admin('GET', '/admin/skus')).body.skus;
    await item.locator('button.import-preview').click();
    await report.locator('[data-group]').first().waitFor();
    assert.equal(await report.getAttribute('data-state'), 'preview');
    assert.match(await report.textContent(), /4 products read in 1 page: 1 would match a SKU here/);
    assert.match(await group('matched').textContent(), /Matched \(1\): linen-shirt-m/);
    assert.match(await group('unmatched').textContent(), /wool-beanie/);
    assert.match(await group('duplicates').textContent(), /canvas-tote/);
    assert.doesNotMatch(await report.textContent(), /null|undefined/);
    assert.deepEqual((await edge.admin('GET', '/admin/skus')).body.skus, skusBefore, 'a preview changes nothing');
    assert.equal((await edge.admin('GET', '/admin/skus/linen-shirt-m')).body.config.pos_refs.shopify_variant, undefined);

    // Ticking "create missing SKUs" asks again: the beanie would be created, the tote still not.
    await item.locator('input[name=create]').check();
    await group('created').filter({ hasText: 'wool-beanie' }).waitFor();
    assert.match(await group('created').textContent(), /Would be created \(1\): wool-beanie/);
    assert.equal(await group('unmatched').count(), 0);
    await item.locator('button.import-apply').click();
    await report.locator('.ok', { hasText: 'Imported from Shopify.' }).waitFor();
    assert.match(await group('created').textContent(), /^Created \(1\): wool-beanie/);
    assert.equal(await item.locator('button.import-apply').isHidden(), true, 'an applied import is not applied twice');
    const skus = (await edge.admin('GET', '/admin/skus')).body.skus;
    assert.ok(skus.includes('wool-beanie') && !skus.includes('canvas-tote'), `created the beanie only: ${skus}`);
    assert.equal((await edge.admin('GET', '/admin/skus/linen-shirt-m')).body.config.pos_refs.shopify_variant, String(shirtVariant));
    await page.locator('#skus-list li[data-sku="wool-beanie"]').waitFor({ state: 'attached' });
  });

  test('subscribers: one added and listed without its secret', async () => {
    await page.click('section.step[data-step="stores"] [data-go="subscribers"]');
    await input('subscriber-form', 'name').fill('feed');
    await input('subscriber-form', 'url').fill('not a url');
    await input('subscriber-form', 'secret').fill('s3cret-value');
    await input('subscriber-form', 'channel').selectOption('marketplace');
    assert.match(await submit('subscriber-form', { ok: false }), /^Not saved: .*url/);
    await input('subscriber-form', 'url').fill(`${shop.url}/hooks/feed`);
    await input('subscriber-form', 'secret').fill('s3cret-value');
    assert.match(await submit('subscriber-form'), /Saved feed: changes of marketplace go to/);
    await page.locator('#subscribers-list li[data-subscriber="feed"]').waitFor();
    assert.ok(!(await page.content()).includes('s3cret-value'), 'the secret is not on the page');
  });

  test('done: the dashboard lists the products, and the demo shop shows their stock', async () => {
    await page.click('section.step[data-step="subscribers"] [data-go="done"]');
    await page.locator('#rows tr[data-sku="linen-shirt-m"]').waitFor({ timeout: 20000 });
    assert.equal(await page.locator('#setup').isHidden(), true);
    const shopper = await browser.newPage();
    await shopper.goto(`${edge.url}/`);
    await widgetShows(shopper, 'linen-shirt-m', { status: 'in_stock', available: 12 });
    // Imported from the CSV file: 2 at the warehouse, which web sells from (low: 3 or fewer).
    await widgetShows(shopper, 'desk-lamp', { status: 'low_stock', available: 2, text: 'Only 2 left' });
    await shopper.close();
    assert.deepEqual(errors, []);
  });
});
