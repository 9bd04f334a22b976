// Helpers shared by the reliability and security suites (tests/reliability/*.test.mjs).
// They talk to the real local edge started by tests/harness.mjs.
import { randomBytes } from 'node:crypto';
import { hmacBase64, uid } from '../harness.mjs';

/** Counts values: `tally(['a','b','a'])` → `{a: 2, b: 1}`. */
export function tally(values) {
  const out = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** Random integer in [lo, hi]. A seeded generator keeps a failing run reproducible. */
export function rng(seed = Number(process.env.RELIABILITY_SEED ?? Date.now() % 2 ** 31)) {
  let s = seed >>> 0 || 1;
  const next = () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
  return {
    seed,
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    shuffle(xs) {
      const a = [...xs];
      for (let i = a.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [a[i], a[j]] = [a[j], a[i]];
      }
      return a;
    },
  };
}

/**
 * Request that never throws: `{status, body, headers, error}`; `status` is 0 when the
 * connection failed (the edge was killed) and `error` holds why.
 */
export async function safeJson(edge, method, path, body, headers = {}) {
  try {
    return await edge.json(method, path, body, headers);
  } catch (e) {
    return { status: 0, body: null, headers: new Headers(), error: String(e?.cause?.code ?? e?.message ?? e) };
  }
}

/** The parts of `GET /admin/skus/{sku}` that describe stock (no clocks, no versions). */
export function stockState(view) {
  const strip = (o) => Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [k, { ...v, updated_at: undefined, version: undefined }]));
  return {
    on_hand: view.on_hand,
    unsellable: view.unsellable,
    in_transit: view.in_transit,
    reserved: view.reserved,
    holds: view.holds,
    available: view.available,
    availability: strip(view.availability),
    incoming: view.incoming,
    returns: view.returns,
    ledger_entries: view.ledger_entries,
  };
}

/** Everything stock-related the operator can see of `skus` (admin view plus public availability). */
export async function wholeState(edge, skus, channels = ['web', 'store', 'marketplace']) {
  const out = {};
  for (const sku of skus) {
    const v = await edge.admin('GET', `/admin/skus/${encodeURIComponent(sku)}`);
    const a = {};
    for (const c of channels) {
      const r = await edge.json('GET', `/v1/availability/${encodeURIComponent(sku)}?channel=${c}`);
      a[c] = r.status === 200 ? { ...r.body, version: undefined, updated_at: undefined } : { status: r.status, body: r.body };
    }
    out[sku] = { status: v.status, stock: v.status === 200 ? stockState(v.body) : v.body, public: a };
  }
  return out;
}

/** Signed Shopify `inventory_levels/update` delivery (headers and raw body). */
export function shopifyDelivery(secret, { item, location, available, updatedAt, eventId = uid('shp') }) {
  const raw = JSON.stringify({ inventory_item_id: item, location_id: location, available, updated_at: updatedAt });
  return {
    route: '/webhooks/shopify',
    raw,
    headers: { 'content-type': 'application/json', 'x-shopify-hmac-sha256': hmacBase64(secret, raw), 'x-shopify-event-id': eventId, 'x-shopify-topic': 'inventory_levels/update' },
  };
}

/** Signed Square `inventory.count.updated` delivery. */
export function squareDelivery(key, notificationUrl, { counts, eventId = uid('sq') }) {
  const raw = JSON.stringify({
    merchant_id: 'MLRELIABILITY', type: 'inventory.count.updated', event_id: eventId, created_at: new Date().toISOString(),
    data: { type: 'inventory', id: uid('id'), object: { inventory_counts: counts } },
  });
  return { route: '/webhooks/square', raw, headers: { 'content-type': 'application/json', 'x-square-hmacsha256-signature': hmacBase64(key, notificationUrl, raw) } };
}

/** Sends a prepared delivery as is (the same bytes and headers every time). */
export function send(edge, d) {
  return safeJson(edge, 'POST', d.route, d.raw, d.headers);
}

/** 128 random bits, hex. */
export const hex128 = () => randomBytes(16).toString('hex');

/** Runs `fn(i)` for i in 0..n with at most `limit` at once; resolves to the results in order. */
export async function pool(n, limit, fn) {
  const out = new Array(n);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
  return out;
}

/**
 * At most `limit` requests in flight at once: `const g = gate(64); await g(() => fetch(...))`.
 * The local edge runs behind wrangler's dev proxy, which drops requests ("Your worker restarted
 * mid-request", 503) once several hundred connections are open at the same moment; the shoppers
 * stay concurrent (all sessions live at once) while their HTTP calls share 64 connections.
 */
export function gate(limit = 64) {
  let inflight = 0;
  const waiters = [];
  return async (fn) => {
    while (inflight >= limit) await new Promise((r) => waiters.push(r));
    inflight++;
    try {
      return await fn();
    } finally {
      inflight--;
      waiters.shift()?.();
    }
  };
}
