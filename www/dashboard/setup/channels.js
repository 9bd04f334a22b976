// Setup step 2: channels and the locations each sells from (PUT /admin/channels/{channel}),
// in the order the person ticks them (the order a channel draws on its locations).
import { Missing, field, onSubmit } from './forms.js';

export function channelsStep({ api, h, reload }) {
  const form = document.querySelector('#channel-form');
  const f = (n) => field(form, n);
  const ticks = document.querySelector('#channel-locations');
  let order = [];

  const showOrder = () => {
    document.querySelector('#channel-order').textContent = order.length ? `Draws on ${order.join(', then ')}.` : 'No location ticked yet.';
  };
  ticks.addEventListener('change', (e) => {
    const l = e.target.value;
    order = order.filter((x) => x !== l);
    if (e.target.checked) order.push(l);
    showOrder();
  });

  function tickAll(locations) {
    ticks.replaceChildren(...locations.map((l) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'locations', value: l.location, checked: order.includes(l.location) }), l.name ? `${l.location} (${l.name})` : l.location)));
    showOrder();
  }
  let known = [];

  onSubmit(form, async () => {
    const name = f('channel').value.trim();
    if (!name) throw new Missing('channel', 'give the channel a name, such as web');
    const saved = await api('PUT', `/admin/channels/${encodeURIComponent(name)}`, { locations: order });
    form.reset();
    order = [];
    await reload();
    return `Saved ${saved.channel}: sells from ${saved.locations.join(', ') || 'no location'}.`;
  });

  function edit(channel, locations) {
    f('channel').value = channel;
    order = [...locations];
    tickAll(known);
    f('channel').focus();
  }

  return {
    render({ locations, channels }) {
      known = locations;
      tickAll(locations);
      const names = Object.keys(channels).sort();
      document.querySelector('#channels-list').replaceChildren(...(names.length ? names.map((c) => h('li', { class: 'item', 'data-channel': c },
        h('strong', {}, c), ' ', h('span', { class: 'small' }, `sells from ${channels[c].join(', ') || 'no location'}`),
        h('button', { type: 'button', onclick: () => edit(c, channels[c]) }, 'Edit')))
        : [h('li', { class: 'small' }, 'No channel yet: add store (your register) and web (your online store).')]));
      return names.length;
    },
  };
}
