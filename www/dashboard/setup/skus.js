// Setup step 3: products, one at a time (PUT /admin/skus/{sku}, its whole policy: title, low
// stock, cart cap, buffer, allocation, ids), with the counts on hand now as `count` events
// (POST /admin/events). A product is edited from what the edge answers for it (GET /admin/skus/{sku}).
import { Missing, SKU_REFS, field, fillRefs, number, onSubmit, refInputs, refsOf, refused, say } from './forms.js';

const SHOWN = 50; // names listed at once; the search finds the others
const eventId = () => `setup-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

export function skusStep({ api, h, reload }) {
  const form = document.querySelector('#sku-form');
  const f = (n) => field(form, n);
  refInputs(form.querySelector('[data-refs]'), h, SKU_REFS);
  let catalog = { skus: [], channels: {}, locations: [] };
  let editing = null; // the SKU's view as the edge last answered it, while one is edited

  function showBuffer() {
    const mode = f('buffer').value;
    for (const el of form.querySelectorAll('[data-buffer]')) el.hidden = !el.dataset.buffer.split(' ').includes(mode);
    form.querySelector('[data-buffer-channels]').hidden = mode === 'none' || f('buffer_scope').value !== 'chosen';
  }
  f('buffer').addEventListener('change', showBuffer);
  f('buffer_scope').addEventListener('change', showBuffer);

  /** The channel and location inputs, for the catalog as it is now, filled from `config`. */
  function drawParts(config = {}, onHand = {}) {
    const channels = Object.keys(catalog.channels).sort();
    const ticked = config.buffer_channels ?? [];
    form.querySelector('[data-buffer-channels]').replaceChildren(...channels.map((c) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'buffer_channels', value: c, checked: ticked.includes(c) }), c)));
    form.querySelector('[data-allocation]').replaceChildren(...channels.map((c) => h('label', {}, c,
      h('input', { name: `allocation.${c}`, type: 'number', step: 1, value: config.allocation?.[c] ?? '' }))));
    form.querySelector('[data-counts]').replaceChildren(...(catalog.locations.length ? catalog.locations.map((l) => h('label', {}, l.location,
      h('input', { name: `count.${l.location}`, type: 'number', step: 1, placeholder: onHand[l.location] == null ? '' : `now ${onHand[l.location]}` })))
      : [h('p', { class: 'hint' }, 'Add a location first to count stock at it.')]));
  }

  function fill(view) {
    editing = view;
    const c = view?.config ?? {};
    document.querySelector('#sku-form-title').textContent = view ? `Change ${view.sku}` : 'Add a product';
    f('sku').value = view?.sku ?? '';
    f('sku').readOnly = !!view;
    f('title').value = c.title ?? '';
    f('low_stock_threshold').value = c.low_stock_threshold ?? '';
    f('max_per_cart').value = c.max_per_cart ?? '';
    const b = c.buffer ?? { mode: 'none' };
    f('buffer').value = b.mode;
    if (b.mode === 'fixed') f('buffer.units').value = b.units;
    if (b.mode === 'auto') { f('buffer.min').value = b.min; f('buffer.max').value = b.max; }
    f('buffer_scope').value = c.buffer_channels ? 'chosen' : 'default';
    fillRefs(form, c.pos_refs, SKU_REFS);
    drawParts(c, view?.on_hand);
    showBuffer();
  }

  // The store's opening hours of an automatic buffer have no field here: an edit keeps them.
  function storeHours(config) {
    const hours = config?.buffer?.store_hours;
    return hours ? { store_hours: hours } : {};
  }

  function policy() {
    const mode = f('buffer').value;
    const buffer = mode === 'fixed' ? { mode, units: number(f('buffer.units')) }
      : mode === 'auto' ? { mode, min: number(f('buffer.min')), max: number(f('buffer.max')), ...storeHours(editing?.config) } : { mode: 'none' };
    const channels = Object.keys(catalog.channels).sort();
    const shares = Object.fromEntries(channels.map((c) => [c, number(f(`allocation.${c}`))]).filter(([, n]) => n !== undefined));
    return {
      title: f('title').value.trim(),
      low_stock_threshold: number(f('low_stock_threshold')),
      max_per_cart: number(f('max_per_cart')),
      buffer,
      buffer_channels: mode !== 'none' && f('buffer_scope').value === 'chosen'
        ? [...form.querySelectorAll('[name=buffer_channels]:checked')].map((el) => el.value) : null,
      allocation: Object.keys(shares).length ? shares : null,
      pos_refs: refsOf(form, SKU_REFS),
    };
  }

  async function edit(sku) {
    say(form, `Loading ${sku}…`, true);
    try {
      fill(await api('GET', `/admin/skus/${encodeURIComponent(sku)}`));
      say(form, '', true);
      f('title').focus();
    } catch (err) { refused(form, err, `Could not open ${sku}`); }
  }

  onSubmit(form, async () => {
    const sku = f('sku').value.trim();
    if (!sku) throw new Missing('sku', 'give the product a SKU, such as linen-shirt-m');
    await api('PUT', `/admin/skus/${encodeURIComponent(sku)}`, policy());
    const counts = catalog.locations.map((l) => [l.location, number(f(`count.${l.location}`))]).filter(([, n]) => n !== undefined)
      .map(([location, quantity]) => ({ event_id: eventId(), type: 'count', sku, location, quantity }));
    let counted = true;
    if (counts.length) {
      try { await api('POST', '/admin/events', { events: counts }); } catch (err) { counted = err; }
    }
    await reload();
    fill(await api('GET', `/admin/skus/${encodeURIComponent(sku)}`));
    if (counted !== true) {
      refused(form, counted, `Saved ${sku}, but its counts were not recorded`);
      return null;
    }
    return `Saved ${sku}${counts.length ? ` and its counts at ${counts.map((c) => c.location).join(', ')}` : ''}.`;
  });
  document.querySelector('#sku-new').addEventListener('click', () => { fill(null); say(form, '', true); f('sku').focus(); });

  function list() {
    const q = document.querySelector('#sku-find').value.trim().toLowerCase();
    const found = q ? catalog.skus.filter((s) => s.toLowerCase().includes(q)) : catalog.skus;
    document.querySelector('#sku-count').textContent = `${catalog.skus.length} product${catalog.skus.length === 1 ? '' : 's'}${found.length > SHOWN ? `, first ${SHOWN} of ${found.length} shown` : ''}`;
    document.querySelector('#skus-list').replaceChildren(...(found.length ? found.slice(0, SHOWN).map((s) => h('li', { class: 'item', 'data-sku': s },
      h('strong', {}, s), h('button', { type: 'button', onclick: () => edit(s) }, 'Edit')))
      : [h('li', { class: 'small' }, catalog.skus.length ? 'No product matches.' : 'No product yet: import a CSV file above, or add one below.')]));
  }
  document.querySelector('#sku-find').addEventListener('input', list);

  return {
    render(next) {
      catalog = next;
      if (!editing) drawParts(); // an open edit keeps what the person typed
      showBuffer();
      list();
      return catalog.skus.length;
    },
    edit,
  };
}
