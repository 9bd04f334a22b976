// Data out as files: every product as the CSV the import reads back (GET /admin/export/skus), and
// the ledger, every entry or one SKU's over a range of days (GET /admin/export/ledger). The edge
// streams both; the page saves what it answers under the name it gives.

/** `2026-03-02` (a date input) as the start of that day in UTC, or nothing for an empty input. */
const dayStart = (value) => (value ? `${value}T00:00:00Z` : null);
/** The day after `value`, so "to" includes the whole of its day. */
function dayAfter(value) {
  if (!value) return null;
  const d = new Date(`${value}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().replace('.000Z', 'Z');
}

/** The export panel of the products step, drawn into `#export-panel`. */
export function exportsPanel({ request, h }) {
  const panel = document.querySelector('#export-panel');
  const status = h('p', { class: 'form-status', role: 'status' });
  const sku = h('input', { type: 'text', name: 'sku', placeholder: 'every SKU', autocomplete: 'off' });
  const from = h('input', { type: 'date', name: 'from' });
  const to = h('input', { type: 'date', name: 'to' });

  /** Fetches `path` and saves it as a file; says in `status` what happened. */
  async function download(path, fallbackName) {
    status.textContent = 'Preparing the file…';
    status.className = 'form-status';
    try {
      const res = await request(path);
      if (!res.ok) {
        let message = `HTTP ${res.status}`;
        try { message = (await res.json()).message ?? message; } catch {}
        throw new Error(message);
      }
      const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
      const url = URL.createObjectURL(await res.blob());
      const a = h('a', { href: url, download: name, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      status.textContent = `Saved ${name}.`;
      status.className = 'form-status ok';
    } catch (err) {
      status.textContent = `Not downloaded: ${err instanceof TypeError ? 'the edge did not answer; check that it is running and try again' : err.message}`;
      status.className = 'form-status error';
    }
  }

  const products = h('button', { type: 'button', class: 'export-skus' }, 'Download products (CSV)');
  products.addEventListener('click', () => download('/admin/export/skus', 'skus.csv'));
  const ledger = h('button', { type: 'button', class: 'export-ledger' }, 'Download ledger (CSV)');
  ledger.addEventListener('click', () => {
    const q = new URLSearchParams();
    if (sku.value.trim()) q.set('sku', sku.value.trim());
    if (from.value) q.set('from', dayStart(from.value));
    if (to.value) q.set('to', dayAfter(to.value));
    download(`/admin/export/ledger${q.size ? `?${q}` : ''}`, 'ledger.csv');
  });

  panel.replaceChildren(
    h('h3', {}, 'Download your data'),
    h('p', { class: 'small' }, 'Every product as a CSV file that imports back as it is, and the ledger: every sale, count, return and transfer, with its time, place, channel, reason and order.'),
    h('div', { class: 'actions' }, products),
    h('div', { class: 'grid' }, h('label', {}, 'SKU ', sku), h('label', {}, 'From ', from), h('label', {}, 'To (inclusive) ', to)),
    h('div', { class: 'actions' }, ledger),
    status);
  panel.hidden = false;
}
