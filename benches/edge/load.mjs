// A closed-loop HTTP/1.1 load client: `connections` keep-alive TCP connections, each sending its
// next request only when the previous one was answered, for `seconds`. Latency is taken from
// every request (the first byte written to the whole answer read), and the percentiles are exact:
// every sample is kept and sorted, none is invented or interpolated. A request that gets no
// answer (the connection closed or failed under it, or `timeoutMs` passed) is counted as `lost`,
// never dropped from the figures; its connection is opened again and goes on.
//
// The client speaks HTTP/1.1 on raw sockets (answers with Content-Length or chunked bodies), so
// that it costs far less CPU per request than node:http: on a 2-core machine the client shares
// the cores with the server it measures. Its own CPU time is reported beside the figures.
//
//   import { closedLoop } from './load.mjs';
//   const r = await closedLoop({ url: 'http://127.0.0.1:8787', connections: 16, seconds: 10,
//     request: (conn, i) => ({ method: 'POST', path: '/v1/write', headers: {...}, body: '{...}' }) });
//   // r: {sent, answered, lost, statuses, rps, p50, p90, p99, p999, max, elapsed, clientCpuMs}
import { setMaxListeners } from 'node:events';
import net from 'node:net';

/** The exact `p`-th percentile (0..100) of ascending `sorted`: the smallest sample with at
 * least p % of the samples at or below it. */
export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The bytes of one request. */
function encode(host, { method = 'GET', path, headers = {}, body }) {
  const payload = body === undefined ? null : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  let head = `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  if (payload) {
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) head += 'content-type: application/json\r\n';
    head += `content-length: ${payload.length}\r\n`;
  }
  head += '\r\n';
  return payload ? Buffer.concat([Buffer.from(head), payload]) : Buffer.from(head);
}

/**
 * Reads one whole answer from the front of `buf`: `{status, body, used}` (bytes consumed), or
 * null while it is incomplete. Throws on what is not HTTP/1.1.
 */
export function parseAnswer(buf, { head = false } = {}) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!m) throw new Error(`not an HTTP answer: ${JSON.stringify(lines[0])}`);
  const status = Number(m[1]);
  let length = null;
  let chunked = false;
  let close = false;
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim().toLowerCase();
    if (name === 'content-length') length = Number(value);
    else if (name === 'transfer-encoding') chunked = value.includes('chunked');
    else if (name === 'connection') close = value.includes('close');
  }
  const start = end + 4;
  if (head || status === 204 || status === 304 || (status >= 100 && status < 200)) return { status, body: Buffer.alloc(0), used: start, close };
  if (chunked) {
    const parts = [];
    let at = start;
    for (;;) {
      const eol = buf.indexOf('\r\n', at);
      if (eol < 0) return null;
      const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
      if (!Number.isFinite(size)) throw new Error('bad chunk size');
      if (size === 0) {
        // The last chunk, then trailers (none expected) up to an empty line.
        if (buf.length < eol + 4) return null;
        let used = eol + 4;
        if (buf[eol + 2] !== 13 || buf[eol + 3] !== 10) {
          const fin = buf.indexOf('\r\n\r\n', eol + 2);
          if (fin < 0) return null;
          used = fin + 4;
        }
        return { status, body: Buffer.concat(parts), used, close };
      }
      if (buf.length < eol + 2 + size + 2) return null;
      parts.push(buf.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
  }
  if (length === null) throw new Error('an answer without Content-Length or chunked encoding');
  if (buf.length < start + length) return null;
  return { status, body: buf.subarray(start, start + length), used: start + length, close };
}

/**
 * Runs the closed loop. `request(conn, i)` gives the i-th request of connection `conn`
 * ({method, path, headers, body}); `onAnswer(conn, status, body, i)` sees each answer.
 * `signal` (an AbortSignal) closes every connection at once, as a client that goes away does:
 * what was in flight then is counted as `abandoned`, not lost.
 */
export async function closedLoop({ url, connections, seconds, request, onAnswer, timeoutMs = 15000, signal }) {
  const u = new URL(url);
  const host = u.host;
  const port = Number(u.port || 80);
  const latencies = [];
  const statuses = {};
  const lostWhy = {};
  const lostAt = []; // ms from the start, and how long each had waited
  let sent = 0;
  let lost = 0;
  let abandoned = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const deadline = t0 + BigInt(Math.round(seconds * 1e9));
  let lastAnswer = t0;
  // One abort listener per connection.
  if (signal) setMaxListeners(connections + 10, signal);

  const runConnection = (conn) =>
    new Promise((done) => {
      let i = 0;
      let socket = null;
      let buf = Buffer.alloc(0);
      let inFlight = null; // {started, timer, index}
      let finished = false;

      const finish = () => {
        if (finished) return;
        finished = true;
        socket?.destroy();
        done();
      };
      const noAnswer = (why) => {
        if (!inFlight) return;
        clearTimeout(inFlight.timer);
        const request = inFlight;
        inFlight = null;
        if (signal?.aborted) abandoned++;
        else {
          lost++;
          lostWhy[why] = (lostWhy[why] ?? 0) + 1;
          const now = process.hrtime.bigint();
          lostAt.push({ at: Number(now - t0) / 1e6, waited: Number(now - request.started) / 1e6 });
        }
      };
      const open = () => {
        buf = Buffer.alloc(0);
        socket = net.connect({ host: u.hostname, port, noDelay: true });
        const s = socket;
        s.on('data', (d) => {
          if (s !== socket) return;
          buf = buf.length ? Buffer.concat([buf, d]) : d;
          let answer;
          try {
            answer = parseAnswer(buf);
          } catch (e) {
            noAnswer(`unreadable answer: ${e.message}`);
            return restart();
          }
          if (!answer || !inFlight) return;
          const now = process.hrtime.bigint();
          latencies.push(Number(now - inFlight.started) / 1e6);
          lastAnswer = now;
          clearTimeout(inFlight.timer);
          const index = inFlight.index;
          inFlight = null;
          statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
          onAnswer?.(conn, answer.status, answer.body, index);
          buf = buf.subarray(answer.used);
          if (answer.close) restart();
          else next();
        });
        s.on('error', () => {});
        s.on('close', () => {
          if (s !== socket) return;
          noAnswer('connection closed before the answer');
          if (!finished) restart();
        });
      };
      const restart = () => {
        const old = socket;
        socket = null;
        old?.destroy();
        if (signal?.aborted || process.hrtime.bigint() >= deadline) return finish();
        open();
        next();
      };
      const next = () => {
        if (finished) return;
        if (signal?.aborted || process.hrtime.bigint() >= deadline) return finish();
        const index = i++;
        const bytes = encode(host, request(conn, index));
        sent++;
        inFlight = {
          started: process.hrtime.bigint(),
          index,
          timer: setTimeout(() => {
            noAnswer(`no answer within ${timeoutMs} ms`);
            restart();
          }, timeoutMs),
        };
        socket.write(bytes);
      };
      signal?.addEventListener('abort', () => {
        noAnswer('aborted');
        finish();
      });
      open();
      next();
    });

  await Promise.all(Array.from({ length: connections }, (_, c) => runConnection(c)));
  const cpu = process.cpuUsage(cpu0);
  const elapsed = Number(lastAnswer - t0) / 1e9;
  latencies.sort((a, b) => a - b);
  return {
    connections,
    sent,
    answered: latencies.length,
    lost,
    lostWhy,
    lostAt,
    abandoned,
    statuses,
    elapsed,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    p999: percentile(latencies, 99.9),
    max: latencies.at(-1),
    clientCpuMs: (cpu.user + cpu.system) / 1000,
  };
}
