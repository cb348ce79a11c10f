// The versions of a flow (GetFlow?version=n: every save is a version the store keeps), the
// difference between two of them (editor/flow-diff.ts), and an old one restored as a new version
// (PatchFlow with its document). Each version shows who saved it (the token's subject) and when.
import { api, type FlowView } from '../api.js';
import { formatTime, h } from '../dom.js';
import { diffFlows, type FlowDiff } from '../editor/flow-diff.js';
import { errorBox, field, table } from './common.js';

/** Versions listed at most (the newest). */
const SHOWN = 20;

const show = (v: unknown): string => (v === undefined ? '(absent)' : JSON.stringify(v));

function diffView(d: FlowDiff, from: number, to: number): HTMLElement {
  const items = [
    ...(d.name ? [`name: ${show(d.name.from)} → ${show(d.name.to)}`] : []),
    ...(d.start ? [`start step: ${d.start.from ?? '(none)'} → ${d.start.to ?? '(none)'}`] : []),
    ...d.added.map((id) => `step ${id} added`),
    ...d.removed.map((id) => `step ${id} removed`),
    ...d.changed.map((c) => `step ${c.step}: ${c.field} ${show(c.from)} → ${show(c.to)}`),
  ];
  return h('div', { 'data-testid': 'version-diff' }, h('h3', {}, `From version ${from} to version ${to}`),
    items.length > 0 ? h('ul', {}, items.map((t) => h('li', {}, t))) : h('p', {}, 'No difference.'));
}

export interface VersionsPanel {
  element: HTMLElement;
  /** Lists the versions up to `latest` (after a load or a save). */
  load(flowId: string, latest: number): void;
}

export function versionsPanel(onRestored: (f: FlowView) => void): VersionsPanel {
  const list = h('div', {});
  const output = h('div', { 'aria-live': 'polite' });
  const from = h('select', { id: 'diff-from' });
  const to = h('select', { id: 'diff-to' });
  let flowId = '';
  const docs = new Map<number, FlowView>();
  const compare = h('form', {
    class: 'inline-form',
    onsubmit: (ev: Event) => {
      ev.preventDefault();
      const a = docs.get(Number(from.value));
      const b = docs.get(Number(to.value));
      if (a && b) output.replaceChildren(diffView(diffFlows(a.document, b.document), a.version, b.version));
    },
  }, field('Compare version', from), field('with version', to), h('button', { type: 'submit' }, 'Show the difference'));
  const element = h('section', { 'aria-labelledby': 'versions-h' }, h('h2', { id: 'versions-h' }, 'Versions'), list, compare, output);

  const load = (id: string, latest: number): void => {
    flowId = id;
    docs.clear();
    const versions = Array.from({ length: Math.min(SHOWN, latest) }, (_, i) => latest - i);
    void Promise.all(versions.map((v) => api<FlowView>('GET', `/flows/${encodeURIComponent(id)}?version=${v}`))).then((flows) => {
      for (const f of flows) docs.set(f.version, f);
      const options = (selected: number): HTMLOptionElement[] => flows.map((f) => h('option', { value: String(f.version), selected: f.version === selected }, `version ${f.version}`));
      from.replaceChildren(...options(flows[1]?.version ?? latest));
      to.replaceChildren(...options(latest));
      list.replaceChildren(table('Versions, newest first', ['Version', 'Name', 'Steps', 'Saved', 'Saved by', ''], flows.map((f) => [
        f.version, f.name, f.document.steps.length, formatTime(f.dateModified), f.createdBy ?? h('span', { class: 'muted' }, 'unknown'),
        f.version === latest ? h('span', { class: 'tag' }, 'current') : h('button', {
          type: 'button', class: 'small', 'aria-label': `Restore version ${f.version} as a new version`,
          onclick: () => {
            void api<FlowView>('PUT', `/flows/${encodeURIComponent(flowId)}`, f.document).then((saved) => {
              output.replaceChildren(h('p', { class: 'ok' }, `Version ${f.version} restored as version ${saved.version}.`));
              onRestored(saved);
              load(flowId, saved.version);
            }, (err: unknown) => output.replaceChildren(errorBox(err)));
          },
        }, 'Restore'),
      ]), 'No versions.'));
    }, (err: unknown) => list.replaceChildren(errorBox(err)));
  };
  return { element, load };
}
