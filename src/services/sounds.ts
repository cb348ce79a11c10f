// The sounds Asterisk can play as `sound:<id>` (ARI GET /sounds through the telephony port), for
// the console's media fields. Any connected Asterisk answers (they share one sounds set); the
// list is kept briefly per language, since a real install has thousands of files and the console
// asks for it on every form it opens.
import { AppError, type FieldError } from '../domain/errors.js';
import type { Page, Sound } from '../domain/model.js';
import { readPage, readString, throwIfAny } from './input.js';
import type { Input } from './input.js';

type SoundList = { ok: true; value: Array<{ id: string; text?: string; formats: Array<{ language: string; format: string }> }> }
  | { ok: false; kind: string; message: string };

/** One Asterisk the list can come from (a TelephonyPort). */
export interface SoundSource {
  isConnected(): boolean;
  listSounds(language?: string): Promise<SoundList>;
}

const LANGUAGE = /^[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{1,8}){0,4}$/;
const SEARCH_MAX = 100;
export const SOUNDS_CACHE_MS = 60_000;
/** Languages kept at once: a client naming many cannot make the engine hold many lists. */
const MAX_CACHED_LANGUAGES = 16;

export class SoundCatalog {
  private cache = new Map<string, { at: number; sounds: Promise<Sound[]> }>();

  constructor(
    /** The Asterisk servers to ask, in order of preference (read per request: servers come and go). */
    private readonly sources: () => readonly SoundSource[],
    private readonly ttlMs = SOUNDS_CACHE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** A page of the sounds whose id or text contains `search` (case-insensitive), in `language` if given. */
  async list(query: Input): Promise<Page<Sound>> {
    const errors: FieldError[] = [];
    const page = readPage(query, errors, ['id']);
    const language = readString(query, 'language', errors, { required: false, maxLength: 40 });
    if (language !== undefined && !LANGUAGE.test(language)) {
      errors.push({ fieldName: 'language', errorCode: 'InvalidValue', message: 'language must be a sound language such as en or en_US_f_Allison' });
    }
    const search = readString(query, 'search', errors, { required: false, maxLength: SEARCH_MAX });
    throwIfAny(errors);
    const needle = search?.toLowerCase();
    const all = await this.sounds(language);
    const matching = needle ? all.filter((s) => s.id.toLowerCase().includes(needle) || (s.text?.toLowerCase().includes(needle) ?? false)) : all;
    const ids = page.ids ? new Set(page.ids) : undefined;
    const items = ids ? matching.filter((s) => ids.has(s.id)) : matching;
    const sorted = page.sort?.descending ? [...items].reverse() : items;
    const start = (page.page - 1) * page.countPerPage;
    const totalPages = Math.ceil(sorted.length / page.countPerPage);
    return { items: sorted.slice(start, start + page.countPerPage), totalCount: sorted.length, totalPages, hasMorePages: page.page < totalPages };
  }

  private sounds(language: string | undefined): Promise<Sound[]> {
    const key = language ?? '';
    const hit = this.cache.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.sounds;
    const sounds = this.fetch(language);
    if (!hit && this.cache.size >= MAX_CACHED_LANGUAGES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { at: this.now(), sounds });
    // A failure is not kept: the next request asks again.
    sounds.catch(() => { if (this.cache.get(key)?.sounds === sounds) this.cache.delete(key); });
    return sounds;
  }

  private async fetch(language: string | undefined): Promise<Sound[]> {
    const sources = [...this.sources()].sort((a, b) => Number(b.isConnected()) - Number(a.isConnected()));
    let reason = 'no Asterisk server is configured';
    for (const source of sources) {
      if (!source.isConnected()) {
        reason = 'not connected to Asterisk (ARI)';
        continue;
      }
      const res = await source.listSounds(language);
      if (res.ok) return res.value.map(toSound).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      reason = `Asterisk did not list its sounds: ${res.message}`;
    }
    throw new AppError('unavailable', 'SoundsUnavailable', `The sound list is unavailable: ${reason}`);
  }
}

function toSound(s: { id: string; text?: string; formats: Array<{ language: string; format: string }> }): Sound {
  return {
    id: s.id, ...(s.text ? { text: s.text } : {}),
    languages: [...new Set(s.formats.map((f) => f.language))].sort(),
    formats: [...new Set(s.formats.map((f) => f.format))].sort(),
  };
}
