// Many products at once from a CSV file (POST /admin/import): choosing a file previews it (a dry
// run: which rows would create or update a SKU, or which rows are wrong and why, with nothing
// changed), and "Apply" sends the same file for real. The file is read by the edge, which
// applies it a few SKUs at a time: the page sends it once, never one SKU at a time.

import { plural } from './forms.js';

const SHOWN_ROWS = 200; // rows listed in a preview; the counts above the table cover all of them

/** The table of a report's rows (line, SKU, location, what happens to it). */
function rowsTable(h, rows, dry) {
  const said = { created: dry ? 'would be created' : 'created', updated: dry ? 'would be updated' : 'updated' };
  return h('div', { class: 'table-wrap' }, h('table', { class: 'import-rows' },
    h('thead', {}, h('tr', {}, ['Line', 'SKU', 'Location', ''].map((t) => h('th', {}, t)))),
    h('tbody', {}, rows.slice(0, SHOWN_ROWS).map((r) => h('tr', { 'data-line': r.line },
      h('td', {}, String(r.line)), h('td', {}, r.sku), h('td', {}, r.location ?? ''), h('td', {}, said[r.status] ?? r.status))))));
}

/** What an answer of the import says, as elements. `dry`: said as what would happen. */
export function csvImportReport(h, r, dry) {
  const head = dry
    ? `${plural(r.rows.length, 'row')} read: ${r.created} SKU${r.created === 1 ? '' : 's'} would be created, ${r.updated} would be updated. Nothing has changed yet.`
    : `Imported ${plural(r.rows.length, 'row')}: ${r.created} SKU${r.created === 1 ? '' : 's'} created, ${r.updated} updated, ${plural(r.applied, 'count')} recorded`
      + `${r.duplicates ? ` (${r.duplicates} already recorded by an earlier upload of this file)` : ''}.`;
  return [
    h('p', { class: 'import-summary' }, head),
    r.failed?.length ? h('ul', { class: 'import-errors', 'data-group': 'failed' },
      r.failed.map((x) => h('li', {}, h('strong', {}, x.sku), `: ${x.message ?? x.error}`))) : null,
    r.rows.length > SHOWN_ROWS ? h('p', { class: 'small' }, `The first ${SHOWN_ROWS} rows:`) : null,
    rowsTable(h, r.rows, dry),
  ];
}

/** A refused file in words: each bad row with its line and why, or the file's one error. */
function refusal(h, err) {
  const rows = err.body?.rows;
  return [
    h('p', { class: 'small error' }, `Not imported, nothing changed: ${err.message}`),
    rows?.length ? h('ul', { class: 'import-errors', 'data-group': 'invalid' },
      rows.map((x) => h('li', { 'data-line': x.line }, h('strong', {}, `Line ${x.line}`), `${x.sku ? ` (${x.sku})` : ''}: ${x.message}`))) : null,
  ];
}

/** The CSV panel of the products step, drawn into `#import-panel`. */
export function csvImport({ api, h, reload }) {
  const panel = document.querySelector('#import-panel');
  const file = h('input', { type: 'file', name: 'csv', accept: '.csv,text/csv' });
  const apply = h('button', { type: 'button', class: 'import-apply primary', hidden: true }, 'Apply');
  const report = h('div', { class: 'import-report', role: 'status' });
  let text = null; // the file previewed, which Apply sends

  async function send(dryRun) {
    file.disabled = apply.disabled = true;
    report.replaceChildren(h('p', { class: 'small' }, dryRun ? 'Reading the file…' : 'Importing…'));
    try {
      let r = await api('POST', `/admin/import${dryRun ? '?dry_run=true' : ''}`, text, 'text/csv');
      // A large file is applied a part at a time after the answer: follow it until it is done.
      while (r.status === 'applying') {
        report.replaceChildren(h('p', { class: 'small' }, `Importing… ${r.skus_applied} of ${r.skus} SKUs applied.`));
        await new Promise((ok) => setTimeout(ok, 1000));
        r = await api('GET', '/admin/import/status');
      }
      report.replaceChildren(...csvImportReport(h, r, dryRun).filter(Boolean));
      report.dataset.state = dryRun ? 'preview' : 'applied';
      apply.hidden = !dryRun;
      if (!dryRun) {
        text = null;
        file.value = '';
        await reload();
      }
    } catch (err) {
      if (!err.status && !(err instanceof TypeError)) throw err;
      report.replaceChildren(...(err.status ? refusal(h, err)
        : [h('p', { class: 'small error' }, 'Not imported: the edge did not answer; check that it is running and try again.')]).filter(Boolean));
      report.dataset.state = 'refused';
      apply.hidden = true;
    } finally { file.disabled = apply.disabled = false; }
  }

  file.addEventListener('change', async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    text = await chosen.text();
    await send(true);
  });
  apply.addEventListener('click', () => send(false));

  panel.replaceChildren(
    h('h3', {}, 'Import products from a CSV file'),
    h('p', { class: 'small' }, 'Columns: sku, title, location, on_hand, and if you like low_stock_threshold, max_per_cart, buffer (none, fixed:2 or auto:1-3) and the ids of shopify, square, clover, lightspeed, woocommerce. One row per product and location; an empty cell keeps what the product has. A spreadsheet\'s "Save as CSV" file reads as it is. You see what would change before anything does.'),
    h('div', { class: 'actions' }, h('label', {}, 'CSV file ', file), apply),
    report);
  panel.hidden = false;
}
