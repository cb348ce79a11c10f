// The account's phone numbers and lab extensions: listed, added and edited (name, enabled, the
// flow an inbound call runs). Both have the same shape in the API, so one view serves both.
import { api, query, type FlowView, type PageOf } from '../api.js';
import { h } from '../dom.js';
import { errorBox, field, table, type View } from './common.js';

interface Routed { id: string; number: string; name: string; enabled: boolean; inboundFlowId: string | null }

interface Kind { path: string; title: string; one: string; placeholder: string; hint: string }

const KINDS: Record<'numbers' | 'extensions', Kind> = {
  numbers: { path: '/phone-numbers', title: 'Phone numbers', one: 'number', placeholder: '+12125550123', hint: 'E.164, not used by another account' },
  extensions: { path: '/extensions', title: 'Extensions', one: 'extension', placeholder: '8001', hint: '2 to 8 digits (the lab dialplan sends 8000-8999 to the engine)' },
};

function flowSelect(flows: FlowView[], current: string | null, attrs: Record<string, string>): HTMLSelectElement {
  return h('select', attrs, h('option', { value: '' }, '(none: calls are refused)'),
    flows.map((f) => h('option', { value: f.id, selected: f.id === current }, `${f.name} (${f.id})`)));
}

function routedView(kind: Kind): View {
  return (main) => {
    const status = h('div', { 'aria-live': 'polite' });
    const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
    const number = h('input', { id: `new-${kind.one}`, required: true, autocomplete: 'off', placeholder: kind.placeholder });
    const name = h('input', { id: `new-${kind.one}-name`, autocomplete: 'off' });
    const addForm = h('form', { class: 'inline-form card' }, h('h2', {}, `Add a ${kind.one}`));
    main.replaceChildren(h('h1', {}, kind.title), list, addForm, status);
    let flows: FlowView[] = [];

    const load = (): void => {
      void api<PageOf<Routed>>('GET', `${kind.path}${query({ countPerPage: 100 })}`).then((res) => {
        list.replaceChildren(table(`${kind.title} of the account`, [kind.one, 'Name', 'Enabled', 'Inbound flow', ''], res.items.map((r) => {
          const label = `${kind.one} ${r.number}`;
          const rowName = h('input', { value: r.name, 'aria-label': `Name of ${label}`, size: 14 });
          const enabled = h('input', { type: 'checkbox', checked: r.enabled, 'aria-label': `${label} enabled` });
          const flow = flowSelect(flows, r.inboundFlowId, { 'aria-label': `Inbound flow of ${label}` });
          const save = h('button', {
            type: 'button', class: 'small', 'aria-label': `Save ${label}`,
            onclick: () => {
              void api<Routed>('PATCH', `${kind.path}/${encodeURIComponent(r.id)}`, { name: rowName.value, enabled: enabled.checked, inboundFlowId: flow.value || null })
                .then(() => { status.replaceChildren(h('p', { class: 'ok' }, `Saved ${label}.`)); load(); }, (err: unknown) => status.replaceChildren(errorBox(err)));
            },
          }, 'Save');
          return [r.number, rowName, enabled, flow, save];
        }), `No ${kind.title.toLowerCase()} yet.`));
      }, (err: unknown) => list.replaceChildren(errorBox(err)));
    };

    void api<PageOf<FlowView>>('GET', `/flows${query({ countPerPage: 100 })}`).then((res) => {
      flows = res.items;
      const flow = flowSelect(flows, null, { id: `new-${kind.one}-flow` });
      addForm.append(field(kind.title.replace(/s$/, ''), number, kind.hint), field('Name', name), field('Inbound flow', flow),
        h('button', { type: 'submit' }, `Add ${kind.one}`));
      addForm.addEventListener('submit', (ev) => {
        ev.preventDefault();
        void api<Routed>('POST', kind.path, { number: number.value.trim(), name: name.value, ...(flow.value ? { inboundFlowId: flow.value } : {}) }).then((r) => {
          status.replaceChildren(h('p', { class: 'ok' }, `Added ${kind.one} ${r.number}.`));
          number.value = '';
          name.value = '';
          load();
        }, (err: unknown) => status.replaceChildren(errorBox(err)));
      });
      load();
    }, (err: unknown) => list.replaceChildren(errorBox(err)));
  };
}

export const numbersView = routedView(KINDS.numbers);
export const extensionsView = routedView(KINDS.extensions);
