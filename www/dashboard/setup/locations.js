// Setup step 1: locations (PUT /admin/locations/{location}), each with its ids in the point of
// sale and the stores (`pos_refs`).
import { Missing, field, PROVIDERS, fillRefs, onSubmit, refInputs, refsOf } from './forms.js';

const refsText = (refs) => PROVIDERS.filter(([p]) => refs?.[p]).map(([p, label]) => `${label} ${refs[p]}`).join(' · ');

export function locationsStep({ api, h, reload }) {
  const form = document.querySelector('#location-form');
  const f = (n) => field(form, n);
  refInputs(form.querySelector('[data-refs]'), h);

  onSubmit(form, async () => {
    const id = f('location').value.trim();
    if (!id) throw new Missing('location', 'give the location an id, such as main-st');
    const saved = await api('PUT', `/admin/locations/${encodeURIComponent(id)}`, { name: f('name').value.trim(), pos_refs: refsOf(form) });
    form.reset();
    await reload();
    return `Saved ${saved.location}${saved.name ? ` (${saved.name})` : ''}.`;
  });

  function edit(l) {
    f('location').value = l.location;
    f('name').value = l.name ?? '';
    fillRefs(form, l.pos_refs);
    f('name').focus();
  }

  return {
    render({ locations }) {
      const list = document.querySelector('#locations-list');
      list.replaceChildren(...(locations.length ? locations.map((l) => h('li', { class: 'item', 'data-location': l.location },
        h('strong', {}, l.location), l.name ? ` ${l.name}` : '', ' ',
        h('span', { class: 'small' }, refsText(l.pos_refs) || 'no PoS ids'),
        h('button', { type: 'button', onclick: () => edit(l) }, 'Edit')))
        : [h('li', { class: 'small' }, 'No location yet: add your first shop or warehouse below.')]));
      return locations.length;
    },
  };
}
