// The floor: the least an ARI program can do to run the benchmark's flows, measured in the same
// run as the engine. Plain `ws` WebSocket and node:http with a keep-alive agent; no engine, no
// database, no framework, no ari-client. It sends exactly the ARI requests the engine sends for
// the same flow (bench/run.ts compares both request sequences and prints any difference):
//   reference: originate → StasisStart → play welcome → PlaybackFinished → play prompt →
//              DTMF during the prompt → stop the prompt → PlaybackFinished → play thanks →
//              PlaybackFinished → hangup
//   hold:      originate → StasisStart → (pause holdMs) → hangup
// Run as a child process with an IPC channel; see FloorCommand.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import { pace } from './lib/pacer.js';

export interface FloorCalls {
  kind: 'reference' | 'hold';
  count: number;
  rate: number;
  endpoint: string;
  callerId: string;
  /** hold: how long the call stays before the floor hangs up. */
  holdMs?: number;
}

export interface FloorMedia {
  welcome: string[];
  prompt: string[];
  thanks: string[];
  /** Played when the gather ends without the expected digit. */
  other: string[];
  /** Gather: wait for the first digit after the prompt ends. */
  gatherTimeoutMs: number;
}

export type FloorCommand =
  | { id: number; cmd: 'calls'; calls: FloorCalls }
  | { id: number; cmd: 'media'; media: FloorMedia }
  | { id: number; cmd: 'stats' };

export type FloorReply =
  | { type: 'ready' }
  | { id: number; ok: boolean; originated?: number; originateErrors?: number; completed?: number; live?: number; requestErrors?: number; error?: string };

type Stage = 'welcome' | 'prompt' | 'waiting-digit' | 'stopping-prompt' | 'final' | 'hold' | 'hanging-up';

interface Call {
  kind: FloorCalls['kind'];
  stage: Stage;
  playbackId?: string;
  digit?: string;
  timer?: NodeJS.Timeout;
  holdMs: number;
}

const url = new URL(process.env.ARI_URL ?? 'http://127.0.0.1:8088');
const username = process.env.ARI_USERNAME ?? 'engine';
const password = process.env.ARI_PASSWORD ?? '';
const app = process.env.FLOOR_APP ?? 'floor';
const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
// The engine's adapter keeps at most 20 sockets to ARI: the floor gets the same bound.
const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });

const calls = new Map<string, Call>();
let media: FloorMedia = {
  welcome: ['sound:hello-world'], prompt: ['sound:press-1'], thanks: ['sound:thank-you'], other: ['sound:goodbye'], gatherTimeoutMs: 5000,
};
let originated = 0;
let originateErrors = 0;
let completed = 0;
let requestErrors = 0;

function rest(method: string, path: string, query: Record<string, string> = {}, body?: unknown): Promise<number> {
  const qs = new URLSearchParams(query).toString();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve) => {
    const req = http.request({
      host: url.hostname, port: url.port, method, agent,
      path: `/ari${path}${qs ? `?${qs}` : ''}`,
      headers: payload === undefined
        ? { authorization }
        : { authorization, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(payload);
  });
}

function checked(status: number): void {
  // 404 after a far-end hangup is part of telephony; anything else unexpected is counted.
  if (status === 0 || status >= 500 || (status >= 400 && status !== 404)) requestErrors++;
}

function play(channelId: string, call: Call, list: string[]): void {
  const playbackId = `pb-${randomUUID()}`;
  call.playbackId = playbackId;
  void rest('POST', `/channels/${encodeURIComponent(channelId)}/play/${playbackId}`, { media: list.join(',') }).then(checked);
}

function hangup(channelId: string, call: Call): void {
  call.stage = 'hanging-up';
  clearTimeout(call.timer);
  void rest('DELETE', `/channels/${encodeURIComponent(channelId)}`, { reason: 'normal' }).then(checked);
}

function afterDigit(channelId: string, call: Call): void {
  call.stage = 'final';
  play(channelId, call, call.digit === '1' ? media.thanks : media.other);
}

interface AriEvent {
  type?: string;
  digit?: string;
  channel?: { id?: string };
  playback?: { id?: string; target_uri?: string; state?: string };
}

function onEvent(event: AriEvent): void {
  switch (event.type) {
    case 'StasisStart': {
      const id = event.channel?.id;
      const call = id ? calls.get(id) : undefined;
      if (!id || !call) return;
      if (call.kind === 'hold') {
        call.stage = 'hold';
        call.timer = setTimeout(() => hangup(id, call), call.holdMs);
      } else {
        call.stage = 'welcome';
        play(id, call, media.welcome);
      }
      return;
    }
    case 'PlaybackFinished': {
      const target = event.playback?.target_uri ?? '';
      const id = target.startsWith('channel:') ? target.slice('channel:'.length) : undefined;
      const call = id ? calls.get(id) : undefined;
      if (!id || !call || event.playback?.id !== call.playbackId) return;
      if (call.stage === 'welcome') {
        call.stage = 'prompt';
        play(id, call, media.prompt);
      } else if (call.stage === 'prompt') {
        call.stage = 'waiting-digit';
        call.timer = setTimeout(() => afterDigit(id, call), media.gatherTimeoutMs);
      } else if (call.stage === 'stopping-prompt') {
        afterDigit(id, call);
      } else if (call.stage === 'final') {
        hangup(id, call);
      }
      return;
    }
    case 'ChannelDtmfReceived': {
      const id = event.channel?.id;
      const call = id ? calls.get(id) : undefined;
      if (!id || !call || call.digit !== undefined) return;
      if (call.stage === 'prompt' && call.playbackId) {
        call.digit = event.digit ?? '';
        call.stage = 'stopping-prompt';
        void rest('DELETE', `/playbacks/${call.playbackId}`).then(checked);
      } else if (call.stage === 'waiting-digit') {
        call.digit = event.digit ?? '';
        clearTimeout(call.timer);
        afterDigit(id, call);
      }
      return;
    }
    case 'ChannelDestroyed': {
      const id = event.channel?.id;
      const call = id ? calls.get(id) : undefined;
      if (!id || !call) return;
      clearTimeout(call.timer);
      calls.delete(id);
      completed++;
      return;
    }
    default:
      return;
  }
}

function originate(spec: FloorCalls): Promise<void> {
  const channelId = randomUUID();
  const sessionId = randomUUID();
  calls.set(channelId, { kind: spec.kind, stage: 'welcome', holdMs: spec.holdMs ?? 0 });
  return rest('POST', '/channels', {
    endpoint: spec.endpoint, app, appArgs: sessionId, callerId: spec.callerId, timeout: '30', channelId,
  }, { variables: { ENGINE_SESSION_ID: sessionId } }).then((status) => {
    if (status === 200) {
      originated++;
    } else {
      originateErrors++;
      calls.delete(channelId);
    }
  });
}

function connect(): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${url.host}/ari/events?app=${encodeURIComponent(app)}&subscribeAll=false`, {
      headers: { authorization }, perMessageDeflate: false,
    });
    ws.on('message', (data) => {
      let event: AriEvent;
      try {
        event = JSON.parse(data.toString()) as AriEvent;
      } catch {
        return;
      }
      onEvent(event);
    });
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.on('close', () => {
      if (process.connected) process.stderr.write('floor: events WebSocket closed\n');
    });
  });
}

async function main(): Promise<void> {
  if (!process.send) {
    process.stderr.write('floor: run by bench/run.ts (needs an IPC channel)\n');
    process.exitCode = 2;
    return;
  }
  await connect();
  const send = (reply: FloorReply): void => {
    process.send?.(reply);
  };
  process.on('message', (raw: unknown) => {
    const msg = raw as FloorCommand;
    if (msg.cmd === 'media') {
      media = msg.media;
      send({ id: msg.id, ok: true });
    } else if (msg.cmd === 'stats') {
      send({ id: msg.id, ok: true, originated, originateErrors, completed, live: calls.size, requestErrors });
    } else if (msg.cmd === 'calls') {
      // Replies once every originate was answered, so that the caller knows how many calls exist.
      const answered: Array<Promise<void>> = [];
      void pace(msg.calls.count, msg.calls.rate, () => answered.push(originate(msg.calls)))
        .then(() => Promise.all(answered))
        .then(() => send({ id: msg.id, ok: true, originated, originateErrors }));
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`floor: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
