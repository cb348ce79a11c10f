// The account's webhook subscriptions: listed, added, enabled or disabled, each with its recent
// deliveries (status, attempts) on demand.
import { api, query, type PageOf, type WebhookDeliveryView, type WebhookView } from '../api.js';
import { formatTime, h } from '../dom.js';
import { errorBox, field, stateBadge, table, type View } from './common.js';

function deliveries(list: WebhookDeliveryView[]): HTMLElement {
  return table('Recent deliveries, newest first', ['Event', 'Status', 'Attempts', 'Last answer', 'Finished'],
    list.map((d) => {
      const last = d.attempts.at(-1);
      return [`${d.type} #${d.sequence}`, stateBadge(d.status), d.attempts.length, last ? (last.error ?? String(last.statusCode)) : '—', d.dateFinished ? formatTime(d.dateFinished) : '—'];
    }), 'No deliveries yet.');
}

export const webhooksView: View = (main) => {
  const status = h('div', { 'aria-live': 'polite' });
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const shown = h('div', { 'aria-live': 'polite' });
  const url = h('input', { id: 'new-webhook-url', type: 'url', required: true, autocomplete: 'off', placeholder: 'https://example.com/hook' });
  const addForm = h('form', {
    class: 'inline-form card',
    onsubmit: (ev: Event) => {
      ev.preventDefault();
      void api<WebhookView>('POST', '/webhooks', { url: url.value.trim() }).then((w) => {
        status.replaceChildren(h('p', { class: 'ok' }, `Added the webhook to ${w.url}.`));
        url.value = '';
        load();
      }, (err: unknown) => status.replaceChildren(errorBox(err)));
    },
  }, h('h2', {}, 'Add a webhook'), field('URL', url, 'the account\'s session events are POSTed there, signed'), h('button', { type: 'submit' }, 'Add webhook'));
  main.replaceChildren(h('h1', {}, 'Webhooks'), list, shown, addForm, status);

  const showDeliveries = (w: WebhookView): void => {
    shown.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    void api<PageOf<WebhookDeliveryView>>('GET', `/webhooks/${encodeURIComponent(w.id)}/deliveries${query({ countPerPage: 20 })}`).then((res) => {
      shown.replaceChildren(h('h2', {}, `Deliveries to ${w.url}`), deliveries(res.items));
    }, (err: unknown) => shown.replaceChildren(errorBox(err)));
  };
  const load = (): void => {
    void api<PageOf<WebhookView>>('GET', `/webhooks${query({ countPerPage: 100 })}`).then((res) => {
      list.replaceChildren(table('Webhooks of the account', ['URL', 'Events', 'State', '', ''], res.items.map((w) => [
        w.url, w.events.join(', '), w.enabled ? 'enabled' : 'disabled',
        h('button', {
          type: 'button', class: 'small', 'aria-label': `${w.enabled ? 'Disable' : 'Enable'} the webhook to ${w.url}`,
          onclick: () => {
            void api<WebhookView>('PATCH', `/webhooks/${encodeURIComponent(w.id)}`, { enabled: !w.enabled })
              .then(() => { status.replaceChildren(h('p', { class: 'ok' }, `${w.enabled ? 'Disabled' : 'Enabled'} the webhook to ${w.url}.`)); load(); },
                (err: unknown) => status.replaceChildren(errorBox(err)));
          },
        }, w.enabled ? 'Disable' : 'Enable'),
        h('button', { type: 'button', class: 'small', 'aria-label': `Deliveries of the webhook to ${w.url}`, onclick: () => showDeliveries(w) }, 'Deliveries'),
      ]), 'No webhooks yet.'));
    }, (err: unknown) => list.replaceChildren(errorBox(err)));
  };
  load();
};
