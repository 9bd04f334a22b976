#!/usr/bin/env node
// Seeds a demo catalog into an EMPTY edge through the admin API (nothing is written when the
// catalog already has SKUs). Usage: node scripts/seed-demo.mjs [http://127.0.0.1:8787]
// The admin token comes from $ADMIN_TOKEN, else .dev.vars, else .dev.vars.example.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const base = (process.argv[2] || process.env.EDGE_URL || 'http://127.0.0.1:8787').replace(/\/$/, '');

function devVar(name) {
  if (process.env[name]) return process.env[name];
  for (const f of ['.dev.vars', '.dev.vars.example']) {
    const p = join(root, f);
    if (!existsSync(p)) continue;
    for (const line of readFileSync(p, 'utf8').split('\n')) {
      const m = /^\s*([A-Z0-9_]+)\s*=\s*"?([^"]*)"?\s*$/.exec(line);
      if (m && m[1] === name) return m[2];
    }
  }
  throw new Error(`${name} is not set`);
}
const token = devVar('ADMIN_TOKEN');

async function admin(method, path, body) {
  const r = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const DAY = 86400000;
const now = Date.now();
const iso = (ms) => new Date(ms).toISOString();

const existing = await admin('GET', '/admin/skus');
if (existing.skus.length > 0) {
  console.log(`seed-demo: the catalog already has ${existing.skus.length} SKU(s); nothing seeded`);
  process.exit(0);
}

await admin('PUT', '/admin/locations/main-st', { name: 'Main St store', pos_refs: { shopify: '655441491', square: 'L9XZ3', clover: 'MID123', lightspeed: 'outlet-main-st' } });
await admin('PUT', '/admin/locations/warehouse', { name: 'Warehouse', pos_refs: { shopify: '655441492' } });
await admin('PUT', '/admin/channels/store', { locations: ['main-st'] });
await admin('PUT', '/admin/channels/web', { locations: ['warehouse', 'main-st'] });
await admin('PUT', '/admin/channels/marketplace', { locations: ['warehouse'] });

// sku → config, stock now, and past sales per channel (units per day over the last days).
const skus = [
  {
    sku: 'linen-shirt-m',
    config: { title: 'Linen shirt, M', low_stock_threshold: 3, max_per_cart: 5, buffer: { mode: 'auto', min: 1, max: 4 }, pos_refs: { shopify: '808950810', square: 'W62UWFY35CWMYGVWK6TWJDNI', clover: '9JZP7X', lightspeed: 'product-linen-m' } },
    stock: { warehouse: 10, 'main-st': 4 },
    sales: { web: 2, store: 1 },
  },
  {
    sku: 'wool-beanie',
    config: { title: 'Merino beanie', low_stock_threshold: 3, max_per_cart: 3, buffer: { mode: 'fixed', units: 1 }, pos_refs: { shopify: '808950811' } },
    stock: { warehouse: 2, 'main-st': 1 },
    sales: { web: 1, store: 1 },
  },
  {
    sku: 'canvas-tote',
    config: { title: 'Canvas tote', low_stock_threshold: 5, max_per_cart: 10, buffer: { mode: 'fixed', units: 2 }, pos_refs: { shopify: '808950812' } },
    stock: { warehouse: 26, 'main-st': 6 },
    sales: { web: 3, marketplace: 1, store: 1 },
  },
  {
    sku: 'ceramic-mug',
    config: { title: 'Stoneware mug', low_stock_threshold: 2, max_per_cart: 4, buffer: { mode: 'fixed', units: 1 }, pos_refs: { shopify: '808950813' } },
    stock: { warehouse: 0, 'main-st': 1 },
    sales: { store: 1 },
  },
  {
    sku: 'desk-lamp',
    config: { title: 'Brass desk lamp', low_stock_threshold: 1, max_per_cart: 2, buffer: { mode: 'none' }, pos_refs: { shopify: '808950814' } },
    stock: { warehouse: 0, 'main-st': 0 },
    sales: { web: 1 },
  },
  {
    sku: 'trail-socks',
    config: { title: 'Trail socks, pair', low_stock_threshold: 4, max_per_cart: 6, buffer: { mode: 'none' }, allocation: { marketplace: 4 }, pos_refs: { shopify: '808950815' } },
    stock: { warehouse: 18, 'main-st': 5 },
    sales: { marketplace: 2, web: 1 },
  },
];

for (const s of skus) {
  await admin('PUT', `/admin/skus/${s.sku}`, s.config);
  const events = [];
  // A week of past sales, so velocities (and the auto buffer) are not zero.
  for (let d = 7; d >= 1; d--) {
    for (const [channel, perDay] of Object.entries(s.sales)) {
      const location = channel === 'store' ? 'main-st' : channel === 'marketplace' ? 'warehouse' : 'warehouse';
      events.push({ event_id: `seed-sale-${s.sku}-${channel}-${d}`, type: 'sale', sku: s.sku, location, channel, quantity: perDay, occurred_at: iso(now - d * DAY + 3600000) });
    }
  }
  // Then today's physical counts set the stock on hand.
  for (const [location, quantity] of Object.entries(s.stock)) {
    events.push({ event_id: `seed-count-${s.sku}-${location}`, type: 'count', sku: s.sku, location, quantity, occurred_at: iso(now) });
  }
  await admin('POST', '/admin/events', { events });
}

await admin('POST', '/admin/purchase-orders', {
  po_id: 'PO-1001',
  location: 'warehouse',
  lines: [
    { sku: 'desk-lamp', quantity: 6, expected_at: iso(now + 3 * DAY) },
    { sku: 'linen-shirt-m', quantity: 12, expected_at: iso(now + 10 * DAY) },
    { sku: 'wool-beanie', quantity: 8, expected_at: iso(now + 5 * DAY) },
  ],
});

const items = await fetch(`${base}/v1/availability?skus=${skus.map((s) => s.sku).join(',')}&channel=web`).then((r) => r.json());
console.log('seed-demo: seeded 2 locations, 3 channels, 6 SKUs, 1 purchase order');
for (const a of items.items) console.log(`  ${a.sku.padEnd(14)} web: ${String(a.available).padStart(3)} ${a.status}${a.in_store_only ? ' (in store only)' : ''}`);
