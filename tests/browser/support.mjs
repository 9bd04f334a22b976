// Helpers for the widget's browser suites: a headless Chromium, a tiny static server (the
// "shop" on another origin than the edge), and page-side probes.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, eventually, freePort } from '../harness.mjs';

export const DIST = join(ROOT, 'www', 'dist');
/** Where screenshots go: docs/img with UPDATE_SCREENSHOTS=1 (to renew the docs' pictures),
 * tests/.tmp/img otherwise, so that a test run never changes a tracked file. */
export const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'img') : join(ROOT, 'tests', '.tmp', 'img');

/** Fails early with a clear message when the widget was not built. */
export function requireWidgetBuild() {
  if (!existsSync(join(DIST, 'widget', 'lastunit.js')) || !existsSync(join(DIST, 'widget', 'lastunit_widget_bg.wasm'))) {
    throw new Error('www/dist/widget is missing: run www/build.sh (or `make build`) first');
  }
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.json': 'application/json' };

/**
 * A static server on its own port: `pages` maps a path to HTML (a string or a function of the
 * request URL); other paths are files under `dir` (if given); `/garbage/...` answers nonsense
 * (for an edge that misbehaves). `port`: default a free one. Returns {url, port, close()}.
 */
export async function startStatic({ pages = {}, dir, port } = {}) {
  port = port ?? (await freePort());
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, `http://127.0.0.1:${port}`);
    if (url.pathname.startsWith('/garbage/')) {
      res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
      res.end(url.pathname.includes('/v1/availability') ? '{"items": [{"sku": 42, "status": "plenty"}], "oops' : '<html>not json</html>');
      return;
    }
    const page = pages[url.pathname];
    if (page !== undefined) {
      res.writeHead(200, { 'content-type': TYPES['.html'] });
      res.end(typeof page === 'function' ? page(url) : page);
      return;
    }
    if (dir) {
      const file = normalize(join(dir, url.pathname === '/' ? 'index.html' : url.pathname));
      if (file.startsWith(dir)) {
        try {
          const body = await readFile(file);
          res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
          res.end(body);
          return;
        } catch {}
      }
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  // WebSocket upgrades to the static server get nothing useful: close them.
  server.on('upgrade', (_req, socket) => socket.destroy());
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, port, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

/** What a widget element shows: {status, available, text, hold, notice, inStoreOnly, ariaLive,
 * buttonDisabled} (`buttonDisabled`: the SKU's add-to-cart button, `null` when there is none). */
export async function readWidget(page, sku, channel) {
  return page.evaluate(([sku, channel]) => {
    const sel = channel ? `[data-lastunit-sku="${sku}"][data-lastunit-channel="${channel}"]` : `[data-lastunit-sku="${sku}"]`;
    const el = document.querySelector(sel);
    if (!el) return null;
    const part = (n) => el.querySelector(`[data-lastunit-part="${n}"]`)?.textContent ?? null;
    return {
      status: el.getAttribute('data-lastunit-status'),
      available: el.hasAttribute('data-lastunit-available') ? Number(el.getAttribute('data-lastunit-available')) : null,
      text: part('status'),
      hold: part('hold'),
      notice: part('notice'),
      inStoreOnly: el.hasAttribute('data-lastunit-in-store-only'),
      ariaLive: el.getAttribute('aria-live'),
      buttonDisabled: document.querySelector(`[data-lastunit-add-to-cart="${sku}"]`)?.disabled ?? null,
    };
  }, [sku, channel ?? null]);
}

const matches = (value, want) => (want instanceof RegExp ? typeof value === 'string' && want.test(value) : value === want);
const describe = (want) => `{${Object.entries(want).map(([k, v]) => `${k}: ${v instanceof RegExp ? v : JSON.stringify(v)}`).join(', ')}}`;

/**
 * Waits until the widget of `sku` shows every field of `want` (the fields of `readWidget`; a
 * RegExp must match, any other value must be equal) and returns all it shows. The widget's
 * answers arrive asynchronously (a live push, a reservation's answer, a poll) and in any order:
 * wait for the whole state a test asserts, never read it once. On timeout the error shows what
 * was wanted and the last state seen.
 *
 *   await widgetShows(page, 'cap', { status: 'out_of_stock', text: 'Out of stock', buttonDisabled: true });
 */
export function widgetShows(page, sku, want, { channel, ...opts } = {}) {
  return eventually(async () => {
    const w = await readWidget(page, sku, channel);
    if (!w || Object.entries(want).some(([k, v]) => !matches(w[k], v))) throw new Error(`wanted ${describe(want)}, last seen ${JSON.stringify(w)}`);
    return w;
  }, { what: `the widget of ${sku}`, ...opts });
}

/**
 * Starts recording, in the page, every change of `data-lastunit-status` / `-available` on
 * every widget element, with `Date.now()`; read back with `changes(page)`.
 */
export async function recordChanges(page) {
  await page.evaluate(() => {
    window.__changes = [];
    new MutationObserver((records) => {
      const at = Date.now();
      for (const r of records) {
        const el = r.target;
        window.__changes.push({ at, sku: el.getAttribute('data-lastunit-sku'), attr: r.attributeName, status: el.getAttribute('data-lastunit-status'), available: el.getAttribute('data-lastunit-available'), text: el.querySelector('[data-lastunit-part="status"]')?.textContent });
      }
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-lastunit-status', 'data-lastunit-available'] });
  });
}

export const changes = (page) => page.evaluate(() => window.__changes);
