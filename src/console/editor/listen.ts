// "Listen" beside a field text to speech speaks (a definition field marked `speech`): the engine
// synthesizes the text with the step's voice and language (POST /speech/preview, the TTS and
// cache a call uses) and the page plays the WAV from a blob URL (the CSP allows media-src blob:;
// the token never goes into a URL).
import { apiBlob } from '../api.js';
import { h } from '../dom.js';
import { errorBox } from '../views/common.js';

export function listenButton(id: string, label: string, step: () => Record<string, unknown>, field: string): HTMLElement {
  const player = h('audio', { controls: true, id: `${id}-audio`, 'aria-label': `Preview of ${label}`, hidden: true });
  const output = h('div', { 'aria-live': 'polite' });
  let url: string | undefined;
  const button = h('button', {
    type: 'button', class: 'small', id, 'aria-label': `Listen to ${label}`,
    onclick: () => {
      const s = step();
      const body: Record<string, unknown> = { text: typeof s[field] === 'string' ? s[field] : '' };
      for (const k of ['voice', 'language']) if (typeof s[k] === 'string' && s[k] !== '') body[k] = s[k];
      button.disabled = true;
      output.replaceChildren(h('p', { class: 'muted' }, 'Synthesizing…'));
      apiBlob('POST', '/speech/preview', body).then((blob) => {
        if (url) URL.revokeObjectURL(url);
        url = URL.createObjectURL(blob);
        player.src = url;
        player.hidden = false;
        output.replaceChildren();
        // Autoplay may be refused (no user gesture left); the controls still play it.
        player.play().catch(() => undefined);
      }, (err: unknown) => output.replaceChildren(errorBox(err))).finally(() => { button.disabled = false; });
    },
  }, 'Listen');
  return h('div', { class: 'listen' }, button, player, output);
}
