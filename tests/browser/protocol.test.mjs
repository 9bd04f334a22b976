// The widget against a scripted stand-in edge (node http + ws), for what the real edge never
// does on purpose: pushes out of order, garbage frames, a store reset to a lower version.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { freePort, waitFor } from '../harness.mjs';
import { DIST, changes, launchBrowser, recordChanges, requireWidgetBuild, widgetShows } from './support.mjs';

const av = (over) => ({ type: 'availability', sku: 'X', channel: 'web', available: 7, status: 'in_stock', in_store_only: false, version: 5, updated_at: '2026-11-26T10:00:00Z', ...over });

describe('widget protocol handling (scripted edge)', () => {
  let server, wss, url, browser, page;
  const sockets = [];
  const errors = [];
  let storeUnits = 4;

  before(async () => {
    requireWidgetBuild();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = createServer(async (req, res) => {
      const u = new URL(req.url, url);
      if (u.pathname.startsWith('/widget/')) {
        const name = u.pathname.slice('/widget/'.length);
        res.writeHead(200, { 'content-type': name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript' });
        res.end(await readFile(join(DIST, 'widget', name)));
      } else if (u.pathname === '/v1/availability/X' && u.searchParams.get('channel') === 'store') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ...av({ channel: 'store', available: storeUnits, status: 'in_stock' }), type: undefined }));
      } else if (u.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<!doctype html><script type="module" src="/widget/lastunit.js"></script><div data-lastunit-sku="X"></div><button data-lastunit-add-to-cart="X">Add</button>`);
      } else {
        res.writeHead(404);
        res.end('{}');
      }
    });
    wss = new WebSocketServer({ server, path: '/v1/live/X' });
    wss.on('connection', (ws) => sockets.push(ws));
    await new Promise((r) => server.listen(port, '127.0.0.1', r));
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
  });

  after(async () => {
    await browser?.close();
    for (const ws of sockets) ws.terminate();
    wss?.close();
    server?.closeAllConnections?.();
    await new Promise((r) => server?.close(r));
  });

  const last = () => sockets[sockets.length - 1];
  const push = (msg) => last().send(typeof msg === 'string' ? msg : JSON.stringify(msg));

  test('shows the first message, then ignores older versions and garbage', async () => {
    await page.goto(url + '/');
    await waitFor(() => sockets.length === 1, { what: 'a socket' });
    // Nothing pushed yet (and the HTTP read answers 404 without `unknown_sku`): neutral.
    await widgetShows(page, 'X', { status: 'unknown', text: 'Checking stock…', available: null });
    push(av({}));
    await widgetShows(page, 'X', { status: 'in_stock', available: 7, text: 'In stock' });
    await recordChanges(page);
    push(av({ version: 3, available: 1, status: 'low_stock' }));
    for (const junk of ['not json', '{"type":"availability","sku":"X","status":"plenty"}', JSON.stringify({ ...av({ version: 9 }), type: 'hello' }), JSON.stringify(av({ version: 9, sku: 'Y' })), JSON.stringify(av({ version: 9, available: -3 })), JSON.stringify(av({ version: 9, updated_at: 'yesterday' })), '[]', 'null']) push(junk);
    // One socket delivers in order: once this newer value shows, every message before it was
    // handled. A junk "version 9" taken for real would hide it; anything else taken shows below.
    push(av({ version: 6, available: 2, status: 'low_stock' }));
    await widgetShows(page, 'X', { status: 'low_stock', available: 2, text: 'Only 2 left' });
    const seen = (await changes(page)).filter((c) => c.sku === 'X'); // the widget element (the button follows it)
    assert.ok(seen.length > 0);
    assert.deepEqual(seen.filter((c) => c.status !== 'low_stock' || c.available !== '2'), [], 'only the newer value was ever shown');
  });

  test('in store only: asks the store channel how many', async () => {
    push(av({ version: 7, available: 0, status: 'out_of_stock', in_store_only: true }));
    await widgetShows(page, 'X', { status: 'out_of_stock', inStoreOnly: true, text: 'Out of stock online, 4 in store', buttonDisabled: true });
  });

  test('a reconnection takes the current state even at a lower version (a reset store)', async () => {
    last().close();
    await waitFor(() => sockets.length === 2, { timeoutMs: 5000, what: 'the reconnection' });
    push(av({ version: 1, available: 12, status: 'in_stock' }));
    await widgetShows(page, 'X', { status: 'in_stock', available: 12, buttonDisabled: false });
    assert.deepEqual(errors, []);
  });
});
