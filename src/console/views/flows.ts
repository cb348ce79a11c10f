// The flows of the account, and one flow: its graph, and its document edited as JSON with the
// domain's own validation (the same module the API runs) redrawing the graph and its errors.
import { validateFlowDocument } from '../../domain/flow-validation.js';
import type { FieldError } from '../../domain/errors.js';
import { api, ApiError, query, type FlowView, type PageOf } from '../api.js';
import { formatTime, h, link } from '../dom.js';
import { layoutFlow } from '../flow-layout.js';
import { renderGraph } from './flow-graph.js';
import { errorBox, table, type View } from './common.js';

export const flowsView: View = (main) => {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  main.replaceChildren(h('h1', {}, 'Flows'), body);
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

function nameOf(doc: unknown, fallback: string): string {
  const name = typeof doc === 'object' && doc !== null ? (doc as { name?: unknown }).name : undefined;
  return typeof name === 'string' && name ? name : fallback;
}

export const flowView: View = (main, [id = '']) => {
  const heading = h('h1', {}, `Flow ${id}`);
  const graphBox = h('section', { 'aria-labelledby': 'graph-h' });
  const editor = h('textarea', { id: 'flow-json', rows: 18, spellcheck: 'false', autocomplete: 'off', 'aria-describedby': 'flow-json-status' });
  const status = h('div', { id: 'flow-json-status', 'aria-live': 'polite', 'data-testid': 'validation-status' });
  const save = h('button', { type: 'submit', disabled: true }, 'Save as a new version');

  const draw = (doc: unknown, errors: FieldError[]): void => {
    graphBox.replaceChildren(h('h2', { id: 'graph-h' }, 'Graph'), renderGraph(layoutFlow(stepsOf(doc), errors), nameOf(doc, id)));
  };
  const showErrors = (errors: FieldError[]): void => {
    status.replaceChildren(errors.length === 0
      ? h('p', { class: 'ok' }, 'Valid flow.')
      : h('div', { class: 'error-box', role: 'alert' }, h('p', {}, `${errors.length} validation error${errors.length > 1 ? 's' : ''}:`),
        h('ul', {}, errors.map((e) => h('li', {}, h('code', {}, e.fieldName), ` ${e.errorCode}: ${e.message}`)))));
  };
  const check = (): void => {
    let doc: unknown;
    try {
      doc = JSON.parse(editor.value);
    } catch (err) {
      save.disabled = true;
      status.replaceChildren(h('p', { class: 'error-box', role: 'alert' }, `Not JSON: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    const result = validateFlowDocument(doc);
    const errors = result.ok ? [] : result.errors;
    save.disabled = !result.ok;
    showErrors(errors);
    draw(doc, errors);
  };
  editor.addEventListener('input', check);

  const form = h('form', {
    class: 'editor',
    onsubmit: (ev: Event) => {
      ev.preventDefault();
      void api<FlowView>('PUT', `/flows/${encodeURIComponent(id)}`, JSON.parse(editor.value)).then((saved) => {
        heading.textContent = `${saved.name} (version ${saved.version})`;
        status.replaceChildren(h('p', { class: 'ok' }, `Saved as version ${saved.version}.`));
      }, (err: unknown) => {
        if (err instanceof ApiError && err.fieldErrors.length > 0) showErrors(err.fieldErrors);
        else status.replaceChildren(errorBox(err));
      });
    },
  },
  h('h2', {}, h('label', { for: 'flow-json' }, 'Document (JSON)')),
  h('p', { class: 'muted' }, 'Edit the document: it is checked as you type by the same validation the API applies, and the graph shows the errors.'),
  editor, status, save);

  main.replaceChildren(heading, graphBox, form);
  void api<FlowView>('GET', `/flows/${encodeURIComponent(id)}`).then((f) => {
    heading.textContent = `${f.name} (version ${f.version})`;
    editor.value = JSON.stringify(f.document, null, 2);
    draw(f.document, []);
    save.disabled = true;
  }, (err: unknown) => graphBox.replaceChildren(errorBox(err)));
};
