// "Call me": places a real call (POST /sessions/outgoing) with the flow as saved to a number the
// user types, and links to the session's page to watch it. An unsaved drawing is not what would
// run, so the panel asks for a save first.
import { api, type SessionSummary } from '../api.js';
import { h, link } from '../dom.js';
import { errorBox, field } from './common.js';

export interface CallTarget { flowId: string; edited: boolean }

export function callMePanel(target: CallTarget): HTMLElement {
  const number = h('input', { id: 'call-me-number', inputmode: 'tel', autocomplete: 'tel', placeholder: '+18144043093', required: true });
  const output = h('div', { 'aria-live': 'polite', 'data-testid': 'call-me-result' });
  const form = h('form', {
    class: 'inline-form',
    onsubmit: (ev: Event) => {
      ev.preventDefault();
      if (!target.flowId || target.edited) {
        output.replaceChildren(h('p', { class: 'error-box', role: 'alert' }, 'Save the flow first: a call runs the saved version.'));
        return;
      }
      output.replaceChildren(h('p', { class: 'muted' }, 'Calling…'));
      void api<SessionSummary>('POST', '/sessions/outgoing', { flowId: target.flowId, numberToDial: number.value.trim() }).then((s) => {
        output.replaceChildren(h('p', { class: 'ok' }, 'Calling ', s.numberToDial, ': ', link(['sessions', s.id], 'watch the call')));
      }, (err: unknown) => output.replaceChildren(errorBox(err)));
    },
  }, field('Your number', number, 'E.164; the call runs the saved version of this flow'), h('button', { type: 'submit' }, 'Call me'));
  return h('section', { 'aria-labelledby': 'call-me-h' }, h('h2', { id: 'call-me-h' }, 'Call me'), form, output);
}
