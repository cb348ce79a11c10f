// What the session page lets a user do to a live call, over the API's live-control operations:
// end it, hold and resume it, redirect it to another flow (or a step of it), send DTMF; and the
// session's recordings, listed and playable. Each action shows the API's answer or its error
// (ResponseStatus) where it was taken; the timeline below shows what the engine did.
import { api, apiBlob, query, type FlowView, type PageOf } from '../api.js';
import { formatTime, h } from '../dom.js';
import { errorBox, errorText, field, table } from './common.js';

interface RecordingView { id: string; stepId: string; format: string; durationSec: number; dateCreated: string }

const DTMF_KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

export interface LiveControls {
  element: HTMLElement;
  /** Enables the controls while the call is live, disables them once it ended. */
  setLive(live: boolean): void;
}

/** `done` runs after each action the API accepted (the page loads the session again). */
export function liveControls(sessionId: string, done: () => void): LiveControls {
  const base = `/sessions/${encodeURIComponent(sessionId)}`;
  const result = h('div', { 'aria-live': 'polite', 'data-testid': 'control-result' });
  const buttons: HTMLButtonElement[] = [];
  const act = (what: string, method: string, path: string, body?: unknown): void => {
    result.replaceChildren(h('p', { class: 'muted' }, `${what}…`));
    void api<unknown>(method, path, body).then(
      () => {
        result.replaceChildren(h('p', { class: 'ok' }, `${what}: done.`));
        done();
      },
      (err: unknown) => result.replaceChildren(h('p', { class: 'error-box', role: 'alert' }, `${what}: ${errorText(err)}`)));
  };
  const button = (text: string, onclick: () => void, attrs: Record<string, string> = {}): HTMLButtonElement => {
    const b = h('button', { type: 'button', onclick, ...attrs }, text);
    buttons.push(b);
    return b;
  };

  const flow = h('select', { id: 'redirect-flow' });
  const step = h('input', { id: 'redirect-step', autocomplete: 'off', placeholder: 'its first step' });
  const redirectButton = h('button', { type: 'submit' }, 'Redirect');
  buttons.push(redirectButton);
  const redirect = h('form', {
    class: 'inline-form',
    onsubmit: (ev: Event) => {
      ev.preventDefault();
      act(`Redirect to ${flow.value}`, 'POST', `${base}/redirect`, { flowId: flow.value, ...(step.value.trim() ? { stepId: step.value.trim() } : {}) });
    },
  }, field('Redirect to flow', flow), field('At step', step, 'optional'), redirectButton);
  void api<PageOf<FlowView>>('GET', `/flows${query({ countPerPage: 100 })}`).then((res) => {
    flow.replaceChildren(...res.items.map((f) => h('option', { value: f.id }, `${f.name} (${f.id})`)));
  }, (err: unknown) => result.replaceChildren(errorBox(err)));

  const element = h('section', { 'aria-labelledby': 'controls-h', class: 'live-controls' },
    h('h2', { id: 'controls-h' }, 'Control the call'),
    h('div', { class: 'actions' },
      button('End call', () => act('End call', 'DELETE', base), { class: 'danger' }), ' ',
      button('Hold', () => act('Hold', 'POST', `${base}/hold`, { hold: true })), ' ',
      button('Resume', () => act('Resume', 'POST', `${base}/hold`, { hold: false }))),
    redirect,
    h('div', { role: 'group', 'aria-label': 'Send DTMF', class: 'keypad' },
      DTMF_KEYS.map((k) => button(k, () => act(`Send DTMF ${k}`, 'POST', `${base}/dtmf`, { digits: k }), { 'aria-label': `Send DTMF ${k}` }))),
    result);
  return {
    element,
    setLive(live) {
      for (const b of buttons) b.disabled = !live;
    },
  };
}

/** The session's recordings, each with a player (the file fetched with the token, played from a blob). */
export function recordingsPanel(sessionId: string): { element: HTMLElement; refresh(): void } {
  const body = h('div', {});
  const element = h('section', { 'aria-labelledby': 'recordings-h' }, h('h2', { id: 'recordings-h' }, 'Recordings'), body);
  const play = (r: RecordingView, slot: HTMLElement): void => {
    slot.replaceChildren(h('span', { class: 'muted' }, 'Loading…'));
    void apiBlob('GET', `/recordings/${encodeURIComponent(r.id)}/file`).then((blob) => {
      const audio = h('audio', { controls: true, 'aria-label': `Recording ${r.id}`, 'data-testid': 'recording-audio' });
      audio.src = URL.createObjectURL(blob);
      slot.replaceChildren(audio);
      void audio.play().catch(() => undefined);
    }, (err: unknown) => slot.replaceChildren(errorBox(err)));
  };
  let shown = '';
  const refresh = (): void => {
    void api<{ items: RecordingView[] }>('GET', `/sessions/${encodeURIComponent(sessionId)}/recordings`).then((res) => {
      const key = res.items.map((r) => r.id).join();
      if (key === shown) return;
      shown = key;
      body.replaceChildren(table('Recordings of this session', ['Recording', 'Step', 'Length', 'Made', 'Listen'], res.items.map((r) => {
        const slot = h('span', {});
        slot.append(h('button', { type: 'button', class: 'small', onclick: () => play(r, slot) }, `Play ${r.id}`));
        return [r.id, r.stepId, `${r.durationSec} s`, formatTime(r.dateCreated), slot];
      }), 'No recordings.'));
    }, (err: unknown) => body.replaceChildren(errorBox(err)));
  };
  return { element, refresh };
}
