#!/usr/bin/env node
// Where the time of one kind of request goes inside workerd: serves lastunit (or the bare
// Durable Object) with workerd's inspector open, takes a V8 CPU profile over a closed-loop run,
// and prints the functions with the most self time and the most total time (JS and Wasm; Wasm
// functions keep their Rust names when the build has a name section, else `wasm-function[N]`).
//
//   node benches/edge/profile.mjs [--workload write|read|worker] [--side lastunit|bare]
//        [--connections 16] [--seconds 5] [--top 30] [--out FILE.cpuprofile]
//
// The profile (`--out`) opens in Chrome DevTools (Performance → load profile).
import { writeFileSync } from 'node:fs';

import WebSocket from 'ws';

import { closedLoop } from './load.mjs';
import { startWorkerd } from './workerd.mjs';
import { arg, stockedSku, VARS } from './lib.mjs';
import { freePort } from '../../tests/harness.mjs';

const opt = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const WORKLOAD = opt('workload', 'worker');
const SIDE = opt('side', 'lastunit');
const CONNECTIONS = arg('connections', 16);
const SECONDS = arg('seconds', 5);
const TOP = arg('top', 30);
const OUT = opt('out', null);

const checkout = { authorization: `Bearer ${VARS.CHECKOUT_TOKEN}` };

async function requestFor(server) {
  if (SIDE === 'bare') {
    if (WORKLOAD === 'write') return (c, i) => ({ method: 'POST', path: '/v1/write', body: JSON.stringify({ cart_id: `c-${c}-${i}` }) });
    if (WORKLOAD === 'read') return () => ({ path: '/v1/read' });
    return () => ({ path: '/v1/health' });
  }
  if (WORKLOAD === 'write') {
    await stockedSku(server, 'PROFILE-W');
    return (c, i) => ({
      method: 'POST',
      path: '/v1/reservations',
      headers: checkout,
      body: JSON.stringify({ cart_id: `c-${c}-${i}`, channel: 'web', ttl_seconds: 600, lines: [{ sku: 'PROFILE-W', quantity: 1 }] }),
    });
  }
  if (WORKLOAD === 'read') {
    await stockedSku(server, 'PROFILE-R');
    return () => ({ path: '/v1/availability/PROFILE-R?channel=web' });
  }
  return () => ({ path: '/v1/health' });
}

/** A DevTools protocol session on workerd's inspector (the `main` service's isolate). */
async function inspect(port) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/main`);
  await new Promise((ok, fail) => {
    ws.once('open', ok);
    ws.once('error', fail);
  });
  let id = 0;
  const pending = new Map();
  ws.on('message', (data) => {
    const m = JSON.parse(data);
    if (m.id && pending.has(m.id)) {
      const { ok, fail } = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) fail(new Error(JSON.stringify(m.error)));
      else ok(m.result);
    }
  });
  return {
    send: (method, params = {}) =>
      new Promise((ok, fail) => {
        const n = ++id;
        pending.set(n, { ok, fail });
        ws.send(JSON.stringify({ id: n, method, params }));
      }),
    close: () => ws.close(),
  };
}

/** Self and total time per function (by name and place) of a V8 CPU profile, in ms. */
function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const dt = new Map();
  profile.samples.forEach((s, i) => dt.set(s, (dt.get(s) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const name = (n) => {
    const f = n.callFrame;
    return `${f.functionName || '(anonymous)'} ${f.url ? `${f.url.split('/').pop()}:${f.lineNumber + 1}` : ''}`.trim();
  };
  const self = new Map();
  const total = new Map();
  let all = 0;
  for (const [id, us] of dt) {
    all += us;
    const n = byId.get(id);
    self.set(name(n), (self.get(name(n)) ?? 0) + us);
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const k = name(byId.get(at));
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + us);
    }
  }
  return { all, self, total };
}

const inspectorPort = await freePort();
const server = await startWorkerd(SIDE, { inspector: inspectorPort });
try {
  const request = await requestFor(server);
  await closedLoop({ url: server.url, connections: CONNECTIONS, seconds: 1, request });
  const session = await inspect(inspectorPort);
  await session.send('Profiler.enable');
  await session.send('Profiler.setSamplingInterval', { interval: 100 });
  await session.send('Profiler.start');
  const cpu0 = server.cpuMs();
  const r = await closedLoop({ url: server.url, connections: CONNECTIONS, seconds: SECONDS, request });
  const cpu = server.cpuMs() - cpu0;
  const { profile } = await session.send('Profiler.stop');
  session.close();
  if (OUT) writeFileSync(OUT, JSON.stringify(profile));
  const { all, self, total } = summarize(profile);
  const perReq = (us) => (us / r.answered).toFixed(1);
  console.log(`# ${SIDE} ${WORKLOAD}: ${r.answered} answered (${r.rps.toFixed(0)}/s, lost ${r.lost}, statuses ${JSON.stringify(r.statuses)}), workerd CPU ${((cpu * 1000) / r.answered).toFixed(0)} µs a request`);
  console.log(`# profiled JS thread: ${perReq(all)} µs a request (idle and GC included below)`);
  const table = (title, m) => {
    console.log(`\n| ${title} | µs a request | share |\n| --- | ---: | ---: |`);
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
      console.log(`| ${k.replace(/\|/g, '\\|')} | ${perReq(us)} | ${((100 * us) / all).toFixed(1)} % |`);
    }
  };
  table('self time', self);
  table('total time (callee included)', total);
} finally {
  await server.stop();
}
