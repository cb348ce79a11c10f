// Place a call (POST /sessions/outgoing) and go watch it.
import { api, query, type FlowView, type PageOf, type PhoneNumberView, type SessionSummary } from '../api.js';
import { h } from '../dom.js';
import { errorBox, field, type View } from './common.js';

export const placeCallView: View = (main) => {
  const flow = h('select', { name: 'flowId', required: true });
  const number = h('input', { name: 'numberToDial', required: true, inputmode: 'tel', autocomplete: 'off', placeholder: '+18144043093', pattern: '\\+[1-9][0-9]{6,14}' });
  const callerId = h('select', { name: 'callerId' }, h('option', { value: '' }, 'the account\'s default'));
  const status = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, 'Call');
  const form = h('form', {
    class: 'card narrow',
    onsubmit: (ev: Event) => {
      ev.preventDefault();
      submit.disabled = true;
      const body: Record<string, string> = { flowId: flow.value, numberToDial: number.value.trim() };
      if (callerId.value) body.callerId = callerId.value;
      void api<SessionSummary>('POST', '/sessions/outgoing', body).then((s) => {
        location.hash = `#/sessions/${encodeURIComponent(s.id)}`;
      }, (err: unknown) => {
        submit.disabled = false;
        status.replaceChildren(errorBox(err));
      });
    },
  },
  h('h1', {}, 'Place a call'),
  field('Flow', flow), field('Number to dial', number, 'E.164, e.g. +18144043093 (the demo callee presses 1)'), field('Caller ID', callerId),
  submit, status);
  main.replaceChildren(form);

  void Promise.all([
    api<PageOf<FlowView>>('GET', `/flows${query({ countPerPage: 100 })}`),
    api<PageOf<PhoneNumberView>>('GET', `/phone-numbers${query({ countPerPage: 100 })}`),
  ]).then(([flows, numbers]) => {
    flow.replaceChildren(...flows.items.map((f) => h('option', { value: f.id }, `${f.name} (${f.id})`)));
    callerId.append(...numbers.items.filter((n) => n.enabled).map((n) => h('option', { value: n.number }, `${n.number} ${n.name}`)));
    flow.focus();
  }, (err: unknown) => status.replaceChildren(errorBox(err)));
};
