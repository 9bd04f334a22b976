// The setup view: an empty store opens on it, a short guided setup (locations, channels,
// products, connected stores, subscribers), and the header's "Setup" brings it back for any
// change later. Each step is one module; each saves through the API and shows its answer.
import { channelsStep } from './channels.js';
import { csvImport } from './csv_import.js';
import { exportsPanel } from './exports.js';
import { locationsStep } from './locations.js';
import { skusStep } from './skus.js';
import { storesStep } from './stores.js';
import { subscribersStep } from './subscribers.js';

const STEPS = ['locations', 'channels', 'products', 'stores', 'subscribers'];

/**
 * Wires the view once. `api` (JSON calls), `request` (a raw response, for files) and `h` are the
 * page's request and element helpers, `openDashboard()` shows the dashboard (and calls `close()`). Answers `{open(step), close(), isEmpty()}`.
 */
export function createSetup({ api, request, h, openDashboard }) {
  const root = document.querySelector('#setup');
  const toggle = document.querySelector('#setup-toggle');
  const leave = () => openDashboard();
  const ctx = { api, request, h, reload };
  const steps = {
    locations: locationsStep(ctx),
    channels: channelsStep(ctx),
    products: skusStep(ctx),
    stores: storesStep(ctx),
    subscribers: subscribersStep(ctx),
  };
  // The products step's files: a CSV in (previewed, then applied) and the exports out.
  csvImport(ctx);
  exportsPanel(ctx);

  async function load() {
    const [locations, channels, skus] = await Promise.all([
      api('GET', '/admin/locations'), api('GET', '/admin/channels'), api('GET', '/admin/skus')]);
    return { locations: locations?.locations ?? [], channels: channels?.channels ?? channels ?? {}, skus: skus?.skus ?? [] };
  }

  /** Reads the catalog again and redraws every step (a channel added shows in the product form). */
  async function reload() {
    const catalog = await load();
    await Promise.all(STEPS.map(async (name) => {
      const n = await steps[name].render(catalog);
      root.querySelector(`.steps [data-step="${name}"] .count`).textContent = n ? `(${n})` : '';
      root.querySelector(`.steps [data-step="${name}"]`).classList.toggle('has', n > 0);
    }));
    return catalog;
  }

  function show(step) {
    for (const s of root.querySelectorAll('section.step')) s.hidden = s.dataset.step !== step;
    for (const b of root.querySelectorAll('.steps button[data-step]')) {
      if (b.dataset.step === step) b.setAttribute('aria-current', 'step'); else b.removeAttribute('aria-current');
    }
    root.querySelector(`section.step[data-step="${step}"] h2`)?.scrollIntoView?.({ block: 'nearest' });
  }

  for (const b of root.querySelectorAll('.steps button[data-step]')) b.addEventListener('click', () => show(b.dataset.step));
  for (const b of root.querySelectorAll('[data-go]')) b.addEventListener('click', () => (b.dataset.go === 'done' ? leave() : show(b.dataset.go)));
  root.querySelector('#setup-done').addEventListener('click', () => leave());
  toggle.addEventListener('click', () => (root.hidden ? view.open() : leave()));

  const view = {
    /** Shows the view at `step` (default: the first one with nothing in it yet). */
    async open(step) {
      document.querySelector('#main').hidden = true;
      root.hidden = toggle.hidden = false;
      toggle.textContent = 'Dashboard';
      const catalog = await reload();
      const empty = { locations: !catalog.locations.length, channels: !Object.keys(catalog.channels).length, products: !catalog.skus.length };
      show(step ?? STEPS.find((s) => empty[s]) ?? 'locations');
    },
    close() {
      root.hidden = true;
      toggle.hidden = false;
      toggle.textContent = 'Setup';
    },
    /** An empty store (no product yet) opens on the setup. */
    async isEmpty() {
      const skus = await api('GET', '/admin/skus');
      return !(skus?.skus ?? []).length;
    },
  };
  return view;
}
