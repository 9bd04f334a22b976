// The demo storefront (www/static, served by the edge at /) with the demo catalog: every state
// of the widget as a shopper sees it, and the add-to-cart hold. Screenshots go to tests/.tmp/img,
// or to docs/img with UPDATE_SCREENSHOTS=1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, startEdge, waitFor } from '../harness.mjs';
import { buttonDisabled, launchBrowser, readWidget, requireWidgetBuild } from './support.mjs';

const IMG = process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'img') : join(ROOT, 'tests', '.tmp', 'img');

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
    mkdirSync(IMG, { recursive: true });
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
    await card(sku).screenshot({ path: join(IMG, name) });
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
      await waitFor(async () => {
        const w = await readWidget(page, sku);
        return w.status === status && text.test(w.text) && w.available === edgeSays.available && w;
      }, { what: `${sku}: ${text} (edge: ${JSON.stringify(edgeSays)}, widget: ${JSON.stringify(await readWidget(page, sku))})` });
    }
    assert.equal(await buttonDisabled(page, 'desk-lamp'), true);
    assert.equal(await buttonDisabled(page, 'ceramic-mug'), true);
    assert.equal(await buttonDisabled(page, 'wool-beanie'), false);
    await page.screenshot({ path: join(IMG, 'demo-store.png'), fullPage: true });
    await shot('linen-shirt-m', 'widget-in-stock.png');
    await shot('wool-beanie', 'widget-low-stock.png');
    await shot('ceramic-mug', 'widget-in-store-only.png');
    await shot('desk-lamp', 'widget-out-of-stock.png');
  });

  test('add to cart holds the unit and counts down', async () => {
    await page.click('[data-lastunit-add-to-cart="wool-beanie"]');
    const w = await waitFor(async () => {
      const w = await readWidget(page, 'wool-beanie');
      return w.hold && w.text === 'Only 1 left' && w;
    }, { what: 'the hold' });
    assert.match(w.hold, /^Held for you for (10:00|9:[0-5]\d)$/);
    assert.equal(await page.textContent('.cart-count'), '1');
    await shot('wool-beanie', 'widget-held.png');
    await page.click('.cart-toggle');
    await page.mouse.move(0, 0);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(IMG, 'demo-store-cart.png') });
    // The last one goes into the cart too; then the beanie is sold out for everyone else.
    await page.click('.cart-toggle');
    await page.click('[data-lastunit-add-to-cart="wool-beanie"]');
    await waitFor(async () => (await readWidget(page, 'wool-beanie')).status === 'out_of_stock', { what: 'sold out by holds' });
    assert.equal(await buttonDisabled(page, 'wool-beanie'), true);
    assert.match((await readWidget(page, 'wool-beanie')).hold, /^2 held for you for /);
    await shot('wool-beanie', 'widget-held-sold-out.png');
  });

  test('while the edge cannot be reached: a neutral "Checking stock…"', async () => {
    const p = await browser.newPage({ viewport: { width: 1180, height: 900 } });
    p.on('pageerror', (e) => errors.push(String(e)));
    await p.addInitScript(() => { window.WebSocket = undefined; });
    await p.route('**/v1/**', (r) => r.abort('connectionrefused'));
    await p.goto(edge.url + '/');
    await waitFor(async () => (await readWidget(p, 'canvas-tote'))?.text === 'Checking stock…', { what: 'neutral state' });
    await p.locator('.product', { has: p.locator('[data-lastunit-sku="canvas-tote"]') }).screenshot({ path: join(IMG, 'widget-checking.png') });
    assert.equal(await buttonDisabled(p, 'canvas-tote'), false);
    await p.close();
    assert.deepEqual(errors, []);
  });
});
