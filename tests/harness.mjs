// Shared test harness: starts the real edge (wrangler dev → workerd, with Durable Objects) on a
// free port with a fresh state directory, and gives small helpers to talk to it.
//
//   import { startEdge, signLastunit, hmacBase64 } from '../harness.mjs';
//   const edge = await startEdge();               // builds nothing: `make test` builds first
//   const r = await edge.admin('PUT', '/admin/locations/main-st', { name: 'Main St' });
//   await edge.stop();
//
// Every started edge is stopped (process-group kill) when the test process exits.
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeLocalConfig } from '../scripts/wrangler-local.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');

/** The settings every test edge gets unless overridden (`startEdge({vars})`). */
export const DEFAULT_VARS = Object.freeze({
  ADMIN_TOKEN: 'test-admin-token',
  CHECKOUT_TOKEN: 'test-checkout-token',
  STOREFRONT_KEY: 'test-storefront-key',
  SHOPIFY_WEBHOOK_SECRET: 'test-shopify-secret',
  SQUARE_SIGNATURE_KEY: 'test-square-key',
  SQUARE_NOTIFICATION_URL: 'https://edge.example/webhooks/square',
  LIGHTSPEED_CLIENT_SECRET: 'test-lightspeed-secret',
  CLOVER_AUTH_CODE: 'test-clover-auth-code',
  CLOVER_API_BASE: 'http://127.0.0.1:9',
  CLOVER_API_TOKEN: 'test-clover-token',
  LASTUNIT_WEBHOOK_SECRET: 'test-lastunit-secret',
  ALLOWED_ORIGINS: 'https://shop.example,http://127.0.0.1:8000',
  // Suites about other promises call the storefront far faster than a shopper; the rate-limit
  // tests set their own (tests/reliability/public_holds.test.mjs).
  STOREFRONT_RESERVATIONS_PER_MINUTE: '100000',
});

const live = new Set();
function killAll() {
  for (const e of live) e._killGroup('SIGKILL');
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

/** Waits until `${url}/v1/health` answers (any status below 500). Throws, with the server's
 * log, when `alive()` turns false or `timeoutMs` passes. */
export async function waitForHealth(url, { timeoutMs, alive, log }) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (!alive()) throw new Error(`wrangler dev exited early:\n${log()}`);
    try {
      const r = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      if (r.status < 500) return;
    } catch {}
    if (Date.now() > until) throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${log()}`);
    await sleep(200);
  }
}

/** `fetch` with a JSON body (if any); the answer as `{status, headers, body}`, the body parsed
 * when it is JSON and left as text otherwise. */
export async function requestJson(address, method, body, headers = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
    if (!init.headers['content-type']) init.headers['content-type'] = 'application/json';
  }
  const r = await fetch(address, init);
  const text = await r.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {}
  return { status: r.status, headers: r.headers, body: parsed };
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits for something that arrives asynchronously (a DOM change, a WebSocket message, a push to
 * a local server, an alarm's effect, a dashboard row): calls `check` until it returns without
 * throwing, and returns what it returned. `check` asserts (node:assert), so on timeout the error
 * says what was wanted and what was last seen. Never a fixed sleep in its place.
 *
 *   const w = await eventually(async () => {
 *     const w = await readWidget(page, 'tee');
 *     assert.equal(w.status, 'out_of_stock');
 *     return w;
 *   }, { what: 'the tee sold out' });
 */
export async function eventually(check, { timeoutMs = 10000, intervalMs = 100, what = 'condition' } = {}) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${e?.message ?? e}`, { cause: e });
    }
    await sleep(intervalMs);
  }
}

/** Polls `fn` until it returns a truthy value (returned) or `timeoutMs` passes (throws with the
 * last value). For a failure message that shows more than `false`, assert inside `eventually`. */
export function waitFor(fn, { what = 'condition', ...opts } = {}) {
  return eventually(async () => {
    const last = await fn();
    if (!last) throw new Error(`last: ${JSON.stringify(last)}`);
    return last;
  }, { what, ...opts });
}

/**
 * Starts the edge. Options:
 * - `vars`: settings merged over DEFAULT_VARS (written to a temp env file, never to .dev.vars);
 * - `port`: default a free one; `stateDir`: default a fresh temp dir (removed on stop unless given);
 * - `quiet`: default true (wrangler output kept in `edge.logs()` instead of the console).
 * Returns `{url, port, stateDir, vars, stop(), restart(), kill9(), logs(), fetch, json, admin, ...}`.
 */
export async function startEdge({ vars = {}, port, stateDir, quiet = !process.env.EDGE_VERBOSE, timeoutMs = 60000 } = {}) {
  if (!existsSync(join(ROOT, 'worker', 'build', 'index.js'))) {
    throw new Error('worker/build/index.js is missing: run `make build` (or `make test`) first');
  }
  if (!existsSync(join(ROOT, 'www', 'dist'))) mkdirSync(join(ROOT, 'www', 'dist'), { recursive: true });
  const allVars = { ...DEFAULT_VARS, ...vars };
  const work = mkdtempSync(join(tmpdir(), 'lastunit-edge-'));
  stateDir = stateDir ?? join(work, 'state');
  const envFile = join(work, 'edge.env');
  // A copy of wrangler.toml without [build]: the tests serve what `make` built.
  const config = writeLocalConfig(join(work, 'wrangler.toml'));
  writeFileSync(envFile, Object.entries(allVars).map(([k, v]) => `${k}=${JSON.stringify(String(v))}`).join('\n') + '\n', { mode: 0o600 });
  port = port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  let child = null;
  let out = '';

  const edge = {
    url,
    port,
    stateDir,
    vars: allVars,
    logs: () => out,
    _killGroup(sig) {
      if (child && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, sig);
        } catch {}
      }
    },
    async start() {
      // wrangler picks more ports of its own for workerd; another process can take one between
      // its check and the bind. That race is not the edge's fault: try again on it, twice.
      for (let attempt = 1; ; attempt++) {
        try {
          return await edge._startOnce();
        } catch (e) {
          if (attempt >= 3 || !/Address already in use/.test(out)) throw e;
          await edge._exited;
        }
      }
    },
    async _startOnce() {
      const inspector = await freePort();
      out = '';
      child = spawn(
        WRANGLER,
        ['dev', '--config', config, '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector),
          '--persist-to', stateDir, '--env-file', envFile, '--show-interactive-dev-session=false', '--log-level', 'log'],
        { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' } },
      );
      live.add(edge);
      const onData = (d) => {
        out += d;
        if (!quiet) process.stderr.write(d);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      const exited = new Promise((r) => child.once('exit', r));
      edge._exited = exited;
      try {
        await waitForHealth(url, { timeoutMs, alive: () => child.exitCode === null && child.signalCode === null, log: () => out });
      } catch (e) {
        edge._killGroup('SIGKILL');
        throw e;
      }
      return edge;
    },
    /** Stops wrangler and workerd (SIGTERM to the whole process group, SIGKILL after 5 s). */
    async halt() {
      if (child) {
        edge._killGroup('SIGTERM');
        const t = setTimeout(() => edge._killGroup('SIGKILL'), 5000);
        await edge._exited;
        clearTimeout(t);
        // Make sure workerd (same group) is gone too.
        edge._killGroup('SIGKILL');
        child = null;
      }
    },
    /** Stops for good and removes the temp files (and the state dir when the harness made it). */
    async stop() {
      await edge.halt();
      live.delete(edge);
      rmSync(work, { recursive: true, force: true });
    },
    /** Stops and starts again on the same port and state dir. */
    async restart() {
      await edge.halt();
      return edge.start();
    },
    /** Hard crash: SIGKILL to the whole process group, no cleanup by wrangler. */
    async kill9() {
      if (child) {
        edge._killGroup('SIGKILL');
        await edge._exited;
        child = null;
      }
    },
    /** fetch against the edge: `edge.fetch('/v1/availability/A')`. */
    fetch: (path, init) => fetch(url + path, init),
    /** Request with a JSON body (if any), answer as `{status, headers, body}` (body parsed when JSON). */
    json: (method, path, body, headers = {}) => requestJson(url + path, method, body, headers),
    /** Admin call with the admin token: `edge.admin('PUT', '/admin/skus/A', {...})`. */
    admin: (method, path, body) => edge.json(method, path, body, { authorization: `Bearer ${allVars.ADMIN_TOKEN}` }),
    /** Storefront call from a shopper of its own (a fresh `CF-Connecting-IP` each call, as from
     * many browsers), unless `headers` name one: the per-client cap and rate limit then apply. */
    storefront: (method, path, body, headers = {}) => edge.json(method, path, body, { authorization: `Bearer ${allVars.STOREFRONT_KEY}`, 'cf-connecting-ip': shopperAddress(), ...headers }),
    checkout: (method, path, body, headers = {}) => edge.json(method, path, body, { authorization: `Bearer ${allVars.CHECKOUT_TOKEN}`, ...headers }),
    /** Signed generic webhook (`/webhooks/lastunit`). */
    webhook: (body, { secret = allVars.LASTUNIT_WEBHOOK_SECRET, t } = {}) => {
      const raw = typeof body === 'string' ? body : JSON.stringify(body);
      return edge.json('POST', '/webhooks/lastunit', raw, { 'x-lastunit-signature': signLastunit(secret, raw, t) });
    },
    availability: async (sku, channel = 'web') => (await edge.json('GET', `/v1/availability/${encodeURIComponent(sku)}?channel=${channel}`)).body,
  };
  await edge.start();
  return edge;
}

/** Base64 HMAC-SHA256 (Shopify, Square). */
export function hmacBase64(secret, ...parts) {
  const h = createHmac('sha256', secret);
  for (const p of parts) h.update(p);
  return h.digest('base64');
}

/** Hex HMAC-SHA256 (Lightspeed, lastunit). */
export function hmacHex(secret, ...parts) {
  const h = createHmac('sha256', secret);
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** `X-Lastunit-Signature` for `body` at unix seconds `t` (default now). */
export function signLastunit(secret, body, t = Math.floor(Date.now() / 1000)) {
  return `t=${t},v1=${hmacHex(secret, `${t}.`, body)}`;
}

/** Verifies an `X-Lastunit-Signature` header (for subscriber stand-ins); returns true/false. */
export function verifyLastunit(secret, body, header, toleranceS = 300) {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  if (Math.abs(Date.now() / 1000 - Number(m[1])) > toleranceS) return false;
  return hmacHex(secret, `${m[1]}.`, body) === m[2];
}

/** `X-Signature` value for Lightspeed. */
export function signLightspeed(secret, body) {
  return `signature=${hmacHex(secret, body)},algorithm=HMAC-SHA256`;
}

let shoppers = 0;
/** A client address no other call of this process used (`CF-Connecting-IP`, which `wrangler
 * dev` passes through and otherwise sets to the caller's own address, 127.0.0.1). */
export function shopperAddress() {
  shoppers++;
  return `10.${(shoppers >> 16) & 255}.${(shoppers >> 8) & 255}.${shoppers & 255}`;
}

/** A unique id for test objects. */
export const uid = (prefix = 'x') => `${prefix}-${randomBytes(6).toString('hex')}`;

/**
 * The secrets that point the edge at stand-ins of the connected stores (tests/standins/): any of
 * `shop` (Shopify), `woo` (WooCommerce) and `sq` (Square), as their `start()` returned them.
 */
export function storeSecrets({ shop, woo, sq } = {}) {
  return {
    ...(shop && { SHOPIFY_ADMIN_API_BASE: shop.apiBase('2026-01'), SHOPIFY_ADMIN_TOKEN: shop.token }),
    ...(woo && { WOOCOMMERCE_API_BASE: woo.apiBase, WOOCOMMERCE_CONSUMER_KEY: woo.consumerKey, WOOCOMMERCE_CONSUMER_SECRET: woo.consumerSecret }),
    ...(sq && { SQUARE_API_BASE: sq.apiBase, SQUARE_ACCESS_TOKEN: sq.token }),
  };
}

/**
 * A one-store shop whose web store is Shopify and WooCommerce: main-st (`pos_refs` as given)
 * sells as `store` and `web`, and both stores are connected as `web` at main-st.
 */
export async function connectedShop(edge, posRefs) {
  const ok = (r) => {
    if (r.status >= 300) throw new Error(`shop setup failed: ${r.status} ${JSON.stringify(r.body)}`);
  };
  ok(await edge.admin('PUT', '/admin/locations/main-st', { name: 'Main St', pos_refs: posRefs }));
  ok(await edge.admin('PUT', '/admin/channels/store', { locations: ['main-st'] }));
  ok(await edge.admin('PUT', '/admin/channels/web', { locations: ['main-st'] }));
  ok(await edge.admin('PUT', '/admin/connections/shopify', { channel: 'web', location: 'main-st' }));
  ok(await edge.admin('PUT', '/admin/connections/woocommerce', { channel: 'web', location: 'main-st' }));
}

/** Sets up the demo-like topology used by most tests: main-st, warehouse; store/web/marketplace. */
export async function basicCatalog(edge) {
  const ok = (r) => {
    if (r.status >= 300) throw new Error(`catalog setup failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r;
  };
  ok(await edge.admin('PUT', '/admin/locations/main-st', { name: 'Main St store', pos_refs: { shopify: '655441491', square: 'L9XZ3', clover: 'MID123', lightspeed: 'outlet-uuid' } }));
  ok(await edge.admin('PUT', '/admin/locations/warehouse', { name: 'Warehouse' }));
  ok(await edge.admin('PUT', '/admin/channels/store', { locations: ['main-st'] }));
  ok(await edge.admin('PUT', '/admin/channels/web', { locations: ['warehouse', 'main-st'] }));
  ok(await edge.admin('PUT', '/admin/channels/marketplace', { locations: ['warehouse'] }));
}

/** Registers a SKU and sets stock with admin count events: `stock = {'main-st': 3}`. */
export async function skuWithStock(edge, sku, stock = {}, config = {}) {
  const r = await edge.admin('PUT', `/admin/skus/${sku}`, { title: sku, buffer: { mode: 'none' }, ...config });
  if (r.status >= 300) throw new Error(`PUT sku failed: ${r.status} ${JSON.stringify(r.body)}`);
  const events = Object.entries(stock).map(([location, quantity]) => ({ event_id: uid('count'), type: 'count', sku, location, quantity }));
  if (events.length) {
    const e = await edge.admin('POST', '/admin/events', { events });
    if (e.status !== 200) throw new Error(`stock events failed: ${e.status} ${JSON.stringify(e.body)}`);
  }
}

/**
 * Waits until the catalog (dashboard rows, questions) has the newest summary of every SKU in
 * `skus`: each SKU object sends its summary from its alarm, after it has answered, so the rows
 * lag a change by a moment. Returns those rows.
 */
export function catalogCaughtUp(edge, skus, { timeoutMs = 20000 } = {}) {
  return eventually(async () => {
    const want = {};
    for (const sku of skus) want[sku] = (await edge.admin('GET', `/admin/skus/${encodeURIComponent(sku)}`)).body.version;
    const r = await edge.admin('GET', `/admin/dashboard?skus=${skus.map(encodeURIComponent).join(',')}`);
    const rows = r.body.rows ?? [];
    assert.deepEqual(Object.fromEntries(rows.map((x) => [x.sku, x.version])), want, 'dashboard row versions = SKU versions');
    return rows;
  }, { timeoutMs, what: `the catalog to catch up with ${skus.join(', ')}` });
}
