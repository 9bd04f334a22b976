// Bringing a connected store's products in (POST /admin/import/{provider}): first a dry run that
// says which of the store's SKU codes match, would be created, match nothing or are given twice,
// then "Apply" runs the same import for real. The person may ask to create the missing SKUs.

import { plural } from './forms.js';

/** The codes of one list in words, or nothing when the list is empty. */
function codes(h, cls, label, list) {
  if (!list?.length) return null;
  return h('div', { class: `import-group ${cls}`, 'data-group': cls }, h('strong', {}, `${label} (${list.length}): `),
    h('span', { class: 'codes' }, list.join(', ')));
}

/** What an answer of the import says, as lines for the page. `dry`: said as what would happen. */
export function storeImportReport(h, r, dry) {
  const would = (now, later) => (dry ? later : now);
  const head = `${r.store_items} product${r.store_items === 1 ? '' : 's'} read in ${plural(r.pages, 'page')}: `
    + `${r.matched.length} ${would('matched', 'would match')} a SKU here`
    + `${r.create ? `, ${r.created.length} ${would('created', 'would be created')}` : ''}`
    + `${r.filled.length ? ` (${r.filled.length} ${would('took', 'would take')} the store's ids)` : ''}.`;
  return [
    h('p', { class: 'import-summary' }, head),
    codes(h, 'matched', 'Matched', r.matched),
    codes(h, 'created', dry ? 'Would be created' : 'Created', r.created),
    codes(h, 'unmatched', r.create ? 'Not created' : 'No SKU here (tick "create missing SKUs" to add them)', r.unmatched),
    codes(h, 'duplicates', 'Given to two or more store products, left alone', r.duplicates),
    r.refused?.length ? h('ul', { class: 'import-group refused', 'data-group': 'refused' },
      r.refused.map((x) => h('li', {}, h('strong', {}, x.sku), `: ${x.reason}`))) : null,
    r.without_sku ? h('p', { class: 'small' }, `${plural(r.without_sku, 'store product')} without a SKU code, skipped.`) : null,
    r.failed?.length ? h('ul', { class: 'import-group failed error', 'data-group': 'failed' },
      r.failed.map((x) => h('li', {}, h('strong', {}, x.sku), `: ${x.message}`))) : null,
  ];
}

/**
 * The import control of one connection `c`: a button, a "create missing SKUs" tick, the preview
 * and its Apply. `names` maps a provider to its name in words.
 */
export function storeImport({ api, h, reload }, c, names) {
  const name = names[c.provider] ?? c.provider;
  const create = h('input', { type: 'checkbox', name: 'create' });
  const preview = h('button', { type: 'button', class: 'import-preview' }, `Import products from ${name}`);
  const apply = h('button', { type: 'button', class: 'import-apply primary', hidden: true }, 'Apply');
  const report = h('div', { class: 'import-report', role: 'status' });
  let previewed = null; // the options of the dry run shown, which Apply repeats

  async function run(dryRun) {
    const body = { create: create.checked, dry_run: dryRun };
    preview.disabled = apply.disabled = true;
    report.replaceChildren(h('p', { class: 'small' }, dryRun ? `Reading ${name}'s catalog…` : `Importing from ${name}…`));
    try {
      const r = await api('POST', `/admin/import/${c.provider}`, body);
      report.replaceChildren(...storeImportReport(h, r, dryRun).filter(Boolean));
      report.dataset.state = dryRun ? 'preview' : 'applied';
      previewed = dryRun ? body : null;
      apply.hidden = !dryRun;
      if (!dryRun) {
        report.prepend(h('p', { class: 'small ok' }, `Imported from ${name}.`));
        await reload();
      }
    } catch (err) {
      if (!err.status && !(err instanceof TypeError)) throw err;
      report.replaceChildren(h('p', { class: 'small error' }, `Not imported: ${err.status ? err.message : 'the edge did not answer; check that it is running and try again'}`));
      report.dataset.state = 'refused';
      apply.hidden = true;
    } finally { preview.disabled = apply.disabled = false; }
  }

  preview.addEventListener('click', () => run(true));
  // A preview says what one choice would do: changing the choice asks the store again.
  create.addEventListener('change', () => { if (previewed) run(true); });
  apply.addEventListener('click', () => run(false));

  return h('div', { class: 'store-import' },
    h('div', { class: 'actions' }, preview, h('label', { class: 'check' }, create, 'create missing SKUs'), apply),
    report);
}
