// Records the round trip of a media stream through a real Asterisk 22 as a trace (the format of
// ../shared/ari-reference/traces: ws-connect/ws-event/rest-request/rest-response/note entries) to
// test/fixtures/s-stream-websocket-round-trip.json, which test/streams/stream-trace.test.ts
// replays against the simulator. What the engine's stream step does, step by step: a SIP phone
// (PJSIP/phone1: auto-answers and sends a 440 Hz sine) in the application; a chan_websocket
// channel in server mode, connected at /media/{connection id}; both in a mixing bridge; the phone's
// audio read from the socket, a 1 kHz tone written to it at 20 ms per frame, and what the phone
// hears read through a snoop (spy=out) on a second media channel. Both directions are checked by
// content (Goertzel) and the figures written as notes.
//   ARI_URL=http://127.0.0.1:8088 ARI_USERNAME=engine ARI_PASSWORD=… ARI_APP=stream-lab tsx scripts/record-stream-trace.ts
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { linearToUlaw } from '../src/sim/g711.js';
import { ulawToneShare as toneShare } from '../test/support/audio.js';

const base = new URL(process.env.ARI_URL ?? 'http://127.0.0.1:8088');
const user = process.env.ARI_USERNAME ?? 'engine';
const password = process.env.ARI_PASSWORD ?? '';
const app = process.env.ARI_APP ?? 'stream-lab';
const endpoint = process.env.PHONE_ENDPOINT ?? 'PJSIP/phone1';
const out = fileURLToPath(new URL('../test/fixtures/s-stream-websocket-round-trip.json', import.meta.url));
const auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const t0 = Date.now();
const entries: Array<Record<string, unknown>> = [];
const add = (kind: string, fields: Record<string, unknown>): void => {
  entries.push({ t: new Date().toISOString(), ms: Date.now() - t0, kind, ...fields });
};
const note = (text: string): void => add('note', { text });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function rest(method: string, path: string, query: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const qs = new URLSearchParams(query).toString();
  add('rest-request', { method, path: `/ari${path}`, rawQuery: qs, query });
  const res = await fetch(`${base.origin}/ari${path}${qs ? `?${qs}` : ''}`, { method, headers: { authorization: auth } });
  const text = await res.text();
  const body = text ? JSON.parse(text) : '';
  add('rest-response', { method, path: `/ari${path}`, status: res.status, statusText: res.statusText, contentType: res.headers.get('content-type') ?? '', body });
  return { status: res.status, body };
}

const events: any[] = [];
const waitEvent = async (what: string, match: (e: any) => boolean, ms = 10_000): Promise<any> => {
  const until = Date.now() + ms;
  for (;;) {
    const found = events.find(match);
    if (found) return found;
    if (Date.now() > until) {
      note(`timeout after ${ms} ms waiting for ${what}`);
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(5);
  }
};

function mediaSocket(label: string, connectionId: string): Promise<{ ws: WebSocket; frames: Buffer[]; texts: string[] }> {
  const url = new URL(`/media/${connectionId}`, base);
  url.protocol = 'ws:';
  note(`connect a websocket to ${url.toString()} (protocol media)`);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'media', { headers: { authorization: auth } });
    const frames: Buffer[] = [];
    const texts: string[] = [];
    ws.on('message', (data, binary) => {
      if (binary) frames.push(data as Buffer);
      else texts.push(String(data));
    });
    ws.once('open', () => {
      note(`${label}: open`);
      resolve({ ws, frames, texts });
    });
    ws.once('error', reject);
  });
}

async function main(): Promise<void> {
  const eventsUrl = new URL(`/ari/events?app=${app}&api_key=${encodeURIComponent(`${user}:${password}`)}&subscribeAll=false`, base);
  eventsUrl.protocol = 'ws:';
  add('ws-connect', { label: 'ws', url: eventsUrl.toString().replace(/api_key=[^&]*/, 'api_key=engine%3A***') });
  const events_ws = new WebSocket(eventsUrl);
  events_ws.on('message', (data) => {
    const event = JSON.parse(String(data));
    events.push(event);
    add('ws-event', { label: 'ws', type: event.type, event });
  });
  await new Promise<void>((resolve, reject) => { events_ws.once('open', () => resolve()); events_ws.once('error', reject); });
  add('ws-open', { label: 'ws' });

  note(`1. originate ${endpoint} into ${app} (the phone auto-answers and sends a 440 Hz sine)`);
  const phone = (await rest('POST', '/channels', { endpoint, app, callerId: '"Stream Lab" <+15551230000>', timeout: '30' })).body;
  await waitEvent('StasisStart of the phone', (e) => e.type === 'StasisStart' && e.channel.id === phone.id, 30_000);

  note('2. externalMedia transport=websocket encapsulation=none connection_type=server format=ulaw: the stream\'s media channel');
  const media = (await rest('POST', '/channels/externalMedia', { app, format: 'ulaw', transport: 'websocket', encapsulation: 'none', connection_type: 'server' })).body;
  const m1 = await mediaSocket('media websocket', media.channelvars.MEDIA_WEBSOCKET_CONNECTION_ID);
  await waitEvent('StasisStart of the media channel', (e) => e.type === 'StasisStart' && e.channel.id === media.id);
  const bridge = (await rest('POST', '/bridges', { type: 'mixing' })).body;
  await rest('POST', `/bridges/${bridge.id}/addChannel`, { channel: `${phone.id},${media.id}` });

  note('3. snoop spy=out on the phone (what it hears) on a second media channel, bridged with it');
  const snoop = (await rest('POST', `/channels/${phone.id}/snoop`, { spy: 'out', app })).body;
  await waitEvent('StasisStart of the snoop', (e) => e.type === 'StasisStart' && e.channel.id === snoop.id);
  const media2 = (await rest('POST', '/channels/externalMedia', { app, format: 'ulaw', transport: 'websocket', encapsulation: 'none', connection_type: 'server' })).body;
  const m2 = await mediaSocket('listening websocket', media2.channelvars.MEDIA_WEBSOCKET_CONNECTION_ID);
  await waitEvent('StasisStart of the second media channel', (e) => e.type === 'StasisStart' && e.channel.id === media2.id);
  const bridge2 = (await rest('POST', '/bridges', { type: 'mixing' })).body;
  await rest('POST', `/bridges/${bridge2.id}/addChannel`, { channel: `${snoop.id},${media2.id}` });

  note('4. two seconds: the phone\'s audio read from the media websocket; a 1 kHz tone written to it, one 160-byte frame per 20 ms');
  const firstHeard = m1.frames.length;
  const firstListened = m2.frames.length;
  const started = performance.now();
  for (let n = 0; n < 100; n++) {
    const frame = Buffer.alloc(160);
    for (let i = 0; i < 160; i++) frame[i] = linearToUlaw(8000 * Math.sin((2 * Math.PI * 1000 * (n * 160 + i)) / 8000));
    m1.ws.send(frame, { binary: true });
    const due = started + (n + 1) * 20;
    await sleep(Math.max(0, due - performance.now()));
  }
  await sleep(300);
  const heard = Buffer.concat(m1.frames.slice(firstHeard));
  const listened = Buffer.concat(m2.frames.slice(firstListened + 10));
  const sizes = [...new Set(m1.frames.map((f) => f.length))];
  note(`media websocket: ${m1.frames.length - firstHeard} binary frames in 2.3 s (sizes ${sizes.join(',')} bytes); 440 Hz share ${toneShare(heard, 440).toFixed(2)}, 1 kHz share ${toneShare(heard, 1000).toFixed(2)}`);
  note(`listening websocket (snoop spy=out): ${m2.frames.length - firstListened} binary frames; 1 kHz share ${toneShare(listened, 1000).toFixed(2)}, 440 Hz share ${toneShare(listened, 440).toFixed(2)}`);
  note(`media websocket received ${m1.frames.length + m1.texts.length} messages; text messages: ${JSON.stringify(m1.texts)}`);
  note(`listening websocket received ${m2.frames.length + m2.texts.length} messages; text messages: ${JSON.stringify(m2.texts)}`);

  note('5. closing the media websocket hangs its channel up; then cleanup');
  m1.ws.close(1000);
  await waitEvent('ChannelDestroyed of the media channel', (e) => e.type === 'ChannelDestroyed' && e.channel.id === media.id);
  m2.ws.close(1000);
  await waitEvent('ChannelDestroyed of the second media channel', (e) => e.type === 'ChannelDestroyed' && e.channel.id === media2.id);
  await rest('DELETE', `/bridges/${bridge.id}`);
  await rest('DELETE', `/bridges/${bridge2.id}`);
  await rest('DELETE', `/channels/${phone.id}`);
  await waitEvent('ChannelDestroyed of the phone', (e) => e.type === 'ChannelDestroyed' && e.channel.id === phone.id);
  await waitEvent('ChannelDestroyed of the snoop', (e) => e.type === 'ChannelDestroyed' && e.channel.id === snoop.id).catch(() => undefined);
  await sleep(500);
  events_ws.close(1000);
  await new Promise<void>((resolve) => events_ws.once('close', (code, reason) => {
    add('ws-close', { label: 'ws', code, reason: String(reason) });
    resolve();
  }));
}

main().then(() => {
  const trace = {
    description: `Asterisk 22.10.1: a media stream's round trip through chan_websocket (what the engine's stream step does), recorded by scripts/record-stream-trace.ts with app ${app}. ${endpoint} (baresip: auto-answer, 440 Hz sine) in the application; externalMedia transport=websocket encapsulation=none connection_type=server format=ulaw; the engine connects to /media/{connection id} (protocol media) and the channel enters the application; phone and media channel in a mixing bridge; a snoop spy=out on the phone with a second media channel hears what the phone hears. The phone's 440 Hz arrives on the media socket and the 1 kHz written to it reaches the phone (see the notes for the figures); closing a media socket hangs its channel up.`,
    scenario: 's-stream-websocket-round-trip',
    asteriskVersion: '22.10.1',
    recordedAt: new Date(t0).toISOString(),
    entries,
  };
  writeFileSync(out, `${JSON.stringify(trace, null, 2)}\n`);
  console.log(`wrote ${out}: ${entries.length} entries`);
  for (const e of entries) if (e.kind === 'note') console.log(`  ${String(e.text)}`);
  process.exit(0);
}, (err: unknown) => {
  console.error(err);
  for (const e of entries) if (e.kind === 'note') console.error(`  ${String(e.text)}`);
  process.exit(1);
});
