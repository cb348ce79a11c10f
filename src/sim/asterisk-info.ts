// /asterisk (info, ping, global variables) and /sounds.
import { arch, release } from 'node:os';
import { ariTimestamp } from './ari-format.js';
import { fail, type Reply, Args } from './rest.js';
import { ENTITY_ID } from './entities.js';
import type { SimAsterisk } from './asterisk.js';

export function info(sim: SimAsterisk, args: Args): Reply {
  const all: Record<string, unknown> = {
    build: { os: 'Linux', kernel: release(), machine: arch() === 'x64' ? 'x86_64' : arch(), options: 'OPTIONAL_API', date: sim.startupTime.slice(0, 10), user: 'root' },
    system: { version: '22.10.1', entity_id: ENTITY_ID },
    config: { name: '', default_language: 'en', setid: { user: '', group: '' } },
    status: { startup_time: sim.startupTime, last_reload_time: sim.startupTime },
  };
  const only = args.list('only');
  if (only.length === 0) return { status: 200, body: all };
  const body: Record<string, unknown> = {};
  for (const key of only) if (key in all) body[key] = all[key];
  return { status: 200, body };
}

export function ping(sim: SimAsterisk): Reply {
  return { status: 200, body: { ping: 'pong', timestamp: ariTimestamp(), asterisk_id: ENTITY_ID } };
}

export function getGlobal(sim: SimAsterisk, args: Args): Reply {
  const variable = args.str('variable');
  if (!variable) fail(400, 'Variable name is required');
  const value = sim.globals.get(variable as string);
  if (value === undefined) fail(404, 'Provided variable was not found');
  return { status: 200, body: { value } };
}

export function setGlobal(sim: SimAsterisk, args: Args): Reply {
  const variable = args.str('variable');
  if (!variable) fail(400, 'Variable name is required');
  sim.globals.set(variable as string, args.str('value') ?? '');
  return { status: 204 };
}

/** The languages and formats every simulated sound exists in (hello-world's, trace asterisk-info). */
const SOUND_FORMATS: ReadonlyArray<{ language: string; format: string }> = [
  { language: 'en_US_f_Allison', format: 'gsm' }, { language: 'en_US_f_Allison', format: 'slin' },
  { language: 'en', format: 'gsm' }, { language: 'en', format: 'slin' },
];

/**
 * A Sound as res_ari_sounds builds it: the pairs matching the `lang` and `format` filters (none
 * given: all); undefined when no pair matches, and Asterisk leaves such a sound out of the list.
 * No `text`: Asterisk 22 sends none for the core sounds (trace asterisk-info).
 */
export function soundJson(sim: SimAsterisk, id: string, lang?: string, format?: string): Record<string, unknown> | undefined {
  const formats = SOUND_FORMATS.filter((f) => (!lang || f.language === lang) && (!format || f.format === format));
  return formats.length > 0 ? { id, formats: formats.map((f) => ({ ...f })) } : undefined;
}

export function listSounds(sim: SimAsterisk, args: Args): Reply {
  const lang = args.str('lang');
  const format = args.str('format');
  const ids = Object.keys(sim.sounds).filter((s) => !sim.missing.has(s)).sort();
  return { status: 200, body: ids.map((s) => soundJson(sim, s, lang, format)).filter((s) => s !== undefined) };
}

export function getSound(sim: SimAsterisk, args: Args): Reply {
  const id = args.str('soundId') ?? '';
  if (!(id in sim.sounds) || sim.missing.has(id)) fail(404, 'Sound not found');
  return { status: 200, body: soundJson(sim, id) };
}
