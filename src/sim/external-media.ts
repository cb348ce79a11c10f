// POST /channels/externalMedia (RTP to a host:port, or a media WebSocket the client connects to)
// and POST /channels/{id}/snoop. Checks, messages and events follow trace r of a real Asterisk 22.
// The RTP channel sends no packets; the media WebSocket says MEDIA_START, then carries audio
// (media-audio.ts: what the channel hears, and what its client sends, in 20 ms μ-law frames).
import { randomBytes, randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { ApiError, fail, type Reply, Args } from './rest.js';
import { type Chan } from './entities.js';
import type { SimAsterisk } from './asterisk.js';
import { makeChan, newId } from './channel-dial.js';
import { findChan } from './channels.js';
import { life, type Lifecycle } from './lifecycle.js';
import { mediaOf, mixerOf } from './media-audio.js';

const MEDIA_FORMATS = new Set(['ulaw', 'alaw', 'slin', 'slin12', 'slin16', 'slin24', 'slin32', 'slin44', 'slin48', 'slin96', 'slin192', 'g722', 'gsm', 'g726', 'g729', 'opus', 'speex', 'ilbc', 'lpc10']);
const FIRST_RTP_PORT = 10000;

const pointer = () => `0x${randomBytes(6).toString('hex').replace(/^0+/, '')}`;

export function externalMedia(sim: SimAsterisk, args: Args): Reply {
  const app = args.str('app') ?? '';
  const host = args.str('external_host') ?? '';
  const format = args.str('format') ?? '';
  const transport = args.str('transport') ?? 'udp';
  const encapsulation = args.str('encapsulation') ?? 'rtp';
  const server = transport === 'websocket' && args.str('connection_type') === 'server';
  if (!server && host === '') fail(400, 'external_host is required for all but websocket server connections');
  if (transport !== 'websocket' && !/:\d+$/.test(host)) fail(400, 'external_host must be <host>:<port> for all transports other than websocket');
  if (format === '') fail(400, 'format cannot be empty');
  if (app === '') fail(400, 'app cannot be empty');
  if (transport === 'websocket' && encapsulation !== 'none') fail(400, "encapsulation must be 'none' for websocket transport");
  // No websocket_client.conf connections are configured in the simulator.
  if (transport === 'websocket' && !server) fail(400, 'external_host must be a valid websocket_client connection id.');
  if (encapsulation === 'rtp' && transport !== 'udp') fail(400, "transport must be 'udp' for rtp encapsulation");
  if (encapsulation === 'audiosocket' && !args.str('data')) fail(400, 'data can not be empty');
  if (!MEDIA_FORMATS.has(format)) throw new ApiError(500, { message: 'An internal error prevented this request from being handled' });
  const channelId = args.str('channelId');
  if (channelId && sim.channels.has(channelId)) fail(409, 'Channel with given unique ID already exists');

  const base = {
    id: channelId || newId(sim), endpointName: '', caller: { name: '', number: '' }, script: sim.opts.defaultScript, timeoutSec: -1, protocolId: '',
    dialplan: { context: 'default', exten: 's', priority: 1, app_name: 'AppDial2', app_data: '(Outgoing Line)' },
  };
  const c = server
    ? makeChan(sim, { ...base, name: `WebSocket/INCOMING/${pointer()}`, tech: 'WebSocket', endpoint: 'WebSocket/INCOMING', dialstring: 'INCOMING' })
    : makeChan(sim, { ...base, name: `UnicastRTP/${host}-${pointer()}`, tech: 'UnicastRTP', endpoint: `UnicastRTP/${host}`, dialstring: `${host}/c(${format})` });
  c.connected = { name: '', number: '' };
  c.stasisApp = app;
  c.apps.add(app);
  let channelvars: Record<string, string>;
  if (server) {
    const connectionId = randomUUID();
    c.vars.set('MEDIA_WEBSOCKET_CONNECTION_ID', connectionId);
    c.vars.set('MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE', '160');
    c.mediaFormat = format;
    sim.mediaSockets.set(connectionId, c);
    channelvars = { MEDIA_WEBSOCKET_CONNECTION_ID: connectionId, MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE: '160' };
  } else {
    const port = String(FIRST_RTP_PORT + 2 * (sim.rtpSeq++ % 5000));
    c.vars.set('UNICASTRTP_LOCAL_ADDRESS', '127.0.0.1');
    c.vars.set('UNICASTRTP_LOCAL_PORT', port);
    channelvars = { UNICASTRTP_LOCAL_PORT: port, UNICASTRTP_LOCAL_ADDRESS: '127.0.0.1' };
  }
  const snapshot = { ...sim.chanJson(c), channelvars };
  sim.clock.after(0, () => {
    if (!c.alive) return;
    sim.dial(c, '');
    // The media WebSocket channel answers only when its client connects (connectMediaSocket).
    if (!server) answerIntoStasis(sim, c);
  });
  return { status: 200, body: snapshot };
}

function answerIntoStasis(sim: SimAsterisk, c: Chan): void {
  sim.setState(c, 'Up');
  sim.dial(c, 'ANSWER');
  c.answered = true;
  if (!c.stasisApp || !sim.sink.hasApp(c.stasisApp)) return;
  c.inStasis = true;
  c.dialplan = { ...c.dialplan, app_name: 'Stasis', app_data: c.stasisApp };
  sim.varset(c, 'STASISSTATUS', '');
  c.vars.set('STASISSTATUS', '');
  sim.chanEvent(c, 'StasisStart', { args: [] });
}

/** A client connected to /media/{connection id}: the channel answers and says MEDIA_START. */
export function connectMediaSocket(sim: SimAsterisk, connectionId: string, ws: WebSocket): boolean {
  const c = sim.mediaSockets.get(connectionId);
  if (!c || !c.alive || c.answered) return false;
  answerIntoStasis(sim, c);
  ws.send(`MEDIA_START connection_id:${connectionId} channel:${c.name} channel_id:${c.id} format:${c.mediaFormat ?? 'ulaw'} optimal_frame_size:160 ptime:20`);
  mixerOf(sim).attach(c, ws);
  ws.on('close', () => {
    mixerOf(sim).detach(c);
    sim.mediaSockets.delete(connectionId);
    if (!c.alive) return;
    // Closing the media WebSocket hangs the channel up: cause 16 with the close code 1001 (trace r).
    sim.hangupRequest(c, 16, false, 1001);
    life.leaveStasis(sim, c, true);
    sim.destroyedEvent(c, 16, 1001);
    life.remove(sim, c);
  });
  return true;
}

export function snoop(sim: SimAsterisk, args: Args): Reply {
  const app = args.str('app');
  if (!app) fail(400, 'Application name is required');
  const spy = args.str('spy') ?? 'none';
  const whisper = args.str('whisper') ?? 'none';
  const directions = ['none', 'both', 'out', 'in'];
  if (!directions.includes(spy)) fail(400, 'Invalid direction specified for spy');
  if (!directions.includes(whisper)) fail(400, 'Invalid direction specified for whisper');
  if (spy === 'none' && whisper === 'none') fail(400, 'Direction must be specified for at least spy or whisper');
  const target = sim.channels.get(args.str('channelId') ?? '');
  if (!target || !target.alive) return fail(404, 'Provided channel was not found');
  findChan(sim, target.id);
  const snoopId = args.str('snoopId');
  if (snoopId && sim.channels.has(snoopId)) fail(409, 'Channel with given unique ID already exists');
  const appArgs = args.str('appArgs');
  const c = makeChan(sim, {
    id: snoopId || newId(sim), name: `Snoop/${target.id}-${(sim.snoopSeq++).toString(16).padStart(8, '0')}`, tech: 'Snoop', endpoint: 'Snoop',
    endpointName: '', dialstring: '', caller: { name: '', number: '' }, script: sim.opts.defaultScript, timeoutSec: -1, protocolId: '',
    dialplan: { context: 'default', exten: 's', priority: 1, app_name: '', app_data: '' },
  });
  c.connected = { name: '', number: '' };
  c.state = 'Up';
  c.answered = true;
  // Like an inbound channel, a snoop channel is only watched while in Stasis (trace r).
  c.inbound = true;
  c.stasisApp = app;
  c.apps.add(app as string);
  c.args = appArgs ? appArgs.split(',') : [];
  mediaOf(c).snoop = { target, spy };
  const snapshot = sim.chanJson(c);
  sim.clock.after(0, () => {
    if (!c.alive || !sim.sink.hasApp(app as string)) return;
    c.inStasis = true;
    c.dialplan = { ...c.dialplan, app_name: 'Stasis', app_data: [app, ...c.args].join(',') };
    sim.chanEvent(c, 'StasisStart', { args: c.args });
  });
  return { status: 200, body: snapshot };
}

/**
 * The snoops of a channel that is gone leave the application with it: StasisEnd, and nothing
 * after it (a snoop is only watched while in Stasis; the recording of the stream round trip).
 */
export function endSnoopsOf(sim: SimAsterisk, target: Chan): void {
  for (const c of [...sim.channels.values()]) {
    if (c.media?.snoop?.target !== target || !c.alive) continue;
    sim.clock.after(0, () => {
      if (!c.alive) return;
      life.leaveStasis(sim, c, true);
      life.remove(sim, c);
    });
  }
}

export const lifecycle = { endSnoopsOf } satisfies Partial<Lifecycle>;
