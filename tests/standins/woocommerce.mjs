// Stand-in for WooCommerce's REST API v3 (products, variations, paging) and its webhooks,
// written from WooCommerce's docs. README.md lists the control API.
//
// Sources (stored copies read through the docs search):
// - REST API v3: woocommerce.github.io/woocommerce-rest-api-docs (authentication over HTTPS
//   with HTTP Basic or consumer_key/consumer_secret in the query; products and product
//   variations properties manage_stock, stock_quantity, stock_status, sku; batch updates of up
//   to 100 objects; errors as { code, message, data: { status } })
// - paging: developer.wordpress.org/rest-api/using-the-rest-api/pagination (page, per_page
//   1..100, X-WP-Total, X-WP-TotalPages, Link)
// - webhooks: developer.woocommerce.com/docs/apis/rest-api/v3/webhooks (topics order.created,
//   order.updated, product.updated; the secret signs "a HMAC-SHA256 hash of the request body")
//   and a recorded delivery (gist.github.com/matiaslopezd/81349f4f6a48cb0efefa0c38f6e2844c)
//   showing the headers X-WC-Webhook-Source/-Topic/-Resource/-Event/-Signature/-ID/-Delivery-ID
//   and the User-Agent "WooCommerce/x Hookshot (WordPress/y)".
import { randomBytes } from 'node:crypto';
import { Faults, Outbox, hmacBase64, queryOf, sendJson, startServer } from './common.mjs';

const wcError = (res, status, code, message, extra = {}) => sendJson(res, status, { code, message, data: { status, ...extra } });
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, '');

/** Starts the stand-in. See README.md for `options` and the control API. */
export async function start(options = {}) {
  const consumerKey = options.consumerKey ?? 'ck_standin';
  const consumerSecret = options.consumerSecret ?? 'cs_standin';
  const permissions = options.permissions ?? 'read_write'; // a key is read, write or read_write
  const faults = new Faults();
  // WooCommerce disables a webhook after more than 5 consecutive failed deliveries (status
  // "disabled (delivery paused by failure)", developer.woocommerce.com/docs/apis/rest-api/v3/
  // webhooks; the count is WC_Webhook's woocommerce_max_webhook_delivery_failures, 5).
  const MAX_FAILURES = 5;
  const outbox = new Outbox({
    retry: options.webhookRetry,
    onAttempt(record, ok) {
      const h = hooks.find((x) => x.id === record.hookId);
      if (!h) return;
      h.failures = ok ? 0 : h.failures + 1;
      if (h.failures > MAX_FAILURES) h.status = 'disabled';
    },
  });
  const products = new Map(); // id → product (simple or variable) or variation (type 'variation')
  const orders = new Map();
  const writes = [];
  const requests = [];
  let nextId = 100;
  const newId = () => (nextId += 1);
  let hooks = []; // { id, topic, url, secret }
  let server;

  // ---- products -----------------------------------------------------------------------------
  // stock_status follows the quantity when the product manages its stock: above 0 it is
  // "instock", otherwise "outofstock" (or "onbackorder" when backorders are allowed).
  function settleStatus(p) {
    if (p.manage_stock === true) {
      if (p.stock_quantity > 0) p.stock_status = 'instock';
      else p.stock_status = p.backorders === 'no' ? 'outofstock' : 'onbackorder';
    }
    if (p.type === 'variable' && p.manage_stock !== true) {
      const kids = p.variations.map((id) => products.get(id));
      p.stock_status = kids.some((k) => k.stock_status === 'instock') ? 'instock' : kids.some((k) => k.stock_status === 'onbackorder') ? 'onbackorder' : 'outofstock';
    }
  }
  function addProduct({ id = newId(), name, sku = '', manageStock = true, stockQuantity = 0, backorders = 'no', type = 'simple' } = {}) {
    const p = {
      id,
      name: name ?? `Product ${id}`,
      slug: `product-${id}`,
      type,
      status: 'publish',
      sku,
      price: '10.00',
      regular_price: '10.00',
      manage_stock: manageStock,
      stock_quantity: manageStock ? stockQuantity : null,
      stock_status: 'instock',
      backorders,
      parent_id: 0,
      variations: [],
      date_created: now(),
      date_modified: now(),
    };
    settleStatus(p);
    products.set(id, p);
    return id;
  }
  function addVariation(parentId, { id = newId(), sku = '', manageStock = true, stockQuantity = 0, backorders = 'no' } = {}) {
    const parent = products.get(parentId);
    if (!parent) throw new Error(`no product ${parentId}`);
    parent.type = 'variable';
    const v = {
      id,
      name: `${parent.name} - ${sku || id}`,
      type: 'variation',
      status: 'publish',
      sku,
      price: '10.00',
      regular_price: '10.00',
      manage_stock: manageStock,
      stock_quantity: manageStock ? stockQuantity : null,
      stock_status: 'instock',
      backorders,
      parent_id: parentId,
      date_created: now(),
      date_modified: now(),
    };
    settleStatus(v);
    products.set(id, v);
    parent.variations.push(id);
    settleStatus(parent);
    return id;
  }
  /** The JSON the REST API answers for a product or variation. */
  function view(p) {
    const out = { ...p, date_modified_gmt: p.date_modified, date_created_gmt: p.date_created };
    if (p.type === 'variation') delete out.variations;
    return JSON.parse(JSON.stringify(out));
  }
  /** Applies an update body; refuses bad types before changing anything. */
  function update(p, input) {
    // WordPress coerces "true"/"false"/"1"/"0" to a boolean for a boolean field (form bodies
    // carry only strings).
    const body = { ...input };
    const asBool = { true: true, 1: true, false: false, 0: false };
    if (typeof body.manage_stock === 'string' && body.manage_stock in asBool) body.manage_stock = asBool[body.manage_stock];
    const bad = {};
    if ('stock_quantity' in body && body.stock_quantity !== null && !Number.isInteger(Number(body.stock_quantity))) bad.stock_quantity = 'stock_quantity is not of type integer.';
    if ('manage_stock' in body && typeof body.manage_stock !== 'boolean') bad.manage_stock = 'manage_stock is not of type boolean.';
    if ('sku' in body && typeof body.sku !== 'string') bad.sku = 'sku is not of type string.';
    // A SKU is unique across products and variations ("Invalid or duplicated SKU.").
    if (typeof body.sku === 'string' && body.sku !== '' && [...products.values()].some((o) => o.id !== p.id && o.sku === body.sku)) {
      return { error: { status: 400, code: 'product_invalid_sku', message: 'Invalid or duplicated SKU.' } };
    }
    if ('stock_status' in body && !['instock', 'outofstock', 'onbackorder'].includes(body.stock_status)) bad.stock_status = 'stock_status is not one of instock, outofstock, and onbackorder.';
    if (Object.keys(bad).length) return { error: { status: 400, code: 'rest_invalid_param', message: `Invalid parameter(s): ${Object.keys(bad).join(', ')}`, params: bad } };
    const before = JSON.stringify(p);
    if ('manage_stock' in body) p.manage_stock = body.manage_stock;
    if ('sku' in body) p.sku = body.sku;
    if ('name' in body && p.type !== 'variation') p.name = String(body.name);
    // The quantity only sticks while the product manages its stock; stock_status can only be
    // set by hand when it does not.
    if (p.manage_stock && 'stock_quantity' in body) p.stock_quantity = body.stock_quantity === null ? null : Number(body.stock_quantity);
    if (!p.manage_stock) {
      p.stock_quantity = null;
      if ('stock_status' in body) p.stock_status = body.stock_status;
    }
    settleStatus(p);
    if (p.parent_id) settleStatus(products.get(p.parent_id));
    const changed = JSON.stringify(p) !== before;
    if (changed) p.date_modified = now();
    return { changed };
  }

  // ---- webhooks out -------------------------------------------------------------------------
  function deliver(topic, payload) {
    const [resource, event] = topic.split('.');
    for (const h of hooks.filter((x) => x.topic === topic && x.status === 'active')) {
      const body = JSON.stringify(payload);
      const record = outbox.send({
        url: h.url,
        topic,
        body,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'WooCommerce/9.4.0 Hookshot (WordPress/6.7)',
          'x-wc-webhook-source': options.siteUrl ?? `${server.url}/`,
          'x-wc-webhook-topic': topic,
          'x-wc-webhook-resource': resource,
          'x-wc-webhook-event': event,
          'x-wc-webhook-signature': hmacBase64(h.secret, body),
          'x-wc-webhook-id': String(h.id),
          'x-wc-webhook-delivery-id': randomBytes(16).toString('hex'),
        },
      });
      record.hookId = h.id;
    }
  }
  const productUpdated = (p) => deliver('product.updated', view(p));

  // ---- orders -------------------------------------------------------------------------------
  // An order in processing, completed or on-hold has reduced stock (WooCommerce reduces it when
  // payment completes or the order reaches one of those); cancelling it restores the stock, and
  // a refund that restocks items adds its quantities back.
  const REDUCED = new Set(['processing', 'completed', 'on-hold']);
  function moveStock(order, sign) {
    for (const li of order.line_items) {
      const p = products.get(li.variation_id || li.product_id);
      if (!p || !p.manage_stock) continue;
      // A cancellation restores what the order still holds off the stock: its restocked
      // refunds already gave their units back (WooCommerce lowers the line's _reduced_stock).
      const units = sign > 0 ? li.quantity - (li.restocked || 0) : li.quantity;
      if (units <= 0) continue;
      p.stock_quantity += sign * units;
      settleStatus(p);
      if (p.parent_id) settleStatus(products.get(p.parent_id));
      p.date_modified = now();
      productUpdated(p);
    }
  }
  // The REST order lists its refunds as { id, reason, total } only; their lines are read with
  // GET /orders/{id}/refunds (docs: "Order - Refunds properties", "List all refunds").
  const orderView = (o) => {
    const { _reduced, _refunds, ...rest } = o;
    const refunds = _refunds.map((r) => ({ id: r.id, reason: r.reason, total: `-${r.amount}` }));
    return JSON.parse(JSON.stringify({ ...rest, refunds, line_items: rest.line_items.map(({ refunded, restocked, ...li }) => li) }));
  };
  /**
   * An order. `checkout: true` plays a shopper's checkout: the order is created `pending`
   * (order.created, no stock moved), then the payment completes and it becomes `processing`
   * (order.updated, stock reduced), so the same order arrives under both topics.
   */
  function placeOrder({ lines, status = 'processing', checkout = false }) {
    if (checkout) {
      const pending = placeOrder({ lines, status: 'pending' });
      return setOrderStatus(pending.id, status);
    }
    const id = newId();
    const order = {
      id,
      parent_id: 0,
      number: String(id),
      status,
      currency: 'EUR',
      date_created: now(),
      date_modified: now(),
      total: '0.00',
      line_items: lines.map((l) => {
        // A custom line names no product (product_id 0), as a line of a deleted product does.
        if (l.custom) {
          const quantity = l.quantity ?? 1;
          return { id: newId(), name: l.title ?? 'Custom item', product_id: 0, variation_id: 0, quantity, sku: l.sku ?? '', price: 10, subtotal: (10 * quantity).toFixed(2), total: (10 * quantity).toFixed(2) };
        }
        const p = l.variationId ? products.get(Number(l.variationId)) : l.productId ? products.get(Number(l.productId)) : [...products.values()].find((x) => x.sku === l.sku);
        if (!p) throw new Error(`placeOrder: no product for ${JSON.stringify(l)}`);
        const quantity = l.quantity ?? 1;
        return {
          id: newId(),
          name: p.name,
          product_id: p.type === 'variation' ? p.parent_id : p.id,
          variation_id: p.type === 'variation' ? p.id : 0,
          quantity,
          sku: p.sku,
          price: 10,
          subtotal: (10 * quantity).toFixed(2),
          total: (10 * quantity).toFixed(2),
        };
      }),
      _refunds: [],
    };
    order.total = order.line_items.reduce((s, li) => s + Number(li.total), 0).toFixed(2);
    order._reduced = REDUCED.has(status);
    orders.set(id, order);
    if (order._reduced) moveStock(order, -1);
    deliver('order.created', orderView(order));
    return orderView(order);
  }
  function setOrderStatus(id, status) {
    const order = orders.get(Number(id));
    if (!order) throw new Error(`no order ${id}`);
    order.status = status;
    order.date_modified = now();
    if (status === 'cancelled' && order._reduced) {
      order._reduced = false;
      moveStock(order, +1);
    } else if (REDUCED.has(status) && !order._reduced) {
      order._reduced = true;
      moveStock(order, -1);
    }
    deliver('order.updated', orderView(order));
    return orderView(order);
  }
  /**
   * Refunds lines (`{ lineItemId | sku, quantity }`; none: money only, as marking an order
   * refunded by hand does); `restock` (the refund form's "Restock refunded items", the REST
   * `api_restock`, both on by default) puts back in stock what the order had taken off it. The
   * refund is kept as the REST API lists it: each line with a negative quantity and the order
   * line in its meta `_refunded_item_id`. The order becomes "refunded" when every unit is.
   */
  function refundOrder(id, { lines = [], restock = true, reason = '' } = {}) {
    const order = orders.get(Number(id));
    if (!order) throw new Error(`no order ${id}`);
    let total = 0;
    const refundLines = [];
    for (const l of lines) {
      const li = order.line_items.find((x) => (l.lineItemId ? x.id === Number(l.lineItemId) : x.sku === l.sku));
      if (!li) throw new Error(`refundOrder: no line for ${JSON.stringify(l)}`);
      const q = l.quantity ?? li.quantity;
      li.refunded = (li.refunded || 0) + q;
      total += 10 * q;
      refundLines.push({
        id: newId(), name: li.name, product_id: li.product_id, variation_id: li.variation_id, quantity: -q, tax_class: '',
        subtotal: (-10 * q).toFixed(2), subtotal_tax: '0.00', total: (-10 * q).toFixed(2), total_tax: '0.00', taxes: [],
        meta_data: [{ id: newId(), key: '_refunded_item_id', value: String(li.id) }], sku: li.sku, price: -10,
      });
      const p = products.get(li.variation_id || li.product_id);
      if (restock && order._reduced && p?.manage_stock) {
        li.restocked = (li.restocked || 0) + q;
        p.stock_quantity += q;
        settleStatus(p);
        p.date_modified = now();
        productUpdated(p);
      }
    }
    if (!lines.length) total = Number(order.total);
    const at = now();
    order._refunds.push({
      id: newId(), date_created: at, date_created_gmt: at, amount: total.toFixed(2), reason, refunded_by: 1,
      refunded_payment: false, meta_data: [], line_items: refundLines,
    });
    if (!lines.length) order.status = 'refunded';
    if (order.line_items.every((li) => (li.refunded || 0) >= li.quantity)) order.status = 'refunded';
    order.date_modified = now();
    deliver('order.updated', orderView(order));
    return orderView(order);
  }

  // ---- HTTP ---------------------------------------------------------------------------------
  function authenticate(req) {
    const q = queryOf(req);
    let key = q.get('consumer_key');
    let secret = q.get('consumer_secret');
    const auth = req.headers.authorization || '';
    if (auth.startsWith('Basic ')) [key, secret] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
    if (!key) return null;
    if (key !== consumerKey) return { code: 'woocommerce_rest_authentication_error', message: 'Consumer key is invalid.' };
    if (secret !== consumerSecret) return { code: 'woocommerce_rest_authentication_error', message: 'Invalid signature - provided signature does not match.' };
    return { ok: true };
  }
  function page(res, list, req, show = view) {
    const q = queryOf(req);
    const perPage = Number(q.get('per_page') ?? 10);
    const pageNo = Number(q.get('page') ?? 1);
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) return wcError(res, 400, 'rest_invalid_param', 'Invalid parameter(s): per_page', { params: { per_page: 'per_page must be between 1 (inclusive) and 100 (inclusive)' } });
    if (!Number.isInteger(pageNo) || pageNo < 1) return wcError(res, 400, 'rest_invalid_param', 'Invalid parameter(s): page', { params: { page: 'page must be greater than or equal to 1' } });
    const sku = q.get('sku');
    const include = q.get('include') ? new Set(q.get('include').split(',').map(Number)) : null;
    const items = list.filter((p) => (!sku || p.sku === sku) && (!include || include.has(p.id)));
    const totalPages = Math.ceil(items.length / perPage);
    if (pageNo > 1 && pageNo > totalPages) return wcError(res, 400, 'rest_post_invalid_page_number', 'The page number requested is larger than the number of pages available.');
    const base = `${server.url}${new URL(req.url, 'http://x').pathname}`;
    const link = [];
    if (pageNo > 1) link.push(`<${base}?page=${pageNo - 1}&per_page=${perPage}>; rel="prev"`);
    if (pageNo < totalPages) link.push(`<${base}?page=${pageNo + 1}&per_page=${perPage}>; rel="next"`);
    const headers = { 'x-wp-total': String(items.length), 'x-wp-totalpages': String(totalPages) };
    if (link.length) headers.link = link.join(', ');
    return sendJson(res, 200, items.slice((pageNo - 1) * perPage, pageNo * perPage).map((x) => show(x)), headers);
  }
  function writeOne(p, body, record) {
    const r = update(p, body);
    record.outcome = r.error ? r.error.code : r.changed ? 'applied' : 'unchanged';
    if (!r.error && r.changed) productUpdated(p);
    return r;
  }

  server = await startServer(async (req, res, raw) => {
    const url = new URL(req.url, 'http://x');
    requests.push({ at: new Date().toISOString(), method: req.method, url: req.url, headers: req.headers, body: raw.toString() });
    const m = /^\/wp-json\/wc\/v3(\/.*)$/.exec(url.pathname);
    if (!m) return wcError(res, 404, 'rest_no_route', 'No route was found matching the URL and request method.');
    const fault = faults.take();
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'fail') return sendJson(res, fault.status, { code: 'internal_server_error', message: 'There has been a critical error on this website.', data: { status: fault.status } });
    // WooCommerce core has no rate limit on REST v3; hosts and firewalls in front of it answer
    // 429 with Retry-After, which is what this mode plays.
    if (fault?.kind === 'throttle') {
      return sendJson(res, 429, { code: 'rest_too_many_requests', message: 'Too many requests.', data: { status: 429 } }, { 'retry-after': String(fault.retryAfter) });
    }
    const isWrite = ['PUT', 'POST', 'PATCH'].includes(req.method);
    const who = authenticate(req);
    if (!who) return wcError(res, 401, isWrite ? 'woocommerce_rest_cannot_edit' : 'woocommerce_rest_cannot_view', isWrite ? 'Sorry, you are not allowed to edit this resource.' : 'Sorry, you cannot list resources.');
    if (!who.ok) return wcError(res, 401, who.code, who.message);
    if (isWrite && permissions === 'read') return wcError(res, 401, 'woocommerce_rest_authentication_error', 'The API key provided does not have write permissions.');
    if (!isWrite && permissions === 'write') return wcError(res, 401, 'woocommerce_rest_authentication_error', 'The API key provided does not have read permissions.');
    // WordPress reads a body as JSON only when it is sent as application/json; any other body
    // is read as form fields (developer.wordpress.org/rest-api/using-the-rest-api/
    // #body-parameters), so a JSON body without the header sets nothing.
    let body = {};
    if (isWrite && raw.length) {
      if (/application\/json/i.test(req.headers['content-type'] || '')) {
        try {
          body = JSON.parse(raw.toString());
        } catch {
          return wcError(res, 400, 'rest_invalid_json', 'Invalid JSON body passed.');
        }
      } else {
        body = Object.fromEntries(new URLSearchParams(raw.toString()));
      }
    }
    const path = m[1].replace(/\/$/, '');
    let mm;
    if (path === '/products' && req.method === 'GET') {
      return page(res, [...products.values()].filter((p) => p.type !== 'variation').sort((a, b) => a.id - b.id), req);
    }
    if ((mm = /^\/orders\/(\d+)\/refunds$/.exec(path)) && req.method === 'GET') {
      const order = orders.get(Number(mm[1]));
      if (!order) return wcError(res, 404, 'woocommerce_rest_shop_order_invalid_id', 'Invalid ID.');
      // Newest first, as WordPress lists posts by date.
      return page(res, [...order._refunds].reverse(), req, (r) => JSON.parse(JSON.stringify(r)));
    }
    if ((mm = /^\/products\/(\d+)\/variations$/.exec(path)) && req.method === 'GET') {
      const parent = products.get(Number(mm[1]));
      if (!parent || parent.type === 'variation') return wcError(res, 404, 'woocommerce_rest_product_invalid_id', 'Invalid ID.');
      return page(res, parent.variations.map((id) => products.get(id)), req);
    }
    if ((mm = /^\/products(?:\/(\d+)\/variations)?\/batch$/.exec(path)) && req.method === 'POST') {
      return batch(res, body, mm[1] ? Number(mm[1]) : null);
    }
    const one = /^\/products\/(\d+)(?:\/variations\/(\d+))?$/.exec(path);
    if (one) {
      const parentId = Number(one[1]);
      const id = one[2] ? Number(one[2]) : parentId;
      const p = products.get(id);
      const fits = p && (one[2] ? p.type === 'variation' && p.parent_id === parentId : p.type !== 'variation');
      if (!fits) return wcError(res, 404, one[2] ? 'woocommerce_rest_product_variation_invalid_id' : 'woocommerce_rest_product_invalid_id', 'Invalid ID.');
      if (req.method === 'GET') return sendJson(res, 200, view(p));
      if (isWrite) {
        const record = { at: new Date().toISOString(), method: req.method, path, id, body, outcome: null };
        writes.push(record);
        const r = writeOne(p, body, record);
        if (r.error) return wcError(res, r.error.status, r.error.code, r.error.message, { params: r.error.params });
        const lost = faults.takeAfterApply();
        if (lost?.kind === 'hang') return;
        if (lost) return sendJson(res, 500, { code: 'internal_server_error', message: 'There has been a critical error on this website.', data: { status: 500 } });
        return sendJson(res, 200, view(p));
      }
    }
    return wcError(res, 404, 'rest_no_route', 'No route was found matching the URL and request method.');
  }, { port: options.port });

  /** POST /products/batch and /products/{id}/variations/batch: `update` only, at most 100. */
  function batch(res, body, parentId) {
    const total = ['create', 'update', 'delete'].reduce((n, k) => n + (Array.isArray(body[k]) ? body[k].length : 0), 0);
    if (total > 100) return wcError(res, 413, 'woocommerce_rest_request_entity_too_large', 'Unable to accept more than 100 items for this request.');
    if (body.create?.length || body.delete?.length) return wcError(res, 400, 'standin_unsupported', 'The stand-in batches updates only.');
    const update = (body.update || []).map((u) => {
      const p = products.get(Number(u.id));
      const fits = p && (parentId ? p.type === 'variation' && p.parent_id === parentId : p.type !== 'variation');
      if (!fits) return { id: Number(u.id), error: { code: 'woocommerce_rest_product_invalid_id', message: 'Invalid ID.', data: { status: 400 } } };
      const record = { at: new Date().toISOString(), method: 'POST', path: parentId ? `/products/${parentId}/variations/batch` : '/products/batch', id: p.id, body: u, outcome: null };
      writes.push(record);
      const r = writeOne(p, u, record);
      if (r.error) return { id: p.id, error: { code: r.error.code, message: r.error.message, data: { status: 400 } } };
      return view(p);
    });
    return sendJson(res, 200, { update });
  }

  return {
    url: server.url,
    port: server.port,
    consumerKey,
    consumerSecret,
    /** What lastunit's WOOCOMMERCE_API_BASE takes. */
    apiBase: `${server.url}/wp-json/wc/v3`,
    close: () => server.close(),
    // catalogue
    addProduct,
    addVariation,
    product: (id) => (products.has(Number(id)) ? view(products.get(Number(id))) : undefined),
    /** Sets a product's stock as a merchant would in the admin (sends product.updated). */
    setStock(id, quantity, { notify = true } = {}) {
      const p = products.get(Number(id));
      const r = update(p, { manage_stock: true, stock_quantity: quantity });
      if (r.changed && notify) productUpdated(p);
    },
    stock: (id) => products.get(Number(id))?.stock_quantity,
    // what arrived
    writes,
    requests,
    // faults
    faults,
    ...faults.controls(),
    // webhooks
    /**
     * Creates one webhook per topic (ids 1, 2, ...) delivering to `url`, signed with `secret`.
     * WooCommerce pings each new webhook with an unsigned form body `webhook_id=N`.
     */
    configureWebhooks({ url, secret, topics = ['product.updated', 'order.created', 'order.updated'] }) {
      hooks = topics.map((topic, i) => ({ id: i + 1, topic, url, secret, status: 'active', failures: 0 }));
      for (const h of hooks) {
        outbox.send({
          url,
          topic: 'ping',
          body: `webhook_id=${h.id}`,
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'WooCommerce/9.4.0 Hookshot (WordPress/6.7)' },
        });
      }
      return hooks.map((h) => ({ id: h.id, topic: h.topic }));
    },
    /** Each webhook's `{ id, topic, status, failures }` (`disabled` after repeated failures). */
    webhooks: () => hooks.map(({ id, topic, status, failures }) => ({ id, topic, status, failures })),
    /** Turns a disabled webhook back on, as the merchant does in the admin. */
    activateWebhook(id) {
      const h = hooks.find((x) => x.id === id);
      h.status = 'active';
      h.failures = 0;
    },
    deliveries: outbox.deliveries,
    redeliver: (id, times) => outbox.redeliver(id, times),
    settled: () => outbox.settled(),
    // orders
    placeOrder,
    setOrderStatus,
    cancelOrder: (id) => setOrderStatus(id, 'cancelled'),
    refundOrder,
    orders,
  };
}
