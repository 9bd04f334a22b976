// One PoS id names one thing, also when several PUTs claim it at once: the catalog checks and
// claims the ids in one step, before it awaits the SKU object.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEdge, basicCatalog, uid } from '../harness.mjs';

let edge;

before(async () => {
  edge = await startEdge();
  await basicCatalog(edge);
});
after(async () => {
  await edge?.stop();
});

test('concurrent PUTs of different SKUs with one shopify id: exactly one gets it', async () => {
  const ref = String(Date.now());
  const skus = Array.from({ length: 8 }, () => uid('ref'));
  const answers = await Promise.all(skus.map((sku) => edge.admin('PUT', `/admin/skus/${sku}`, { title: sku, pos_refs: { shopify: ref } })));
  const won = answers.filter((r) => r.status === 200);
  assert.equal(won.length, 1, JSON.stringify(answers.map((r) => [r.status, r.body?.error])));
  for (const r of answers.filter((r) => r.status !== 200)) {
    assert.equal(r.status, 422);
    assert.equal(r.body.field, 'pos_refs');
    assert.match(r.body.message, /already/);
  }
  // The SKUs that lost were not configured with the id, and the winner keeps it.
  const winner = skus[answers.indexOf(won[0])];
  for (const sku of skus) {
    const view = await edge.admin('GET', `/admin/skus/${sku}`);
    if (sku === winner) assert.equal(view.body.config.pos_refs.shopify, ref);
    else assert.equal(view.status, 404, `${sku} was not created`);
  }
  // A refused claim leaves the id free for its owner to keep, and for no one else.
  const again = await edge.admin('PUT', `/admin/skus/${winner}`, { title: winner, pos_refs: { shopify: ref } });
  assert.equal(again.status, 200);
  const other = await edge.admin('PUT', `/admin/skus/${skus.find((s) => s !== winner)}`, { pos_refs: { shopify: ref } });
  assert.equal(other.status, 422);
});
