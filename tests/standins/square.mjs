// Stand-in for Square's Inventory and Catalog APIs and the inventory.count.updated webhook,
// written from Square's docs. README.md lists the control API.
//
// Sources (stored copies read through the docs search):
// - developer.squareup.com/reference/square/inventory/batch-change-inventory (POST
//   /v2/inventory/changes/batch-create: idempotency_key, changes "Max size is 100 changes",
//   answers the current counts of every object it references)
// - developer.squareup.com/docs/inventory-api/how-it-works ("Square tracks inventory by adding
//   up all adjustments since the last physical count"; changes carry a client RFC 3339
//   timestamp and are put in sequence by it, so they "can arrive in any order")
// - developer.squareup.com/reference/square/objects/InventoryState (IN_STOCK, SOLD, WASTE,
//   NONE, UNLINKED_RETURN; the READ-ONLY states "the Inventory API cannot move quantities to or
//   from"; SOLD "no longer tracked")
// - developer.squareup.com/docs/working-with-apis/idempotency (the same key and request answer
//   the first successful response and do nothing again; the same key with another request is
//   an error)
// - developer.squareup.com/reference/square/webhooks/inventory.count.updated and
//   developer.squareup.com/docs/inventory-api/webhooks (merchant_id, type, event_id,
//   created_at, data.object.inventory_counts[])
// - developer.squareup.com/docs/webhooks/step3validate and step2subscribe
//   (x-square-hmacsha256-signature: base64 HMAC-SHA256 of the notification URL followed by the
//   raw body, with the subscription's signature key; the square-environment header)
// - the error shape { errors: [{ category, code, detail, field }] } and RATE_LIMITED under
//   RATE_LIMIT_ERROR (developer.squareup.com/reference/square/objects/Error)
import { randomUUID } from 'node:crypto';
import { Faults, Outbox, hmacBase64, queryOf, sendJson, startServer } from './common.mjs';

const WRITABLE = new Set(['IN_STOCK', 'SOLD', 'WASTE', 'NONE', 'UNLINKED_RETURN']);
const READ_ONLY = new Set(['CUSTOM', 'RETURNED_BY_CUSTOMER', 'RESERVED_FOR_SALE', 'SOLD_ONLINE', 'ORDERED_FROM_VENDOR', 'RECEIVED_FROM_VENDOR', 'IN_TRANSIT_TO', 'COMPOSED', 'DECOMPOSED', 'IN_TRANSIT']);
// NONE, SOLD and UNLINKED_RETURN are not tracked: moving out of them brings stock in, moving
// into them takes it out, and no count is kept for them.
const UNTRACKED = new Set(['NONE', 'SOLD', 'UNLINKED_RETURN']);
const MAX_CHANGES = 100;
const QUANTITY = /^-?\d+(\.\d{1,5})?$/; // a decimal string, up to 5 digits after the point

const sqError = (res, status, category, code, detail, field) => sendJson(res, status, { errors: [{ category, code, detail, ...(field ? { field } : {}) }] });
const isRfc3339 = (s) => typeof s === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s));

/** Starts the stand-in. See README.md for `options` and the control API. */
export async function start(options = {}) {
  const token = options.token ?? 'sq_standin_token';
  const merchantId = options.merchantId ?? 'MLSTANDIN';
  const pageSize = Math.min(options.pageSize ?? 100, 100);
  const faults = new Faults();
  const outbox = new Outbox({ retry: options.webhookRetry });
  const writes = [];
  const requests = [];
  const catalog = new Map(); // id → ITEM or ITEM_VARIATION object
  const locations = new Set(options.locations ?? []);
  const ledger = new Map(); // `${variation}|${location}` → [{ seq, at, kind, state, delta | quantity }]
  const idempotency = new Map(); // key → { fingerprint, response }
  let seq = 0;
  let webhook = options.webhook ?? null;
  let ids = 0;
  const newId = (prefix) => `${prefix}${String((ids += 1)).padStart(6, '0')}STANDIN`;

  // ---- catalog ------------------------------------------------------------------------------
  function addItem({ id = newId('ITEM'), name = `Item ${id}`, variations = [] } = {}) {
    const item = { type: 'ITEM', id, updated_at: new Date().toISOString(), version: Date.now(), is_deleted: false, present_at_all_locations: true, item_data: { name, variations: [] } };
    catalog.set(id, item);
    const made = variations.map((v) => addVariation(id, v));
    return { itemId: id, variationIds: made };
  }
  function addVariation(itemId, { id = newId('VAR'), sku = null, name = sku ?? id, counts = {} } = {}) {
    const item = catalog.get(itemId);
    const v = {
      type: 'ITEM_VARIATION',
      id,
      updated_at: new Date().toISOString(),
      version: Date.now(),
      is_deleted: false,
      present_at_all_locations: true,
      item_variation_data: { item_id: itemId, name, sku, ordinal: item.item_data.variations.length, pricing_type: 'FIXED_PRICING', price_money: { amount: 1000, currency: 'EUR' }, track_inventory: true },
    };
    catalog.set(id, v);
    item.item_data.variations.push(v);
    for (const [loc, q] of Object.entries(counts)) physicalCount(id, loc, q, new Date().toISOString());
    return id;
  }

  // ---- inventory ----------------------------------------------------------------------------
  const entries = (v, loc) => ledger.get(`${v}|${loc}`) || [];
  function record(v, loc, entry) {
    locations.add(loc);
    const k = `${v}|${loc}`;
    if (!ledger.has(k)) ledger.set(k, []);
    ledger.get(k).push({ seq: (seq += 1), ...entry });
  }
  /** A tracked state's count: the newest physical count, plus every adjustment after it, both
   * in occurred_at order (a change that happened before a later count does not move it). */
  function countOf(v, loc, state = 'IN_STOCK') {
    const list = entries(v, loc).filter((e) => e.state === state).sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.seq - b.seq);
    let q = 0;
    for (const e of list) q = e.kind === 'count' ? e.quantity : q + e.delta;
    return Math.round(q * 1e5) / 1e5;
  }
  const countView = (v, loc, state = 'IN_STOCK') => ({
    catalog_object_id: v,
    catalog_object_type: 'ITEM_VARIATION',
    state,
    location_id: loc,
    quantity: String(countOf(v, loc, state)),
    calculated_at: new Date().toISOString(),
  });
  function physicalCount(v, loc, quantity, at) {
    record(v, loc, { at, kind: 'count', state: 'IN_STOCK', quantity: Number(quantity) });
  }
  function adjust(v, loc, from, to, quantity, at) {
    const q = Number(quantity);
    if (!UNTRACKED.has(from)) record(v, loc, { at, kind: 'adjust', state: from, delta: -q });
    if (!UNTRACKED.has(to)) record(v, loc, { at, kind: 'adjust', state: to, delta: +q });
  }
  /** The tracked states an item has at a location. */
  const statesOf = (v, loc) => [...new Set(entries(v, loc).map((e) => e.state))];

  // ---- webhooks out -------------------------------------------------------------------------
  function countUpdated(pairs) {
    if (!webhook) return;
    const counts = [];
    for (const [v, loc, states] of pairs) for (const s of states) counts.push(countView(v, loc, s));
    if (!counts.length) return;
    const payload = {
      merchant_id: merchantId,
      type: 'inventory.count.updated',
      event_id: randomUUID(),
      created_at: new Date().toISOString(),
      data: { type: 'inventory_counts', id: randomUUID(), object: { inventory_counts: counts } },
    };
    const body = JSON.stringify(payload);
    const notificationUrl = webhook.notificationUrl ?? webhook.url;
    outbox.send({
      url: webhook.url,
      topic: 'inventory.count.updated',
      id: payload.event_id,
      body,
      headers: {
        'content-type': 'application/json',
        'x-square-hmacsha256-signature': hmacBase64(webhook.signatureKey, notificationUrl + body),
        'square-environment': 'Sandbox',
        'square-initial-delivery-timestamp': payload.created_at,
      },
    });
  }

  // ---- batch-create -------------------------------------------------------------------------
  /** Checks every change; returns the error answer or the planned applications. */
  function plan(changes) {
    const fail = (code, detail, field) => ({ error: { status: 400, category: 'INVALID_REQUEST_ERROR', code, detail, field } });
    const todo = [];
    for (const [i, c] of changes.entries()) {
      const at = (f) => `changes[${i}].${f}`;
      if (c.type === 'ADJUSTMENT') {
        const a = c.adjustment;
        if (!a) return fail('MISSING_REQUIRED_PARAMETER', 'An ADJUSTMENT change needs an adjustment.', at('adjustment'));
        for (const f of ['from_state', 'to_state', 'location_id', 'catalog_object_id', 'quantity', 'occurred_at']) {
          if (a[f] === undefined || a[f] === null || a[f] === '') return fail('MISSING_REQUIRED_PARAMETER', `Missing required parameter ${f}.`, at(`adjustment.${f}`));
        }
        for (const f of ['from_state', 'to_state']) {
          if (READ_ONLY.has(a[f])) return fail('INVALID_VALUE', `The Inventory API cannot move quantities to or from ${a[f]}.`, at(`adjustment.${f}`));
          if (!WRITABLE.has(a[f])) return fail('INVALID_ENUM_VALUE', `${a[f]} is not a valid InventoryState.`, at(`adjustment.${f}`));
        }
        if (a.from_state === a.to_state) return fail('INVALID_VALUE', 'from_state and to_state must differ.', at('adjustment.to_state'));
        if (typeof a.quantity !== 'string') return fail('EXPECTED_STRING', 'quantity must be a decimal string.', at('adjustment.quantity'));
        if (!QUANTITY.test(a.quantity) || Number(a.quantity) <= 0) return fail('INVALID_VALUE', 'quantity must be a positive decimal with up to 5 digits after the point.', at('adjustment.quantity'));
        if (!isRfc3339(a.occurred_at)) return fail('INVALID_TIME', 'occurred_at must be an RFC 3339 timestamp.', at('adjustment.occurred_at'));
        const v = catalog.get(a.catalog_object_id);
        if (!v || v.type !== 'ITEM_VARIATION') return fail('INVALID_VALUE', `Object ${a.catalog_object_id} is not an item variation.`, at('adjustment.catalog_object_id'));
        if (!locations.has(a.location_id)) return fail('INVALID_VALUE', `Location ${a.location_id} not found.`, at('adjustment.location_id'));
        todo.push({ kind: 'adjust', v: a.catalog_object_id, loc: a.location_id, from: a.from_state, to: a.to_state, quantity: a.quantity, at: a.occurred_at, change: c });
      } else if (c.type === 'PHYSICAL_COUNT') {
        const p = c.physical_count;
        if (!p) return fail('MISSING_REQUIRED_PARAMETER', 'A PHYSICAL_COUNT change needs a physical_count.', at('physical_count'));
        for (const f of ['state', 'location_id', 'catalog_object_id', 'quantity', 'occurred_at']) {
          if (p[f] === undefined || p[f] === null || p[f] === '') return fail('MISSING_REQUIRED_PARAMETER', `Missing required parameter ${f}.`, at(`physical_count.${f}`));
        }
        if (p.state !== 'IN_STOCK') return fail('INVALID_VALUE', 'The stand-in takes physical counts of IN_STOCK only.', at('physical_count.state'));
        if (typeof p.quantity !== 'string' || !QUANTITY.test(p.quantity)) return fail('INVALID_VALUE', 'quantity must be a decimal string.', at('physical_count.quantity'));
        if (!isRfc3339(p.occurred_at)) return fail('INVALID_TIME', 'occurred_at must be an RFC 3339 timestamp.', at('physical_count.occurred_at'));
        if (!catalog.has(p.catalog_object_id)) return fail('INVALID_VALUE', `Object ${p.catalog_object_id} is not an item variation.`, at('physical_count.catalog_object_id'));
        if (!locations.has(p.location_id)) return fail('INVALID_VALUE', `Location ${p.location_id} not found.`, at('physical_count.location_id'));
        todo.push({ kind: 'count', v: p.catalog_object_id, loc: p.location_id, quantity: p.quantity, at: p.occurred_at, change: c });
      } else {
        return fail('INVALID_ENUM_VALUE', `Change type ${c.type} is not supported by the stand-in (ADJUSTMENT, PHYSICAL_COUNT).`, at('type'));
      }
    }
    return { todo };
  }
  /** Applies planned changes (all checked first) and sends one webhook for the counts that moved. */
  function apply(todo, source) {
    const before = new Map();
    const key = (t) => `${t.v}|${t.loc}`;
    for (const t of todo) if (!before.has(key(t))) before.set(key(t), Object.fromEntries(statesOf(t.v, t.loc).map((s) => [s, countOf(t.v, t.loc, s)])));
    const created = todo.map((t) => {
      const id = randomUUID();
      const createdAt = new Date().toISOString();
      if (t.kind === 'adjust') {
        adjust(t.v, t.loc, t.from, t.to, t.quantity, t.at);
        return { type: 'ADJUSTMENT', adjustment: { ...t.change.adjustment, id, created_at: createdAt, catalog_object_type: 'ITEM_VARIATION', source } };
      }
      physicalCount(t.v, t.loc, t.quantity, t.at);
      return { type: 'PHYSICAL_COUNT', physical_count: { ...t.change.physical_count, id, created_at: createdAt, catalog_object_type: 'ITEM_VARIATION', source } };
    });
    const moved = [];
    for (const [k, was] of before) {
      const [v, loc] = k.split('|');
      const states = statesOf(v, loc).filter((s) => countOf(v, loc, s) !== (was[s] ?? 0));
      moved.push([v, loc, states]);
    }
    countUpdated(moved);
    const counts = [...before.keys()].flatMap((k) => {
      const [v, loc] = k.split('|');
      return statesOf(v, loc).map((s) => countView(v, loc, s));
    });
    return { counts, changes: created };
  }

  function batchCreate(res, body) {
    const key = body.idempotency_key;
    if (typeof key !== 'string' || key.length === 0) return sqError(res, 400, 'INVALID_REQUEST_ERROR', 'MISSING_REQUIRED_PARAMETER', 'Missing required parameter.', 'idempotency_key');
    if (key.length > 128) return sqError(res, 400, 'INVALID_REQUEST_ERROR', 'VALUE_TOO_LONG', 'idempotency_key must be at most 128 characters.', 'idempotency_key');
    const changes = Array.isArray(body.changes) ? body.changes : [];
    if (changes.length > MAX_CHANGES) return sqError(res, 400, 'INVALID_REQUEST_ERROR', 'ARRAY_LENGTH_TOO_LONG', `At most ${MAX_CHANGES} changes per request.`, 'changes');
    const fingerprint = JSON.stringify({ changes, ignore: body.ignore_unchanged_counts ?? null });
    const record = { at: new Date().toISOString(), idempotencyKey: key, changes, outcome: null };
    writes.push(record);
    const earlier = idempotency.get(key);
    if (earlier) {
      if (earlier.fingerprint !== fingerprint) {
        record.outcome = 'IDEMPOTENCY_KEY_REUSED';
        return sqError(res, 400, 'INVALID_REQUEST_ERROR', 'IDEMPOTENCY_KEY_REUSED', 'The idempotency key was used before with another request.', 'idempotency_key');
      }
      record.outcome = 'replayed';
      return sendJson(res, 200, earlier.response);
    }
    const p = plan(changes);
    if (p.error) {
      record.outcome = p.error.code;
      return sqError(res, p.error.status, p.error.category, p.error.code, p.error.detail, p.error.field);
    }
    const response = apply(p.todo, { product: 'EXTERNAL_API', application_id: 'lastunit' });
    idempotency.set(key, { fingerprint, response });
    record.outcome = 'applied';
    const lost = faults.takeAfterApply();
    if (lost?.kind === 'hang') return;
    if (lost) return sqError(res, 500, 'API_ERROR', 'INTERNAL_SERVER_ERROR', 'An internal error occurred.');
    return sendJson(res, 200, response);
  }

  function batchRetrieve(res, body) {
    const limit = body.limit ?? 1000;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return sqError(res, 400, 'INVALID_REQUEST_ERROR', 'INVALID_VALUE', 'limit must be between 1 and 1000.', 'limit');
    const wantIds = body.catalog_object_ids ? new Set(body.catalog_object_ids) : null;
    const wantLocs = body.location_ids ? new Set(body.location_ids) : null;
    const wantStates = body.states ? new Set(body.states) : null;
    const all = [];
    for (const k of [...ledger.keys()].sort()) {
      const [v, loc] = k.split('|');
      if ((wantIds && !wantIds.has(v)) || (wantLocs && !wantLocs.has(loc))) continue;
      for (const s of statesOf(v, loc)) if (!wantStates || wantStates.has(s)) all.push(countView(v, loc, s));
    }
    const start = body.cursor ? Number(Buffer.from(body.cursor, 'base64').toString()) : 0;
    const page = all.slice(start, start + limit);
    const out = { counts: page };
    if (start + limit < all.length) out.cursor = Buffer.from(String(start + limit)).toString('base64');
    return sendJson(res, 200, out);
  }

  function listPage(res, objects, cursor, size) {
    const start = cursor ? Number(Buffer.from(cursor, 'base64').toString()) : 0;
    if (!Number.isInteger(start) || start < 0) return sqError(res, 400, 'INVALID_REQUEST_ERROR', 'INVALID_CURSOR', 'The cursor is not valid.', 'cursor');
    const page = objects.slice(start, start + size);
    const out = { objects: page };
    if (start + size < objects.length) out.cursor = Buffer.from(String(start + size)).toString('base64');
    return sendJson(res, 200, out);
  }
  const objectsOfTypes = (types) => [...catalog.values()].filter((o) => !types || types.includes(o.type)).sort((a, b) => (a.id < b.id ? -1 : 1));

  const server = await startServer(async (req, res, raw) => {
    const url = new URL(req.url, 'http://x');
    requests.push({ at: new Date().toISOString(), method: req.method, url: req.url, headers: req.headers, body: raw.toString() });
    const fault = faults.take();
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'fail') return sqError(res, fault.status, 'API_ERROR', 'INTERNAL_SERVER_ERROR', 'An internal error occurred.');
    if (fault?.kind === 'throttle') return sqError(res, 429, 'RATE_LIMIT_ERROR', 'RATE_LIMITED', 'Rate limit exceeded.');
    const auth = req.headers.authorization || '';
    if (!auth) return sqError(res, 401, 'AUTHENTICATION_ERROR', 'UNAUTHORIZED', 'Your request did not include an `Authorization` http header with an access token.');
    if (auth !== `Bearer ${token}`) return sqError(res, 401, 'AUTHENTICATION_ERROR', 'UNAUTHORIZED', 'This request could not be authorized.');
    const version = req.headers['square-version'];
    if (version !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(version)) return sqError(res, 400, 'INVALID_REQUEST_ERROR', 'INVALID_SQUARE_VERSION_FORMAT', `Square-Version ${version} is not a date (YYYY-MM-DD).`);
    let body = {};
    if (req.method === 'POST') {
      if (!/application\/json/i.test(req.headers['content-type'] || '')) {
        return sqError(res, 400, 'INVALID_REQUEST_ERROR', 'INVALID_CONTENT_TYPE', 'The Content-Type of a request with a body must be application/json.');
      }
      try {
        body = JSON.parse(raw.toString() || '{}');
      } catch {
        return sqError(res, 400, 'INVALID_REQUEST_ERROR', 'INVALID_CONTENT_TYPE', 'The body is not JSON.');
      }
    }
    const route = `${req.method} ${url.pathname}`;
    if (route === 'POST /v2/inventory/changes/batch-create') return batchCreate(res, body);
    if (route === 'POST /v2/inventory/counts/batch-retrieve') return batchRetrieve(res, body);
    // RetrieveInventoryCount: GET /v2/inventory/{catalog_object_id}?location_ids=A,B
    let m;
    if (req.method === 'GET' && (m = /^\/v2\/inventory\/([^/]+)$/.exec(url.pathname)) && !['changes', 'counts'].includes(m[1])) {
      const locs = queryOf(req).get('location_ids');
      return batchRetrieve(res, { catalog_object_ids: [decodeURIComponent(m[1])], ...(locs ? { location_ids: locs.split(',') } : {}), cursor: queryOf(req).get('cursor') ?? undefined });
    }
    if (route === 'GET /v2/locations') {
      return sendJson(res, 200, { locations: [...locations].sort().map((id) => ({ id, name: id, merchant_id: merchantId, status: 'ACTIVE' })) });
    }
    if (route === 'GET /v2/catalog/list') {
      const types = queryOf(req).get('types');
      return listPage(res, objectsOfTypes(types ? types.split(',').map((t) => t.trim().toUpperCase()) : null), queryOf(req).get('cursor'), pageSize);
    }
    // ListCatalog answers at most 100 objects a page; SearchCatalogObjects 1,000 by default
    // (Square's developer forum: /t/maximum-number-of-catalog-objects-from-v2-catalog-list/808,
    // /t/best-practices-for-loading-large-catalog-of-items/2028).
    if (route === 'POST /v2/catalog/search') {
      const limit = body.limit ?? 1000;
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return sqError(res, 400, 'INVALID_REQUEST_ERROR', 'INVALID_VALUE', 'limit must be between 1 and 1000.', 'limit');
      return listPage(res, objectsOfTypes(body.object_types ?? null), body.cursor, limit);
    }
    return sqError(res, 404, 'INVALID_REQUEST_ERROR', 'NOT_FOUND', `No route ${route}.`);
  }, { port: options.port });

  return {
    url: server.url,
    port: server.port,
    token,
    merchantId,
    /** What lastunit's SQUARE_API_BASE takes. */
    apiBase: server.url,
    close: () => server.close(),
    // catalogue and counts
    addLocation: (id) => locations.add(id),
    addItem,
    addVariation,
    /** The IN_STOCK count (a number) of a variation at a location. */
    count: (variationId, locationId, state = 'IN_STOCK') => countOf(variationId, locationId, state),
    /** A physical count as the seller takes one in the Dashboard (sends inventory.count.updated). */
    setCount(variationId, locationId, quantity, { occurredAt = new Date().toISOString() } = {}) {
      return apply([{ kind: 'count', v: variationId, loc: locationId, quantity: String(quantity), at: occurredAt, change: { physical_count: { catalog_object_id: variationId, location_id: locationId, state: 'IN_STOCK', quantity: String(quantity), occurred_at: occurredAt } } }], { product: 'SQUARE_DASHBOARD' });
    },
    /** A sale at the register: IN_STOCK → SOLD (sends inventory.count.updated). */
    registerSale(variationId, locationId, quantity = 1, { occurredAt = new Date().toISOString() } = {}) {
      const change = { adjustment: { catalog_object_id: variationId, location_id: locationId, from_state: 'IN_STOCK', to_state: 'SOLD', quantity: String(quantity), occurred_at: occurredAt } };
      return apply([{ kind: 'adjust', v: variationId, loc: locationId, from: 'IN_STOCK', to: 'SOLD', quantity: String(quantity), at: occurredAt, change }], { product: 'SQUARE_POS' });
    },
    /** A return at the register put back in stock: SOLD → IN_STOCK. */
    registerReturn(variationId, locationId, quantity = 1, { occurredAt = new Date().toISOString() } = {}) {
      const change = { adjustment: { catalog_object_id: variationId, location_id: locationId, from_state: 'SOLD', to_state: 'IN_STOCK', quantity: String(quantity), occurred_at: occurredAt } };
      return apply([{ kind: 'adjust', v: variationId, loc: locationId, from: 'SOLD', to: 'IN_STOCK', quantity: String(quantity), at: occurredAt, change }], { product: 'SQUARE_POS' });
    },
    // what arrived
    writes,
    requests,
    // faults
    faults,
    ...faults.controls(),
    // webhooks
    /** `url`: where to POST; `notificationUrl`: the URL the subscription names, which the
     * signature covers (lastunit's SQUARE_NOTIFICATION_URL); `signatureKey`. */
    configureWebhooks(w) {
      webhook = { ...w };
    },
    deliveries: outbox.deliveries,
    redeliver: (id, times) => outbox.redeliver(id, times),
    settled: () => outbox.settled(),
  };
}
