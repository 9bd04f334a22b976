// Bad input on every route that takes a body: oversized bodies, wrong content types, absurd and
// huge quantities, unknown SKUs, malformed ids, invalid JSON. Each must get a clear 4xx in the
// contract's error shape {"error":"<snake_case>","message":...} and change nothing (the whole
// catalog and every SKU's books compared before and after). Then random bytes at every webhook
// route, signed and unsigned: never a 5xx, never a change.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startEdge, basicCatalog, skuWithStock, uid, hmacBase64, signLastunit, signLightspeed } from '../harness.mjs';
import { rng, wholeState, safeJson } from './lib.mjs';

let edge;
let sku;
let other;
let reservation;
before(async () => {
  edge = await startEdge();
  await basicCatalog(edge);
  sku = uid('BAD');
  other = uid('BAD');
  await skuWithStock(edge, sku, { 'main-st': 4, warehouse: 6 }, { max_per_cart: 3, pos_refs: { shopify: '4242', square: 'SQBAD' } });
  await skuWithStock(edge, other, { warehouse: 2 });
  const r = await edge.storefront('POST', '/v1/reservations', { cart_id: 'keep', lines: [{ sku, quantity: 1 }] });
  assert.equal(r.status, 201);
  reservation = r.body.reservation_id;
  await edge.admin('PUT', '/admin/subscribers/mkt', { url: 'http://127.0.0.1:9/hook', secret: 'sub-secret', channel: 'marketplace' });
});
after(async () => edge?.stop());

/** Every piece of state a refused request could have touched. */
async function everything() {
  const lists = {};
  for (const l of ['locations', 'channels', 'skus', 'subscribers']) lists[l] = (await edge.admin('GET', `/admin/${l}`)).body;
  return { lists, skus: await wholeState(edge, [sku, other]) };
}

const auth = {
  admin: () => ({ authorization: `Bearer ${edge.vars.ADMIN_TOKEN}` }),
  storefront: () => ({ authorization: `Bearer ${edge.vars.STOREFRONT_KEY}` }),
  checkout: () => ({ authorization: `Bearer ${edge.vars.CHECKOUT_TOKEN}` }),
};

/** The JSON routes with a body, their credential and one valid body (to mutate). */
const routes = () => [
  { method: 'PUT', path: '/admin/locations/new-loc', who: 'admin', body: { name: 'New' } },
  { method: 'PUT', path: '/admin/channels/new-chan', who: 'admin', body: { locations: ['warehouse'] } },
  { method: 'PUT', path: `/admin/skus/${uid('NEW')}`, who: 'admin', body: { title: 'x', buffer: { mode: 'none' } } },
  { method: 'PUT', path: '/admin/subscribers/new-sub', who: 'admin', body: { url: 'https://example.com/h', secret: 's', channel: 'web' } },
  { method: 'POST', path: '/admin/purchase-orders', who: 'admin', body: { po_id: 'PO-1', location: 'warehouse', lines: [{ sku, quantity: 2, expected_at: '2026-12-03T00:00:00Z' }] } },
  { method: 'POST', path: '/admin/events', who: 'admin', body: { event_id: uid('e'), type: 'receive', sku, location: 'warehouse', quantity: 1 } },
  { method: 'POST', path: '/v1/reservations', who: 'storefront', body: { cart_id: 'c-bad', channel: 'web', lines: [{ sku, quantity: 1 }] } },
  { method: 'POST', path: `/v1/reservations/${reservation}/commit`, who: 'checkout', body: { order_id: 'o-bad' } },
];

function assertRefused(res, what) {
  assert.ok(res.status >= 400 && res.status < 500, `${what}: expected a 4xx, got ${res.status} ${JSON.stringify(res.body)?.slice(0, 300)}`);
  assert.equal(typeof res.body, 'object', `${what}: a JSON body, got ${String(res.body).slice(0, 200)}`);
  assert.match(res.body?.error ?? '', /^[a-z][a-z0-9_]*$/, `${what}: error code ${JSON.stringify(res.body)}`);
  assert.equal(typeof res.body.message, 'string', `${what}: message`);
  assert.ok(res.body.message.length > 0);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `${what}: content-type`);
}

test('oversized bodies (> 256 KiB) are 413 on every route with a body, and change nothing', async () => {
  const before = await everything();
  const failures = [];
  for (const r of routes()) {
    const big = JSON.stringify({ ...r.body, pad: 'x'.repeat(256 * 1024 + 100) });
    const res = await safeJson(edge, r.method, r.path, big, { 'content-type': 'application/json', ...auth[r.who]() });
    if (res.status !== 413) failures.push(`${r.method} ${r.path}: ${res.status} ${JSON.stringify(res.body)?.slice(0, 160)}`);
    else assertRefused(res, `${r.method} ${r.path} oversized`);
  }
  for (const p of ['shopify', 'square', 'lightspeed', 'clover', 'lastunit']) {
    const big = JSON.stringify({ pad: 'x'.repeat(300 * 1024) });
    const res = await safeJson(edge, 'POST', `/webhooks/${p}`, big, { 'content-type': 'application/json', 'x-lastunit-signature': signLastunit(edge.vars.LASTUNIT_WEBHOOK_SECRET, big) });
    assert.equal(res.status, 413, p);
    assertRefused(res, `webhook ${p} oversized`);
  }
  assert.deepEqual(failures, [], 'every route with a body refuses more than 256 KiB with 413');
  assert.deepEqual(await everything(), before);
});

test('invalid JSON, wrong types and wrong content types are 400/415/422 with the error shape, and change nothing', async () => {
  const before = await everything();
  const failures = [];
  const refused = (res, what) => {
    try {
      assertRefused(res, what);
    } catch (e) {
      failures.push(e.message.split('\n')[0]);
    }
  };
  const junk = ['{', '[]', 'null', '"text"', '42', '{"lines": ', 'name=New&locations=warehouse', '\u0000\u0001', ''];
  for (const r of routes()) {
    // The commit route takes an empty body (the order id is optional); the rest need one.
    for (const j of junk) {
      if (r.path.endsWith('/commit') && j === '') continue;
      const res = await safeJson(edge, r.method, r.path, j, { 'content-type': 'application/json', ...auth[r.who]() });
      refused(res, `${r.method} ${r.path} body ${JSON.stringify(j)}`);
    }
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await safeJson(edge, r.method, r.path, 'name=New&quantity=1', { 'content-type': ct, ...auth[r.who]() });
      refused(res, `${r.method} ${r.path} as ${ct}`);
    }
    // Every field of the valid body replaced by a value of the wrong type.
    for (const k of Object.keys(r.body)) {
      for (const v of [null, 12, 'str', [], {}, true]) {
        if (typeof r.body[k] === typeof v && Array.isArray(r.body[k]) === Array.isArray(v) && v !== null) continue;
        if (k === 'order_id' && v === null) continue; // optional
        const res = await safeJson(edge, r.method, r.path, { ...r.body, [k]: v }, auth[r.who]());
        refused(res, `${r.method} ${r.path} ${k}=${JSON.stringify(v)}`);
      }
    }
  }
  assert.deepEqual(failures, [], `${failures.length} bad bodies were not a clean 4xx`);
  assert.deepEqual(await everything(), before);
});

test('absurd and huge quantities, unknown SKUs and malformed ids are refused and change nothing', async () => {
  const before = await everything();
  const quantities = [0, -1, -9007199254740993, 1.5, '3', 1e9, 9007199254740993, 1e308, '1e400', 2 ** 31, 2 ** 63];
  const cases = [];
  for (const q of quantities) {
    const rawQ = q === '1e400' ? '1e400' : JSON.stringify(q);
    cases.push(['storefront', 'POST', '/v1/reservations', `{"cart_id":"c","lines":[{"sku":"${sku}","quantity":${rawQ}}]}`]);
    for (const type of ['sale', 'receive', 'waste', 'count', 'return']) {
      if (type === 'count' && q === 0) continue; // an empty shelf is a valid count
      cases.push(['admin', 'POST', '/admin/events', `{"event_id":"${uid('q')}","type":"${type}","sku":"${sku}","location":"warehouse","quantity":${rawQ}}`]);
    }
    cases.push(['admin', 'POST', '/admin/purchase-orders', `{"po_id":"PO-9","location":"warehouse","lines":[{"sku":"${sku}","quantity":${rawQ},"expected_at":"2026-12-03T00:00:00Z"}]}`]);
    cases.push(['admin', 'PUT', `/admin/skus/${sku}`, `{"title":"t","max_per_cart":${rawQ},"buffer":{"mode":"fixed","units":${rawQ}}}`]);
  }
  cases.push(['storefront', 'POST', '/v1/reservations', JSON.stringify({ cart_id: 'c', lines: [{ sku, quantity: 1 }], ttl_seconds: 0 })]);
  cases.push(['storefront', 'POST', '/v1/reservations', JSON.stringify({ cart_id: 'c', lines: [{ sku, quantity: 1 }], ttl_seconds: 3601 })]);
  cases.push(['storefront', 'POST', '/v1/reservations', JSON.stringify({ cart_id: 'c', lines: [{ sku, quantity: 4 }] })]); // > max_per_cart
  cases.push(['storefront', 'POST', '/v1/reservations', JSON.stringify({ cart_id: 'c', lines: [] })]);
  cases.push(['storefront', 'POST', '/v1/reservations', JSON.stringify({ cart_id: 'c', lines: Array.from({ length: 101 }, (_, i) => ({ sku: `S${i}`, quantity: 1 })) })]);
  // Unknown SKUs: alone, and next to a known one (all or nothing).
  cases.push(['storefront', 'POST', '/v1/reservations', JSON.stringify({ cart_id: 'c', lines: [{ sku: 'NO-SUCH-SKU', quantity: 1 }] })]);
  cases.push(['storefront', 'POST', '/v1/reservations', JSON.stringify({ cart_id: 'c', lines: [{ sku, quantity: 1 }, { sku: 'NO-SUCH-SKU', quantity: 1 }] })]);
  cases.push(['admin', 'POST', '/admin/events', JSON.stringify({ events: [{ event_id: uid('u'), type: 'receive', sku, location: 'warehouse', quantity: 1 }, { event_id: uid('u'), type: 'receive', sku: 'NO-SUCH-SKU', location: 'warehouse', quantity: 1 }] })]);
  cases.push(['admin', 'POST', '/admin/events', JSON.stringify({ event_id: uid('u'), type: 'sale', sku, location: 'nowhere', quantity: 1 })]);
  cases.push(['admin', 'POST', '/admin/events', JSON.stringify({ event_id: uid('u'), type: 'sale', sku, location: 'warehouse', quantity: 1, channel: 'nochannel' })]);
  cases.push(['admin', 'POST', '/admin/events', JSON.stringify({ event_id: uid('u'), type: 'steal', sku, location: 'warehouse', quantity: 1 })]);
  cases.push(['admin', 'POST', '/admin/purchase-orders', JSON.stringify({ po_id: 'PO-2', location: 'warehouse', lines: [{ sku, quantity: 1, expected_at: '2026-12-03T00:00:00Z' }, { sku: 'NO-SUCH-SKU', quantity: 1, expected_at: '2026-12-03T00:00:00Z' }] })]);
  cases.push(['admin', 'POST', '/admin/purchase-orders', JSON.stringify({ po_id: 'PO-3', location: 'warehouse', lines: [{ sku, quantity: 1, expected_at: 'tomorrow' }] })]);
  // Malformed names and ids.
  const badNames = ['a b', 'x'.repeat(65), 'ümlaut', '..', 'a/b', '%00', ''];
  for (const n of badNames) {
    const e = encodeURIComponent(n);
    cases.push(['admin', 'PUT', `/admin/skus/${e}`, JSON.stringify({ title: 't' })]);
    cases.push(['admin', 'PUT', `/admin/locations/${e}`, JSON.stringify({ name: 't' })]);
    cases.push(['admin', 'PUT', `/admin/channels/${e}`, JSON.stringify({ locations: ['warehouse'] })]);
    cases.push(['admin', 'PUT', `/admin/subscribers/${e}`, JSON.stringify({ url: 'https://example.com/h', secret: 's', channel: 'web' })]);
    cases.push(['storefront', 'POST', '/v1/reservations', JSON.stringify({ cart_id: 'c', channel: n, lines: [{ sku, quantity: 1 }] })]);
    cases.push(['storefront', 'POST', '/v1/reservations', JSON.stringify({ cart_id: 'c', lines: [{ sku: n, quantity: 1 }] })]);
    cases.push(['checkout', 'POST', `/v1/reservations/${e}/commit`, '{}']);
    cases.push(['storefront', 'DELETE', `/v1/reservations/${e}`, undefined]);
  }
  // Event ids are 1 to 128 printable ASCII characters.
  for (const id of ['', 'x'.repeat(129), 'a b', 'ümlaut', 'tab\there', '\u0000']) {
    cases.push(['admin', 'POST', '/admin/events', JSON.stringify({ event_id: id, type: 'receive', sku, location: 'warehouse', quantity: 1 })]);
  }
  for (const id of [reservation.slice(0, 31), `${reservation.slice(0, 32)}.NO-SUCH-SKU`, `${'g'.repeat(32)}.${sku}`, `${reservation}x`, reservation.toUpperCase()]) {
    cases.push(['checkout', 'POST', `/v1/reservations/${encodeURIComponent(id)}/commit`, '{}']);
    cases.push(['storefront', 'DELETE', `/v1/reservations/${encodeURIComponent(id)}`, undefined]);
  }
  cases.push(['admin', 'PUT', '/admin/channels/web2', JSON.stringify({ locations: ['nowhere'] })]);
  cases.push(['admin', 'PUT', '/admin/subscribers/s2', JSON.stringify({ url: 'not a url', secret: 's', channel: 'web' })]);
  cases.push(['admin', 'PUT', `/admin/skus/${sku}`, JSON.stringify({ title: 't', buffer: { mode: 'magic' } })]);

  const failures = [];
  for (const [who, method, path, body] of cases) {
    const headers = { ...auth[who](), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) };
    const res = await safeJson(edge, method, path, body, headers);
    try {
      assertRefused(res, `${method} ${path} ${String(body).slice(0, 120)}`);
    } catch (e) {
      failures.push(e.message.split('\n')[0]);
    }
  }
  assert.deepEqual(failures, [], `${failures.length} of ${cases.length} bad requests were not a clean 4xx`);
  assert.deepEqual(await everything(), before);
  // The real reservation is untouched by all the mutated ids.
  assert.equal((await edge.admin('GET', `/admin/skus/${sku}`)).body.reserved, 1);
});

test('random bytes at every webhook route (signed and unsigned): never a 5xx, never a change', async () => {
  const r = rng();
  const before = await everything();
  const v = edge.vars;
  const sign = {
    shopify: (b) => ({ 'x-shopify-hmac-sha256': hmacBase64(v.SHOPIFY_WEBHOOK_SECRET, b), 'x-shopify-event-id': uid('f'), 'x-shopify-topic': 'inventory_levels/update' }),
    square: (b) => ({ 'x-square-hmacsha256-signature': hmacBase64(v.SQUARE_SIGNATURE_KEY, v.SQUARE_NOTIFICATION_URL, b) }),
    lightspeed: (b) => ({ 'x-signature': signLightspeed(v.LIGHTSPEED_CLIENT_SECRET, b) }),
    clover: () => ({ 'x-clover-auth': v.CLOVER_AUTH_CODE }),
    lastunit: (b) => ({ 'x-lastunit-signature': signLastunit(v.LASTUNIT_WEBHOOK_SECRET, b) }),
  };
  // Bodies: random bytes, random printable JSON-ish text, and mangled real payloads.
  const templates = [
    JSON.stringify({ inventory_item_id: 4242, location_id: 655441491, available: 3, updated_at: new Date().toISOString() }),
    JSON.stringify({ type: 'inventory.count.updated', event_id: 'x', data: { object: { inventory_counts: [{ catalog_object_id: 'SQBAD', location_id: 'L9XZ3', quantity: '3', state: 'IN_STOCK', calculated_at: new Date().toISOString() }] } } }),
    JSON.stringify({ event_id: 'e', type: 'sale', sku, location: 'main-st', quantity: 1 }),
    `type=inventory.update&payload=${encodeURIComponent(JSON.stringify({ product_id: 'p', outlet_id: 'o', count: 3 }))}`,
    JSON.stringify({ merchants: { M: [{ objectId: 'I:x', type: 'UPDATE', ts: Date.now() }] } }),
  ];
  const body = () => {
    const k = r.int(0, 2);
    if (k === 0) return randomBytes(r.int(0, 2048));
    if (k === 1) return Buffer.from(Array.from({ length: r.int(0, 400) }, () => r.pick('{}[]":,0123456789-.eE truefalsnul\\u"abc'.split(''))).join(''));
    const t = Buffer.from(r.pick(templates));
    for (let i = r.int(1, 6); i > 0; i--) t[r.int(0, t.length - 1)] = r.int(0, 255);
    return t;
  };
  const seen = {};
  const fails = [];
  for (let i = 0; i < 300; i++) {
    const route = r.pick(Object.keys(sign));
    const b = body();
    const signed = r.next() < 0.6;
    const ct = r.pick(['application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/octet-stream']);
    const res = await safeJson(edge, 'POST', `/webhooks/${route}`, new Uint8Array(b), { 'content-type': ct, ...(signed ? sign[route](b) : {}) });
    seen[res.status] = (seen[res.status] ?? 0) + 1;
    if (res.status === 0 || res.status >= 500 || (res.status >= 400 && typeof res.body?.error !== 'string')) {
      fails.push(`${route} signed=${signed} ${res.status} ${JSON.stringify(res.body)?.slice(0, 200)} body=${b.toString('base64').slice(0, 80)}`);
    }
    if (res.status === 200) assert.equal(res.body.applied, 0, `${route}: random bytes applied something: ${b.toString('base64')}`);
  }
  console.log(`seed ${r.seed}: statuses ${JSON.stringify(seen)}`);
  assert.deepEqual(fails.slice(0, 5), [], `seed ${r.seed}: ${fails.length} bad answers`);
  assert.deepEqual(await everything(), before);
});
