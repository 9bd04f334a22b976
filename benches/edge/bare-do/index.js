// A bare Durable Object: POST /v1/write → one SQLite INSERT in the object named "hot" → 201 JSON.
// The same path through the Worker to one object as a lastunit reservation, without the engine.
import { DurableObject } from 'cloudflare:workers';

export class BareObject extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec('CREATE TABLE IF NOT EXISTS writes(id INTEGER PRIMARY KEY AUTOINCREMENT, cart TEXT NOT NULL, at INTEGER NOT NULL)');
  }

  async fetch(request) {
    const { cart_id } = await request.json();
    this.sql.exec('INSERT INTO writes(cart, at) VALUES (?, ?)', cart_id, Date.now());
    return new Response(JSON.stringify({ ok: true, cart_id }), { status: 201, headers: { 'content-type': 'application/json; charset=utf-8' } });
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/v1/health') return new Response('{"status":"ok"}', { headers: { 'content-type': 'application/json' } });
    if (request.method === 'POST' && url.pathname === '/v1/write') {
      const stub = env.BARE.get(env.BARE.idFromName('hot'));
      return stub.fetch('https://do.internal/write', { method: 'POST', headers: { 'content-type': 'application/json' }, body: await request.text() });
    }
    return new Response('{"error":"not_found"}', { status: 404, headers: { 'content-type': 'application/json' } });
  }
};
