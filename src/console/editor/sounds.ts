// The sounds the engine's Asterisk knows (GET /sounds), offered in the media fields of step forms:
// one shared <datalist> refilled with the API's matches for what the user types (searched by the
// server, a list of thousands never sent whole), each answer kept for the page's life. Any other
// text can still be typed: the list only suggests.
import { api, query, type PageOf } from '../api.js';
import { h } from '../dom.js';
import { errorText } from '../views/common.js';

export const SOUNDS_LIST_ID = 'engine-sounds';
/** Suggestions shown at once. */
const SHOWN = 50;
const DEBOUNCE_MS = 200;
/** Answers kept (one per term typed); beyond, the oldest goes. */
const KEPT = 200;

export interface SoundView { id: string; text?: string; languages: string[]; formats: string[] }

const answers = new Map<string, Promise<PageOf<SoundView>>>();

function search(term: string): Promise<PageOf<SoundView>> {
  let answer = answers.get(term);
  if (!answer) {
    answer = api<PageOf<SoundView>>('GET', `/sounds${query({ search: term, countPerPage: SHOWN, simplifiedPaging: 'true' })}`);
    // A failure is not kept: the next keystroke asks again.
    answer.catch(() => answers.delete(term));
    if (answers.size >= KEPT) answers.delete(answers.keys().next().value!);
    answers.set(term, answer);
  }
  return answer;
}

/** What to search for in a media box's value: the name after `sound:`, nothing for other schemes or URLs. */
export function soundTerm(value: string): string | undefined {
  const v = value.trim();
  if (/^https?:/i.test(v) || /^sound:https?:/i.test(v)) return undefined;
  if (v.startsWith('sound:')) return v.slice('sound:'.length);
  return v.includes(':') ? undefined : v;
}

export interface SoundSuggestions {
  /** The shared datalist (once per form) and the line saying why there is no list, if so. */
  element: HTMLElement;
  /** Suggests sounds for this media box as the user types or focuses it. */
  attach(input: HTMLInputElement): void;
}

export function soundSuggestions(): SoundSuggestions {
  const list = h('datalist', { id: SOUNDS_LIST_ID });
  const note = h('p', { class: 'muted', role: 'status', 'data-testid': 'sounds-status' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let latest = 0;
  const refill = (input: HTMLInputElement): void => {
    const term = soundTerm(input.value);
    if (term === undefined) return;
    const ticket = ++latest;
    search(term).then((page) => {
      if (ticket !== latest) return;
      list.replaceChildren(...page.items.map((s) => h('option', { value: `sound:${s.id}` }, s.text ?? s.languages.join(', '))));
      note.textContent = page.items.length === 0 && term ? `No sound of Asterisk matches "${term}" (any name can still be typed).` : '';
    }, (err: unknown) => {
      if (ticket !== latest) return;
      note.textContent = `The sound list is unavailable (${errorText(err)}); type a sound name.`;
    });
  };
  return {
    element: h('div', {}, list, note),
    attach(input) {
      input.setAttribute('list', SOUNDS_LIST_ID);
      input.addEventListener('focus', () => refill(input));
      input.addEventListener('input', () => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => refill(input), DEBOUNCE_MS);
      });
    },
  };
}
