#!/usr/bin/env node
// Takes the setup view's screenshots for the docs (docs/img/setup.png, docs/img/setup-import.png):
// a fresh edge (as `make dev SEED_DEMO=0`), two locations and three channels entered in the page,
// then a catalog CSV chosen and previewed. Needs `make build`. Usage: node scripts/screenshots-setup.mjs [OUT_DIR]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startEdge } from '../tests/harness.mjs';
import { launchBrowser } from '../tests/browser/support.mjs';

const out = process.argv[2] ?? join(ROOT, 'docs', 'img');
mkdirSync(out, { recursive: true });
const edge = await startEdge();
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
  await page.goto(`${edge.url}/dashboard`);
  await page.fill('#token', edge.vars.ADMIN_TOKEN);
  await page.click('#token-form button[type=submit]');
  const form = page.locator('#location-form');
  const save = async (f, text) => {
    await f.locator('button[type=submit]').click();
    await f.locator('.form-status.ok', { hasText: text }).waitFor();
  };
  for (const [id, name, shopify] of [['main-st', 'Main St store', '655441491'], ['warehouse', 'Warehouse', '']]) {
    await form.locator('[name=location]').fill(id);
    await form.locator('[name=name]').fill(name);
    await form.locator('[name="pos_refs.shopify"]').fill(shopify);
    await save(form, `Saved ${id}`);
  }
  await page.click('.steps button[data-step="channels"]');
  const channels = page.locator('#channel-form');
  for (const [name, locations] of [['store', ['main-st']], ['web', ['warehouse', 'main-st']], ['marketplace', ['warehouse']]]) {
    await channels.locator('[name=channel]').fill(name);
    for (const l of locations) await channels.locator(`input[name=locations][value="${l}"]`).check();
    await save(channels, `Saved ${name}`);
  }
  await page.mouse.move(0, 0);
  await page.screenshot({ path: join(out, 'setup.png') });
  console.log(`wrote ${join(out, 'setup.png')}`);
} finally {
  await browser.close();
  await edge.stop();
}
