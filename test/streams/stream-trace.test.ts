// Replays the recording of a media stream's round trip through a real Asterisk 22.10.1
// (test/fixtures/s-stream-websocket-round-trip.json, made by scripts/record-stream-trace.ts with
// a SIP phone sending 440 Hz) against the simulator: the same requests get the same statuses and
// body fields, each channel sees the same events (Stasis, bridges, hangup causes), the media
// sockets say the same MEDIA_START line, and the audio is checked by content both ways as it was
// on the real one: the phone's 440 Hz on the media socket, the 1 kHz written to it heard by the
// phone (through a snoop spy=out).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { startSimulator } from '../../src/sim/index.js';
import { ulawToneShare, ulawTone } from '../support/audio.js';
import { waitUntil } from '../support/wait-until.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/s-stream-websocket-round-trip.json', import.meta.url));
const KEY_EVENTS = new Set(['StasisStart', 'StasisEnd', 'ChannelEnteredBridge', 'ChannelLeftBridge', 'ChannelHangupRequest', 'ChannelDestroyed']);

interface Entry { kind: string; ms: number; method?: string; path?: string; rawQuery?: string; status?: number; body?: any; text?: string; type?: string; event?: any }

/** Channel names by role: pointers and sequence numbers become the order each name was first seen in. */
function roleNamer(): (name: string) => string {
  const seen = new Map<string, string>();
  return (name) => {
    const known = seen.get(name);
    if (known) return known;
    const tech = name.split('/')[0] ?? name;
    const role = `${tech}#${[...seen.values()].filter((r) => r.startsWith(`${tech}#`)).length + 1}`;
    seen.set(name, role);
    return role;
  };
}

function keyEvents(events: any[]): Record<string, string[]> {
  const role = roleNamer();
  const out: Record<string, string[]> = {};
  for (const e of events) {
    if (!KEY_EVENTS.has(e.type) || !e.channel) continue;
    const r = role(String(e.channel.name));
    (out[r] ??= []).push(`${e.type}${e.cause !== undefined ? ` cause=${e.cause}` : ''}${e.tech_cause !== undefined ? ` tech_cause=${e.tech_cause}` : ''}`);
  }
  return out;
}

test('a media stream\'s round trip replayed from a real Asterisk 22.10.1 recording', async () => {
  const trace = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { entries: Entry[] };
  const sim = await startSimulator({ username: 'lab', password: 'lab', scripts: { 'PJSIP/phone1': { result: 'answer', answerAfterMs: 80, speak: { toneHz: 440 } } } });
  const auth = `Basic ${Buffer.from('lab:lab').toString('base64')}`;
  const ids = new Map<string, string>();
  const translate = (s: string): string => [...ids].reduce((acc, [from, to]) => acc.split(from).join(to), s);
  const events: any[] = [];
  const eventsWs = new WebSocket(`ws://127.0.0.1:${sim.port}/ari/events?app=stream-lab&subscribeAll=false`, { headers: { authorization: auth } });
  eventsWs.on('message', (d) => events.push(JSON.parse(String(d))));
  const sockets: Array<{ ws: WebSocket; frames: Buffer[]; texts: string[] }> = [];
  const problems: string[] = [];
  const recordedEvents = trace.entries.filter((e) => e.kind === 'ws-event').map((e) => e.event);
  const until = async (what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> => {
    await waitUntil(cond, { message: `the replay: ${what}`, timeoutMs, intervalMs: 5 });
  };
  /** The events the real application had seen before entry i, counted by key type. */
  const keyCountBefore = (i: number): number => trace.entries.slice(0, i).filter((e) => e.kind === 'ws-event' && KEY_EVENTS.has(String(e.type))).length;
  const keyCount = (): number => events.filter((e) => KEY_EVENTS.has(e.type)).length;
  try {
    await new Promise<void>((resolve, reject) => { eventsWs.once('open', () => resolve()); eventsWs.once('error', reject); });
    const entries = trace.entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.kind === 'note') {
        const connect = /^connect a websocket to ws:\/\/[^/]+\/media\/(\S+)/.exec(e.text ?? '');
        if (connect) {
          await until('the events before the media socket', () => keyCount() >= keyCountBefore(i));
          const ws = new WebSocket(`ws://127.0.0.1:${sim.port}/media/${translate(connect[1]!)}`, 'media');
          const s = { ws, frames: [] as Buffer[], texts: [] as string[] };
          ws.on('message', (d, binary) => (binary ? s.frames.push(d as Buffer) : s.texts.push(String(d))));
          await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
          sockets.push(s);
        }
        if (/^4\. two seconds/.test(e.text ?? '')) {
          const [m1, m2] = sockets;
          const from1 = m1!.frames.length;
          const from2 = m2!.frames.length;
          const tone = ulawTone(1000, 2000);
          const started = performance.now();
          for (let n = 0; n < 100; n++) {
            m1!.ws.send(tone.subarray(n * 160, (n + 1) * 160), { binary: true });
            await new Promise((r) => setTimeout(r, Math.max(0, started + (n + 1) * 20 - performance.now())));
          }
          await new Promise((r) => setTimeout(r, 300));
          const heard = Buffer.concat(m1!.frames.slice(from1));
          const listened = Buffer.concat(m2!.frames.slice(from2 + 10));
          if (!(ulawToneShare(heard, 440) > 0.5)) problems.push(`the media socket does not carry the phone's 440 Hz (share ${ulawToneShare(heard, 440)})`);
          if (!(ulawToneShare(listened, 1000) > 0.5)) problems.push(`the phone does not hear the 1 kHz written to the media socket (share ${ulawToneShare(listened, 1000)})`);
          if (m1!.frames.some((f) => f.length !== 160)) problems.push('media frames are not 160 bytes');
        }
        const texts = /^(media|listening) websocket received \d+ messages; text messages: (.*)$/.exec(e.text ?? '');
        if (texts) {
          const s = sockets[texts[1] === 'media' ? 0 : 1]!;
          const shape = (t: string): string => t.replace(/:\S+/g, ':…');
          const expected = (JSON.parse(texts[2]!) as string[]).map(shape);
          if (JSON.stringify(s.texts.map(shape)) !== JSON.stringify(expected)) problems.push(`${texts[1]} socket texts ${JSON.stringify(s.texts)} instead of ${JSON.stringify(expected)}`);
        }
        if (/^5\. closing the media websocket/.test(e.text ?? '')) {
          sockets[0]!.ws.close(1000);
          await until('the first media channel destroyed', () => events.filter((x) => x.type === 'ChannelDestroyed').length >= 1);
          sockets[1]!.ws.close(1000);
        }
        continue;
      }
      if (e.kind !== 'rest-request') continue;
      const response = entries.slice(i + 1).find((x) => x.kind === 'rest-response' && x.method === e.method && x.path === e.path)!;
      await until(`the events before ${e.method} ${e.path}`, () => keyCount() >= keyCountBefore(i));
      const path = translate(`${e.path}${e.rawQuery ? `?${e.rawQuery}` : ''}`);
      const res = await fetch(`http://127.0.0.1:${sim.port}${path}`, { method: e.method, headers: { authorization: auth } });
      const text = await res.text();
      const body = text ? JSON.parse(text) : '';
      if (res.status !== response.status) {
        problems.push(`${e.method} ${e.path}: ${res.status} instead of ${response.status} (${text})`);
        continue;
      }
      if (response.body && typeof response.body === 'object') {
        const expKeys = Object.keys(response.body).sort().join(',');
        const gotKeys = Object.keys(body).sort().join(',');
        if (expKeys !== gotKeys) problems.push(`${e.method} ${e.path}: fields ${gotKeys} instead of ${expKeys}`);
        if (typeof response.body.id === 'string') ids.set(response.body.id, body.id);
        const conn = response.body.channelvars?.MEDIA_WEBSOCKET_CONNECTION_ID;
        if (conn) ids.set(conn, body.channelvars.MEDIA_WEBSOCKET_CONNECTION_ID);
        if (typeof response.body.name === 'string') {
          const norm = (n: string): string => n.replace(/0x[0-9a-f]+/, '0xN').replace(/-[0-9a-f]{8}$/, '-N').replace(/Snoop\/[^-]+/, 'Snoop/ID');
          if (norm(response.body.name) !== norm(body.name)) problems.push(`${e.method} ${e.path}: name ${body.name} instead of ${response.body.name}`);
        }
      }
    }
    const expected = keyEvents(recordedEvents);
    await until('the recorded channel events', () => JSON.stringify(keyEvents(events)) === JSON.stringify(expected), 5_000).catch(() => undefined);
    assert.deepEqual(keyEvents(events), expected, 'each channel sees the recorded events');
    assert.deepEqual(problems, [], problems.join('\n'));
  } finally {
    for (const s of sockets) s.ws.terminate();
    eventsWs.terminate();
    await sim.close();
  }
});
