// Setup step 5: subscribers (PUT and DELETE /admin/subscribers/{name}), the systems that get each
// change of a channel's stock pushed to them. The list never shows a secret (the API has none to show).
import { Missing, field, onSubmit, options } from './forms.js';

export function subscribersStep({ api, h, reload }) {
  const form = document.querySelector('#subscriber-form');
  const f = (n) => field(form, n);

  onSubmit(form, async () => {
    const name = f('name').value.trim();
    if (!name) throw new Missing('name', 'give the subscriber a name, such as marketplace-feed');
    const body = { url: f('url').value.trim(), secret: f('secret').value, channel: f('channel').value, alerts: f('alerts').checked };
    const saved = await api('PUT', `/admin/subscribers/${encodeURIComponent(name)}`, body);
    form.reset();
    await reload();
    return `Saved ${saved.name}: changes of ${saved.channel} go to ${saved.url}.`;
  });

  async function remove(s, li) {
    try {
      await api('DELETE', `/admin/subscribers/${encodeURIComponent(s.name)}`);
      await reload();
    } catch (err) {
      li.append(h('span', { class: 'small error' }, `Not removed: ${err.message}`));
    }
  }

  return {
    async render({ channels }) {
      options(form, 'select[name=channel]', Object.keys(channels).sort(), h);
      const subs = (await api('GET', '/admin/subscribers').catch(() => null))?.subscribers ?? [];
      document.querySelector('#subscribers-list').replaceChildren(...(subs.length ? subs.map((s) => {
        const li = h('li', { class: 'item', 'data-subscriber': s.name },
          h('strong', {}, s.name), ' ', h('span', { class: 'small' }, `${s.channel} → ${s.url}${s.alerts ? ' · with oversell alerts' : ''}`));
        li.append(h('button', { type: 'button', onclick: () => remove(s, li) }, 'Remove'));
        return li;
      }) : [h('li', { class: 'small' }, 'No subscriber. Nothing to do here unless another system wants your stock pushed to it.')]));
      return subs.length;
    },
  };
}
