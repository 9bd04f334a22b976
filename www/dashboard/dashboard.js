// lastunit operator dashboard: plain modern JS, no framework. Talks to the edge it is served by.
// Token: asked once per tab (sessionStorage), sent as `Authorization: Bearer`.
const TOKEN_KEY = 'lastunit.adminToken';
const PAGE = 50;
const REFRESH_MS = 30000; // full refresh; live sockets on visible rows refresh sooner
const COLOURS = { store: '#2563eb', web: '#16a34a', marketplace: '#9333ea' };
const EXTRA = ['#ea580c', '#0891b2', '#db2777', '#65a30d'];

const $ = (sel, root = document) => root.querySelector(sel);
import { loadConnections, showStoreLevels } from './connections.js';
import { loadIncidents, loadReorder } from './oversells.js';
import { createSetup } from './setup/setup.js';

const state = { rows: [], connections: [], page: 0, channels: {}, locations: [], current: null, sockets: new Map(), refreshTimer: null, pending: null, loading: false };

// ---- helpers -----------------------------------------------------------------------------------
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c != null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
const svgNS = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null) el.setAttribute(k, v);
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}
const fmt = (x, d = 1) => (x == null ? '—' : Number.isInteger(x) ? String(x) : x.toFixed(x >= 10 ? 0 : d));
const colour = (c, i) => COLOURS[c] ?? EXTRA[i % EXTRA.length];
const day = (ms) => new Date(ms).toISOString().slice(0, 10);
function when(iso) {
  if (!iso) return '—';
  const t = Date.parse(iso), d = (t - Date.now()) / 864e5;
  const rel = d <= 0 ? 'now' : d < 1 ? `in ${Math.max(1, Math.round(d * 24))} h` : `in ${fmt(d)} d`;
  return `${rel} (${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC)`;
}
const token = () => sessionStorage.getItem(TOKEN_KEY);

class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}
/** A request with the operator's token (a refused token asks for another): the raw response. */
async function request(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { authorization: `Bearer ${token()}`, ...init.headers } });
  if (res.status === 401) { askToken('That token was refused. Enter the operator token.'); }
  return res;
}
/** A JSON call; `type` sends `body` as it is (a CSV file) with that content type instead. */
async function api(method, path, body, type) {
  const res = await request(path, {
    method,
    headers: body ? { 'content-type': type ?? 'application/json' } : {},
    body: body ? (type ? body : JSON.stringify(body)) : undefined,
  });
  let data = null;
  try { data = await res.json(); } catch {}
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// ---- token ---------------------------------------------------------------------------------------
function askToken(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  $('#main').hidden = true;
  $('#sign-out').hidden = true;
  $('#setup').hidden = $('#setup-toggle').hidden = true;
  const err = $('#token-error');
  err.hidden = !message;
  err.textContent = message ?? '';
  const d = $('#token-dialog');
  if (!d.open) d.showModal();
  $('#token').focus();
}
$('#token-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const t = $('#token').value.trim();
  if (!t) return;
  sessionStorage.setItem(TOKEN_KEY, t);
  $('#token').value = '';
  $('#token-dialog').close();
  await start();
});
$('#token-dialog').addEventListener('cancel', (e) => e.preventDefault());
$('#sign-out').addEventListener('click', () => { closeSockets(); askToken(); });

// ---- loading -------------------------------------------------------------------------------------
async function loadTopology() {
  try {
    const ch = await api('GET', '/admin/channels');
    state.channels = ch?.channels ?? ch ?? {};
  } catch { state.channels = {}; }
  const locs = new Set(Object.values(state.channels).flat());
  for (const r of state.rows) Object.keys(r.on_hand ?? {}).forEach((l) => locs.add(l));
  state.locations = [...locs].sort();
  const sel = $('#channel');
  const names = Object.keys(state.channels).length ? Object.keys(state.channels) : ['web', 'store'];
  const keep = sel.value || (names.includes('web') ? 'web' : names[0]);
  sel.replaceChildren(...names.sort().map((c) => h('option', { value: c, selected: c === keep }, c === 'web' ? 'web (online)' : c)));
  for (const s of document.querySelectorAll('select.locations')) s.replaceChildren(...state.locations.map((l) => h('option', { value: l }, l)));
  for (const s of document.querySelectorAll('select.channels')) s.replaceChildren(...names.map((c) => h('option', { value: c, selected: c === 'web' }, c)));
}

async function refresh({ quiet = false } = {}) {
  if (!token()) return;
  if (state.loading) { state.pending = true; return; }
  state.loading = true;
  const status = $('#status');
  if (!quiet) status.textContent = 'Loading…';
  try {
    const q = new URLSearchParams({ horizon_days: $('#horizon').value, channel: $('#channel').value || 'web' });
    const data = await api('GET', `/admin/dashboard?${q}`);
    state.rows = Array.isArray(data) ? data : data?.rows ?? [];
    lastFull = Date.now();
    status.className = 'status';
    status.textContent = `Updated ${new Date().toLocaleTimeString()} · ${state.rows.length} SKUs`;
    render();
    await Promise.all([loadIncidents(api, h), loadReorder(api, h)]);
  } catch (e) {
    status.className = 'status error';
    status.textContent = `Could not load the dashboard: ${e.message}`;
  } finally {
    state.loading = false;
    if (state.pending) { state.pending = false; refresh({ quiet: true }); }
  }
}
// Live changes ask for a full refresh, at most one every LIVE_MIN_MS (10,000 SKUs are a big answer).
const LIVE_MIN_MS = 4000;
let soon = null;
let lastFull = 0;
function refreshSoon() {
  if (soon) return;
  const wait = Math.max(500, lastFull + LIVE_MIN_MS - Date.now());
  soon = setTimeout(() => { soon = null; refresh({ quiet: true }); }, wait);
}

// ---- rendering -----------------------------------------------------------------------------------
function visibleRows() {
  const f = $('#filter').value.trim().toLowerCase();
  const risky = $('#only-risk').checked;
  return state.rows.filter((r) => (!risky || r.stockout_risk === 'at_risk') && (!f || r.sku.toLowerCase().includes(f) || (r.title ?? '').toLowerCase().includes(f)));
}

function render() {
  const rows = visibleRows();
  const pages = Math.max(1, Math.ceil(rows.length / PAGE));
  state.page = Math.min(state.page, pages - 1);
  const from = state.page * PAGE;
  const page = rows.slice(from, from + PAGE);
  $('#page-info').textContent = rows.length ? `${from + 1}–${from + page.length} of ${rows.length}` : '0 of 0';
  $('#prev').disabled = state.page === 0;
  $('#next').disabled = state.page >= pages - 1;
  const tbody = $('#rows');
  tbody.replaceChildren(...(page.length ? page.map(rowEl) : [h('tr', {}, h('td', { colspan: 11 }, state.rows.length ? 'No product matches.' : 'No products yet.'))]));
  renderOverview(rows);
  const list = $('#sku-list');
  if (list.childElementCount !== Math.min(state.rows.length, 2000)) list.replaceChildren(...state.rows.slice(0, 2000).map((r) => h('option', { value: r.sku }, r.title)));
  watch(page.map((r) => r.sku));
  loadHistories(page);
  showStoreLevels(page.map((r) => r.sku), state.connections, api, h);
}


// Catalog rows come without history (10,000 SKUs × 30 days would be megabytes); the charts of
// the rows on screen fetch theirs, again only when a row's version moved.
const histories = new Map(); // sku -> {version, history}
const historyOf = (r) => r.history ?? histories.get(r.sku)?.history ?? [];
async function loadHistories(page) {
  const need = page.filter((r) => !r.history && histories.get(r.sku)?.version !== r.version);
  if (!need.length) return;
  try {
    const q = new URLSearchParams({ skus: need.map((r) => r.sku).join(','), history: '1', horizon_days: $('#horizon').value });
    const data = await api('GET', `/admin/dashboard?${q}`);
    for (const r of data?.rows ?? []) histories.set(r.sku, { version: r.version, history: r.history ?? [] });
  } catch {
    return; // the charts stay as they were; the next refresh tries again
  }
  for (const r of need) {
    const cell = document.querySelector(`tr[data-sku="${CSS.escape(r.sku)}"] td:last-child`);
    if (cell) cell.replaceChildren(spark(r));
  }
}

function kv(obj, { zeroRed = false, digits = 0 } = {}) {
  const entries = Object.entries(obj ?? {});
  if (!entries.length) return h('span', { class: 'small' }, '—');
  return h('dl', { class: 'kv' }, entries.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { class: zeroRed && v <= 0 ? 'zero' : null }, digits ? fmt(v, digits) : v)]));
}

function rowEl(r) {
  const risk = r.stockout_risk === 'at_risk';
  const flags = r.return_flags ?? [];
  return h('tr', { class: risk ? 'at-risk' : null, 'data-sku': r.sku },
    h('td', {}, h('button', { type: 'button', class: 'sku-open', onclick: () => openSku(r.sku) }, r.title || r.sku), h('span', { class: 'sku-id' }, r.sku)),
    h('td', {}, h('span', { class: `badge ${r.stockout_risk}` }, risk ? 'at risk' : 'ok'),
      h('span', { class: 'small' }, r.projected_stockout_at ? `runs out ${when(r.projected_stockout_at)}` : 'not running out')),
    h('td', { class: 'available' }, kv(r.available, { zeroRed: true })),
    h('td', {}, kv(r.on_hand)),
    h('td', { class: 'num' }, r.reserved),
    h('td', { class: 'num' }, r.buffer),
    h('td', {}, kv(r.velocity_per_day, { digits: 2 })),
    h('td', { class: 'num' }, r.days_of_supply == null ? '—' : fmt(r.days_of_supply)),
    h('td', {}, (r.incoming ?? []).length
      ? h('ul', { class: 'plain' }, r.incoming.map((l) => h('li', {}, `${l.quantity} · ${l.po_id} · ${day(Date.parse(l.expected_at))}`)))
      : h('span', { class: 'small' }, '—')),
    h('td', {}, flags.length
      ? flags.map((f) => h('div', {}, h('span', { class: 'badge flag', title: `store ${Math.round(f.store_rate * 100)}%` }, `${f.channel} ${Math.round(f.rate * 100)}% returned`),
          h('span', { class: 'small' }, (f.top_reasons ?? []).map(([why, n]) => `${why} (${n})`).join(', '))))
      : h('span', { class: 'small' }, '—')),
    h('td', {}, spark(r)),
  );
}

/** Stock over the recorded days (line), sales per channel (stacked bars), incoming (triangles). */
function spark(r, W = 168, H = 54) {
  const hist = historyOf(r);
  const today = Math.floor(Date.now() / 864e5);
  const ahead = 10;
  const first = hist.length ? Math.min(hist[0].day, today - 9) : today - 9;
  const span = today + ahead - first + 1;
  const x = (d) => ((d - first + 0.5) / span) * W;
  const bw = Math.max(1.5, (W / span) * 0.7);
  const maxStock = Math.max(1, ...hist.map((d) => d.closing_on_hand));
  const maxSales = Math.max(1, ...hist.map((d) => Object.values(d.sales ?? {}).reduce((a, b) => a + b, 0)));
  const top = 4, base = H - 4, barH = 16;
  const svg = s('svg', { class: 'spark', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': sparkLabel(r) });
  svg.append(s('line', { x1: x(today + 0.5), x2: x(today + 0.5), y1: 0, y2: H, stroke: '#e5e7eb', 'stroke-dasharray': '2 2' }));
  const chans = [...new Set(hist.flatMap((d) => Object.keys(d.sales ?? {})))].sort();
  for (const d of hist) {
    let y = base;
    chans.forEach((c, i) => {
      const q = d.sales?.[c] ?? 0;
      if (!q) return;
      const hh = (q / maxSales) * barH;
      y -= hh;
      svg.append(s('rect', { x: x(d.day) - bw / 2, y, width: bw, height: hh, fill: colour(c, i), opacity: 0.55 }, s('title', {}, `${day(d.day * 864e5)} ${c}: ${q} sold`)));
    });
  }
  if (hist.length) {
    const pts = hist.map((d) => `${x(d.day).toFixed(1)},${(base - (d.closing_on_hand / maxStock) * (base - top)).toFixed(1)}`).join(' ');
    svg.append(s('polyline', { points: pts, fill: 'none', stroke: '#111827', 'stroke-width': 1.5 }));
    const last = hist[hist.length - 1];
    svg.append(s('circle', { cx: x(last.day), cy: base - (last.closing_on_hand / maxStock) * (base - top), r: 2.2, fill: '#111827' }, s('title', {}, `${last.closing_on_hand} on hand`)));
  }
  for (const l of r.incoming ?? []) {
    const d = Math.min(today + ahead, Math.max(today, Math.floor(Date.parse(l.expected_at) / 864e5)));
    const cx = x(d);
    svg.append(s('path', { d: `M${cx - 4},${top + 8} L${cx + 4},${top + 8} L${cx},${top} Z`, fill: '#f59e0b' }, s('title', {}, `${l.quantity} arriving ${day(Date.parse(l.expected_at))} (${l.po_id})`)));
  }
  return svg;
}
function sparkLabel(r) {
  const hist = historyOf(r);
  const sold = hist.reduce((a, d) => a + Object.values(d.sales ?? {}).reduce((x, y) => x + y, 0), 0);
  const inc = (r.incoming ?? []).map((l) => `${l.quantity} arriving ${day(Date.parse(l.expected_at))}`).join(', ');
  return `${r.sku}: ${hist.length ? hist[hist.length - 1].closing_on_hand : 0} on hand, ${sold} sold over ${hist.length} recorded days${inc ? `; ${inc}` : ''}`;
}

const BANDS = [
  ['< 1 d', (d) => d != null && d < 1, '#b91c1c'],
  ['1–3 d', (d) => d != null && d >= 1 && d < 3, '#ea580c'],
  ['3–7 d', (d) => d != null && d >= 3 && d < 7, '#f59e0b'],
  ['7–14 d', (d) => d != null && d >= 7 && d < 14, '#65a30d'],
  ['14–30 d', (d) => d != null && d >= 14 && d < 30, '#16a34a'],
  ['30+ d', (d) => d != null && d >= 30, '#0f766e'],
  ['not selling', (d) => d == null, '#9ca3af'],
];
function renderOverview(rows) {
  const atRisk = rows.filter((r) => r.stockout_risk === 'at_risk').length;
  const out = rows.filter((r) => (r.available?.[$('#channel').value] ?? 0) <= 0).length;
  const held = rows.reduce((a, r) => a + (r.reserved ?? 0), 0);
  const flagged = rows.filter((r) => (r.return_flags ?? []).length).length;
  const stat = (n, label) => h('div', { class: 'stat' }, h('b', {}, n), h('span', {}, label));
  $('#stats').replaceChildren(stat(atRisk, `at risk within ${$('#horizon').value} d on ${$('#channel').value}`), stat(out, `out of stock on ${$('#channel').value}`),
    stat(held, 'units held in carts'), stat(flagged, 'with returns that stand out'));
  const counts = BANDS.map(([, test]) => rows.filter((r) => test(r.days_of_supply)).length);
  const W = 560, H = 150, left = 34, bottom = 22, max = Math.max(1, ...counts);
  const bw = (W - left) / BANDS.length;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', height: H, role: 'img',
    'aria-label': `Days of supply: ${BANDS.map(([l], i) => `${l} ${counts[i]}`).join(', ')}` });
  for (const v of new Set([0, Math.round(max / 2), max])) {
    const y = (H - bottom) - (v / max) * (H - bottom - 12);
    svg.append(s('line', { x1: left, x2: W, y1: y, y2: y, stroke: '#e5e7eb' }), s('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#6b7280' }, v));
  }
  BANDS.forEach(([label, , fill], i) => {
    const hh = (counts[i] / max) * (H - bottom - 12);
    const x = left + i * bw + bw * 0.15;
    svg.append(s('rect', { x, y: H - bottom - hh, width: bw * 0.7, height: hh, fill, rx: 2 }, s('title', {}, `${label}: ${counts[i]} SKUs`)),
      s('text', { x: x + bw * 0.35, y: H - bottom - hh - 4, 'text-anchor': 'middle', 'font-size': 11, fill: '#111827' }, counts[i]),
      s('text', { x: x + bw * 0.35, y: H - 6, 'text-anchor': 'middle', 'font-size': 11, fill: '#374151' }, label));
  });
  $('#dos-chart').replaceChildren(svg);
}

// ---- live ------------------------------------------------------------------------------------------
function watch(skus) {
  if (!('WebSocket' in window)) return;
  const want = new Set(skus);
  for (const [sku, ws] of state.sockets) if (!want.has(sku)) { ws.close(); state.sockets.delete(sku); }
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const sku of want) {
    if (state.sockets.has(sku)) continue;
    let first = true;
    const ws = new WebSocket(`${proto}//${location.host}/v1/live/${encodeURIComponent(sku)}?channel=${encodeURIComponent($('#channel').value || 'web')}`);
    ws.onmessage = (m) => {
      let msg;
      try { msg = JSON.parse(m.data); } catch { return; }
      if (msg?.sku !== sku) return;
      // Show the new count at once; the rest of the row follows with the next refresh.
      const row = state.rows.find((r) => r.sku === sku);
      if (row && typeof msg.available === 'number' && row.available?.[msg.channel] !== msg.available) {
        row.available = { ...row.available, [msg.channel]: msg.available };
        document.querySelector(`#rows tr[data-sku="${CSS.escape(sku)}"]`)?.replaceWith(rowEl(row));
      }
      if (first) { first = false; return; } // the value when the socket opened
      refreshSoon();
    };
    ws.onclose = () => { if (state.sockets.get(sku) === ws) state.sockets.delete(sku); liveStatus(); };
    ws.onopen = liveStatus;
    state.sockets.set(sku, ws);
  }
  liveStatus();
}
function closeSockets() { for (const ws of state.sockets.values()) ws.close(); state.sockets.clear(); liveStatus(); }
function liveStatus() {
  const open = [...state.sockets.values()].filter((w) => w.readyState === 1).length;
  const el = $('#live');
  el.textContent = open ? `live · ${open} rows` : token() ? 'refreshing every 30 s' : 'offline';
  el.classList.toggle('on', open > 0);
}

// ---- drill-down ----------------------------------------------------------------------------------
async function openSku(sku) {
  const d = $('#sku-dialog');
  state.current = null;
  $('#sku-title').textContent = sku;
  $('#sku-body').replaceChildren(h('p', {}, 'Loading…'));
  $('#ledger').replaceChildren();
  for (const st of d.querySelectorAll('.form-status')) { st.textContent = ''; st.className = 'form-status'; }
  if (!d.open) d.showModal();
  await loadSku(sku);
}
async function loadSku(sku) {
  try {
    const v = await api('GET', `/admin/skus/${encodeURIComponent(sku)}`);
    state.current = v;
    renderSku(v);
  } catch (e) {
    $('#sku-body').replaceChildren(h('p', { class: 'error' }, `Could not load ${sku}: ${e.message}`));
  }
}
function renderSku(v) {
  $('#sku-title').textContent = v.title ? `${v.title} · ${v.sku}` : v.sku;
  const returns = Object.entries(v.returns ?? {}).map(([c, r]) => h('li', {}, r.sold ? `${c}: ${Math.round((r.rate ?? 0) * 100)}% (${r.returned} of ${r.sold} sold)` : `${c}: ${r.returned} returned, no sales recorded`,
    Object.keys(r.reasons ?? {}).length ? h('span', { class: 'small' }, Object.entries(r.reasons).map(([k, n]) => `${k} ${n}`).join(', ')) : null));
  const pol = v.buffer_policy ?? v.config?.buffer ?? { mode: 'none' };
  const polText = pol.mode === 'fixed' ? `fixed ${pol.units}` : pol.mode === 'auto' ? `auto ${pol.min ?? 0}–${pol.max}${pol.store_hours ? `, store ${pol.store_hours}` : ''}` : 'none';
  $('#sku-body').replaceChildren(h('div', { class: 'detail' },
    h('div', {}, h('h4', {}, 'Available'), kv(v.available, { zeroRed: true })),
    h('div', {}, h('h4', {}, 'On hand'), kv(v.on_hand), Object.keys(v.unsellable ?? {}).length ? h('span', { class: 'small' }, `off the shelf: ${Object.entries(v.unsellable).map(([l, n]) => `${l} ${n}`).join(', ')}`) : null),
    h('div', {}, h('h4', {}, 'Held · buffer'), h('p', { class: 'small' }, `${v.reserved} held in ${v.holds} carts · buffer ${v.buffer} (${polText})`),
      h('h4', {}, 'Days of supply'), h('p', { class: 'small' }, `${fmt(v.days_of_supply)} · runs out ${when(v.projected_stockout_at)}`)),
    h('div', {}, h('h4', {}, 'Velocity / day'), kv(v.velocity_per_day, { digits: 2 })),
    h('div', {}, h('h4', {}, 'Incoming'), (v.incoming ?? []).length ? h('ul', { class: 'plain' }, v.incoming.map((l) => h('li', {}, `${l.quantity} at ${l.location} · ${l.po_id} · ${when(l.expected_at)}`))) : h('span', { class: 'small' }, 'nothing on order')),
    h('div', {}, h('h4', {}, 'Returns by channel bought on'), returns.length ? h('ul', { class: 'plain' }, returns) : h('span', { class: 'small' }, 'none')),
    h('div', {}, h('h4', {}, 'Last days'), spark({ ...v, sku: v.sku }, 220, 70)),
  ));
  const form = $('#buffer-form');
  form.mode.value = pol.mode ?? 'none';
  if (pol.mode === 'fixed') form.units.value = pol.units;
  if (pol.mode === 'auto') { form.min.value = pol.min ?? 0; form.max.value = pol.max; }
  showFields();
  $('#ledger').replaceChildren(...(v.ledger ?? []).map((e) => h('tr', {},
    h('td', {}, new Date(Date.parse(e.occurred_at)).toISOString().slice(0, 16).replace('T', ' ')),
    h('td', {}, e.type), h('td', {}, e.location), h('td', { class: 'num' }, e.quantity > 0 ? `+${e.quantity}` : e.quantity), h('td', { class: 'num' }, e.on_hand_after),
    h('td', {}, e.origin_channel ? `${e.channel ?? ''} (bought on ${e.origin_channel})` : e.channel ?? ''), h('td', {}, e.reason ?? ''),
    h('td', {}, `${e.source?.provider ?? ''}${e.source?.event_id ? ` · ${e.source.event_id}` : ''}`))));
  if (!(v.ledger ?? []).length) $('#ledger').append(h('tr', {}, h('td', { colspan: 8, class: 'small' }, 'No entries yet.')));
}

function showFields() {
  const t = $('#event-type').value;
  for (const el of document.querySelectorAll('#event-form [data-for]')) el.hidden = !el.dataset.for.split(' ').includes(t);
  const m = $('#buffer-mode').value;
  for (const el of document.querySelectorAll('#buffer-form [data-mode]')) el.hidden = el.dataset.mode !== m;
  const q = $('#event-form').quantity;
  q.min = t === 'adjust' ? '' : '1';
}
$('#event-type').addEventListener('change', showFields);
$('#buffer-mode').addEventListener('change', showFields);

function say(form, text, ok) {
  const st = $('.form-status', form);
  st.textContent = text;
  st.className = `form-status ${ok ? 'ok' : 'error'}`;
}
const eventId = () => `dash-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

$('#event-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.currentTarget, v = state.current;
  if (!v) return;
  const type = f.type.value;
  const body = { event_id: eventId(), type, sku: v.sku, location: f.location.value, quantity: Number(f.quantity.value) };
  if (type === 'sale') body.channel = 'store';
  if (type === 'return') Object.assign(body, { channel: 'store', origin_channel: f.origin_channel.value, reason: f.reason.value || undefined, restock: f.restock.checked });
  if (type === 'adjust' || type === 'waste') body.reason = f.reason.value || undefined;
  if (type === 'receive' && f.po_id.value.trim()) body.po_id = f.po_id.value.trim();
  if (type === 'transfer') body.to_location = f.to_location.value;
  const btn = $('button[type=submit]', f);
  btn.disabled = true;
  try {
    await api('POST', '/admin/events', body);
    say(f, `Recorded: ${$('#event-type').selectedOptions[0].textContent.toLowerCase()} of ${body.quantity} at ${body.location}.`, true);
    await Promise.all([loadSku(v.sku), refresh({ quiet: true })]);
  } catch (err) {
    say(f, `Not recorded: ${err.message}`, false);
  } finally { btn.disabled = false; }
});

$('#buffer-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.currentTarget, v = state.current;
  if (!v) return;
  const mode = f.mode.value;
  const buffer = mode === 'fixed' ? { mode, units: Number(f.units.value) } : mode === 'auto' ? { mode, min: Number(f.min.value), max: Number(f.max.value) } : { mode: 'none' };
  // The store's opening hours have no field here: an automatic buffer keeps them.
  if (mode === 'auto' && v.config?.buffer?.store_hours) buffer.store_hours = v.config.buffer.store_hours;
  // PUT replaces the whole policy: send back everything else as it is.
  const config = { ...(v.config ?? { title: v.title }), buffer };
  try {
    await api('PUT', `/admin/skus/${encodeURIComponent(v.sku)}`, config);
    say(f, 'Policy saved.', true);
    await Promise.all([loadSku(v.sku), refresh({ quiet: true })]);
  } catch (err) { say(f, `Not saved: ${err.message}`, false); }
});

// ---- purchase orders -------------------------------------------------------------------------------
function poLine(sku = '') {
  const inWeek = new Date(Date.now() + 7 * 864e5).toISOString().slice(0, 10);
  const line = h('div', { class: 'po-line' },
    h('label', {}, 'SKU', h('input', { name: 'sku', required: true, value: sku, list: 'sku-list', maxlength: 64 })),
    h('label', {}, 'Units', h('input', { name: 'quantity', type: 'number', min: 1, step: 1, value: 12, required: true })),
    h('label', {}, 'Expected', h('input', { name: 'expected_at', type: 'date', value: inWeek, required: true })),
    h('button', { type: 'button', 'aria-label': 'Remove line', onclick: () => line.remove() }, '×'));
  $('#po-lines').append(line);
}
$('#po-add').addEventListener('click', () => poLine());
$('#new-po').addEventListener('click', () => {
  $('#po-lines').replaceChildren();
  poLine(state.current?.sku ?? '');
  say($('#po-form'), '', true);
  $('#po-dialog').showModal();
});
$('#po-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.currentTarget;
  const lines = [...document.querySelectorAll('#po-lines .po-line')].map((l) => ({
    sku: $('[name=sku]', l).value.trim(), quantity: Number($('[name=quantity]', l).value), expected_at: `${$('[name=expected_at]', l).value}T09:00:00Z`,
  }));
  try {
    await api('POST', '/admin/purchase-orders', { po_id: f.po_id.value.trim(), location: f.location.value, lines });
    say(f, `${f.po_id.value} created.`, true);
    refresh({ quiet: true });
  } catch (err) { say(f, `Not created: ${err.message}`, false); }
});

// ---- ask -------------------------------------------------------------------------------------------
$('#ask-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const q = $('#ask-q').value.trim();
  const out = $('#ask-answer');
  if (!q) return;
  out.textContent = 'Thinking…';
  try {
    const a = await api('GET', `/admin/ask?q=${encodeURIComponent(q)}`);
    out.replaceChildren(h('span', {}, a.answer), (a.skus ?? []).length
      ? h('span', { class: 'skus' }, ' ', a.skus.slice(0, 12).map((sku) => h('button', { type: 'button', onclick: () => openSku(sku) }, sku))) : null);
  } catch (err) { out.textContent = `No answer: ${err.message}`; }
});

// ---- wiring ----------------------------------------------------------------------------------------
for (const b of document.querySelectorAll('[data-close]')) b.addEventListener('click', () => b.closest('dialog').close());
$('#prev').addEventListener('click', () => { state.page--; render(); });
$('#next').addEventListener('click', () => { state.page++; render(); });
$('#filter').addEventListener('input', () => { state.page = 0; render(); });
$('#only-risk').addEventListener('change', () => { state.page = 0; render(); });
$('#horizon').addEventListener('change', () => refresh());
$('#channel').addEventListener('change', () => { closeSockets(); refresh(); });
$('#refresh').addEventListener('click', () => refresh());
document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh({ quiet: true }); });

// An empty store opens on the setup (setup/); the header's Setup button switches between them.
const setup = createSetup({ api, request, h, openDashboard: () => openDashboard() });
async function start() {
  $('#sign-out').hidden = false;
  if (await setup.isEmpty().catch(() => false)) await setup.open(); else await openDashboard();
}
async function openDashboard() {
  setup.close();
  $('#main').hidden = false;
  await loadTopology();
  state.connections = await loadConnections(api, h, state.connections);
  await refresh();
  if (!state.locations.length) await loadTopology();
  clearInterval(state.refreshTimer);
  state.refreshTimer = setInterval(() => { if (!document.hidden) loadConnections(api, h, state.connections).then((c) => { state.connections = c; refresh({ quiet: true }); }); }, REFRESH_MS);
}

if (token()) start(); else askToken();
