// `make dev` stops whole, however the stop arrives. Ctrl-C or a TERM reaches the whole process
// group of make and scripts/dev.sh, and make then forwards its own TERM to dev.sh: two signals,
// a few milliseconds apart. dev.sh runs wrangler in a group of its own, so if the second signal
// ended dev.sh before it had told that group, wrangler and workerd stayed behind, serving the
// port (seen in a fresh-machine check). Here dev.sh gets exactly that pair of signals, at gaps
// from none to 20 ms, and must end by its own exit (143) with nothing of wrangler's group left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, freePort, sleep, waitFor, waitForHealth } from '../harness.mjs';

/** Process id → process group id, for every process this user can see. */
function processGroups() {
  const groups = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      // The command name (field 2) may hold spaces; the fields after its ')' are plain.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      groups.set(Number(pid), Number(fields[2]));
    } catch {} // it ended while we looked
  }
  return groups;
}

/** The process whose command line names this port: wrangler dev. */
function wranglerOn(port) {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd.some((a) => a.endsWith('wrangler-dist/cli.js')) && cmd.includes(String(port))) return Number(pid);
    } catch {}
  }
  return null;
}

for (const gapMs of [0, 1, 5, 20]) {
  test(`dev.sh stops whole on a group TERM and a second TERM ${gapMs} ms later`, async () => {
    const port = await freePort();
    const state = mkdtempSync(join(tmpdir(), 'lastunit-devstop-'));
    let log = '';
    // detached: a process group of its own, as make has under a terminal or fresh-check.
    const dev = spawn('bash', ['scripts/dev.sh'], { cwd: ROOT, detached: true, env: { ...process.env, PORT: String(port), STATE_DIR: state, SEED_DEMO: '0' } });
    dev.stdout.on('data', (d) => (log += d));
    dev.stderr.on('data', (d) => (log += d));
    const ended = new Promise((resolve) => dev.on('exit', (code, signal) => resolve({ code, signal })));
    try {
      await waitForHealth(`http://127.0.0.1:${port}`, { timeoutMs: 60000, alive: () => dev.exitCode === null, log: () => log });
      await waitFor(() => log.includes('Ctrl-C stops.'), { what: 'dev.sh to print its addresses', timeoutMs: 20000 });
      const wrangler = await waitFor(() => wranglerOn(port), { what: `wrangler dev on port ${port}` });
      const wranglerGroup = processGroups().get(wrangler);
      assert.notEqual(wranglerGroup, dev.pid, 'wrangler runs in a group of its own (set -m)');

      process.kill(-dev.pid, 'SIGTERM'); // the group: make and dev.sh
      if (gapMs) await sleep(gapMs); // the gap between the two signals is what this test varies
      try {
        process.kill(dev.pid, 'SIGTERM'); // make forwarding its TERM to dev.sh
      } catch {} // dev.sh already gone: nothing to forward to

      assert.deepEqual(await ended, { code: 143, signal: null }, `dev.sh must end by its own exit, not be killed mid-stop:\n${log.slice(-2000)}`);
      const left = [...processGroups()].filter(([, g]) => g === wranglerGroup).map(([p]) => p);
      assert.deepEqual(left, [], `wrangler's group must be gone once dev.sh has ended (left: ${left.join(', ')})`);
    } finally {
      try {
        process.kill(-dev.pid, 'SIGKILL');
      } catch {}
      const w = wranglerOn(port);
      if (w) {
        try {
          process.kill(-processGroups().get(w), 'SIGKILL');
        } catch {}
      }
      rmSync(state, { recursive: true, force: true });
    }
  });
}
