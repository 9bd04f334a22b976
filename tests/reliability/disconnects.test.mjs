// Clients that hang up mid-request (issue 15). Half the callers reserve one unit after another
// and wait for every answer; the other half send reservations and close them before the answer
// comes. What must hold: every request of the callers that waited is answered (201, never a
// dropped connection or a 5xx), and a reservation whose caller hung up holds at most what it
// asked, so the units held are exactly the answered ones plus at most one per hang-up.
//
// At this concurrency workerd answers every request; far above it (64 writers on raw workerd) it
// drops stalled requests on both lastunit and a bare Durable Object alike, which
// benches/edge/lost_answers.mjs measures and BENCHMARKS.md records: that is the runtime's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEdge, basicCatalog, skuWithStock, uid, DEFAULT_VARS } from '../harness.mjs';
import { tally } from './lib.mjs';

let edge;
before(async () => {
  edge = await startEdge();
  await basicCatalog(edge);
});
after(async () => edge?.stop());

const WAITERS = 12;
const QUITTERS = 12;
const EACH = 8;

const reserve = (sku, signal) =>
  fetch(`${edge.url}/v1/reservations`, {
    method: 'POST',
    signal,
    headers: { authorization: `Bearer ${DEFAULT_VARS.CHECKOUT_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ cart_id: uid('cart'), channel: 'web', ttl_seconds: 600, lines: [{ sku, quantity: 1 }] }),
  });

test('callers that hang up mid-request never cost another caller its answer, nor hold more than they asked', async (t) => {
  const sku = uid('DISC');
  await skuWithStock(edge, sku, { warehouse: 1000 });
  const answered = [];
  let hungUp = 0;
  const waiter = async () => {
    for (let i = 0; i < EACH; i++) {
      try {
        const r = await reserve(sku);
        await r.text();
        answered.push(r.status);
      } catch (e) {
        answered.push(`no answer: ${e.cause?.code ?? e.message}`);
      }
    }
  };
  const quitter = async () => {
    for (let i = 0; i < EACH; i++) {
      const abort = new AbortController();
      const sent = reserve(sku, abort.signal);
      // Hang up once the request is on its way: after the next turn of the event loop.
      setImmediate(() => abort.abort());
      hungUp += 1;
      await sent.then((r) => r.text()).catch(() => {});
    }
  };
  await Promise.all([...Array.from({ length: WAITERS }, waiter), ...Array.from({ length: QUITTERS }, quitter)]);

  assert.deepEqual(tally(answered), { 201: WAITERS * EACH }, 'every caller that waited got its hold');
  const view = (await edge.admin('GET', `/admin/skus/${sku}`)).body;
  const held = typeof view.reserved === 'number' ? view.reserved : Object.values(view.reserved).reduce((a, b) => a + b, 0);
  assert.ok(held >= WAITERS * EACH && held <= WAITERS * EACH + hungUp, `held ${held}: ${WAITERS * EACH} answered, ${hungUp} hung up`);
  assert.equal(view.on_hand.warehouse, 1000, 'a hold is not a sale');
  t.diagnostic(`held ${held}: ${WAITERS * EACH} answered, ${hungUp} hung up`);
});
