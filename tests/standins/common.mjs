// What every stand-in shares: an HTTP server on 127.0.0.1 and a free port, the fault modes a
// test switches on (500s, hangs, 429s), a log of every request, and an outbox that signs and
// POSTs webhooks one after another and remembers each delivery so a test can redeliver it.
//
// Nothing here knows a provider: each provider module decides what a fault answer looks like
// (its documented error shape) and how a webhook is signed.
import { createServer } from 'node:http';
import { createHmac, randomUUID } from 'node:crypto';

/** base64 HMAC-SHA256 of `data` with `key`: the signature all three providers use. */
export function hmacBase64(key, data) {
  return createHmac('sha256', key).update(data).digest('base64');
}

/** A JSON answer. */
export function sendJson(res, status, value, headers = {}) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(body);
}

/**
 * Fault modes a test turns on and off. Each answers the question "what happens to the request
 * arriving now?": `null` (serve it), `{ kind: 'fail', status }`, `{ kind: 'hang' }` or
 * `{ kind: 'throttle', retryAfter }`. Counted modes (`next`) win over timed ones (`until`).
 */
export class Faults {
  constructor() {
    this.clear();
  }
  clear() {
    this.fail = { next: 0, until: 0, status: 500 };
    this.hang = { next: 0, until: 0 };
    this.throttle = { next: 0, until: 0, retryAfter: 1 };
    this.afterApply = { next: 0, kind: 'fail' };
  }
  /** The next `n` requests answer `status` (default 500). */
  failNext(n, { status = 500 } = {}) {
    this.fail = { ...this.fail, next: n, status };
  }
  /** Every request for `ms` answers `status` (default 500). */
  failFor(ms, { status = 500 } = {}) {
    this.fail = { ...this.fail, until: Date.now() + ms, status };
  }
  /** The next `n` requests are never answered (the socket stays open until the client gives up). */
  hangNext(n) {
    this.hang = { ...this.hang, next: n };
  }
  /** Every request for `ms` is never answered. */
  hangFor(ms) {
    this.hang = { ...this.hang, until: Date.now() + ms };
  }
  /** The next `n` requests are refused as rate limited, asking the client to wait `retryAfter` s. */
  throttleNext(n, { retryAfter = 1 } = {}) {
    this.throttle = { ...this.throttle, next: n, retryAfter };
  }
  /** Every request for `ms` is refused as rate limited. */
  throttleFor(ms, { retryAfter = 1 } = {}) {
    this.throttle = { ...this.throttle, until: Date.now() + ms, retryAfter };
  }
  /**
   * The next `n` writes are applied and then their answer is lost: `kind` 'fail' answers 500,
   * 'hang' never answers. This is the case idempotency keys exist for: the client must retry
   * and the retry must not apply twice.
   */
  loseAnswerNext(n, { kind = 'fail' } = {}) {
    this.afterApply = { next: n, kind };
  }
  /** What happens to the request arriving now (consumes one counted fault). */
  /** The fault controls every stand-in hands its tests (`failNext`, …, `heal`), bound to this. */
  controls() {
    return {
      failNext: (n, o) => this.failNext(n, o),
      failFor: (ms, o) => this.failFor(ms, o),
      hangNext: (n) => this.hangNext(n),
      hangFor: (ms) => this.hangFor(ms),
      throttleNext: (n, o) => this.throttleNext(n, o),
      throttleFor: (ms, o) => this.throttleFor(ms, o),
      loseAnswerNext: (n, o) => this.loseAnswerNext(n, o),
      heal: () => this.clear(),
    };
  }

  take() {
    const now = Date.now();
    if (this.hang.next > 0) {
      this.hang.next -= 1;
      return { kind: 'hang' };
    }
    if (this.fail.next > 0) {
      this.fail.next -= 1;
      return { kind: 'fail', status: this.fail.status };
    }
    if (this.throttle.next > 0) {
      this.throttle.next -= 1;
      return { kind: 'throttle', retryAfter: this.throttle.retryAfter };
    }
    if (now < this.hang.until) return { kind: 'hang' };
    if (now < this.fail.until) return { kind: 'fail', status: this.fail.status };
    if (now < this.throttle.until) return { kind: 'throttle', retryAfter: this.throttle.retryAfter };
    return null;
  }
  /** After a write was applied: is its answer to be lost? (consumes one) */
  takeAfterApply() {
    if (this.afterApply.next <= 0) return null;
    this.afterApply.next -= 1;
    return { kind: this.afterApply.kind };
  }
}

/**
 * Starts an HTTP server on 127.0.0.1 (port 0: the OS picks a free one). `handle(req, res, body)`
 * gets the whole raw body as a Buffer. Hung requests are held until `close()`, which destroys
 * them so the process can exit.
 */
export async function startServer(handle, { port = 0 } = {}) {
  const sockets = new Set();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      Promise.resolve(handle(req, res, Buffer.concat(chunks))).catch((err) => {
        if (!res.headersSent) sendJson(res, 500, { error: `stand-in bug: ${err.stack || err}` });
        else res.destroy();
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const actual = server.address().port;
  return {
    port: actual,
    url: `http://127.0.0.1:${actual}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Webhooks out. `send(delivery)` queues `{ url, headers, body }` (body a string, already
 * signed by the provider module) and POSTs it after every earlier one has been answered, so a
 * test sees them in the order the changes happened. Every attempt is kept in `deliveries`
 * with the status the receiver answered (or the network error).
 *
 * `retry: { attempts, delayMs }` retries a delivery the receiver did not answer with a 2xx, up
 * to `attempts` more times, waiting `delayMs` doubled each time (the providers retry on their
 * own schedules: Shopify 8 times over 4 hours, shopify.dev/changelog/updates-to-webhook-retry-
 * mechanism). Off by default, so a test decides when anything is sent again.
 * `reheader(headers, n)` gives the headers of the n-th resend (a provider may change a
 * per-delivery id while the event id stays). `onAttempt(record, ok)` hears every answer.
 */
export class Outbox {
  constructor({ timeoutMs = 10_000, retry = { attempts: 0, delayMs: 0 }, onAttempt = () => {} } = {}) {
    this.timeoutMs = timeoutMs;
    this.retry = retry ?? { attempts: 0, delayMs: 0 };
    this.onAttempt = onAttempt;
    this.deliveries = [];
    this.tail = Promise.resolve();
    this.waiting = new Set();
  }
  /** Queues one delivery and returns its record. */
  send({ url, headers, body, topic, id = randomUUID(), reheader = (h) => h }) {
    const record = { id, topic, url, headers, body, reheader, attempts: [] };
    this.deliveries.push(record);
    this.#queue(record, headers, 0);
    return record;
  }
  /** Sends an earlier delivery again, with the same body, `times` times. */
  redeliver(id, times = 1) {
    const record = this.deliveries.find((d) => d.id === id);
    if (!record) throw new Error(`no delivery ${id}`);
    for (let i = 0; i < times; i += 1) this.#queue(record, record.reheader(record.headers, record.attempts.length + i), 0);
    return record;
  }
  /** Resolves once every queued delivery (and every scheduled retry) has been answered. */
  async settled() {
    for (;;) {
      const tail = this.tail;
      await tail;
      if (this.waiting.size) await Promise.all(this.waiting);
      else if (tail === this.tail) return;
    }
  }
  #queue(record, headers, retried) {
    this.tail = this.tail.then(() => this.#post(record, headers, retried));
  }
  async #post(record, headers, retried) {
    const attempt = { at: new Date().toISOString(), headers, status: null, error: null, response: null };
    record.attempts.push(attempt);
    try {
      const r = await fetch(record.url, {
        method: 'POST',
        headers,
        body: record.body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      attempt.status = r.status;
      attempt.response = await r.text();
    } catch (err) {
      attempt.error = String(err && err.message ? err.message : err);
    }
    const ok = attempt.status !== null && attempt.status >= 200 && attempt.status < 300;
    this.onAttempt(record, ok);
    if (!ok && retried < this.retry.attempts) {
      const wait = new Promise((resolve) => {
        setTimeout(() => {
          this.#queue(record, record.reheader(record.headers, record.attempts.length), retried + 1);
          this.waiting.delete(wait);
          resolve();
        }, this.retry.delayMs * 2 ** retried);
      });
      this.waiting.add(wait);
    }
  }
}

/** Reads `?a=1&b=2` of a request URL. */
export function queryOf(req) {
  return new URL(req.url, 'http://x').searchParams;
}

/** Compares API versions of the form YYYY-MM; 'unstable' is newer than every release. */
export function versionAtLeast(version, floor) {
  if (version === 'unstable') return true;
  return version >= floor;
}
