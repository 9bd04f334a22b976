// The dashboard's connected stores: each connection's status (GET /admin/connections), and per
// product on screen what each store holds now (GET /admin/connections/{provider}/levels).
// `api` and `h` are the page's request and element helpers.

const NAMES = { shopify: 'Shopify', woocommerce: 'WooCommerce', square: 'Square' };
const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : null);

/** Fills #connections; answers the connections (the previous ones when the request fails). */
export async function loadConnections(api, h, previous = []) {
  let connections;
  try {
    connections = (await api('GET', '/admin/connections'))?.connections ?? [];
  } catch {
    return previous; // the list stays as it was; the next refresh tries again
  }
  const list = document.querySelector('#connections');
  if (!connections.length) {
    list.replaceChildren(h('li', { class: 'small' }, 'No store connected.'));
    return connections;
  }
  list.replaceChildren(...connections.map((c) => h('li', { class: 'connection', 'data-provider': c.provider },
    h('strong', {}, NAMES[c.provider] ?? c.provider), ' ',
    h('span', { class: `badge ${c.status === 'ok' ? 'ok' : 'at_risk'}`, 'data-status': c.status }, c.status), ' ',
    h('span', { class: 'small' }, [
      c.channel ? `sells as ${c.channel} from ${c.location}` : `at ${c.location}`,
      c.write ? null : 'not writing',
      c.last_write_at ? `last write ${time(c.last_write_at)}` : 'no write yet',
      `${c.pending_writes} pending`,
      c.throttled_until ? `throttled until ${time(c.throttled_until)}` : null,
    ].filter(Boolean).join(' · ')),
    c.last_error ? h('p', { class: 'small error' }, c.last_error) : null)));
  return connections;
}

/** Under each product's availability: what each writing store holds now (→ lastunit's number while a write is pending). */
export async function showStoreLevels(skus, connections, api, h) {
  const writers = connections.filter((c) => c.write && c.provider !== 'square');
  if (!writers.length || !skus.length) return;
  const list = encodeURIComponent(skus.join(','));
  const answers = await Promise.all(writers.map((c) => api('GET', `/admin/connections/${c.provider}/levels?skus=${list}`).catch(() => null)));
  for (const sku of skus) {
    const cell = document.querySelector(`tr[data-sku="${CSS.escape(sku)}"] td.available`);
    if (!cell) continue;
    const parts = writers.map((c, i) => {
      const l = answers[i]?.levels?.[sku];
      if (!l) return null;
      return `${NAMES[c.provider]} ${l.store ?? '?'}${l.pending ? ` → ${l.lastunit}` : ''}`;
    }).filter(Boolean);
    cell.querySelector('.in-stores')?.remove();
    if (parts.length) cell.append(h('p', { class: 'small in-stores', title: 'What each connected store holds now' }, `in stores: ${parts.join(' · ')}`));
  }
}
