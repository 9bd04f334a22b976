// The dashboard's oversells and reordering: open incidents first, each closable
// (GET /admin/incidents, POST /admin/incidents/{id}/close), and what to reorder now
// (GET /admin/reorder). `api` and `h` are the page's request and element helpers.

const time = (iso) => (iso ? new Date(iso).toLocaleString() : '');

/** Fills #incidents with the open incidents (hidden when there are none). */
export async function loadIncidents(api, h) {
  let incidents;
  try {
    incidents = (await api('GET', '/admin/incidents'))?.incidents ?? [];
  } catch {
    return; // the list stays as it was; the next refresh tries again
  }
  const section = document.querySelector('#incidents-section');
  const list = document.querySelector('#incidents');
  section.hidden = incidents.length === 0;
  list.replaceChildren(...incidents.map((i) => {
    const close = h('button', { type: 'button', class: 'close-incident' }, 'Close');
    close.addEventListener('click', async () => {
      close.disabled = true;
      try {
        await api('POST', `/admin/incidents/${encodeURIComponent(i.id)}/close`);
        li.remove();
        section.hidden = list.children.length === 0;
      } catch {
        close.disabled = false;
      }
    });
    const orders = i.orders.map((o) => o.order_id);
    const fill = i.fill_from.map((f) => `${f.free} free at ${f.location}`).join(', ');
    const li = h('li', { class: 'incident', 'data-incident': i.id, 'data-sku': i.sku },
      h('strong', {}, `${i.sku}: ${i.short} short at ${i.location}`), ' ',
      h('span', { class: 'small' }, `${i.cause === 'pos_sale_on_online_orders' ? 'register sale of units sold online' : 'stock below zero'} · ${time(i.detected_at)}`),
      h('p', { class: 'orders' }, orders.length ? `Orders it cannot fill, newest first: ${orders.join(', ')}` : 'No online order at stake.'),
      fill ? h('p', { class: 'small' }, `${i.fillable ? 'Can be filled from' : 'Not enough elsewhere'}: ${fill}`) : null,
      close);
    return li;
  }));
}

/** Fills #reorder with the products to order now at the default lead time and cover. */
export async function loadReorder(api, h) {
  let answer;
  try {
    answer = await api('GET', '/admin/reorder');
  } catch {
    return;
  }
  const due = (answer?.skus ?? []).filter((a) => a.reorder > 0);
  const list = document.querySelector('#reorder');
  if (!due.length) {
    list.replaceChildren(h('li', { class: 'small' }, `Nothing to reorder (lead time ${answer.lead_days} days, cover ${answer.cover_days} days).`));
    return;
  }
  list.replaceChildren(...due.map((a) => h('li', { 'data-sku': a.sku },
    h('strong', {}, `${a.sku}: order ${a.reorder}`), ' ', h('span', { class: 'small' }, a.reasoning))));
}
