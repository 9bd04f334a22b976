#!/usr/bin/env node
// Requests that end with no answer under many writers (issue 15): closed-loop writes at
// `--connections` on raw workerd, alternating the bare JS object and lastunit, a few short rounds
// each, counting every request whose connection workerd closed before answering it, how long it
// had waited and when (ms after the round's deadline: the moment the other connections finish
// and close, and the load drops).
//
//   node benches/edge/lost_answers.mjs [--connections 64] [--rounds 4] [--seconds 5]
//
// What it showed (BENCHMARKS.md): both sides lose them, in bursts, every stalled request of a
// round at one instant; the bare Worker's `stub.fetch` never throws for them, so no JS code sees
// a failure it could answer.
import { closedLoop } from './load.mjs';
import { startWorkerd } from './workerd.mjs';
import { arg, stockedSku, VARS } from './lib.mjs';

const CONNECTIONS = arg('connections', 64);
const ROUNDS = arg('rounds', 4);
const SECONDS = arg('seconds', 5);

const bare = await startWorkerd('bare');
const lastunit = await startWorkerd('lastunit');
try {
  await stockedSku(lastunit, 'LOST');
  const requests = {
    bare: (c, i) => ({ method: 'POST', path: '/v1/write', body: JSON.stringify({ cart_id: `c-${c}-${i}` }) }),
    lastunit: (c, i) => ({
      method: 'POST',
      path: '/v1/reservations',
      headers: { authorization: `Bearer ${VARS.CHECKOUT_TOKEN}` },
      body: JSON.stringify({ cart_id: `c-${c}-${i}`, channel: 'web', ttl_seconds: 600, lines: [{ sku: 'LOST', quantity: 1 }] }),
    }),
  };
  console.log(`| round | side | answered | lost | statuses | waited ms (max) | closed ms after the deadline |\n| ---: | --- | ---: | ---: | --- | ---: | --- |`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [side, server] of [['bare', bare], ['lastunit', lastunit]]) {
      const r = await closedLoop({ url: server.url, connections: CONNECTIONS, seconds: SECONDS, request: requests[side] });
      const waited = r.lostAt.length ? Math.max(...r.lostAt.map((l) => l.waited)).toFixed(0) : '';
      const after = [...new Set(r.lostAt.map((l) => Math.round(l.at - SECONDS * 1000)))].slice(0, 4).join(', ');
      console.log(`| ${round} | ${side} | ${r.answered} | ${r.lost} | ${JSON.stringify(r.statuses)} | ${waited} | ${after} |`);
    }
  }
} finally {
  await bare.stop();
  await lastunit.stop();
}
