// Serves lastunit's built Worker, or the bare Durable Object, with the `workerd` binary itself
// (config from scripts/workerd-config.mjs: the same classes on SQLite, the same settings), and
// reads the server's CPU time from /proc, so a benchmark can give CPU per request.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { waitForHealth, freePort } from '../../tests/harness.mjs';
import { ROOT, workerdBinary, writeWorkerdConfig } from '../../scripts/workerd-config.mjs';
import { VARS } from './lib.mjs';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU time (user + system) of process `pid` so far, in ms: every thread of it. */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which is in parentheses and may hold spaces): utime is the
  // 14th field of the line, stime the 15th.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_SECOND;
}

/**
 * Starts workerd for `kind`: 'lastunit' (wrangler.toml: worker/build and www/dist) or 'bare'
 * (benches/edge/bare-do/wrangler.toml). `vars` are added to the bench settings; `inspector`
 * (a port) opens workerd's inspector for a CPU profile; `verbose` has workerd log more.
 */
export async function startWorkerd(kind, { vars = {}, inspector, verbose = false } = {}) {
  const wranglerConfig = kind === 'lastunit' ? join(ROOT, 'wrangler.toml') : join(ROOT, 'benches', 'edge', 'bare-do', 'wrangler.toml');
  if (kind === 'lastunit' && !existsSync(join(ROOT, 'worker', 'build', 'index.js'))) {
    throw new Error('worker/build is missing: run `make worker` first');
  }
  const work = mkdtempSync(join(tmpdir(), `lastunit-workerd-${kind}-`));
  const port = await freePort();
  const config = await writeWorkerdConfig({
    wranglerConfig,
    out: join(work, 'config.capnp'),
    port,
    vars: kind === 'lastunit' ? { ...VARS, ...vars } : vars,
    state: join(work, 'state'),
  });
  const args = ['serve', config];
  if (verbose) args.push('--verbose');
  if (inspector) args.push(`--inspector-addr=127.0.0.1:${inspector}`);
  let out = '';
  const child = spawn(workerdBinary(), args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => (out = (out + d).slice(-20000)));
  child.stderr.on('data', (d) => (out = (out + d).slice(-20000)));
  const exited = new Promise((r) => child.once('exit', r));
  const onExit = () => child.kill('SIGKILL');
  process.on('exit', onExit);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, { timeoutMs: 30000, alive: () => child.exitCode === null, log: () => `${kind}: ${out}` });
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return {
    kind,
    url,
    pid: child.pid,
    logs: () => out,
    cpuMs: () => cpuMs(child.pid),
    async stop() {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
      process.off('exit', onExit);
      rmSync(work, { recursive: true, force: true });
    },
  };
}
