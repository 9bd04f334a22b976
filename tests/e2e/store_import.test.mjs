// Import from a connected store (`POST /admin/import/{provider}`) against the Shopify,
// WooCommerce and Square stand-ins: each store's catalog is read page by page, SKUs whose codes
// match take the store's ids, missing ones are created when asked, and duplicated codes, codes
// whose SKU already holds another id, and codes no SKU has are reported and never mapped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEdge, eventually, uid, storeSecrets, connectedShop } from '../harness.mjs';
import * as shopify from '../standins/shopify.mjs';
import * as woocommerce from '../standins/woocommerce.mjs';
import * as square from '../standins/square.mjs';

const SHOP_LOCATION = 655441491;
let edge, shop, woo, sq;

before(async () => {
  shop = await shopify.start();
  woo = await woocommerce.start();
  sq = await square.start({ locations: ['L1'], pageSize: 4 });
  shop.addLocation({ id: SHOP_LOCATION, name: 'Main St' });
  edge = await startEdge({ vars: storeSecrets({ shop, woo, sq }) });
  await connectedShop(edge, { shopify: String(SHOP_LOCATION), square: 'L1' });
});
after(async () => {
  await edge?.stop();
  await shop?.close();
  await woo?.close();
  await sq?.close();
});

async function ok(p) {
  const r = await p;
  assert.ok(r.status < 300, `${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

const config = async (sku) => (await ok(edge.admin('GET', `/admin/skus/${sku}`))).body.config;
const skuList = async () => (await ok(edge.admin('GET', '/admin/skus'))).body.skus;
const sorted = (list) => [...list].sort();

test('Shopify: matched, unmatched, duplicates and refused over several pages; nothing is guessed', async () => {
  const p = uid('SH').toUpperCase();
  const code = (i) => `${p}-${String(i).padStart(3, '0')}`;
  // 130 variants with codes (two pages of 100), one without a code, one code given twice.
  const variants = [];
  for (let i = 0; i < 130; i += 1) variants.push({ sku: code(i), ...shop.addVariant({ sku: code(i), title: `Shirt ${i}`, levels: { [SHOP_LOCATION]: 0 } }) });
  shop.addVariant({ sku: null, title: 'Gift card' });
  shop.addVariant({ sku: code(7), title: 'Shirt 7 (copy)' });
  // lastunit knows three of them: one plain, one that already holds another Shopify id, and
  // the code the store has twice.
  await ok(edge.admin('PUT', `/admin/skus/${code(1)}`, { title: 'Kept title', max_per_cart: 2 }));
  await ok(edge.admin('PUT', `/admin/skus/${code(2)}`, { title: 'Mapped by hand', pos_refs: { shopify: '999000999' } }));
  await ok(edge.admin('PUT', `/admin/skus/${code(7)}`, { title: 'Twice in the store' }));
  await ok(edge.admin('POST', '/admin/events', { event_id: uid('count'), type: 'count', sku: code(1), location: 'main-st', quantity: 4 }));
  const before = sorted(await skuList());
  shop.throttleNext(1); // the first page is throttled once, then asked again

  const r = await ok(edge.admin('POST', '/admin/import/shopify', {}));
  const mine = (list) => list.filter((c) => c.startsWith(p));
  assert.deepEqual(r.body.matched, [code(1)]);
  assert.deepEqual(r.body.filled, [code(1)]);
  assert.deepEqual(r.body.created, []);
  assert.deepEqual(r.body.duplicates, [code(7)]);
  assert.deepEqual(r.body.refused.map((x) => x.sku), [code(2)]);
  assert.match(r.body.refused[0].reason, /already holds the shopify id `999000999`/);
  assert.equal(mine(r.body.unmatched).length, 127, 'every other code is unmatched');
  assert.ok(r.body.without_sku >= 1);
  assert.ok(r.body.pages >= 2, `a catalog of ${r.body.store_items} variants is read in pages (${r.body.pages})`);
  assert.deepEqual(r.body.failed, []);

  const one = variants[1];
  const filled = await config(code(1));
  assert.deepEqual(filled.pos_refs, { shopify: String(one.inventoryItemId), shopify_variant: String(one.variantId) });
  assert.equal(filled.title, 'Kept title', 'nothing but the ids changes');
  assert.equal(filled.max_per_cart, 2);
  assert.deepEqual((await config(code(2))).pos_refs, { shopify: '999000999' }, 'a hand-made mapping is kept');
  assert.deepEqual((await config(code(7))).pos_refs, {}, 'a duplicated code maps neither item');
  assert.deepEqual(sorted(await skuList()), before, 'nothing is created unless asked');
  // The filled id is the one lastunit writes to: Shopify now shows lastunit's number.
  await eventually(() => assert.equal(shop.level(one.inventoryItemId, SHOP_LOCATION), 4), { timeoutMs: 20000, what: 'Shopify shows the 4 units' });

  // A second import finds the same and changes nothing more.
  const again = await ok(edge.admin('POST', '/admin/import/shopify'));
  assert.deepEqual(again.body.matched, [code(1)]);
  assert.deepEqual(again.body.filled, []);
});

test('WooCommerce: products over two pages and a variable product\'s variations; created when asked', async () => {
  const p = uid('WC').toUpperCase();
  // Over a hundred products (two pages) but few new SKUs: the fillers carry no SKU code, so
  // the test's edge is not flooded with new SKU objects.
  for (let i = 0; i < 100; i += 1) woo.addProduct({ name: `Unlabelled ${i}`, sku: '' });
  const ids = {};
  for (let i = 0; i < 6; i += 1) ids[`${p}-${i}`] = woo.addProduct({ name: `Mug ${i}`, sku: `${p}-${i}` });
  const parent = woo.addProduct({ name: 'Linen shirt', sku: `${p}-SHIRT` });
  const m = woo.addVariation(parent, { sku: `${p}-SHIRT-M` });
  const l = woo.addVariation(parent, { sku: `${p}-SHIRT-L` });
  woo.addProduct({ name: 'Copy of mug 5', sku: `${p}-5` }); // a duplicate code, as imports make
  woo.addProduct({ name: 'Has a space', sku: `${p} BAD` });
  await ok(edge.admin('PUT', `/admin/skus/${p}-0`, { title: 'Mug zero' }));

  // A dry run says what would happen and changes nothing.
  const before = sorted(await skuList());
  const dry = await ok(edge.admin('POST', '/admin/import/woocommerce', { create: true, dry_run: true }));
  assert.equal(dry.body.dry_run, true);
  assert.ok(dry.body.created.includes(`${p}-SHIRT-M`));
  assert.deepEqual(sorted(await skuList()), before);

  const r = await ok(edge.admin('POST', '/admin/import/woocommerce', { create: true }));
  const mine = (list) => list.filter((c) => c.startsWith(p));
  assert.deepEqual(mine(r.body.matched), [`${p}-0`]);
  assert.deepEqual(mine(r.body.duplicates), [`${p}-5`]);
  assert.deepEqual(r.body.refused.filter((x) => x.sku.startsWith(p)).map((x) => x.sku), [`${p} BAD`]);
  assert.deepEqual(mine(r.body.created), sorted([`${p}-1`, `${p}-2`, `${p}-3`, `${p}-4`, `${p}-SHIRT-L`, `${p}-SHIRT-M`]), 'the other mugs and both variations');
  assert.ok(r.body.without_sku >= 100);
  assert.ok(!r.body.created.includes(`${p}-SHIRT`), 'a variable product is not an item: its variations are');
  assert.ok(r.body.pages >= 3, `two pages of products and one of variations (${r.body.pages})`);

  assert.deepEqual((await config(`${p}-0`)).pos_refs, { woocommerce: String(ids[`${p}-0`]) });
  const shirt = await config(`${p}-SHIRT-M`);
  assert.deepEqual(shirt.pos_refs, { woocommerce: `${parent}/${m}` });
  assert.equal(shirt.title, `Linen shirt - ${p}-SHIRT-M`);
  assert.deepEqual((await config(`${p}-SHIRT-L`)).pos_refs, { woocommerce: `${parent}/${l}` });
  assert.equal((await edge.admin('GET', `/admin/skus/${p}-5`)).status, 404, 'a duplicated code is not created');
});

test('Square: item variations over several pages; a code on two variations maps neither', async () => {
  const p = uid('SQ').toUpperCase();
  await ok(edge.admin('PUT', '/admin/connections/square', { location: 'main-st' }));
  await ok(edge.admin('PUT', `/admin/skus/${p}-TOTE`, { title: 'Tote' }));
  await ok(edge.admin('PUT', `/admin/skus/${p}-LAMP-0`, { title: 'Lamp zero' }));
  for (let i = 0; i < 9; i += 1) sq.addItem({ id: `${p}I${i}`, name: `Lamp ${i}`, variations: [{ id: `${p}V${i}`, sku: `${p}-LAMP-${i}`, name: 'Regular' }] });
  sq.addVariation(`${p}I8`, { id: `${p}V8L`, sku: `${p}-LAMP-8L`, name: 'Large' });
  sq.addItem({ id: `${p}IT`, name: 'Tote', variations: [{ id: `${p}VT`, sku: `${p}-TOTE`, name: 'Regular' }, { id: `${p}VX`, sku: `${p}-TOTE`, name: 'Large' }] });

  const r = await ok(edge.admin('POST', '/admin/import/square', { create: true }));
  const mine = (list) => list.filter((c) => c.startsWith(p));
  assert.deepEqual(mine(r.body.duplicates), [`${p}-TOTE`], 'two variations with one code');
  assert.deepEqual(mine(r.body.matched), [`${p}-LAMP-0`]);
  const lamps = Array.from({ length: 8 }, (_, i) => `${p}-LAMP-${i + 1}`);
  assert.deepEqual(mine(r.body.created), sorted([...lamps, `${p}-LAMP-8L`]));
  assert.ok(r.body.pages >= 3, `${r.body.store_items} variations of 10 items, 4 items a page (${r.body.pages} pages)`);
  assert.deepEqual((await config(`${p}-LAMP-0`)).pos_refs, { square: `${p}V0` });
  assert.equal((await config(`${p}-LAMP-0`)).title, 'Lamp zero');
  const created = await config(`${p}-LAMP-8L`);
  assert.deepEqual(created.pos_refs, { square: `${p}V8L` });
  assert.equal(created.title, 'Lamp 8 - Large');
  assert.equal((await config(`${p}-LAMP-3`)).title, 'Lamp 3');
  assert.deepEqual((await config(`${p}-TOTE`)).pos_refs, {}, 'the duplicated code maps neither variation');
});

test('Square: a store id held by another SKU is refused, never moved', async () => {
  const p = uid('SR').toUpperCase();
  await ok(edge.admin('PUT', `/admin/skus/${p}-OLD`, { title: 'Old code', pos_refs: { square: `${p}V1` } }));
  sq.addItem({ id: `${p}I1`, name: 'Renamed in Square', variations: [{ id: `${p}V1`, sku: `${p}-NEW`, name: 'Regular' }] });
  const r = await ok(edge.admin('POST', '/admin/import/square', { create: true }));
  const refused = r.body.refused.find((x) => x.sku === `${p}-NEW`);
  assert.ok(refused, JSON.stringify(r.body.refused));
  assert.equal(refused.reason, `the store's square id \`${p}V1\` is already \`${p}-OLD\`'s`);
  assert.equal((await edge.admin('GET', `/admin/skus/${p}-NEW`)).status, 404);
  assert.deepEqual((await config(`${p}-OLD`)).pos_refs, { square: `${p}V1` });
});

test('a bad provider, a bad body or a failing store: a clear error, nothing changed', async () => {
  const before = sorted(await skuList());
  const etsy = await edge.admin('POST', '/admin/import/etsy', {});
  assert.equal(etsy.status, 422);
  assert.equal(etsy.body.error, 'invalid_input');
  assert.match(etsy.body.message, /shopify, woocommerce, square/);
  const bad = await edge.admin('POST', '/admin/import/shopify', { create: 'yes' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error, 'bad_request');
  const unknown = await edge.admin('POST', '/admin/import/shopify', { creat: true });
  assert.equal(unknown.status, 400);

  const p = uid('FAIL').toUpperCase();
  shop.addVariant({ sku: `${p}-1`, title: 'Never imported' });
  shop.failNext(20);
  const down = await edge.admin('POST', '/admin/import/shopify', { create: true });
  shop.heal();
  assert.equal(down.status, 502);
  assert.equal(down.body.error, 'upstream_unavailable');
  assert.match(down.body.message, /Shopify kept answering HTTP 500.*nothing was imported/);
  assert.deepEqual(sorted(await skuList()), before);
  const noAuth = await edge.json('POST', '/admin/import/shopify', {}, { authorization: 'Bearer nope' });
  assert.equal(noAuth.status, 401);
});

test('an unconfigured connection: 404 before any PUT of it, 409 without its secrets', async () => {
  const bare = await startEdge();
  try {
    const none = await bare.admin('POST', '/admin/import/woocommerce', { create: true });
    assert.equal(none.status, 404);
    assert.equal(none.body.error, 'unknown_connection');
    assert.match(none.body.message, /PUT \/admin\/connections\/woocommerce first/);
    await ok(bare.admin('PUT', '/admin/locations/main-st', { name: 'Main St' }));
    await ok(bare.admin('PUT', '/admin/channels/web', { locations: ['main-st'] }));
    await ok(bare.admin('PUT', '/admin/connections/woocommerce', { channel: 'web', location: 'main-st' }));
    const unset = await bare.admin('POST', '/admin/import/woocommerce', { create: true });
    assert.equal(unset.status, 409);
    assert.equal(unset.body.error, 'not_configured');
    assert.match(unset.body.message, /WOOCOMMERCE_CONSUMER_KEY is not set/);
    assert.deepEqual((await bare.admin('GET', '/admin/skus')).body.skus, []);
  } finally {
    await bare.stop();
  }
});
