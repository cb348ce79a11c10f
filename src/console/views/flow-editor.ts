// One flow in the editor: the drawing (editor/canvas.ts), the selected step's form
// (editor/step-form.ts) and the JSON text are three views of one document (editor/model.ts): a
// change in any of them shows in the others at once, is checked by the domain's own validator
// (the module the API runs) with its errors pinned on the steps and fields, and can be undone.
// Saving stores a new version (listed, compared and restored in flow-versions.ts); #/flows/new
// starts from an empty flow and creates it on save.
import type { FieldError } from '../../domain/errors.js';
import { validateFlowDocument } from '../../domain/flow-validation.js';
import { api, ApiError, type FlowView } from '../api.js';
import { h } from '../dom.js';
import { layoutFlow } from '../flow-layout.js';
import { flowCanvas } from '../editor/canvas.js';
import { FlowModel } from '../editor/model.js';
import { stepForm, type StepFormHandle } from '../editor/step-form.js';
import { renderGraph } from './flow-graph.js';
import { simulatePanel } from './flow-simulate.js';
import { versionsPanel } from './flow-versions.js';
import { callMePanel } from './call-me.js';
import { errorBox, type View } from './common.js';

const NEW = 'new';

export const flowView: View = (main, [routeId = '']) => {
  let flowId = routeId === NEW ? '' : routeId;
  const model = new FlowModel(routeId === NEW ? { name: 'New flow', steps: [] } : { steps: [] });
  const heading = h('h1', {}, flowId ? `Flow ${flowId}` : 'New flow');
  const canvas = flowCanvas(model);
  const formBox = h('aside', { class: 'step-form-box', 'aria-label': 'Selected step' });
  const general = h('div', { 'data-testid': 'general-errors' });
  const editor = h('textarea', { id: 'flow-json', rows: 18, spellcheck: 'false', autocomplete: 'off', 'aria-describedby': 'flow-json-status' });
  const status = h('div', { id: 'flow-json-status', 'aria-live': 'polite', 'data-testid': 'validation-status' });
  const save = h('button', { type: 'submit', disabled: true }, 'Save as a new version');
  const overview = h('div', {});
  /** The JSON as last loaded or saved: while it is unchanged, the saved flow is simulated. */
  let savedText = '';
  let form: StepFormHandle | undefined;
  let errors: FieldError[] = [];

  const showErrors = (list: FieldError[]): void => {
    status.replaceChildren(list.length === 0
      ? h('p', { class: 'ok' }, 'Valid flow.')
      : h('div', { class: 'error-box', role: 'alert' }, h('p', {}, `${list.length} validation error${list.length > 1 ? 's' : ''}:`),
        h('ul', {}, list.map((e) => h('li', {}, h('code', {}, e.fieldName), ` ${e.errorCode}: ${e.message}`)))));
    const notOfAStep = list.filter((e) => !/^steps\[\d+\]/.test(e.fieldName));
    general.replaceChildren(notOfAStep.length > 0 ? h('ul', { class: 'errors', role: 'alert' }, notOfAStep.map((e) => h('li', {}, `${e.fieldName}: ${e.message}`))) : '');
  };
  const validate = (): void => {
    const result = validateFlowDocument(model.doc);
    errors = result.ok ? [] : result.errors;
    save.disabled = !result.ok;
    showErrors(errors);
  };
  const renderForm = (): void => {
    const i = model.selected;
    // The control that had the focus keeps it in the new form (a keyboard user stays in place).
    const focused = formBox.contains(document.activeElement) ? document.activeElement?.id : undefined;
    form = i !== undefined && model.doc.steps[i] ? stepForm(model, i, errors) : undefined;
    formBox.replaceChildren(form?.element ?? h('p', { class: 'muted' }, 'Select a step (click it, or focus it and press Enter) to edit its fields.'));
    if (focused) document.getElementById(focused)?.focus();
  };
  const renderOverview = (): void => {
    const name = typeof model.doc.name === 'string' && model.doc.name ? model.doc.name : flowId;
    overview.replaceChildren(renderGraph(layoutFlow(model.doc.steps, errors), name));
  };

  model.onChange((source) => {
    validate();
    if (source !== 'json') editor.value = JSON.stringify(model.doc, null, 2);
    canvas.draw(errors);
    if (source === 'form') form?.showErrors(errors);
    else renderForm();
    renderOverview();
  });
  editor.addEventListener('input', () => {
    let doc: unknown;
    try {
      doc = JSON.parse(editor.value);
    } catch (err) {
      save.disabled = true;
      status.replaceChildren(h('p', { class: 'error-box', role: 'alert' }, `Not JSON: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    model.change('json', (d) => {
      for (const k of Object.keys(d)) delete d[k];
      Object.assign(d, doc, { steps: Array.isArray((doc as { steps?: unknown })?.steps) ? (doc as { steps: unknown[] }).steps : [] });
    }, 'json');
  });

  const saved = (f: FlowView): void => {
    heading.textContent = `${f.name} (version ${f.version})`;
    savedText = editor.value;
    versions.load(f.id, f.version);
  };
  const versions = versionsPanel((f) => {
    // The restored version is now the current one: the editor shows it, its drawing kept where it was.
    model.load(f.document, model.positions);
    saved(f);
    save.disabled = true;
  });
  const form_ = h('form', {
    class: 'editor',
    onsubmit: (ev: Event) => {
      ev.preventDefault();
      const body = JSON.parse(editor.value) as unknown;
      const request = flowId ? api<FlowView>('PUT', `/flows/${encodeURIComponent(flowId)}`, body) : api<FlowView>('POST', '/flows', body);
      void request.then((f) => {
        if (!flowId) {
          flowId = f.id;
          // The editor stays (with its drawing and history); the address names the new flow.
          history.replaceState(null, '', `#/flows/${encodeURIComponent(f.id)}`);
        }
        saved(f);
        status.replaceChildren(h('p', { class: 'ok', 'data-testid': 'saved' }, `Saved as version ${f.version}.`));
      }, (err: unknown) => {
        if (err instanceof ApiError && err.fieldErrors.length > 0) {
          showErrors(err.fieldErrors);
          canvas.draw(err.fieldErrors);
        } else status.replaceChildren(errorBox(err));
      });
    },
  },
  h('h2', {}, h('label', { for: 'flow-json' }, 'Document (JSON)')),
  h('p', { class: 'muted' }, 'The same document as the drawing: edit either, the other follows. It is checked as you type by the validation the API applies.'),
  editor, status, save);

  const simulate = simulatePanel({
    get flowId() { return flowId; },
    get edited() { return !flowId || editor.value !== savedText; },
    document: () => JSON.parse(editor.value),
  }, main);

  const callMe = callMePanel({
    get flowId() { return flowId; },
    get edited() { return editor.value !== savedText; },
  });

  const shell = h('section', { class: 'flow-editor', 'aria-label': 'Flow editor' },
    canvas.element, formBox);
  shell.addEventListener('keydown', (ev) => {
    if (!(ev.ctrlKey || ev.metaKey) || (ev.target as Element).closest('input, textarea')) return;
    const key = ev.key.toLowerCase();
    if (key === 'z' && !ev.shiftKey) model.undo();
    else if (key === 'y' || (key === 'z' && ev.shiftKey)) model.redo();
    else return;
    ev.preventDefault();
  });
  main.replaceChildren(heading, general, shell, form_,
    h('details', { class: 'overview' }, h('summary', {}, 'Overview (read-only graph) and the steps as text'), overview),
    simulate, callMe, versions.element);
  if (!flowId) {
    model.load(model.doc, {});
    savedText = '';
    return;
  }
  void api<FlowView>('GET', `/flows/${encodeURIComponent(flowId)}`).then((f) => {
    model.load(f.document, {});
    saved(f);
    save.disabled = true;
  }, (err: unknown) => shell.replaceChildren(errorBox(err)));
};
