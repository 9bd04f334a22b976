// What every setup form shares: reading what the person typed, saying the API's answer in words
// next to the form, and marking the field the API named. The forms check nothing themselves
// (they are `novalidate`): the edge's answer is the one rule, so the page can never disagree with it.

/** The providers whose ids a location or a SKU may carry (`pos_refs`), as the API names them. */
/** `3 rows`, `1 row`: a count with its noun. */
export const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export const PROVIDERS = [['shopify', 'Shopify'], ['square', 'Square'], ['clover', 'Clover'], ['lightspeed', 'Lightspeed'], ['woocommerce', 'WooCommerce']];
/** A SKU's ids: the providers', its Shopify inventory item in `shopify` and, for orders, its
 * Shopify variant (`shopify_variant`, docs/POS.md). */
export const SKU_REFS = [['shopify', 'Shopify inventory item'], ['shopify_variant', 'Shopify variant (orders)'], ...PROVIDERS.slice(1)];

/** Fills a `[data-refs]` holder with one input per provider, named `pos_refs.<provider>`. */
export function refInputs(holder, h, list = PROVIDERS) {
  holder.replaceChildren(h('fieldset', {}, h('legend', {}, 'Ids in your point of sale and stores (optional)'),
    h('div', { class: 'grid' }, list.map(([p, label]) => h('label', {}, label, h('input', { name: `pos_refs.${p}`, type: 'text', autocomplete: 'off' }))))));
}

/** The form's control called `name` (not `form[name]`, which a form's own properties may shadow). */
export const field = (form, name) => form.elements.namedItem(name);

/** The `pos_refs` object of a form: the providers whose input is not blank. */
export function refsOf(form, list = PROVIDERS) {
  const refs = {};
  for (const [p] of list) {
    const v = field(form, `pos_refs.${p}`).value.trim();
    if (v) refs[p] = v;
  }
  return refs;
}

export function fillRefs(form, refs = {}, list = PROVIDERS) {
  for (const [p] of list) field(form, `pos_refs.${p}`).value = refs[p] ?? '';
}

/** A whole-number input as typed: `undefined` when blank (the API's default then applies). */
export function number(input) {
  const v = input.value.trim();
  return v === '' ? undefined : Number(v);
}

/** Says `text` under the form (`ok`: a success, else an error). */
export function say(form, text, ok) {
  const st = form.querySelector('.form-status');
  st.textContent = text;
  st.className = `form-status ${ok ? 'ok' : 'error'}`;
}

/** What a form cannot send at all (a blank name, which no path can carry): said like a refusal. */
export class Missing extends Error {
  constructor(field, message) {
    super(message);
    this.body = { field };
  }
}

const unreachable = (err) => err instanceof TypeError && /fetch/i.test(err.message);

/** The API's refusal in words: its own message, and the field it names marked in the form. */
export function refused(form, err, what = 'Not saved') {
  const body = err.body ?? {};
  const field = body.field ?? (body.error === 'unknown_location' ? 'location' : body.error === 'unknown_channel' ? 'channel' : null);
  const message = unreachable(err) ? 'the edge did not answer; check that it is running and try again' : err.message;
  say(form, `${what}: ${message}`, false);
  if (!field) return;
  const marked = [...form.elements].filter((el) => el.name && (el.name === field || el.name.startsWith(`${field}.`)));
  for (const el of marked) el.setAttribute('aria-invalid', 'true');
  marked[0]?.focus();
}

/**
 * Runs `send` for a submitted form: clears the last answer and marks, disables the submit button
 * while it runs, says `done(answer)` on success or the API's refusal on failure.
 */
export function onSubmit(form, send, { what = 'Not saved' } = {}) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    say(form, '', true);
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const text = await send();
      if (text) say(form, text, true);
    } catch (err) {
      if (!err.status && !(err instanceof Missing) && !unreachable(err)) throw err;
      refused(form, err, what);
    } finally {
      button.disabled = false;
    }
  });
}

/** Fills every `select` matching `selector` under `root` with `names` (keeping its choice). */
export function options(root, selector, names, h, { blank } = {}) {
  for (const sel of root.querySelectorAll(selector)) {
    const keep = sel.value;
    const list = names.map((n) => h('option', { value: n, selected: n === keep }, n));
    sel.replaceChildren(...(blank ? [h('option', { value: '' }, blank)] : []), ...list);
  }
}
