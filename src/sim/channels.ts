// The channel REST operations on live channels (hangup, answer, ring, DTMF, dialplan, variables, get/list).
import { formatCallerIdAll, HANGUP_REASONS, parseCallerId } from './ari-format.js';
import { fail, type Reply, Args } from './rest.js';
import { type Chan } from './entities.js';
import type { SimAsterisk } from './asterisk.js';
import { hangupInternal, remove } from './channel-hangup.js';
import { failPlayer } from './playbacks.js';
import { removeFromBridge } from './bridges.js';

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
  hangupInternal(sim, c, cause, 'app');
  return { status: 204 };
}

export function answer(sim: SimAsterisk, args: Args): Reply {
  const c = stasisChan(sim, args.str('channelId'));
  if (c.state !== 'Up') {
    sim.setState(c, 'Up');
    c.answered = true;
  }
  return { status: 204 };
}

export function ring(sim: SimAsterisk, args: Args, on: boolean): Reply {
  const c = stasisChan(sim, args.str('channelId'));
  if (on && c.state === 'Ring') sim.setState(c, 'Ringing');
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
  failPlayer(sim, c.player);
  if (c.bridge) removeFromBridge(sim, c.bridge, c);
  c.inStasis = false;
  sim.chanEvent(c, 'StasisEnd');
  sim.varset(c, 'STASISSTATUS', 'SUCCESS');
  const context = args.str('context') ?? c.dialplan.context;
  const exten = args.str('extension') ?? c.dialplan.exten;
  c.dialplan = { context, exten, priority: args.int('priority') ?? 1, app_name: '', app_data: '' };
  // The simulator has no dialplan: falling off the end of it hangs the call up.
  sim.at(c, 0, () => {
    sim.hangupRequest(c, 16);
    sim.destroyedEvent(c, 16);
    if (c.half2) sim.destroyedEvent(c.half2, 16);
    remove(sim, c);
  });
  return { status: 204 };
}

export function redirect(sim: SimAsterisk, args: Args): Reply {
  const endpoint = args.str('endpoint');
  const c = stasisChan(sim, args.str('channelId'));
  if (!endpoint) fail(400, 'Required parameter endpoint not provided');
  const tech = (endpoint as string).split('/')[0]?.toLowerCase() ?? '';
  if (tech !== c.tech.toLowerCase()) fail(422, `Endpoint technology '${tech}' does not match channel technology '${c.tech}'`);
  // The far end follows the redirect (302/REFER) and this leg ends.
  sim.at(c, 0, () => hangupInternal(sim, c, 16, 'app'));
  return { status: 204 };
}

export function getVar(sim: SimAsterisk, args: Args): Reply {
  const variable = args.str('variable');
  const c = findChan(sim, args.str('channelId'));
  if (!variable) fail(400, 'Variable name is required');
  const value = readVar(sim, c, variable as string);
  if (value === undefined) fail(404, 'Provided variable was not found');
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
  const value = args.str('value') ?? '';
  applyVar(sim, c, variable as string, value);
  if (!/\(/.test(variable as string)) sim.varset(c, variable as string, value);
  return { status: 204 };
}

export function getChannel(sim: SimAsterisk, args: Args): Reply {
  return { status: 200, body: sim.chanJson(findChan(sim, args.str('channelId'))) };
}

export function listChannels(sim: SimAsterisk): Reply {
  return { status: 200, body: [...sim.channels.values()].map((c) => sim.chanJson(c)) };
}
