// Pieces every view uses: a view's contract, error text, state badges, tables.
import { ApiError } from '../api.js';
import { h, type Child } from '../dom.js';
import { POLL_MS, type FeedMode } from '../session-feed.js';

/** A view renders into `main` and returns what stops its live data when the user leaves. */
export type View = (main: HTMLElement, params: string[]) => (() => void) | void;

export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    const fields = err.fieldErrors.map((f) => `${f.fieldName}: ${f.message}`).join('; ');
    return `${err.message}${fields ? ` (${fields})` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}

export function errorBox(err: unknown): HTMLElement {
  return h('p', { class: 'error-box', role: 'alert' }, errorText(err));
}

export function stateBadge(state: string): HTMLElement {
  return h('span', { class: `badge state-${state.replace(/[^a-z-]/g, '')}` }, state);
}

/**
 * A table that scrolls sideways on a phone instead of overflowing the page; the scrolling box is
 * focusable (and named) so a keyboard can scroll it too.
 */
export function table(caption: string, headers: string[], rows: Child[][], empty: string): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'table-scroll', tabindex: 0, role: 'region', 'aria-label': caption },
    h('table', {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c) => h('td', {}, c)))))));
}

export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  const id = control.id || `f-${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  control.id = id;
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('small', { id: hintId }, hint) : null);
}

/** What the page says about how its live data arrives (see session-feed.ts). */
export function feedNote(mode: FeedMode): string {
  if (mode.kind === 'stream') return 'live';
  if (mode.kind === 'reconnecting') return 'connection lost, reconnecting…';
  return `live updates unavailable (${mode.reason}): refreshing every ${POLL_MS / 1000} s instead`;
}
