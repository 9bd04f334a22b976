// Setup step 4: connected stores (PUT /admin/connections/{provider}), each with its status as
// GET /admin/connections reports it, and a resync (POST /admin/connections/{provider}/resync)
// for the stores lastunit writes to by SKU (Shopify, WooCommerce), and the import of each store's
// products (store_import.js).
import { field, onSubmit, options, say } from './forms.js';
import { storeImport } from './store_import.js';

const NAMES = { shopify: 'Shopify', woocommerce: 'WooCommerce', square: 'Square' };
const RESYNCS = ['shopify', 'woocommerce'];

export function storesStep(ctx) {
  const { api, h, reload } = ctx;
  const form = document.querySelector('#store-form');
  // Each store's import control, kept across redraws so that a preview or its result stays shown.
  const imports = new Map();
  const importOf = (c) => {
    if (!imports.has(c.provider)) imports.set(c.provider, storeImport(ctx, c, NAMES));
    return imports.get(c.provider);
  };
  const f = (n) => field(form, n);
  // Until the person picks one, a store sells as `web` when there is such a channel.
  f('channel').addEventListener('change', () => { f('channel').dataset.picked = 'yes'; });

  onSubmit(form, async () => {
    const provider = f('provider').value;
    const body = { location: f('location').value, write: f('write').checked };
    if (f('channel').value) body.channel = f('channel').value;
    const saved = await api('PUT', `/admin/connections/${provider}`, body);
    await reload();
    return `Connected ${NAMES[saved.provider]}${saved.channel ? ` as ${saved.channel}` : ''} at ${saved.location}${saved.write ? '; it is being sent every mapped product now' : ''}.`;
  }, { what: 'Not connected' });

  async function resync(c, button, note) {
    button.disabled = true;
    try {
      const r = await api('POST', `/admin/connections/${c.provider}/resync`);
      note.textContent = `${r.skus} product${r.skus === 1 ? '' : 's'} queued to be written to ${NAMES[c.provider]}.`;
      note.className = 'small ok';
    } catch (err) {
      note.textContent = `Not resynced: ${err.message}`;
      note.className = 'small error';
    } finally { button.disabled = false; }
  }

  function item(c) {
    const note = h('span', { class: 'small', role: 'status' });
    const button = RESYNCS.includes(c.provider) ? h('button', { type: 'button', class: 'resync' }, 'Resync') : null;
    button?.addEventListener('click', () => resync(c, button, note));
    return h('li', { class: 'item', 'data-provider': c.provider },
      h('strong', {}, NAMES[c.provider] ?? c.provider), ' ',
      h('span', { class: `badge ${c.status === 'ok' ? 'ok' : 'at_risk'}`, 'data-status': c.status }, c.status), ' ',
      h('span', { class: 'small' }, [c.channel ? `sells as ${c.channel} from ${c.location}` : `at ${c.location}`,
        c.write ? `${c.pending_writes} write${c.pending_writes === 1 ? '' : 's'} pending` : 'not writing',
        c.last_write_at ? `last write ${new Date(c.last_write_at).toLocaleTimeString()}` : 'no write yet'].join(' · ')),
      c.last_error ? h('span', { class: 'small error' }, c.last_error) : null,
      button, note, importOf(c));
  }

  return {
    async render({ locations, channels }) {
      options(form, 'select[name=location]', locations.map((l) => l.location), h);
      options(form, 'select[name=channel]', Object.keys(channels).sort(), h, { blank: 'none (Square sells as store)' });
      if (!f('channel').dataset.picked && channels.web) f('channel').value = 'web';
      let connections = [];
      try {
        connections = (await api('GET', '/admin/connections'))?.connections ?? [];
      } catch (err) {
        say(form, `Could not read the connections: ${err.message}`, false);
      }
      document.querySelector('#stores-list').replaceChildren(...(connections.length ? connections.map(item)
        : [h('li', { class: 'small' }, 'No store connected. Skip this step if you sell only through your own site with the widget.')]));
      return connections.length;
    },
  };
}
