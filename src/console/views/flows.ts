// The flows of the account (and a new one), and one flow in the editor (views/flow-editor.ts).
import { api, query, type FlowView, type PageOf } from '../api.js';
import { formatTime, h, link } from '../dom.js';
import { errorBox, table, type View } from './common.js';

export const flowsView: View = (main) => {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  main.replaceChildren(h('h1', {}, 'Flows'), h('p', {}, link(['flows', 'new'], 'New flow', { class: 'button-link' })), body);
  void api<PageOf<FlowView>>('GET', `/flows${query({ countPerPage: 100 })}`).then((res) => {
    body.replaceChildren(table('Flows of the account', ['Name', 'Id', 'Version', 'Steps', 'Modified'],
      res.items.map((f) => [link(['flows', f.id], f.name), f.id, f.version, stepsOf(f.document).length, formatTime(f.dateModified)]),
      'No flows yet.'));
  }, (err: unknown) => body.replaceChildren(errorBox(err)));
};

function stepsOf(doc: unknown): unknown[] {
  const steps = typeof doc === 'object' && doc !== null ? (doc as { steps?: unknown }).steps : undefined;
  return Array.isArray(steps) ? steps : [];
}

