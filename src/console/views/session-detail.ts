// One session: its facts, its controls while it is live (session-controls.ts), its legs (when
// GetSession has them), its variables, its timeline as a readable sequence, its webhook deliveries
// and its recordings; followed live until it ends.
import { FINAL_STATES } from '../../domain/model.js';
import type { LegView, SessionDetail, WebhookDeliveryView } from '../api.js';
import { formatDuration, formatTime, h, link } from '../dom.js';
import { watchSession } from '../session-feed.js';
import { describeEntry } from '../timeline-text.js';
import { errorBox, feedNote, stateBadge, table, type View } from './common.js';
import { liveControls, recordingsPanel } from './session-controls.js';

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

function legs(list: LegView[]): HTMLElement {
  return table('The call\'s legs', ['Role', 'Number', 'Endpoint', 'State', 'Created', 'Answered', 'Ended', 'Cause', 'Channel'],
    list.map((l) => [l.role, l.number, l.endpoint, stateBadge(l.state), formatTime(l.dateCreated), l.dateAnswered ? formatTime(l.dateAnswered) : '—',
      l.dateEnded ? formatTime(l.dateEnded) : '—', l.cause === null ? '—' : `${l.cause}${l.causeTxt ? ` ${l.causeTxt}` : ''}`, l.channelId]),
    'No legs.');
}

/** How many attempts, and what the last one got. */
function attemptsText(attempts: WebhookDeliveryView['attempts']): string {
  const last = attempts.at(-1);
  if (!last) return '0';
  return `${attempts.length} (last: ${last.error ?? String(last.statusCode)}, ${last.durationMs} ms)`;
}

function deliveries(list: WebhookDeliveryView[]): HTMLElement {
  return table('Webhook deliveries of this session\'s events', ['Event', 'Destination', 'Status', 'Attempts', 'Next attempt or finished'],
    list.map((d) => [`${d.type} #${d.sequence}`, d.url, stateBadge(d.status), attemptsText(d.attempts),
      d.dateFinished ? formatTime(d.dateFinished) : d.nextAttemptAt ? formatTime(d.nextAttemptAt) : '—']),
    'No webhook deliveries (no statusCallback, no subscription).');
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
  const notice = h('p', { class: 'notice', role: 'status' });
  const body = h('div', {});
  // Some actions' timeline rows make no event on the stream: the page asks for the session again.
  let refresh = (): void => undefined;
  const controls = liveControls(id, () => refresh());
  const recordings = recordingsPanel(id);
  main.replaceChildren(heading, live, notice, controls.element, body, recordings.element);
  let how = 'updating';
  let recordingsSeen = -1;
  const watch = watchSession(id, {
    onUpdate: (s) => {
      const final = FINAL_STATES.includes(s.state as never);
      heading.textContent = `Call to ${s.numberToDial}`;
      live.replaceChildren(stateBadge(s.state), final ? ' ended' : ` (${how})`);
      live.dataset.state = s.state;
      controls.setLive(!final);
      // The list is asked again only when the timeline says a recording finished.
      const finished = s.timeline.filter((e) => e.type === 'recording.finished').length;
      if (finished !== recordingsSeen) {
        recordingsSeen = finished;
        recordings.refresh();
      }
      const vars = Object.entries(s.variables);
      body.replaceChildren(
        facts(s),
        ...(s.legs ? [h('h2', {}, 'Legs'), legs(s.legs)] : []),
        h('h2', {}, 'Variables'),
        table('Session variables', ['Name', 'Value'], vars.map(([k, v]) => [k, v]), 'No variables set.'),
        h('h2', {}, `Timeline (${s.timeline.length} events)`),
        timeline(s),
        ...(s.webhookDeliveries ? [h('h2', {}, 'Webhook deliveries'), deliveries(s.webhookDeliveries)] : []));
    },
    onError: (err) => body.replaceChildren(errorBox(err)),
    onMode: (mode) => {
      how = feedNote(mode);
      notice.replaceChildren(...(mode.kind === 'stream' ? [] : [how]));
    },
  });
  refresh = watch.refresh;
  return watch;
};
