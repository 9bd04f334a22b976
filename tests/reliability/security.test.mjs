// Security: who may call what (every route × every credential), CORS, webhook replay, secrets
// never leaking (in any answer or in the edge's log), unguessable reservation ids, and a shopper
// unable to drain stock through one cart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startEdge, basicCatalog, skuWithStock, uid, signLastunit, waitFor, eventually, shopperAddress } from '../harness.mjs';

let edge;
let sku;
const collected = []; // every answer seen: {what, status, headers, text}

before(async () => {
  edge = await startEdge();
  await basicCatalog(edge);
  sku = uid('SEC');
  await skuWithStock(edge, sku, { warehouse: 500 }, { max_per_cart: 2 });
  const sub = await edge.admin('PUT', '/admin/subscribers/mkt', { url: 'http://127.0.0.1:9/hook', secret: 'subscriber-secret-7f3a9c', channel: 'marketplace' });
  assert.equal(sub.status, 200, JSON.stringify(sub.body));
});
after(async () => edge?.stop());

/** A request whose answer is kept for the secrets scan. */
async function call(method, path, { body, headers = {}, what = `${method} ${path}` } = {}) {
  // Each call a shopper of its own, unless the test names one (the client cap counts per address).
  const init = { method, headers: { 'cf-connecting-ip': shopperAddress(), ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['content-type'] ??= 'application/json';
  }
  const r = await fetch(edge.url + path, init);
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  collected.push({ what, status: r.status, headers: [...r.headers], text });
  return { status: r.status, headers: r.headers, body: json, text };
}

const bearer = (t) => ({ authorization: `Bearer ${t}` });

test('auth matrix: every route × no credential, garbage, each role; storefront never commits nor reaches /admin', async () => {
  const v = edge.vars;
  const creds = {
    none: {},
    garbage: bearer('not-a-token'),
    basic: { authorization: `Basic ${Buffer.from(`admin:${v.ADMIN_TOKEN}`).toString('base64')}` },
    prefix: bearer(v.ADMIN_TOKEN.slice(0, -1)),
    longer: bearer(`${v.ADMIN_TOKEN}x`),
    empty: { authorization: 'Bearer ' },
    storefront: bearer(v.STOREFRONT_KEY),
    checkout: bearer(v.CHECKOUT_TOKEN),
    admin: bearer(v.ADMIN_TOKEN),
  };
  const invalid = ['none', 'garbage', 'basic', 'prefix', 'longer', 'empty'];
  // A fresh hold per request that needs one.
  const hold = async () => (await edge.storefront('POST', '/v1/reservations', { cart_id: uid('c'), lines: [{ sku, quantity: 1 }] })).body.reservation_id;
  const routes = [
    // [method, path or fn, body, who may (others → 403; invalid → 401); null = public]
    ['GET', '/v1/health', undefined, null],
    ['GET', `/v1/availability/${sku}?channel=web`, undefined, null],
    ['GET', `/v1/availability?skus=${sku}&channel=web`, undefined, null],
    ['POST', '/v1/reservations', () => ({ cart_id: uid('c'), lines: [{ sku, quantity: 1 }] }), ['storefront', 'checkout']],
    ['POST', async () => `/v1/reservations/${await hold()}/commit`, { order_id: 'o-auth' }, ['checkout']],
    ['DELETE', async () => `/v1/reservations/${await hold()}`, undefined, ['storefront', 'checkout']],
    ['PUT', '/admin/locations/sec-loc', { name: 'Sec' }, ['admin']],
    ['PUT', '/admin/channels/sec-chan', { locations: ['warehouse'] }, ['admin']],
    ['PUT', `/admin/skus/${sku}`, { title: sku, buffer: { mode: 'none' }, max_per_cart: 2 }, ['admin']],
    ['PUT', '/admin/subscribers/mkt', { url: 'http://127.0.0.1:9/hook', secret: 'subscriber-secret-7f3a9c', channel: 'marketplace' }, ['admin']],
    ['GET', `/admin/skus/${sku}`, undefined, ['admin']],
    ['GET', '/admin/skus', undefined, ['admin']],
    ['GET', '/admin/locations', undefined, ['admin']],
    ['GET', '/admin/channels', undefined, ['admin']],
    ['GET', '/admin/subscribers', undefined, ['admin']],
    ['GET', '/admin/dashboard?horizon_days=7&channel=web', undefined, ['admin']],
    ['GET', '/admin/ask?q=which+products+are+at+risk', undefined, ['admin']],
    ['POST', '/admin/purchase-orders', () => ({ po_id: uid('PO'), location: 'warehouse', lines: [{ sku, quantity: 1, expected_at: '2026-12-24T00:00:00Z' }] }), ['admin']],
    ['POST', '/admin/events', () => ({ event_id: uid('e'), type: 'receive', sku, location: 'warehouse', quantity: 1 }), ['admin']],
  ];
  const wrong = [];
  for (const [method, p, b, may] of routes) {
    for (const [name, headers] of Object.entries(creds)) {
      const path = typeof p === 'function' ? await p() : p;
      const body = typeof b === 'function' ? b() : b;
      const r = await call(method, path, { body, headers, what: `${method} ${path} as ${name}` });
      let expect;
      if (may === null) expect = 'ok';
      else if (invalid.includes(name)) expect = 401;
      else expect = may.includes(name) ? 'ok' : 403;
      const good = expect === 'ok' ? r.status >= 200 && r.status < 300 : r.status === expect;
      const code = expect === 401 ? 'unauthorized' : expect === 403 ? 'forbidden' : null;
      if (!good || (code && r.body?.error !== code)) wrong.push(`${method} ${path} as ${name}: ${r.status} ${r.text.slice(0, 120)} (expected ${expect})`);
    }
  }
  // Webhooks take no bearer token: any of them without the provider's signature is 401.
  for (const p of ['shopify', 'square', 'lightspeed', 'clover', 'lastunit']) {
    for (const [name, headers] of Object.entries(creds)) {
      const r = await call('POST', `/webhooks/${p}`, { body: { event_id: 'x', type: 'sale', sku, location: 'warehouse', quantity: 1 }, headers, what: `webhook ${p} as ${name}` });
      if (r.status !== 401 || r.body?.error !== 'unauthorized') wrong.push(`POST /webhooks/${p} as ${name}: ${r.status} ${r.text.slice(0, 120)}`);
    }
  }
  assert.deepEqual(wrong, []);
  const view = (await edge.admin('GET', `/admin/skus/${sku}`)).body;
  assert.equal(view.returns?.web?.sold ?? 0, 1, 'exactly one commit went through: the checkout token\'s');
});

test('CORS: only ALLOWED_ORIGINS, on preflights and on actual answers', async () => {
  const allowed = edge.vars.ALLOWED_ORIGINS.split(',');
  const denied = ['https://evil.example', 'null', 'https://shop.example.evil.example', 'http://shop.example', `${allowed[0]}/`, `${allowed[0]}:443`];
  for (const path of ['/v1/reservations', `/v1/reservations/${'a'.repeat(32)}.${sku}`, `/v1/availability/${sku}`, '/admin/skus', '/webhooks/lastunit']) {
    for (const o of allowed) {
      const r = await call('OPTIONS', path, { headers: { origin: o, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, idempotency-key' } });
      assert.ok(r.status === 204 || r.status === 200, `preflight ${path} from ${o}: ${r.status}`);
      assert.equal(r.headers.get('access-control-allow-origin'), o);
      assert.match(r.headers.get('access-control-allow-headers') ?? '', /authorization/i);
    }
    for (const o of denied) {
      const r = await call('OPTIONS', path, { headers: { origin: o, 'access-control-request-method': 'POST' } });
      assert.equal(r.headers.get('access-control-allow-origin'), null, `preflight ${path} from ${o} must not be allowed`);
      assert.ok(r.status >= 400 || r.status === 204, `${r.status}`);
    }
  }
  for (const o of allowed) {
    const r = await call('GET', `/v1/availability/${sku}`, { headers: { origin: o } });
    assert.equal(r.headers.get('access-control-allow-origin'), o);
    assert.match(r.headers.get('vary') ?? '', /origin/i);
    const res = await call('POST', '/v1/reservations', { body: { cart_id: uid('c'), lines: [{ sku, quantity: 1 }] }, headers: { origin: o, ...bearer(edge.vars.STOREFRONT_KEY) } });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('access-control-allow-origin'), o);
  }
  for (const o of denied) {
    for (const [m, p, h] of [['GET', `/v1/availability/${sku}`, {}], ['GET', '/admin/skus', bearer(edge.vars.ADMIN_TOKEN)], ['POST', '/v1/reservations', bearer(edge.vars.STOREFRONT_KEY)]]) {
      const r = await call(m, p, { headers: { origin: o, ...h }, body: m === 'POST' ? { cart_id: uid('c'), lines: [{ sku, quantity: 1 }] } : undefined });
      assert.equal(r.headers.get('access-control-allow-origin'), null, `${m} ${p} from ${o}`);
      assert.equal(r.headers.get('access-control-allow-credentials'), null);
    }
  }
});

test('a generic webhook signed more than 300 s away from now is refused (replay), and a replay inside the window is a duplicate', async () => {
  const ev = { event_id: uid('replay'), type: 'sale', sku, location: 'warehouse', quantity: 1, channel: 'store' };
  const raw = JSON.stringify(ev);
  const before = (await edge.admin('GET', `/admin/skus/${sku}`)).body.on_hand.warehouse;
  // Each `t` is taken from the clock just before its request: the edge's clock keeps running
  // while a slow machine works through the list, so a `t` read once ahead of the loop would
  // drift into the window. Ahead of now the margin is 10 s for that reason.
  const seconds = () => Math.floor(Date.now() / 1000);
  for (const [label, at] of [['301 s ago', () => seconds() - 301], ['an hour ago', () => seconds() - 3600], ['310 s ahead', () => seconds() + 310], ['t=0', () => 0]]) {
    const t = at();
    const r = await call('POST', '/webhooks/lastunit', { body: raw, headers: { 'x-lastunit-signature': signLastunit(edge.vars.LASTUNIT_WEBHOOK_SECRET, raw, t) }, what: `replay t=${t}` });
    assert.equal(r.status, 401, `t ${label}: ${r.text}`);
    assert.equal(r.body.error, 'unauthorized');
  }
  const now = seconds();
  // A signature with the right t but for other bytes, or with a second v1 for other bytes.
  const sig = signLastunit(edge.vars.LASTUNIT_WEBHOOK_SECRET, raw, now);
  assert.equal((await call('POST', '/webhooks/lastunit', { body: raw.replace('"quantity":1', '"quantity":9'), headers: { 'x-lastunit-signature': sig } })).status, 401);
  assert.equal((await edge.admin('GET', `/admin/skus/${sku}`)).body.on_hand.warehouse, before, 'nothing applied');
  const ok = await call('POST', '/webhooks/lastunit', { body: raw, headers: { 'x-lastunit-signature': signLastunit(edge.vars.LASTUNIT_WEBHOOK_SECRET, raw, now - 290) } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.applied, 1);
  const again = await call('POST', '/webhooks/lastunit', { body: raw, headers: { 'x-lastunit-signature': sig } });
  assert.deepEqual(again.body, { applied: 0, duplicates: 1, ignored: 0 }, 'a captured delivery replayed in the window changes nothing');
  assert.equal((await edge.admin('GET', `/admin/skus/${sku}`)).body.on_hand.warehouse, before - 1);
});

test('reservation ids carry 128 random bits; a mutated id is 404 and never touches the real one', async () => {
  const ids = [];
  for (let i = 0; i < 200; i++) {
    const r = await call('POST', '/v1/reservations', { body: { cart_id: uid('c'), ttl_seconds: 60, lines: [{ sku, quantity: 1 }] }, headers: bearer(edge.vars.STOREFRONT_KEY) });
    assert.equal(r.status, 201, r.text);
    ids.push(r.body.reservation_id);
  }
  assert.equal(new Set(ids).size, ids.length, 'all distinct');
  const hexes = ids.map((id) => /^([0-9a-f]{32})\./.exec(id)?.[1]);
  assert.ok(hexes.every(Boolean), 'a 32-hex-digit (128-bit) random part');
  // Every one of the 128 bits is set in about half the ids (binomial(200, 1/2): 100 ± 7;
  // a counter, a clock or a constant prefix would pin bits at 0 or 200).
  for (let bit = 0; bit < 128; bit++) {
    const ones = hexes.filter((h) => (parseInt(h[bit >> 2], 16) >> (3 - (bit & 3))) & 1).length;
    assert.ok(ones > 55 && ones < 145, `bit ${bit} set in ${ones} of 200 ids`);
  }
  // Sequential ids differ in about half their bits.
  for (let i = 1; i < hexes.length; i++) {
    let diff = 0;
    for (let k = 0; k < 32; k++) diff += [...(parseInt(hexes[i][k], 16) ^ parseInt(hexes[i - 1][k], 16)).toString(2)].filter((c) => c === '1').length;
    assert.ok(diff > 30 && diff < 98, `ids ${i - 1} and ${i} differ in ${diff} bits`);
  }
  const real = ids[0];
  const reservedBefore = (await edge.admin('GET', `/admin/skus/${sku}`)).body.reserved;
  const mutants = [];
  for (let k = 0; k < 32; k += 5) {
    const c = real[k] === '0' ? '1' : '0';
    mutants.push(real.slice(0, k) + c + real.slice(k + 1));
  }
  for (const m of mutants) {
    const c = await call('POST', `/v1/reservations/${m}/commit`, { body: { order_id: 'o-m' }, headers: bearer(edge.vars.CHECKOUT_TOKEN) });
    assert.equal(c.status, 404, `commit ${m}: ${c.text}`);
    const d = await call('DELETE', `/v1/reservations/${m}`, { headers: bearer(edge.vars.STOREFRONT_KEY) });
    assert.equal(d.status, 404, `delete ${m}: ${d.text}`);
  }
  assert.equal((await edge.admin('GET', `/admin/skus/${sku}`)).body.reserved, reservedBefore, 'no hold touched');
  const c = await call('POST', `/v1/reservations/${real}/commit`, { body: { order_id: 'o-real' }, headers: bearer(edge.vars.CHECKOUT_TOKEN) });
  assert.equal(c.status, 200, 'the real one still commits');
  for (const id of ids.slice(1)) assert.equal((await edge.storefront('DELETE', `/v1/reservations/${id}`)).status, 200);
});

test('a shopper cannot drain stock through a cart: max_per_cart is 422 across holds, and holds expire on their own', async () => {
  const s = uid('DRAIN');
  await skuWithStock(edge, s, { warehouse: 10 }, { max_per_cart: 2 });
  const cart = uid('cart');
  const reserve = (q, c = cart, ttl = 5) => call('POST', '/v1/reservations', { body: { cart_id: c, ttl_seconds: ttl, lines: [{ sku: s, quantity: q }] }, headers: bearer(edge.vars.STOREFRONT_KEY) });
  const big = await reserve(3);
  assert.equal(big.status, 422, big.text);
  assert.equal(big.body.sku, s);
  assert.equal(big.body.max_per_cart, 2);
  assert.equal(typeof big.body.message, 'string');
  // Holds lapse by themselves: watch the live stream (opening it expires nothing) from before the
  // hold, so what it shows does not depend on how fast this machine is.
  const ws = new WebSocket(`${edge.url.replace('http', 'ws')}/v1/live/${s}?channel=web`);
  const seen = [];
  ws.on('message', (m) => seen.push(JSON.parse(String(m))));
  await waitFor(() => seen.some((m) => m.available === 10), { what: 'the stream to start' });
  assert.equal((await reserve(2)).status, 201);
  const more = await reserve(1);
  assert.equal(more.status, 422, `a second hold on the same cart over the cap: ${more.text}`);
  const split = await call('POST', '/v1/reservations', { body: { cart_id: cart, lines: [{ sku: s, quantity: 1 }, { sku: s, quantity: 2 }] }, headers: bearer(edge.vars.STOREFRONT_KEY) });
  assert.equal(split.status, 422, `the same SKU on two lines is one line: ${split.text}`);
  assert.equal((await edge.availability(s)).available, 8);
  await eventually(() => {
    const held = seen.findIndex((m) => m.available === 8);
    assert.ok(held >= 0, `the hold on the stream: ${JSON.stringify(seen)}`);
    assert.ok(seen.slice(held).some((m) => m.available === 10), `then its expiry: ${JSON.stringify(seen)}`);
  }, { timeoutMs: 15000, what: 'the hold to expire by itself' });
  ws.close();
  assert.equal((await edge.admin('GET', `/admin/skus/${s}`)).body.reserved, 0);
  assert.equal((await reserve(2, cart, 60)).status, 201, 'after expiry the cart may hold again');
});

test('secrets never appear in any answer (body or header) nor in the edge log', async () => {
  // A few more answers: errors, idempotent replays, the dashboard and questions.
  await call('GET', '/admin/dashboard', { headers: bearer(edge.vars.ADMIN_TOKEN) });
  await call('GET', '/admin/subscribers', { headers: bearer(edge.vars.ADMIN_TOKEN) });
  await call('GET', `/admin/skus/${sku}`, { headers: bearer(edge.vars.ADMIN_TOKEN) });
  await call('POST', '/v1/reservations', { body: { cart_id: 'i', lines: [{ sku, quantity: 1 }] }, headers: { ...bearer(edge.vars.STOREFRONT_KEY), 'idempotency-key': 'k-1' } });
  await call('POST', '/webhooks/clover', { body: { verificationCode: 'abc' }, headers: { 'x-clover-auth': edge.vars.CLOVER_AUTH_CODE } });
  await call('POST', '/webhooks/clover', { body: { merchants: { MID123: [{ objectId: 'I:ITEM1', type: 'UPDATE', ts: Date.now() }] } }, headers: { 'x-clover-auth': edge.vars.CLOVER_AUTH_CODE } });
  await call('GET', '/', {});
  await call('GET', '/dashboard', {});
  const ws = new WebSocket(`${edge.url.replace('http', 'ws')}/v1/live/${sku}?channel=web`);
  const msgs = [];
  ws.on('message', (m) => msgs.push(String(m)));
  await waitFor(() => msgs.length > 0, { what: 'a live message' });
  ws.close();
  // wrangler logs each request once it is answered: wait until the log has the last one.
  await waitFor(() => edge.logs().includes(`GET /v1/live/${sku}?`) || edge.logs().includes(`GET /v1/live/${sku} `), { what: 'the last request in the edge log' });
  const secretNames = ['ADMIN_TOKEN', 'CHECKOUT_TOKEN', 'STOREFRONT_KEY', 'SHOPIFY_WEBHOOK_SECRET', 'SQUARE_SIGNATURE_KEY', 'LIGHTSPEED_CLIENT_SECRET', 'CLOVER_AUTH_CODE', 'CLOVER_API_TOKEN', 'LASTUNIT_WEBHOOK_SECRET'];
  const secrets = secretNames.map((n) => [n, edge.vars[n]]).concat([['subscriber secret', 'subscriber-secret-7f3a9c']]);
  assert.ok(collected.length > 200, `answers collected: ${collected.length}`);
  const leaks = [];
  for (const c of collected.concat(msgs.map((m) => ({ what: 'live message', headers: [], text: m })))) {
    const hay = `${c.headers.map(([k, v]) => `${k}: ${v}`).join('\n')}\n${c.text}`;
    for (const [n, s] of secrets) if (hay.includes(s)) leaks.push(`${n} in ${c.what}`);
  }
  assert.deepEqual(leaks, []);
  const log = edge.logs();
  assert.ok(log.length > 0);
  for (const [n, s] of secrets) assert.ok(!log.includes(s), `${n} appears in the wrangler log`);
});
