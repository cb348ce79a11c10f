// Live sessions (updating) and the history with the API's list filters.
import { FINAL_STATES, LIVE_STATES } from '../../domain/model.js';
import { api, query, type PageOf, type SessionSummary } from '../api.js';
import { formatDuration, formatTime, h, link } from '../dom.js';
import { watchLive } from '../session-feed.js';
import { errorBox, field, stateBadge, table, type View } from './common.js';

export const liveView: View = (main) => {
  const body = h('div', { 'aria-live': 'polite', 'aria-busy': 'true' });
  const updated = h('p', { class: 'muted' }, 'Loading…');
  main.replaceChildren(h('h1', {}, 'Live calls'), updated, body, h('p', {}, link(['call'], 'Place a call')));
  return watchLive((sessions) => {
    const now = Date.now();
    body.setAttribute('aria-busy', 'false');
    updated.textContent = `${sessions.length} live · updated ${new Date().toLocaleTimeString()}`;
    body.replaceChildren(table('Calls in progress', ['State', 'To', 'From', 'Flow', 'Duration', 'Current step', ''],
      sessions.map((s) => [
        stateBadge(s.state), s.numberToDial, s.callerId, `${s.flowId} v${s.flowVersion}`,
        formatDuration(now - Date.parse(s.dateAnswered ?? s.dateCreated)), s.currentStep ?? '—',
        link(['sessions', s.id], 'Open', { 'aria-label': `Open the session to ${s.numberToDial}` }),
      ]), 'No live calls right now.'));
  }, (err) => body.replaceChildren(errorBox(err)));
};

export const historyView: View = (main) => {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const state = h('select', { name: 'state' }, h('option', { value: '' }, 'any'), [...LIVE_STATES, ...FINAL_STATES].map((s) => h('option', { value: s, selected: params.get('state') === s }, s)));
  const flowId = h('input', { name: 'flowId', value: params.get('flowId') ?? '', autocomplete: 'off' });
  const number = h('input', { name: 'number', value: params.get('number') ?? '', inputmode: 'tel', autocomplete: 'off' });
  const dateFrom = h('input', { name: 'dateFrom', type: 'date', value: params.get('dateFrom') ?? '' });
  const dateTo = h('input', { name: 'dateTo', type: 'date', value: params.get('dateTo') ?? '' });
  const page = Math.max(1, Number(params.get('page') ?? '1') || 1);
  const results = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));

  const go = (p: number): void => {
    const q = query({ state: state.value, flowId: flowId.value.trim(), number: number.value.trim(), dateFrom: dateFrom.value, dateTo: dateTo.value, page: p > 1 ? p : undefined });
    location.hash = `#/history${q}`;
  };
  const form = h('form', { class: 'filters', onsubmit: (ev: Event) => { ev.preventDefault(); go(1); } },
    field('State', state), field('Flow id', flowId), field('Number', number, 'To or from, E.164'), field('From date', dateFrom), field('To date', dateTo),
    h('button', { type: 'submit' }, 'Filter'));
  main.replaceChildren(h('h1', {}, 'History'), form, results);

  void api<PageOf<SessionSummary>>('GET', `/sessions${query({
    state: params.get('state') ?? undefined, flowId: params.get('flowId') ?? undefined, number: params.get('number') ?? undefined,
    dateFrom: params.get('dateFrom') ?? undefined, dateTo: params.get('dateTo') ?? undefined, page, countPerPage: 25,
  })}`).then((res) => {
    results.replaceChildren(
      table(`Sessions, page ${page} of ${Math.max(1, res.totalPages ?? page)} (${res.totalCount ?? '?'} in all)`, ['Created', 'State', 'To', 'From', 'Flow', ''],
        res.items.map((s) => [formatTime(s.dateCreated), stateBadge(s.state), s.numberToDial, s.callerId, `${s.flowId} v${s.flowVersion}`, link(['sessions', s.id], 'Open', { 'aria-label': `Open the session to ${s.numberToDial} of ${formatTime(s.dateCreated)}` })]),
        'No session matches.'),
      h('nav', { class: 'pager', 'aria-label': 'Pages' },
        page > 1 ? h('button', { type: 'button', onclick: () => go(page - 1) }, 'Previous page') : null,
        res.hasMorePages ? h('button', { type: 'button', onclick: () => go(page + 1) }, 'Next page') : null));
  }, (err: unknown) => results.replaceChildren(errorBox(err)));
};
