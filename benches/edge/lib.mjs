// Edge benchmarks: start a local edge (wrangler dev → workerd) from a frozen copy of a build, and
// drive it with a fixed-concurrency, fixed-duration load client. The same launcher and the same
// client serve lastunit's Worker and the bare Durable Object, so their figures compare.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');
// Shared with the test harness rather than copied.
import { freePort, sleep, waitForHealth } from '../../tests/harness.mjs';

export { freePort, sleep };

/** The number after `--name` on the command line, or `fallback`. */
export const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

/** The bench settings (never the developer's .dev.vars). */
export const VARS = {
  ADMIN_TOKEN: 'bench-admin-token',
  CHECKOUT_TOKEN: 'bench-checkout-token',
  STOREFRONT_KEY: 'bench-storefront-key',
  SHOPIFY_WEBHOOK_SECRET: 'bench-shopify-secret',
  SQUARE_SIGNATURE_KEY: 'bench-square-key',
  SQUARE_NOTIFICATION_URL: 'https://edge.example/webhooks/square',
  LIGHTSPEED_CLIENT_SECRET: 'bench-lightspeed-secret',
  CLOVER_AUTH_CODE: 'bench-clover-auth-code',
  CLOVER_API_BASE: 'http://127.0.0.1:9',
  CLOVER_API_TOKEN: 'bench-clover-token',
  LASTUNIT_WEBHOOK_SECRET: 'bench-lastunit-secret',
  ALLOWED_ORIGINS: 'https://shop.example',
};

/** A SKU `sku` on a `web` channel selling from one `warehouse`, with 1,000,000 units (the most
 * one SKU may hold), so that reservations never run short during a benchmark. */
export async function stockedSku(edge, sku = 'P') {
  const admin = { authorization: `Bearer ${VARS.ADMIN_TOKEN}`, 'content-type': 'application/json' };
  const ok = async (p, m, b) => {
    const r = await fetch(edge.url + p, { method: m, headers: admin, body: JSON.stringify(b) });
    if (r.status >= 300) throw new Error(`${m} ${p}: ${r.status} ${await r.text()}`);
  };
  await ok('/admin/locations/warehouse', 'PUT', { name: 'Warehouse' });
  await ok('/admin/channels/web', 'PUT', { locations: ['warehouse'] });
  await ok(`/admin/skus/${sku}`, 'PUT', { title: sku, buffer: { mode: 'none' }, max_per_cart: 10 });
  await ok('/admin/events', 'POST', { event_id: `stock-${sku}`, type: 'count', sku, location: 'warehouse', quantity: 1000000 });
}

/** One line about the machine, for the record. */
export function machine() {
  const c = cpus();
  const wrangler = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'wrangler', 'package.json'), 'utf8')).version;
  return `${c.length} vCPU ${c[0]?.model?.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, wrangler ${wrangler} (workerd)`;
}

/**
 * Starts wrangler dev for `kind`: 'lastunit' (worker/build and www/dist, copied so a rebuild
 * during the run cannot reload the server) or 'bare' (benches/edge/bare-do). `vars` are added
 * to [`VARS`] (the connected stores' bases and keys, say).
 */
export async function startServer(kind, { logLevel = 'warn', vars = {} } = {}) {
  const work = mkdtempSync(join(tmpdir(), `lastunit-bench-${kind}-`));
  let config;
  if (kind === 'lastunit') {
    if (!existsSync(join(ROOT, 'worker', 'build', 'index.js'))) throw new Error('worker/build is missing: run `make worker` first');
    cpSync(join(ROOT, 'worker', 'build'), join(work, 'build'), { recursive: true });
    mkdirSync(join(work, 'dist'), { recursive: true });
    if (existsSync(join(ROOT, 'www', 'dist'))) cpSync(join(ROOT, 'www', 'dist'), join(work, 'dist'), { recursive: true });
    const { localConfig } = await import(join(ROOT, 'scripts', 'wrangler-local.mjs'));
    const text = localConfig()
      .replace(/^(\s*main\s*=\s*)"[^"]*"/m, `$1${JSON.stringify(join(work, 'build', 'index.js'))}`)
      .replace(/^(\s*directory\s*=\s*)"[^"]*"/m, `$1${JSON.stringify(join(work, 'dist'))}`);
    config = join(work, 'wrangler.toml');
    writeFileSync(config, text);
  } else {
    const dir = join(ROOT, 'benches', 'edge', 'bare-do');
    cpSync(dir, join(work, 'bare-do'), { recursive: true });
    config = join(work, 'bare-do', 'wrangler.toml');
  }
  const envFile = join(work, 'bench.env');
  writeFileSync(envFile, Object.entries({ ...VARS, ...vars }).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('\n') + '\n');
  const port = await freePort();
  const inspector = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let out = '';
  const child = spawn(
    WRANGLER,
    ['dev', '--config', config, '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector), '--persist-to', join(work, 'state'),
      '--env-file', envFile, '--show-interactive-dev-session=false', '--log-level', logLevel],
    { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' } },
  );
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise((r) => child.once('exit', r));
  const kill = (sig) => {
    try {
      process.kill(-child.pid, sig);
    } catch {}
  };
  process.on('exit', () => kill('SIGKILL'));
  try {
    await waitForHealth(url, { timeoutMs: 90000, alive: () => child.exitCode === null, log: () => `${kind}: ${out}` });
  } catch (e) {
    kill('SIGKILL');
    throw e;
  }
  return {
    url,
    port,
    logs: () => out,
    async stop() {
      kill('SIGTERM');
      const t = setTimeout(() => kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
      kill('SIGKILL');
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** A keep-alive HTTP request: resolves to {status, body (text), ms}. */
export function request(agent, url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const u = new URL(url);
    const req = http.request({ agent, host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } : headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString(), ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    });
    req.on('error', (e) => resolve({ status: 0, body: String(e), ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    if (body) req.write(body);
    req.end();
  });
}

/** `PUT base+path` with `body` as JSON and the admin token; throws on an answer of 300 or more. */
export async function adminPut(agent, base, path, body) {
  const r = await request(agent, base + path, { method: 'PUT', headers: { authorization: `Bearer ${VARS.ADMIN_TOKEN}` }, body: JSON.stringify(body) });
  if (r.status >= 300) throw new Error(`PUT ${path}: ${r.status} ${r.body.slice(0, 300)}`);
  return r;
}

export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function summarize(latencies) {
  const s = [...latencies].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] };
}

/**
 * Closed-loop load: `concurrency` workers, each calling `step(agent, worker, i)` back to back
 * for `seconds`. `step` returns an array of {status, ms, label}. Counts every request; latency
 * and throughput per label.
 */
export async function load({ concurrency = 32, seconds = 10, step }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const samples = [];
  const statuses = {};
  const until = Date.now() + seconds * 1000;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    for (let i = 0; Date.now() < until; i++) {
      for (const s of await step(agent, w, i)) {
        samples.push(s);
        statuses[`${s.label} ${s.status}`] = (statuses[`${s.label} ${s.status}`] ?? 0) + 1;
      }
    }
  }));
  const elapsed = (Date.now() - t0) / 1000;
  agent.destroy();
  const byLabel = {};
  for (const s of samples) (byLabel[s.label] ??= []).push(s.ms);
  const out = { elapsed, statuses, total: { rps: samples.length / elapsed, ...summarize(samples.map((s) => s.ms)) } };
  for (const [l, ms] of Object.entries(byLabel)) out[l] = { rps: ms.length / elapsed, ...summarize(ms) };
  return out;
}

export const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : String(x));
