// The channel REST operations on live channels (hangup, answer, ring, DTMF, dialplan, variables, get/list).
import { formatCallerIdAll, HANGUP_REASONS, parseCallerId } from './ari-format.js';
import { fail, type Reply, Args } from './rest.js';
import { type Chan } from './entities.js';
import type { SimAsterisk } from './asterisk.js';
import { life, type Lifecycle } from './lifecycle.js';

export function findChan(sim: SimAsterisk, id: string | undefined): Chan {
  const c = id ? sim.channels.get(id) : undefined;
  if (!c || !c.alive) return fail(404, 'Channel not found');
  return c;
}

export function stasisChan(sim: SimAsterisk, id: string | undefined): Chan {
  const c = findChan(sim, id);
  if (!c.inStasis) fail(409, 'Channel not in Stasis application');
  return c;
}

export function hangup(sim: SimAsterisk, args: Args): Reply {
  const c = findChan(sim, args.str('channelId'));
  const reason = args.str('reason');
  const reasonCode = args.str('reason_code');
  if (reason !== undefined && reasonCode !== undefined) fail(400, 'The reason and reason_code can\'t both be specified');
  let cause = 16;
  if (reasonCode !== undefined) {
    const n = Number.parseInt(reasonCode, 10);
    if (Number.isNaN(n)) fail(400, 'Invalid reason for hangup reason_code provided');
    cause = n;
  } else if (reason !== undefined) {
    const mapped = HANGUP_REASONS[reason];
    if (mapped === undefined) fail(400, 'Invalid reason for hangup reason provided');
    cause = mapped as number;
  }
  life.hangupInternal(sim, c, cause, 'app');
  return { status: 204 };
}

export function answer(sim: SimAsterisk, args: Args): Reply {
  const c = stasisChan(sim, args.str('channelId'));
  if (c.state !== 'Up') {
    sim.setState(c, 'Up');
    c.answered = true;
    // A Local ;2 half in an application: answering it answers the ;1 half (local-stasis.ts).
    if (c.owner) life.answeredHalf2(sim, c);
  }
  return { status: 204 };
}

/** POST and DELETE /ring. */
export function ring(sim: SimAsterisk, args: Args): Reply {
  stasisChan(sim, args.str('channelId'));
  // Ringing is indicated (or stopped) to the caller; the channel stays in Ring and no event follows (trace q).
  return { status: 204 };
}

export function noop(sim: SimAsterisk, args: Args): Reply {
  stasisChan(sim, args.str('channelId'));
  return { status: 204 };
}

export function sendDtmfToChannel(sim: SimAsterisk, args: Args): Reply {
  stasisChan(sim, args.str('channelId'));
  // The digits go to the far end; the app sees no event for them.
  if (!args.str('dtmf')) fail(400, 'DTMF is required');
  return { status: 204 };
}

export function continueInDialplan(sim: SimAsterisk, args: Args): Reply {
  const c = stasisChan(sim, args.str('channelId'));
  life.failPlayer(sim, c.player);
  if (c.bridge) life.removeFromBridge(sim, c.bridge, c);
  c.inStasis = false;
  sim.chanEvent(c, 'StasisEnd');
  // STASISSTATUS is announced when the channel finally hangs up (trace p).
  c.leftStasis = true;
  const context = args.str('context') ?? c.dialplan.context;
  const exten = args.str('extension') ?? c.dialplan.exten;
  // The simulator has no dialplan to run: the channel stays up where it was sent until hung up.
  c.dialplan = { context, exten, priority: args.int('priority') ?? 1, app_name: '', app_data: '' };
  return { status: 204 };
}

export function redirect(sim: SimAsterisk, args: Args): Reply {
  const endpoint = args.str('endpoint');
  const c = findChan(sim, args.str('channelId'));
  if (!endpoint) fail(400, "Required parameter 'endpoint' not provided.");
  if (!c.inStasis) fail(409, 'Channel not in Stasis application');
  const slash = (endpoint as string).indexOf('/');
  if (slash <= 0) fail(422, `Endpoint parameter '${endpoint as string}' does not contain tech/resource`);
  const tech = (endpoint as string).slice(0, slash);
  if (tech.toLowerCase() !== c.tech.toLowerCase()) fail(422, `Endpoint technology '${tech}' does not match channel technology '${c.tech}'`);
  // chan_pjsip sends a REFER (answered) or 302; whether the far end follows is up to the phone,
  // and the lab phone does not: the channel stays up (trace p).
  return { status: 204 };
}

/** POST/DELETE /channels/{id}/mute: the channel is checked before the direction (trace p). */
export function mute(sim: SimAsterisk, args: Args): Reply {
  stasisChan(sim, args.str('channelId'));
  if (!args.has('direction')) fail(400, 'Direction is required');
  if (!['both', 'in', 'out'].includes(args.str('direction') ?? '')) fail(400, 'Invalid direction specified');
  return { status: 204 };
}

const READABLE_FUNCTIONS = /^(CALLERID|CONNECTEDLINE|CHANNEL)\(/;

export function getVar(sim: SimAsterisk, args: Args): Reply {
  const variable = args.str('variable');
  const c = sim.channels.get(args.str('channelId') ?? '');
  if (!c || !c.alive) return fail(404, 'Provided channel was not found');
  if (!variable) fail(400, 'Variable name is required');
  const name = variable as string;
  const value = readVar(sim, c, name);
  if (value === undefined && name.includes('(') && !READABLE_FUNCTIONS.test(name)) fail(500, 'Unable to read provided function');
  // An unset variable and one set to nothing read the same (trace p, LABVAR2).
  if (value === undefined || (value === '' && !name.includes('('))) fail(404, 'Provided variable was not found');
  return { status: 200, body: { value } };
}

export function readVar(sim: SimAsterisk, c: Chan, name: string): string | undefined {
  switch (name) {
    case 'CALLERID(all)': return formatCallerIdAll(c.caller);
    case 'CALLERID(num)': case 'CALLERID(number)': return c.caller.number;
    case 'CALLERID(name)': return c.caller.name;
    case 'CONNECTEDLINE(num)': return c.connected.number;
    case 'CONNECTEDLINE(name)': return c.connected.name;
    case 'CHANNEL(name)': return c.name;
    case 'CHANNEL(uniqueid)': case 'UNIQUEID': return c.id;
    case 'CHANNEL(state)': return c.state;
    case 'CHANNEL(language)': return 'en';
    case 'EXTEN': return c.dialplan.exten;
    case 'CONTEXT': return c.dialplan.context;
    default: return c.vars.get(name) ?? sim.globals.get(name);
  }
}

export function applyVar(sim: SimAsterisk, c: Chan, name: string, value: string): void {
  if (name === 'CALLERID(name)') c.caller = { ...c.caller, name: value };
  else if (name === 'CALLERID(num)' || name === 'CALLERID(number)') c.caller = { ...c.caller, number: value };
  else if (name === 'CALLERID(all)') c.caller = parseCallerId(value);
  else c.vars.set(name, value);
}

export function setVar(sim: SimAsterisk, args: Args): Reply {
  const variable = args.str('variable');
  const c = stasisChan(sim, args.str('channelId'));
  if (!variable) fail(400, 'Variable name is required');
  const name = variable as string;
  const value = args.str('value') ?? '';
  applyVar(sim, c, name, value);
  // A caller ID change is announced as such; a plain variable set to nothing is just unset (trace p).
  if (name.startsWith('CALLERID(')) sim.chanEvent(c, 'ChannelCallerId', { caller_presentation: 0, caller_presentation_txt: 'Presentation Allowed, Not Screened' });
  else if (!name.includes('(') && value !== '') sim.varset(c, name, value);
  return { status: 204 };
}

export function getChannel(sim: SimAsterisk, args: Args): Reply {
  return { status: 200, body: sim.chanJson(findChan(sim, args.str('channelId'))) };
}

export function listChannels(sim: SimAsterisk): Reply {
  return { status: 200, body: [...sim.channels.values()].map((c) => sim.chanJson(c)) };
}

/** What this module does for the others (lifecycle.ts). */
export const lifecycle = { applyVar, stasisChan } satisfies Partial<Lifecycle>;
