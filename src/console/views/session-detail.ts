// One session: its facts, its timeline as a readable sequence, its variables; followed live until
// it ends.
import { FINAL_STATES } from '../../domain/model.js';
import type { SessionDetail } from '../api.js';
import { formatDuration, formatTime, h, link } from '../dom.js';
import { watchSession } from '../session-feed.js';
import { describeEntry } from '../timeline-text.js';
import { errorBox, stateBadge, table, type View } from './common.js';

function facts(s: SessionDetail): HTMLElement {
  const rows: Array<[string, string | Node]> = [
    ['State', stateBadge(s.state)],
    ['To', s.numberToDial], ['From', s.callerId],
    ['Flow', link(['flows', s.flowId], `${s.flowId} v${s.flowVersion}`)],
    ['Created', formatTime(s.dateCreated)],
  ];
  if (s.dateAnswered) rows.push(['Answered', formatTime(s.dateAnswered)]);
  if (s.dateEnded) rows.push(['Ended', formatTime(s.dateEnded)]);
  if (s.dateAnswered) rows.push(['Talk time', formatDuration(Date.parse(s.dateEnded ?? new Date().toISOString()) - Date.parse(s.dateAnswered))]);
  if (s.endReason) rows.push(['End reason', s.endReason]);
  rows.push(['Endpoint', s.endpoint], ['Channel', s.channelId], ['Session id', s.id]);
  return h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function timeline(s: SessionDetail): HTMLElement {
  const start = Date.parse(s.timeline[0]?.at ?? s.dateCreated);
  return h('ol', { class: 'timeline' }, s.timeline.map((e) => {
    const { kind, text } = describeEntry(e);
    const offset = ((Date.parse(e.at) - start) / 1000).toFixed(2);
    return h('li', { class: `entry entry-${kind}`, 'data-type': e.type },
      h('time', { datetime: e.at, title: formatTime(e.at) }, `+${offset} s`), ' ', h('span', {}, text));
  }));
}

export const sessionView: View = (main, [id = '']) => {
  const heading = h('h1', { tabindex: -1 }, 'Session');
  const live = h('p', { class: 'live-state', 'aria-live': 'polite', 'data-testid': 'session-state' });
  const body = h('div', {});
  main.replaceChildren(heading, live, body);
  return watchSession(id, (s) => {
    const final = FINAL_STATES.includes(s.state as never);
    heading.textContent = `Call to ${s.numberToDial}`;
    live.replaceChildren(stateBadge(s.state), final ? ' ended' : ' (updating)');
    live.dataset.state = s.state;
    const vars = Object.entries(s.variables);
    body.replaceChildren(
      facts(s),
      h('h2', {}, 'Variables'),
      table('Session variables', ['Name', 'Value'], vars.map(([k, v]) => [k, v]), 'No variables set.'),
      h('h2', {}, `Timeline (${s.timeline.length} events)`),
      timeline(s));
  }, (err) => body.replaceChildren(errorBox(err)));
};
