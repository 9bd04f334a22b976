// The bare side of the edge benchmarks: what the platform costs with no lastunit in it.
//   POST /v1/write  → the object "hot": one SQLite INSERT → 201 JSON (against a reservation)
//   GET  /v1/read   → the object "read": a constant JSON answer, no storage (against
//                     GET /v1/availability/{sku})
//   GET  /v1/health → the Worker's constant answer, no object (against lastunit's /v1/health)
// Each is the same path through the Worker to one object as the lastunit request it stands for.
import { DurableObject } from 'cloudflare:workers';

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };
const AVAILABLE = JSON.stringify({ sku: 'P', channel: 'web', available: 1000000, status: 'in_stock', version: 1 });

export class BareObject extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec('CREATE TABLE IF NOT EXISTS writes(id INTEGER PRIMARY KEY AUTOINCREMENT, cart TEXT NOT NULL, at INTEGER NOT NULL)');
  }

  async fetch(request) {
    if (request.method === 'GET') return new Response(AVAILABLE, { headers: JSON_TYPE });
    const { cart_id } = await request.json();
    this.sql.exec('INSERT INTO writes(cart, at) VALUES (?, ?)', cart_id, Date.now());
    return new Response(JSON.stringify({ ok: true, cart_id }), { status: 201, headers: JSON_TYPE });
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/v1/health') return new Response('{"status":"ok"}', { headers: JSON_TYPE });
    if (request.method === 'GET' && url.pathname === '/v1/read') {
      return env.BARE.get(env.BARE.idFromName('read')).fetch('https://do.internal/read');
    }
    if (request.method === 'POST' && url.pathname === '/v1/write') {
      const stub = env.BARE.get(env.BARE.idFromName('hot'));
      return stub.fetch('https://do.internal/write', { method: 'POST', headers: { 'content-type': 'application/json' }, body: await request.text() });
    }
    return new Response('{"error":"not_found"}', { status: 404, headers: JSON_TYPE });
  }
};
