// Stand-in for Shopify's Admin GraphQL API and its webhooks, written from Shopify's docs (see
// shopify-inventory.mjs for the pages behind the inventory rules, and the comments below for
// the rest). README.md lists the control API.
//
//   import * as shopify from './standins/shopify.mjs';
//   const shop = await shopify.start({ token: 'shpat_test' });
//   shop.addLocation({ id: 1 });
//   const { inventoryItemId } = shop.addVariant({ sku: 'A', levels: { 1: 5 } });
//   // POST `${shop.url}/admin/api/2026-01/graphql.json` with X-Shopify-Access-Token
//   await shop.close();
import { randomUUID } from 'node:crypto';
import { Faults, Outbox, hmacBase64, sendJson, startServer, versionAtLeast } from './common.mjs';
import { GraphQLError, execute, parse, pickOperation, validate, variablesFor } from './graphql.mjs';
import { Inventory, gid, gidNumber, levelGid } from './shopify-inventory.mjs';
import { SCHEMA, checkArgs, idempotencyKeyOf } from './shopify-schema.mjs';
import { OrderBook } from './shopify-orders.mjs';

// docs: shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits: a leaky bucket per app and
// store; the Standard plan restores 100 points a second. help.shopify.com/en/api/graphql-admin-
// api/call-limit: "An app is given a bucket of 1000 cost points"; "the app's bucket must have
// enough room for the requested cost ... then ... is refunded the difference between the
// requested cost and the actual cost"; "A single query to the API cannot exceed a cost of 1000
// ... enforced before query execution begins".
const DEFAULT_BUCKET = { maximumAvailable: 1000, restoreRate: 100 };
const SINGLE_QUERY_MAX = 1000;

const stamp = (d = new Date()) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Starts the stand-in. See README.md for `options` and the control API. */
export async function start(options = {}) {
  const token = options.token ?? 'shpat_standin_token';
  const shopDomain = options.shopDomain ?? 'lastunit-standin.myshopify.com';
  const store = new Inventory();
  const faults = new Faults();
  const outbox = new Outbox({ retry: options.webhookRetry });
  const writes = [];
  const requests = [];
  const costs = []; // each GraphQL call's { operation, requested, actual } cost points
  const idempotency = new Map(); // key → { fingerprint, payload, failed }
  const bucket = { ...DEFAULT_BUCKET, ...options.bucket, available: 0, at: Date.now() };
  bucket.available = options.bucket?.currentlyAvailable ?? bucket.maximumAvailable;
  let webhook = options.webhook ? { apiVersion: '2026-01', ...options.webhook } : null;

  function refill() {
    const now = Date.now();
    bucket.available = Math.min(bucket.maximumAvailable, bucket.available + ((now - bucket.at) / 1000) * bucket.restoreRate);
    bucket.at = now;
  }
  const throttleStatus = () => ({
    maximumAvailable: bucket.maximumAvailable,
    currentlyAvailable: Math.floor(bucket.available),
    restoreRate: bucket.restoreRate,
  });

  // ---- webhooks out -------------------------------------------------------------------------
  // docs: shopify.dev/docs/apps/build/webhooks/delivery-structure (a POST with the topic's REST
  // payload and the X-Shopify-* headers; X-Shopify-Webhook-Id is "a unique composite key per
  // delivery"); the HMAC is base64 HMAC-SHA256 of the raw body with the app's secret
  // (shopify.dev/docs/apps/build/webhooks/verify-deliveries). A retry carries the original
  // payload, its X-Shopify-Triggered-At (shopify.dev/changelog/updates-to-webhook-retry-mechanism)
  // and the same X-Shopify-Event-Id, which "the same value across more than one webhook
  // indicates a duplicate" (shopify.dev/docs/apps/build/webhooks/ignore-duplicates).
  function emit(topic, payload) {
    if (!webhook || (webhook.topics && !webhook.topics.includes(topic))) return null;
    const body = JSON.stringify(payload);
    const eventId = randomUUID();
    const headers = {
      'content-type': 'application/json',
      'x-shopify-topic': topic,
      'x-shopify-hmac-sha256': hmacBase64(webhook.secret, body),
      'x-shopify-shop-domain': shopDomain,
      'x-shopify-api-version': webhook.apiVersion,
      'x-shopify-webhook-id': randomUUID(),
      'x-shopify-event-id': eventId,
      'x-shopify-triggered-at': new Date().toISOString(),
    };
    const reheader = (h) => ({ ...h, 'x-shopify-webhook-id': randomUUID() });
    return outbox.send({ url: webhook.url, headers, body, topic, id: eventId, reheader });
  }
  /** `inventory_levels/update` after every change of a level, whoever made it. */
  function levelChanged(item, loc) {
    const level = store.level(item, loc);
    emit('inventory_levels/update', {
      inventory_item_id: item,
      location_id: loc,
      available: level.available,
      updated_at: stamp(level.updatedAt),
      admin_graphql_api_id: levelGid(item, loc),
    });
  }
  const orders = new OrderBook({ store, emit, levelChanged });

  // ---- GraphQL objects ----------------------------------------------------------------------
  const locationObj = (id) => {
    const l = store.locations.get(id);
    return l && { id: gid('Location', id), legacyResourceId: String(id), name: l.name };
  };
  const levelObj = (item, loc) => {
    const l = store.level(item, loc);
    if (!l) return null;
    const values = { available: l.available, on_hand: l.onHand, committed: l.committed };
    return {
      id: levelGid(item, loc),
      updatedAt: l.updatedAt.toISOString(),
      item: () => itemObj(item),
      location: () => locationObj(loc),
      quantities: ({ names }) =>
        (names || []).map((name) => ({ id: `${levelGid(item, loc)}&name=${name}`, name, quantity: values[name] ?? 0, updatedAt: l.updatedAt.toISOString() })),
    };
  };
  const itemObj = (id) => {
    const it = store.items.get(id);
    if (!it) return null;
    const v = store.variants.get(it.variantId);
    return {
      id: gid('InventoryItem', id),
      legacyResourceId: String(id),
      sku: v?.sku ?? null,
      tracked: true,
      variant: () => variantObj(it.variantId),
      inventoryLevel: ({ locationId }) => levelObj(id, gidNumber(locationId, 'Location')),
    };
  };
  const variantObj = (id) => {
    const v = store.variants.get(id);
    if (!v) return null;
    const p = store.products.get(v.productId);
    return {
      id: gid('ProductVariant', id),
      legacyResourceId: String(id),
      sku: v.sku,
      title: v.title,
      displayName: `${p.title} - ${v.title}`,
      inventoryItem: () => itemObj(v.inventoryItemId),
      product: () => ({ id: gid('Product', p.id), legacyResourceId: String(p.id), title: p.title }),
    };
  };
  // Connections page by an opaque cursor; `first` is 1..250 (docs: shopify.dev/docs/api/usage/
  // pagination-graphql: "first" or "last" is required and at most 250).
  function variantsConnection({ first, after, query }) {
    let all = [...store.variants.values()].sort((a, b) => a.id - b.id);
    const m = /^sku:(\S+)$/.exec(query || '');
    if (m) all = all.filter((v) => v.sku === m[1].replace(/^"|"$/g, ''));
    const startAt = after ? all.findIndex((v) => v.id === Number(Buffer.from(after, 'base64').toString().split(':')[1])) + 1 : 0;
    const page = all.slice(startAt, startAt + first);
    const cursor = (v) => Buffer.from(`ProductVariant:${v.id}`).toString('base64');
    return {
      edges: page.map((v) => ({ cursor: cursor(v), node: variantObj(v.id) })),
      nodes: page.map((v) => variantObj(v.id)),
      pageInfo: {
        hasNextPage: startAt + page.length < all.length,
        hasPreviousPage: startAt > 0,
        startCursor: page.length ? cursor(page[0]) : null,
        endCursor: page.length ? cursor(page[page.length - 1]) : null,
      },
    };
  }
  const byGid = (fn, type) => ({ id }) => fn(gidNumber(id, type));

  // ---- the mutation -------------------------------------------------------------------------
  function setQuantities(args, ctx) {
    const { input } = args;
    const key = ctx.field.idempotencyKey;
    const fingerprint = JSON.stringify(input);
    const record = { at: new Date().toISOString(), version: ctx.version, idempotencyKey: key ?? null, input, outcome: null };
    writes.push(record);
    if (key !== undefined) {
      const earlier = idempotency.get(key);
      if (earlier) {
        // A repeated key returns the original result and applies nothing (changelog: "It will
        // return the result of the original operation instead of creating a new one"); a key
        // reused with other parameters is refused (IDEMPOTENCY_KEY_PARAMETER_MISMATCH).
        if (earlier.fingerprint !== fingerprint) {
          record.outcome = 'idempotency_mismatch';
          return payloadOf({ userErrors: [{ code: 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH', field: null, message: 'The same idempotency key cannot be used with different operation parameters.' }] }, input);
        }
        record.outcome = 'replayed';
        if (earlier.failed && versionAtLeast(ctx.version, '2026-10')) {
          return payloadOf({ userErrors: [{ code: 'IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED', field: null, message: 'A previous request with this idempotency key failed. Retry with a new idempotency key.' }] }, input);
        }
        return earlier.payload;
      }
    }
    const result = store.setQuantities(input);
    record.outcome = result.userErrors.length ? result.userErrors.map((e) => e.code).join(',') : 'applied';
    const payload = payloadOf(result, input);
    if (key !== undefined) idempotency.set(key, { fingerprint, payload, failed: result.userErrors.length > 0 });
    const touched = new Set(result.changes.filter((c) => c.name === 'available').map((c) => `${c.item}:${c.loc}`));
    for (const t of touched) {
      const [item, loc] = t.split(':').map(Number);
      levelChanged(item, loc);
    }
    return payload;
  }
  function payloadOf(result, input) {
    const group = result.groupId && {
      id: gid('InventoryAdjustmentGroup', result.groupId),
      createdAt: result.createdAt.toISOString(),
      reason: input.reason,
      referenceDocumentUri: input.referenceDocumentUri ?? null,
      changes: () =>
        result.changes.map((c) => ({
          name: c.name,
          delta: c.delta,
          quantityAfterChange: c.after,
          ledgerDocumentUri: null,
          item: () => itemObj(c.item),
          location: () => locationObj(c.loc),
        })),
    };
    return { inventoryAdjustmentGroup: group || null, userErrors: result.userErrors };
  }

  // ---- one request --------------------------------------------------------------------------
  async function graphql(version, body, headers) {
    let doc;
    let op;
    let variables;
    try {
      // The body is JSON (application/json) or the bare query (application/graphql), as the
      // GraphQL Admin API reference's curl examples send it; anything else carries no query.
      const ct = String(headers['content-type'] || '');
      if (!/application\/(json|graphql)/.test(ct)) return { status: 400, body: { errors: { query: 'Required parameter missing or invalid' } } };
      const req = ct.includes('application/graphql') ? { query: body.toString() } : JSON.parse(body.toString() || '{}');
      if (typeof req.query !== 'string') throw new GraphQLError('No query string was present', { code: 'missingQuery' });
      doc = parse(req.query);
      op = pickOperation(doc, req.operationName);
      if (op.type === 'subscription') throw new GraphQLError('Subscriptions are not supported', { code: 'unsupported' });
      variables = variablesFor(op, req.variables);
    } catch (err) {
      if (err instanceof SyntaxError) return { status: 400, body: { errors: { query: 'Required parameter missing or invalid' } } };
      if (err instanceof GraphQLError) return { status: 200, body: { errors: [err] } };
      throw err;
    }
    const root = op.type === 'mutation' ? 'Mutation' : 'QueryRoot';
    const ctx = { doc, variables, version, mutationType: 'Mutation' };
    let requested;
    try {
      ctx.checkArgs = (type, field, args, node) => checkArgs(type, field, args, node, version, variables);
      requested = validate(SCHEMA, root, op.selections, ctx);
    } catch (err) {
      if (err instanceof GraphQLError) return { status: 200, body: { errors: [err] } };
      throw err;
    }
    if (requested > SINGLE_QUERY_MAX) {
      return {
        status: 200,
        body: {
          errors: [{ message: `Query cost is ${requested}, which exceeds the single query max cost limit (${SINGLE_QUERY_MAX}).`, extensions: { code: 'MAX_COST_EXCEEDED', cost: requested, maxCost: SINGLE_QUERY_MAX } }],
          extensions: { cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: throttleStatus() } },
        },
      };
    }
    refill();
    if (requested > bucket.available) return throttled(requested);
    bucket.available -= requested;
    // Mutation fields run one after another, each with its own @idempotent key.
    const source = op.type === 'mutation'
      ? { inventorySetQuantities: (args, c) => setQuantities(args, c) }
      : {
          inventoryItem: byGid(itemObj, 'InventoryItem'),
          inventoryLevel: ({ id }) => levelObj(Number(/inventory_item_id=(\d+)/.exec(id)?.[1]), gidNumber(id, 'InventoryLevel')),
          productVariant: byGid(variantObj, 'ProductVariant'),
          productVariants: variantsConnection,
          location: byGid(locationObj, 'Location'),
          shop: { id: gid('Shop', 1), name: shopDomain.split('.')[0], myshopifyDomain: shopDomain },
        };
    let result;
    try {
      result = await executeWithKeys(root, op, source, ctx);
    } catch (err) {
      if (err instanceof GraphQLError) return { status: 200, body: { errors: [err], data: null } };
      throw err;
    }
    // The bucket is charged the requested cost up front and refunded the difference.
    bucket.available = Math.min(bucket.maximumAvailable, bucket.available + Math.max(0, requested - result.cost));
    costs.push({ operation: op.type, requested, actual: result.cost });
    return {
      status: 200,
      body: { data: result.data, extensions: { cost: { requestedQueryCost: requested, actualQueryCost: result.cost, throttleStatus: throttleStatus() } } },
    };
  }
  /** Runs the top-level fields, handing each mutation field its @idempotent key. */
  async function executeWithKeys(root, op, source, ctx) {
    const data = {};
    let cost = 0;
    for (const f of op.selections) {
      const key = f.kind === 'field' ? idempotencyKeyOf(f, ctx.variables) : undefined;
      const r = await execute(SCHEMA, root, [f], source, { ...ctx, field: { idempotencyKey: key } });
      Object.assign(data, r.data);
      cost += r.cost;
    }
    return { data, cost };
  }
  function throttled(requested) {
    costs.push({ operation: 'throttled', requested, actual: 0 });
    // The documented THROTTLED answer: no data, the error, and the cost with actualQueryCost
    // null (docs: shopify.dev/docs/api/usage/rate-limits; community.shopify.com/t/throttled/254776
    // shows the body). It comes with HTTP 200: "Shopify GraphQL APIs ... throttle with a 200
    // response and extensions.code: THROTTLED" (github.com/Shopify/cli pull 8317).
    return {
      status: 200,
      body: {
        errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
        extensions: { cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: throttleStatus() } },
      },
    };
  }

  const server = await startServer(async (req, res, body) => {
    const m = /^\/admin\/api\/(\d{4}-\d{2}|unstable)\/graphql\.json(\?.*)?$/.exec(req.url);
    requests.push({ at: new Date().toISOString(), method: req.method, url: req.url, headers: req.headers, body: body.toString() });
    if (!m) return sendJson(res, 404, { errors: 'Not Found' });
    const fault = faults.take();
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'fail') return sendJson(res, fault.status, { errors: 'Internal Server Error' });
    if (req.headers['x-shopify-access-token'] !== token) {
      // The answer Shopify gives a missing or wrong access token.
      return sendJson(res, 401, { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
    }
    if (req.method !== 'POST') return sendJson(res, 405, { errors: 'Method Not Allowed' });
    // The throttle mode answers THROTTLED whatever the bucket holds; like Shopify, it names no
    // Retry-After (the wait follows from throttleStatus).
    if (fault?.kind === 'throttle') {
      refill();
      const r = throttled(null);
      return sendJson(res, r.status, r.body);
    }
    const r = await graphql(m[1], body, req.headers);
    const lost = body.includes('inventorySetQuantities') && r.body.data ? faults.takeAfterApply() : null;
    if (lost?.kind === 'hang') return;
    if (lost) return sendJson(res, 500, { errors: 'Internal Server Error' });
    sendJson(res, r.status, JSON.parse(JSON.stringify(r.body)));
  }, { port: options.port });

  return {
    url: server.url,
    port: server.port,
    token,
    shopDomain,
    /** The base lastunit's SHOPIFY_ADMIN_API_BASE takes, for one API version. */
    apiBase: (version = '2026-01') => `${server.url}/admin/api/${version}`,
    close: () => server.close(),
    // catalogue and levels
    addLocation: (l) => store.addLocation(l),
    addVariant: (v) => store.addVariant(v),
    /** Sets a level as a merchant would in the admin, which sends inventory_levels/update. */
    setLevel(item, loc, available, { notify = true } = {}) {
      store.stock(Number(item), Number(loc), available);
      if (notify) levelChanged(Number(item), Number(loc));
    },
    level: (item, loc) => store.level(item, loc)?.available,
    levels: () => [...store.levels.entries()].map(([k, l]) => {
      const [item, loc] = k.split(':').map(Number);
      return { inventoryItemId: item, locationId: loc, available: l.available, onHand: l.onHand, committed: l.committed };
    }),
    variantBySku: (sku) => store.variantBySku(sku),
    // what arrived
    writes,
    requests,
    costs,
    // faults
    faults,
    ...faults.controls(),
    // the cost bucket
    drainBucket() {
      refill();
      bucket.available = 0;
    },
    setBucket(b) {
      refill();
      Object.assign(bucket, b);
      if (b.currentlyAvailable !== undefined) bucket.available = b.currentlyAvailable;
    },
    bucket: () => (refill(), throttleStatus()),
    // webhooks
    /** Subscribes `url` (signed with `secret`) to `topics` (default: every topic it sends). */
    configureWebhooks(w) {
      webhook = { apiVersion: '2026-01', ...w };
    },
    deliveries: outbox.deliveries,
    redeliver: (id, times) => outbox.redeliver(id, times),
    settled: () => outbox.settled(),
    // orders
    placeOrder: (o) => orders.place(o),
    cancelOrder: (id, o) => orders.cancel(id, o),
    refundOrder: (id, o) => orders.refund(id, o),
    orders: orders.orders,
  };
}
