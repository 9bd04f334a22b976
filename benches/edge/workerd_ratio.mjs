#!/usr/bin/env node
// lastunit against the bare platform, both served by workerd itself (no wrangler, no Miniflare):
// alternating pairs of runs (bare, lastunit, bare, lastunit, ...) in one process, so that both
// sides of a ratio meet the same machine. Each run is closed-loop (benches/edge/load.mjs) after a
// warm-up; workerd's CPU per answered request comes from /proc/PID/stat (utime + stime).
//
//   node benches/edge/workerd_ratio.mjs [--pairs 3] [--seconds 10] [--warmup 2] [--json FILE]
//        [--only write|read|worker]     (one workload; VERBOSE=1 prints workerd's logs at the end)
//
// Workloads (bare side in benches/edge/bare-do/index.js):
//   write  POST /v1/reservations (checkout token, one unit, a cart each)  vs  one SQLite INSERT in a DO
//   read   GET /v1/availability/{sku}?channel=web                         vs  a DO answering a constant
//   worker GET /v1/health                                                 vs  a JS Worker's constant
// Each lastunit write run reserves on a SKU of its own (1,000,000 units), so no run carries the
// holds of the one before.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

import { closedLoop } from './load.mjs';
import { startWorkerd } from './workerd.mjs';
import { arg, fmt, stockedSku, VARS } from './lib.mjs';
import { workerdBinary } from '../../scripts/workerd-config.mjs';

const PAIRS = arg('pairs', 3);
const SECONDS = arg('seconds', 10);
const WARMUP = arg('warmup', 2);
const jsonAt = process.argv.indexOf('--json');
const JSON_OUT = jsonAt > 0 ? process.argv[jsonAt + 1] : null;
const onlyAt = process.argv.indexOf('--only');
const ONLY = onlyAt > 0 ? process.argv[onlyAt + 1] : null;
const VERBOSE = process.env.VERBOSE === '1';

const checkout = { authorization: `Bearer ${VARS.CHECKOUT_TOKEN}` };

let skuRun = 0;
const WORKLOADS = [
  {
    name: 'write: reservation vs one INSERT',
    kind: 'write',
    connections: 16,
    expect: { bare: 201, lastunit: 201 },
    bare: () => (conn, i) => ({ method: 'POST', path: '/v1/write', body: JSON.stringify({ cart_id: `c-${conn}-${i}` }) }),
    lastunit: async (url) => {
      const sku = `W-${++skuRun}`;
      await stockedSku({ url }, sku);
      return (conn, i) => ({
        method: 'POST',
        path: '/v1/reservations',
        headers: checkout,
        body: JSON.stringify({ cart_id: `c-${conn}-${i}`, channel: 'web', ttl_seconds: 600, lines: [{ sku, quantity: 1 }] }),
      });
    },
  },
  {
    name: 'read: availability vs a constant DO',
    kind: 'read',
    connections: 16,
    expect: { bare: 200, lastunit: 200 },
    bare: () => () => ({ path: '/v1/read' }),
    lastunit: () => () => ({ path: '/v1/availability/READ?channel=web' }),
  },
  {
    name: 'Worker alone: /v1/health vs a JS constant',
    kind: 'worker',
    connections: 64,
    expect: { bare: 200, lastunit: 200 },
    bare: () => () => ({ path: '/v1/health' }),
    lastunit: () => () => ({ path: '/v1/health' }),
  },
];
// The write workload once more at 64 connections, after its 16-connection rows.
WORKLOADS.splice(1, 0, { ...WORKLOADS[0], connections: 64 });

async function measure(server, workload, side) {
  const request = await workload[side](server.url);
  if (WARMUP > 0) await closedLoop({ url: server.url, connections: workload.connections, seconds: WARMUP, request });
  const before = server.cpuMs();
  const r = await closedLoop({ url: server.url, connections: workload.connections, seconds: SECONDS, request });
  const cpu = server.cpuMs() - before;
  const unexpected = Object.entries(r.statuses).filter(([s]) => Number(s) !== workload.expect[side]).reduce((n, [, c]) => n + c, 0);
  return { ...r, serverCpuMs: cpu, cpuUsPerRequest: (cpu * 1000) / r.answered, unexpected, statusesSeen: r.statuses };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

const load0 = readLoad();
const bare = await startWorkerd('bare', { verbose: VERBOSE });
const lastunit = await startWorkerd('lastunit', { verbose: VERBOSE });
const rows = [];
try {
  await stockedSku(lastunit, 'READ');
  for (const w of WORKLOADS.filter((w) => !ONLY || w.kind === ONLY)) {
    const runs = { bare: [], lastunit: [] };
    for (let p = 0; p < PAIRS; p++) {
      runs.bare.push(await measure(bare, w, 'bare'));
      runs.lastunit.push(await measure(lastunit, w, 'lastunit'));
    }
    const ratios = runs.lastunit.map((l, i) => l.rps / runs.bare[i].rps);
    rows.push({ workload: w.name, connections: w.connections, runs, ratios });
    process.stderr.write(`${w.name} at ${w.connections}: ratios ${ratios.map((r) => r.toFixed(2)).join(' ')}\n`);
  }
} finally {
  if (VERBOSE) process.stderr.write(`---- bare workerd:\n${bare.logs()}\n---- lastunit workerd:\n${lastunit.logs()}\n`);
  await bare.stop();
  await lastunit.stop();
}
const load1 = readLoad();

function readLoad() {
  return execFileSync('cut', ['-d', ' ', '-f1-3', '/proc/loadavg'], { encoding: 'utf8' }).trim();
}

const side = (rs) => ({
  rps: mean(rs.map((r) => r.rps)),
  p50: median(rs.map((r) => r.p50)),
  p99: median(rs.map((r) => r.p99)),
  cpu: mean(rs.map((r) => r.cpuUsPerRequest)),
  lost: rs.reduce((n, r) => n + r.lost, 0),
  unexpected: rs.reduce((n, r) => n + r.unexpected, 0),
});
const version = execFileSync(workerdBinary(), ['--version'], { encoding: 'utf8' }).trim();
console.log(`# raw workerd (${version}), no wrangler: ${PAIRS} alternating pairs of ${SECONDS} s runs (each after ${WARMUP} s warm-up)`);
console.log(`# machine: ${cpus().length} vCPU ${cpus()[0]?.model?.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}; load average ${load0} before, ${load1} after`);
console.log('# req/s: mean over the runs; p50/p99: median over the runs; CPU: workerd µs per answered request; ratio: lastunit / bare, median of the pairs (range)');
console.log('| workload | conns | bare req/s | lastunit req/s | ratio | bare p50 / p99 ms | lastunit p50 / p99 ms | bare CPU µs | lastunit CPU µs | lost (bare / lastunit) |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  const b = side(r.runs.bare);
  const l = side(r.runs.lastunit);
  const range = `${fmt(Math.min(...r.ratios), 2)}–${fmt(Math.max(...r.ratios), 2)}`;
  const bad = b.unexpected + l.unexpected ? ` (unexpected statuses: ${b.unexpected} / ${l.unexpected})` : '';
  console.log(
    `| ${r.workload} | ${r.connections} | ${fmt(b.rps, 0)} | ${fmt(l.rps, 0)} | **${fmt(median(r.ratios), 2)}** (${range}) | ` +
      `${fmt(b.p50)} / ${fmt(b.p99)} | ${fmt(l.p50)} / ${fmt(l.p99)} | ${fmt(b.cpu, 0)} | ${fmt(l.cpu, 0)} | ${b.lost} / ${l.lost}${bad} |`,
  );
}
if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ version, pairs: PAIRS, seconds: SECONDS, rows }, null, 1));
