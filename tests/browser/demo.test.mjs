// The demo storefront (www/static, served by the edge at /) with the demo catalog: every state
// of the widget as a shopper sees it, and the add-to-cart hold. Screenshots go to tests/.tmp/img,
// or to docs/img with UPDATE_SCREENSHOTS=1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, eventually, startEdge } from '../harness.mjs';
import { SCREENSHOTS, launchBrowser, requireWidgetBuild, widgetShows } from './support.mjs';

/** Seeds the demo catalog with the edge engineer's own script, as `make dev` does. */
function seedDemo(edge) {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'seed-demo.mjs'), edge.url], { env: { ...process.env, ADMIN_TOKEN: edge.vars.ADMIN_TOKEN }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`seed-demo failed: ${r.stdout}${r.stderr}`);
}

describe('demo storefront', () => {
  let edge, browser, page;
  const errors = [];

  before(async () => {
    requireWidgetBuild();
    mkdirSync(SCREENSHOTS, { recursive: true });
    edge = await startEdge({ vars: { STOREFRONT_KEY: 'dev-storefront-key' } }); // the key in www/static/index.html
    seedDemo(edge);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1180, height: 900 }, deviceScaleFactor: 1 });
    page.on('pageerror', (e) => errors.push(String(e)));
  });

  after(async () => {
    await browser?.close();
    await edge?.stop();
  });

  const card = (sku) => page.locator('.product', { has: page.locator(`[data-lastunit-sku="${sku}"]`) });
  /** A card as it sits on the page: scrolled to the top (clear of the sticky header), no hover. */
  async function shot(sku, name) {
    await page.mouse.move(0, 0);
    await page.evaluate(() => window.scrollTo(0, 0));
    await card(sku).screenshot({ path: join(SCREENSHOTS, name) });
  }

  test('shows every state in words a shopper understands', async () => {
    await page.goto(edge.url + '/');
    // The demo catalog (scripts/seed-demo.mjs) shows every state on the web channel.
    const expect = {
      'linen-shirt-m': ['in_stock', /^In stock$/],
      'wool-beanie': ['low_stock', /^Only 2 left$/],
      'canvas-tote': ['in_stock', /^In stock$/],
      'ceramic-mug': ['out_of_stock', /^Out of stock online, 1 in store$/],
      'desk-lamp': ['out_of_stock', /^Out of stock$/],
      'trail-socks': ['in_stock', /^In stock$/],
    };
    const skus = Object.keys(expect);
    const truth = (await edge.json('GET', `/v1/availability?skus=${skus.join(',')}&channel=web`)).body.items;
    for (const [sku, [status, text]] of Object.entries(expect)) {
      const edgeSays = truth.find((a) => a.sku === sku);
      assert.equal(edgeSays.status, status, `the demo catalog: ${JSON.stringify(edgeSays)}`);
      // Sold out (desk lamp, mug online) disables the button; anything else leaves it enabled.
      await widgetShows(page, sku, { status, text, available: edgeSays.available, buttonDisabled: status === 'out_of_stock' });
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'demo-store.png'), fullPage: true });
    await shot('linen-shirt-m', 'widget-in-stock.png');
    await shot('wool-beanie', 'widget-low-stock.png');
    await shot('ceramic-mug', 'widget-in-store-only.png');
    await shot('desk-lamp', 'widget-out-of-stock.png');
  });

  test('add to cart holds the unit and counts down', async () => {
    await page.click('[data-lastunit-add-to-cart="wool-beanie"]');
    // The hold's countdown comes with the reservation's answer, the count with the live push:
    // either may be first.
    await widgetShows(page, 'wool-beanie', { text: 'Only 1 left', hold: /^Held for you for (10:00|9:[0-5]\d)$/ });
    await eventually(async () => assert.equal(await page.textContent('.cart-count'), '1'), { what: 'one line in the cart' });
    await shot('wool-beanie', 'widget-held.png');
    await page.click('.cart-toggle');
    await page.mouse.move(0, 0);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SCREENSHOTS, 'demo-store-cart.png') });
    // The last one goes into the cart too; then the beanie is sold out for everyone else.
    await page.click('.cart-toggle');
    await page.click('[data-lastunit-add-to-cart="wool-beanie"]');
    await widgetShows(page, 'wool-beanie', { status: 'out_of_stock', hold: /^2 held for you for /, buttonDisabled: true });
    await eventually(async () => assert.equal(await page.textContent('.cart-count'), '2'), { what: 'two lines in the cart' });
    await shot('wool-beanie', 'widget-held-sold-out.png');
  });

  test('while the edge cannot be reached: a neutral "Checking stock…"', async () => {
    const p = await browser.newPage({ viewport: { width: 1180, height: 900 } });
    p.on('pageerror', (e) => errors.push(String(e)));
    await p.addInitScript(() => { window.WebSocket = undefined; });
    await p.route('**/v1/**', (r) => r.abort('connectionrefused'));
    await p.goto(edge.url + '/');
    await widgetShows(p, 'canvas-tote', { status: 'unknown', text: 'Checking stock…', buttonDisabled: false });
    await p.locator('.product', { has: p.locator('[data-lastunit-sku="canvas-tote"]') }).screenshot({ path: join(SCREENSHOTS, 'widget-checking.png') });
    await p.close();
    assert.deepEqual(errors, []);
  });
});
