// Replays each recording of a real Asterisk 22 against the simulator: the reference recordings
// (../shared/ari-reference/traces, skipped where absent) and the project's own
// (test/fixtures/traces, made with scripts/record-ari-trace.ts, always replayed). It and compares what matters: REST statuses and bodies (error bodies exactly, objects by
// fields), and the events of the application's channels in order (types, states, causes, dial
// statuses, playback states and media, DTMF digits, fields present). ChannelDialplan events are
// dialplan-specific and skipped; the Local ;2 half is compared as a multiset because real Asterisk
// orders its last events nondeterministically.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { WebSocket } from 'ws';
import { startSimulator, type CalleeScript, type RunningSimulator } from '../../src/sim/index.js';
import { writeWav } from '../../src/tts/wav.js';

const REFERENCE = fileURLToPath(new URL('../../../shared/ari-reference', import.meta.url));
const TRACES = `${REFERENCE}/traces`;
const FIXTURES = fileURLToPath(new URL('../fixtures/traces', import.meta.url));
/** The project's callee scripts, keyed Local/<name>@test-callees as the lab dialplan's [test-callees]. */
const TEST_CALLEES = JSON.parse(readFileSync(fileURLToPath(new URL('../../config/test-callees.sim.json', import.meta.url)), 'utf8')) as Record<string, CalleeScript>;
const SCALE = 0.05;

interface Entry {
  kind: string;
  ms: number;
  label?: string;
  method?: string;
  path?: string;
  rawQuery?: string;
  body?: unknown;
  auth?: string;
  status?: number | null;
  error?: string;
  url?: string;
  code?: number;
  text?: string;
  type?: string;
  event?: Record<string, unknown>;
  command?: string;
  params?: string;
}

type Ev = Record<string, unknown>;

const LAB_SCRIPTS: Record<string, CalleeScript> = {
  'Local/answer@lab': { result: 'answer', answerAfterMs: 0 },
  'Local/dtmf@lab': { result: 'answer', answerAfterMs: 0, dtmf: [{ digits: '123#', afterPlaybackFinished: 1, delayMs: 800 }] },
  'Local/busy@lab': { result: 'busy', answerAfterMs: 0 },
  'Local/congestion@lab': { result: 'congestion', answerAfterMs: 0 },
  'Local/reject@lab': { result: 'reject', answerAfterMs: 0 },
  'Local/noanswer@lab': { result: 'no-answer' },
  // Asterisk's Wait(1.5) would be 75 ms here, less than a loaded machine may take to send the
  // recorded play request. 6 s (300 ms real) still falls inside demo-congrats (10.5 s, 525 ms
  // real) whenever the play starts in time, and the replay waits for the hangup's events.
  'Local/hangup@lab': { result: 'answer', answerAfterMs: 0, hangupAfterMs: 6000 },
  'Local/nosuchexten@lab': { result: 'fail' },
  // As Local/hangup@lab: the dialplan's 1.5 s after the answer would be 75 ms here, less than a
  // loaded machine may take to send the recorded addChannel (trace t-dial-local-answer-far-hangup).
  'Local/hangup@test-callees': { result: 'answer', answerAfterMs: 0, hangupAfterMs: 20000 },
  'Local/answer@nosuchcontext': { result: 'fail' },
};

/** The phone's behaviour in each PJSIP recording (baresip auto-answer, hang up, reject, ring). */
const PHONE_SCRIPTS: Record<string, CalleeScript> = {
  'i-pjsip-phone1.json': { result: 'answer', answerAfterMs: 2, dtmf: [{ digits: '123#', afterPlaybackFinished: 1, delayMs: 0 }] },
  // Hangs up when the trace's phone-command "hangup" comes (see replay).
  'i2-pjsip-phone-hangs-up.json': { result: 'answer', answerAfterMs: 2 },
  'i3-pjsip-phone-rejects-486.json': { result: 'busy', answerAfterMs: 1000 },
  'i4-pjsip-noanswer-timeout.json': { result: 'no-answer' },
  'm-bridge-two-legs.json': { result: 'answer', answerAfterMs: 2 },
  'm2-dial-leg-busy-and-noanswer.json': { result: 'no-answer' },
  'n-record-and-stored-recordings.json': { result: 'answer', answerAfterMs: 2 },
  'p-channel-controls.json': { result: 'answer', answerAfterMs: 2 },
};

/** Stasis arguments of the lab dialplans: [from-phones] 100 (trace l), and the DID routes _+X./_X. (trace q). */
function inboundArgs(file: string, exten: string, callerNumber: string): string[] {
  return file.startsWith('q-') ? [exten, callerNumber] : [exten];
}

/**
 * Recordings whose phone is driven by its ctrl_tcp commands, replayed through the control API:
 * `hangup` = the far end hangs up (or declines while ringing), `sndcode` = the far end sends DTMF.
 */
const PHONE_BY_COMMAND = new Set(['i2-pjsip-phone-hangs-up.json', 'm-bridge-two-legs.json', 'm2-dial-leg-busy-and-noanswer.json', 'n-record-and-stored-recordings.json']);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface HttpResult { status?: number; body?: unknown; error?: string; contentType?: string }

function http(port: number, method: string, path: string, auth: string | undefined, body?: unknown): Promise<HttpResult> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = {};
    if (auth) headers.Authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = '';
        try {
          parsed = text ? JSON.parse(text) : '';
        } catch {
          parsed = text;
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, contentType: res.headers['content-type'] });
      });
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    if (payload) req.write(payload);
    req.end();
  });
}

class EventSocket {
  readonly events: Ev[] = [];
  closeCode: number | undefined;
  readonly opened: Promise<{ ok: boolean; status?: number; body?: string; error?: string }>;
  readonly closed: Promise<number>;
  private readonly ws: WebSocket;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (data) => this.events.push(JSON.parse(String(data)) as Ev));
    this.opened = new Promise((resolve) => {
      this.ws.once('open', () => resolve({ ok: true }));
      this.ws.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ ok: false, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      this.ws.once('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, error: err.code ?? err.message }));
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code) => {
      this.closeCode = code;
      resolve(code);
    }));
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
  }

  terminate(): void {
    this.ws.terminate();
  }
}

/** Trace ids → simulator ids (channels, playbacks), learnt from responses and events in order. */
class IdMap {
  private readonly map = new Map<string, string>();
  set(traceId: string, simId: string): void {
    this.map.set(traceId, simId);
  }
  get(traceId: string): string | undefined {
    return this.map.get(traceId);
  }
  translate(text: string): string {
    let out = text;
    for (const [from, to] of this.map) out = out.split(from).join(to);
    return out;
  }
}

const VOLATILE = new Set(['id', 'creationtime', 'timestamp', 'protocol_id', 'startup_time', 'last_reload_time', 'date', 'kernel', 'entity_id',
  'asterisk_id', 'channel_ids', 'machine', 'ping_time']);

/** Compares a simulator value with the recorded one: same keys everywhere, same values except volatile ones. */
function compareShape(expected: unknown, actual: unknown, where: string, ids: IdMap, problems: string[]): void {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) {
      problems.push(`${where}: expected an array, got ${JSON.stringify(actual)}`);
      return;
    }
    if (expected.length !== actual.length) problems.push(`${where}: expected ${expected.length} items, got ${actual.length}`);
    // Asterisk lists channels in hash order: compare objects sorted by name.
    const byName = (list: unknown[]) => [...list].sort((x, y) => normalizeName(String((x as Ev)?.name ?? '')).localeCompare(normalizeName(String((y as Ev)?.name ?? ''))));
    if (expected.length > 0 && actual.length > 0 && typeof expected[0] === 'object') {
      const e2 = byName(expected);
      const a2 = byName(actual);
      e2.forEach((e, i) => {
        if (i < a2.length) compareShape(e, a2[i], `${where}[${i}]`, ids, problems);
      });
    }
    else if (expected.length === actual.length) expected.forEach((e, i) => compareShape(e, actual[i], `${where}[${i}]`, ids, problems));
    return;
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object') {
      problems.push(`${where}: expected an object, got ${JSON.stringify(actual)}`);
      return;
    }
    const ek = Object.keys(expected).sort();
    const ak = Object.keys(actual).sort();
    if (ek.join(',') !== ak.join(',')) problems.push(`${where}: fields ${JSON.stringify(ak)} instead of ${JSON.stringify(ek)}`);
    for (const k of ek) {
      if (VOLATILE.has(k) || !(k in (actual as object))) continue;
      // Dialplan locations belong to the lab's dialplan; the application name matters.
      if (k === 'dialplan') {
        compareShape(Object.keys(expected[k as keyof typeof expected] as object), Object.keys((actual as Record<string, unknown>)[k] as object), `${where}.dialplan`, ids, problems);
        continue;
      }
      compareShape((expected as Record<string, unknown>)[k], (actual as Record<string, unknown>)[k], `${where}.${k}`, ids, problems);
    }
    return;
  }
  let exp = expected;
  let act = actual;
  if (typeof exp === 'string') exp = normalizeName(ids.translate(exp));
  if (typeof act === 'string') act = normalizeName(act);
  // A recording's length in whole seconds depends on the replay's pacing: its type is what is compared.
  if (where.endsWith('.recording.duration') && typeof exp === 'number') {
    if (typeof act !== 'number' || act < 0) problems.push(`${where}: ${JSON.stringify(act)} instead of a number of seconds`);
    return;
  }
  // The 201 of a play races PlaybackStarted on real Asterisk: `queued` or `playing`.
  if (where.endsWith('.state') && ['queued', 'playing'].includes(String(exp)) && ['queued', 'playing'].includes(String(act))) return;
  if (exp !== act) problems.push(`${where}: ${JSON.stringify(act)} instead of ${JSON.stringify(exp)}`);
}

/** Channel names without their sequence numbers and pointers (also inside BRIDGEPEER lists). */
function normalizeName(s: string): string {
  return s.replace(/-[0-9a-f]{8}(;[12])?(?=,|$)/g, '-N$1').replace(/\b0x[0-9a-f]+\b/g, '0xN');
}

/** What is compared of one event, as a string, so sequences diff readably. */
function describeEvent(e: Ev): string {
  const ch = e.channel as Ev | undefined;
  const pb = e.playback as Ev | undefined;
  const parts = [String(e.type)];
  if (ch) parts.push(String(ch.state));
  for (const k of ['cause', 'cause_txt', 'tech_cause', 'soft', 'dialstatus', 'digit', 'duration_ms']) if (k in e) parts.push(`${k}=${String(e[k])}`);
  if (e.type === 'ChannelVarset') parts.push(`${String(e.variable)}=${volatileVar(e) ? '…' : normalizeName(String(e.value))}`);
  if (e.type === 'StasisStart') parts.push(`args=${JSON.stringify(e.args)}`);
  if (pb) parts.push(`${String(pb.state)} ${String(pb.media_uri)} next=${String(pb.next_media_uri ?? '-')}`);
  return parts.join(' ');
}

/** RTP statistics and SIP Call-IDs (BRIDGEPVTCALLID) differ on every call: compared by name only (an empty value stays empty). */
function volatileVar(e: Ev): boolean {
  const name = String(e.variable);
  return name.startsWith('RTPAUDIOQOS') || (name === 'BRIDGEPVTCALLID' && e.value !== '');
}

function eventChannel(e: Ev): Ev | undefined {
  return (e.channel ?? e.peer) as Ev | undefined;
}

/**
 * Events of the app's channels (not Local ;2 halves), ChannelDialplan excluded. Real Asterisk
 * races `Dial ""` against `ChannelStateChange Ringing` on PJSIP (traces i and i4 differ), so the
 * pair is put in one canonical order; RTP statistics values are blanked. A dialed Local leg
 * publishes its first `Dial ""` before or after its state change and its `RINGING`, `ANSWER` or
 * `BUSY` (traces t, recorded twice more with each order): `Dial ""` is put first.
 */
function mainSequence(events: Ev[]): Ev[] {
  const list = events.filter((e) => e.type !== 'ChannelDialplan' && !String(eventChannel(e)?.name ?? '').endsWith(';2'))
    .map((e) => (e.type === 'ChannelVarset' && volatileVar(e) ? { ...e, value: '' } : e));
  collapseBridgePeers(list);
  list.forEach((e, k) => {
    if (e.type !== 'Dial' || e.dialstatus !== '') return;
    const id = (e.peer as Ev | undefined)?.id;
    const sameLeg = (x: Ev) => (x.type === 'Dial' && x.dialstatus !== '' && (x.peer as Ev | undefined)?.id === id)
      || (x.type === 'ChannelStateChange' && (x.channel as Ev).id === id);
    let at = k;
    while (at > 0 && sameLeg(list[at - 1] as Ev)) at--;
    if (at < k) list.splice(at, 0, ...list.splice(k, 1));
  });
  for (let i = 0; i + 1 < list.length; i++) {
    const a = list[i] as Ev;
    const b = list[i + 1] as Ev;
    if (a.type === 'ChannelStateChange' && (a.channel as Ev).state === 'Ringing' && b.type === 'Dial' && b.dialstatus === '') {
      list[i] = b;
      list[i + 1] = a;
    }
    // The same race between `Dial RINGING` and the state change of a dialed leg (trace m2, B1 and B2 differ).
    if (a.type === 'Dial' && a.dialstatus === 'RINGING' && b.type === 'ChannelStateChange' && (b.channel as Ev).state === 'Ringing') {
      list[i] = b;
      list[i + 1] = a;
    }
  }
  return list;
}

/**
 * A multi-party bridge's members get BRIDGEPEER from more than one bridge thread: Asterisk repeats
 * some updates and orders them differently from one change to the next (trace r). A run of
 * BRIDGEPEER updates is compared by what it leaves: each channel's last value, by channel name.
 */
function collapseBridgePeers(list: Ev[]): void {
  const isPeer = (e: Ev | undefined) => e?.type === 'ChannelVarset' && e.variable === 'BRIDGEPEER';
  for (let i = 0; i < list.length; i++) {
    if (!isPeer(list[i])) continue;
    let j = i;
    while (isPeer(list[j + 1])) j++;
    if (j === i) continue;
    const last = new Map<string, Ev>();
    for (const e of list.slice(i, j + 1)) last.set(String((e.channel as Ev).name), e);
    const kept = [...last.entries()].sort(([x], [y]) => normalizeName(x).localeCompare(normalizeName(y))).map(([, e]) => e);
    list.splice(i, j - i + 1, ...kept);
    i += kept.length - 1;
  }
}

/** Learns trace → simulator channel ids from events seen at the same position (inbound channels). */
function learnIds(recorded: Ev[], actual: Ev[], ids: IdMap): void {
  const exp = mainSequence(recorded);
  const act = mainSequence(actual);
  for (let k = 0; k < Math.min(exp.length, act.length); k++) {
    const e = eventChannel(exp[k] as Ev)?.id;
    const a = eventChannel(act[k] as Ev)?.id;
    if (typeof e === 'string' && typeof a === 'string' && ids.get(e) === undefined) ids.set(e, a);
  }
}

function halfTwoBag(events: Ev[]): string[] {
  return events.filter((e) => e.type !== 'ChannelDialplan' && String(eventChannel(e)?.name ?? '').endsWith(';2')).map(describeEvent).sort();
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) return false;
    await sleep(5);
  }
  return true;
}

/** A WAV of silence: 8 kHz mono 16-bit, `bytes` of samples (hello-world.wav has 22468). */
function wav(bytes: number): Buffer {
  return writeWav({ sampleRate: 8000, samples: new Int16Array(Math.floor(bytes / 2)) });
}

/**
 * The media server of trace o: hello.wav with an ETag (304 to If-None-Match), missing.wav 404,
 * slow.wav after 5 s (scaled like the simulator), cached.wav with Cache-Control max-age=300.
 */
async function startMediaServer(seen: string[], anyPath: boolean): Promise<Server> {
  const hello = wav(22468);
  // Trace v: the same 0.3 s WAV under any path.
  const short = wav(4800);
  const server = createServer((req, res) => {
    seen.push(`${String(req.method)} ${String(req.url)}`);
    const path = (req.url ?? '').split('?')[0];
    const headers = { 'Content-Type': 'audio/wav', 'Content-Length': String(hello.length), ETag: '"hello-v1"', 'Last-Modified': 'Tue, 01 Dec 2026 19:00:00 GMT' };
    const body = req.method === 'HEAD' ? undefined : hello;
    if (path === '/media/hello.wav') {
      if (req.headers['if-none-match'] === '"hello-v1"') res.writeHead(304, { ETag: '"hello-v1"' }).end();
      else res.writeHead(200, headers).end(body);
    } else if (path === '/media/slow.wav') {
      setTimeout(() => res.writeHead(200, headers).end(body), 5000 * SCALE);
    } else if (anyPath) {
      res.writeHead(200, { 'Content-Type': 'audio/wav', 'Content-Length': String(short.length) }).end(req.method === 'HEAD' ? undefined : short);
    } else if (path === '/media/cached.wav') {
      res.writeHead(200, { ...headers, 'Cache-Control': 'max-age=300' }).end(body);
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function replay(file: string, trace: { description?: string; entries: Entry[] }): Promise<string[]> {
  const problems: string[] = [];
  const phoneScript = PHONE_SCRIPTS[file];
  // The recording's media cache directory sets where short http URLs fail (trace v).
  const cacheDir = /astcachedir (\S+?),? /.exec(trace.description ?? '')?.[1];
  const sim: RunningSimulator = await startSimulator({
    port: 0, username: 'lab', password: 'lab', timeScale: SCALE,
    ...(cacheDir ? { astCacheDir: cacheDir } : {}),
    scripts: { ...TEST_CALLEES, ...LAB_SCRIPTS, ...(phoneScript ? { 'PJSIP/phone1': phoneScript } : {}) },
    knownEndpoints: ['PJSIP/phone1', 'Local/*'],
    offlineEndpoints: ['PJSIP/phone2'],
  });
  const ids = new IdMap();
  const sockets = new Map<string, EventSocket>();
  let main: EventSocket | undefined;
  let fault: Promise<void> | undefined;
  let faultKind: 'restart' | 'stop' | undefined;
  let pendingStart = false;
  const recorded: Ev[] = [];
  let media: Server | undefined;
  const mediaSeen: string[] = [];
  const mediaExpected: string[] = [];
  let mediaSocket: WebSocket | undefined;
  const mediaTexts: string[] = [];
  try {
    const entries = trace.entries;
    // Trace s: the created channel entered the application only after the dial came (under load on
    // the real Asterisk); the simulator's fault holds its StasisStart back until the replay's dial.
    if (entries.some((e) => e.kind === 'note' && e.text?.startsWith('delay-created-stasis-start'))) sim.faults.delayCreatedStasisStart(10000);
    let lastRequestMs = 0;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Entry;
      if (e.kind === 'ws-event' && e.label === 'ws' && e.event) recorded.push(e.event);
      if (e.kind === 'ws-connect') {
        if (pendingStart) {
          await sim.faults.start();
          pendingStart = false;
        }
        const url = new URL(e.url as string);
        // The project's recordings mask the lab's credentials.
        if (url.searchParams.get('api_key') === 'MASKED') url.searchParams.set('api_key', 'lab:lab');
        const sock = new EventSocket(`ws://127.0.0.1:${sim.port}${url.pathname}${url.search}`);
        sockets.set(e.label ?? 'ws', sock);
        if (e.label === 'ws') main = sock;
        const next = entries.slice(i + 1).find((x) => x.label === e.label && x.kind !== 'ws-connect');
        const result = await sock.opened;
        if (next?.kind === 'ws-open' && !result.ok) problems.push(`${e.label}: expected the WebSocket to open, got ${JSON.stringify(result)}`);
        if (next?.kind === 'ws-unexpected-response') {
          const expected = entries[entries.indexOf(next)] as Entry & { body?: string; headers?: Record<string, string> };
          if (result.status !== expected.status) problems.push(`${e.label}: handshake status ${String(result.status)} instead of ${String(expected.status)}`);
          if (expected.headers?.['content-type'] === 'application/json' && result.body !== expected.body) {
            problems.push(`${e.label}: handshake body ${String(result.body)} instead of ${String(expected.body)}`);
          }
        }
        if (next?.kind === 'ws-error' && result.error !== 'ECONNREFUSED') problems.push(`${e.label}: expected ECONNREFUSED, got ${JSON.stringify(result)}`);
        continue;
      }
      if (e.kind === 'ws-close') {
        const sock = sockets.get(e.label ?? 'ws');
        if (!sock) continue;
        if (e.label === 'ws' && faultKind) {
          const code = await Promise.race([sock.closed, sleep(3000).then(() => -1)]);
          if (code !== e.code) problems.push(`${e.label}: WebSocket closed with ${code} instead of ${String(e.code)}`);
        } else if (e.label === 'ws' || e.label === 'ws-reconnect') {
          await waitFor(() => (sock === main ? mainSequence(sock.events).length >= mainSequence(recorded).length : true), 3000);
          sock.close();
          await sock.closed;
        }
        continue;
      }
      const mediaNote = e.kind === 'note' ? /^http media server on 127\.0\.0\.1:(\d+)/.exec(e.text ?? '') : null;
      if (mediaNote) {
        media = await startMediaServer(mediaSeen, (e.text ?? '').includes('(any path'));
        const port = String((media.address() as AddressInfo).port);
        ids.set(`127.0.0.1:${mediaNote[1]}`, `127.0.0.1:${port}`);
        ids.set(`127.0.0.1%3A${mediaNote[1]}`, `127.0.0.1%3A${port}`);
        continue;
      }
      const mediaWs = e.kind === 'note' ? /connect a websocket to ws:\/\/[^/]+\/media\/(\S+)/.exec(e.text ?? '') : null;
      if (mediaWs) {
        // The client of an externalMedia channel in WebSocket server mode.
        const before = mainSequence(recorded).length;
        if (main) await waitFor(() => mainSequence(main?.events ?? []).length >= before, 10000);
        mediaSocket = new WebSocket(`ws://127.0.0.1:${sim.port}/media/${ids.translate(mediaWs[1] as string)}`, 'media');
        const got = mediaSocket;
        got.on('message', (data, binary) => { if (!binary) mediaTexts.push(String(data)); });
        await new Promise<void>((resolve, reject) => { got.once('open', () => resolve()); got.once('error', reject); });
        continue;
      }
      const mediaDone = e.kind === 'note' ? /^media websocket received \d+ messages; text messages: (.*)$/.exec(e.text ?? '') : null;
      if (mediaDone && mediaSocket) {
        const expected = (JSON.parse(mediaDone[1] as string) as string[]).map((t) => t.split(' ')[0]);
        await waitFor(() => mediaTexts.length >= expected.length, 10000);
        if (mediaTexts.map((t) => t.split(' ')[0]).join(',') !== expected.join(',')) problems.push(`media websocket texts ${JSON.stringify(mediaTexts)} instead of ${JSON.stringify(expected)}`);
        const before = mainSequence(recorded).length;
        if (main) await waitFor(() => mainSequence(main?.events ?? []).length >= before, 10000);
        mediaSocket.close(1001);
        continue;
      }
      const received = e.kind === 'note' ? /^http server received (.+)$/.exec(e.text ?? '') : null;
      if (received) mediaExpected.push(received[1] as string);
      if (e.kind === 'note' && e.text) {
        if (main && /core (restart|stop)/.test(e.text)) {
          const before = mainSequence(recorded).length;
          const sock = main;
          await waitFor(() => mainSequence(sock.events).length >= before, 3000);
        }
        if (e.text.includes('core restart now')) {
          faultKind = 'restart';
          fault = sim.faults.restart();
        } else if (e.text.includes('core stop gracefully')) {
          faultKind = 'stop';
          fault = sim.faults.stopGracefully();
        } else if (e.text.includes('starting Asterisk again')) {
          pendingStart = true;
        }
        continue;
      }
      if (e.kind === 'phone-command' && e.command === 'dial') {
        // phone1 dials an extension (sip:<exten>@…): an inbound call through the control API, with
        // the Stasis arguments the lab dialplan of that recording gives.
        const exten = /^sip:([^@]+)@/.exec(e.params ?? '')?.[1] ?? '';
        const before = mainSequence(recorded).length;
        if (main) await waitFor(() => mainSequence(main?.events ?? []).length >= before, 10000);
        const r = await http(sim.port, 'POST', '/sim/inbound', undefined, { from: 'PJSIP/phone1', exten, app: 'lab-inbound', args: inboundArgs(file, exten, '1001'), callerId: '"Lab Phone 1" <1001>' });
        assert.equal(r.status, 200);
        continue;
      }
      if (e.kind === 'phone-command' && (e.command === 'hangup' || e.command === 'sndcode') && PHONE_BY_COMMAND.has(file)) {
        // The phone acts once the app has seen what came before.
        const before = mainSequence(recorded).length;
        if (main) await waitFor(() => mainSequence(main?.events ?? []).length >= before, 10000);
        const live = (await http(sim.port, 'GET', '/sim/channels', undefined)).body as Array<{ id: string; endpoint: string }>;
        const phone = live.find((c) => c.endpoint === 'PJSIP/phone1');
        if (!phone) problems.push(`phone ${e.command}: no live PJSIP/phone1 channel`);
        else if (e.command === 'hangup') assert.equal((await http(sim.port, 'POST', `/sim/channels/${phone.id}/hangup`, undefined)).status, 204);
        else assert.equal((await http(sim.port, 'POST', `/sim/channels/${phone.id}/dtmf`, undefined, { digits: e.params })).status, 204);
        continue;
      }
      if (e.kind !== 'rest-request') continue;
      const response = entries.slice(i + 1).find((x) => x.kind === 'rest-response' && x.method === e.method && x.path === e.path) as Entry;
      // Let the events the app had seen before this request arrive, and keep the recorded pacing.
      const before = mainSequence(recorded).length;
      if (main) await waitFor(() => mainSequence(main?.events ?? []).length >= before, 10000);
      await sleep(Math.min(400, Math.max(0, e.ms - lastRequestMs) * SCALE));
      lastRequestMs = e.ms;
      if (main) learnIds(recorded, main.events, ids);
      if (pendingStart && response.status) {
        await sim.faults.start();
        pendingStart = false;
      }
      if (fault && response.status && faultKind === 'restart') await fault;
      const path = ids.translate(e.path as string) + (e.rawQuery ? `?${ids.translate(e.rawQuery)}` : '');
      const auth = e.auth === 'none' ? undefined : e.auth === 'custom/invalid' ? 'lab:wrong' : 'lab:lab';
      const got = await http(sim.port, e.method as string, path, auth, e.body === undefined ? undefined : JSON.parse(ids.translate(JSON.stringify(e.body))));
      const label = `${e.method} ${e.path}${e.rawQuery ? `?${e.rawQuery}` : ''}`;
      if (response.status === null || response.status === undefined) {
        if (!got.error) problems.push(`${label}: expected a connection error (${String(response.error)}), got ${String(got.status)}`);
        continue;
      }
      if (response.status === 503) continue; // "Asterisk not booted": a window of a real boot the simulator does not have
      if (got.status !== response.status) {
        problems.push(`${label}: status ${String(got.status ?? got.error)} instead of ${response.status} (${JSON.stringify(got.body)})`);
        continue;
      }
      const expBody = response.body as Ev | Ev[] | string | null;
      // A binary body (a recording's file) is not recorded, only its type.
      if (expBody === null) {
        if ((response as Entry & { contentType?: string }).contentType !== got.contentType) problems.push(`${label}: content type ${String(got.contentType)} instead of ${String((response as Entry & { contentType?: string }).contentType)}`);
        continue;
      }
      if (expBody && typeof expBody === 'object' && !Array.isArray(expBody) && ('message' in expBody || 'error' in expBody)) {
        if (!isDeepStrictEqual(got.body, expBody)) problems.push(`${label}: error body ${JSON.stringify(got.body)} instead of ${JSON.stringify(expBody)}`);
        continue;
      }
      if (expBody && typeof expBody === 'object' && !Array.isArray(expBody) && typeof expBody.id === 'string' && got.body && typeof got.body === 'object') {
        ids.set(expBody.id, String((got.body as Ev).id));
      }
      // Port and connection ids a channel was given (externalMedia) are the simulator's own.
      const vars = expBody && typeof expBody === 'object' && !Array.isArray(expBody) ? (expBody as Ev).channelvars as Record<string, string> | undefined : undefined;
      const gotVars = (got.body as Ev | undefined)?.channelvars as Record<string, string> | undefined;
      for (const [k, v] of Object.entries(vars ?? {})) if (/_(PORT|ID)$/.test(k) && gotVars?.[k] !== undefined) ids.set(v, gotVars[k] as string);
      // Lists (GET /channels) teach the ids of the channels the app did not create, by name.
      if (Array.isArray(expBody) && Array.isArray(got.body)) {
        for (const item of expBody) {
          const twin = (got.body as Ev[]).find((g) => normalizeName(String(g?.name ?? '')) === normalizeName(String((item as Ev)?.name ?? '')));
          if (twin && typeof (item as Ev).id === 'string' && ids.get(String((item as Ev).id)) === undefined) ids.set(String((item as Ev).id), String(twin.id));
        }
      }
      compareShape(expBody, got.body, label, ids, problems);
    }

    // Learn ids from events (Local ;2 halves, inbound channels) and compare the sequences.
    if (main) {
      const sock = main;
      await waitFor(() => mainSequence(sock.events).length >= mainSequence(recorded).length, 10000);
      // Everything expected arrived; a little longer lets an extra (unexpected) event show up too.
      await sleep(50);
      const exp = mainSequence(recorded);
      const act = mainSequence(sock.events);
      const expText = exp.map((ev) => ids.translate(describeEvent(ev)));
      const actText = act.map(describeEvent);
      if (expText.join('\n') !== actText.join('\n')) {
        problems.push(`event sequence differs:\n  expected:\n    ${expText.join('\n    ')}\n  actual:\n    ${actText.join('\n    ')}`);
      } else {
        exp.forEach((ev, k) => {
          const a = act[k] as Ev;
          // The peer's state in the first Dial and in Dial RINGING depends on the same races as above.
          const e2 = ev.type === 'Dial' && (ev.dialstatus === '' || ev.dialstatus === 'RINGING') ? { ...ev, peer: { ...(ev.peer as Ev), state: (a.peer as Ev | undefined)?.state } } : ev;
          compareShape(e2, a, `event ${k} ${String(ev.type)}`, ids, problems);
        });
      }
      const exp2 = halfTwoBag(recorded);
      const act2 = halfTwoBag(sock.events);
      if (exp2.join('\n') !== act2.join('\n')) problems.push(`Local ;2 events differ:\n  expected: ${exp2.join(' | ')}\n  actual:   ${act2.join(' | ')}`);
    }
    // What the simulator fetched, as Asterisk did (a retried 404 aside: compared without repeats).
    const dedupe = (list: string[]) => list.filter((x, k) => x !== list[k - 1]);
    if (dedupe(mediaSeen).join('\n') !== dedupe(mediaExpected).join('\n')) {
      problems.push(`media requests differ:\n  expected: ${dedupe(mediaExpected).join(' | ')}\n  actual:   ${dedupe(mediaSeen).join(' | ')}`);
    }
    if (fault) await fault;
  } finally {
    for (const s of sockets.values()) s.terminate();
    mediaSocket?.terminate();
    await sim.close();
    if (media) await new Promise((resolve) => media?.close(resolve));
  }
  return problems;
}

const present = existsSync(TRACES);
// TRACES_ONLY=m-,n- replays only the recordings whose names start so (while working on them).
const only = (process.env.TRACES_ONLY ?? '').split(',').filter(Boolean);
const traceFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.json') && (only.length === 0 || only.some((p) => f.startsWith(p)))).sort();
const files = present ? traceFiles(TRACES) : [];

async function replayFile(dir: string, file: string): Promise<void> {
  const trace = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as { description?: string; entries: Entry[] };
  const problems = await replay(file, trace);
  assert.deepEqual(problems, [], problems.join('\n'));
}

describe('conformance with the project\'s recordings of a real Asterisk 22.10.1 (test/fixtures/traces)', () => {
  for (const file of traceFiles(FIXTURES)) test(file, () => replayFile(FIXTURES, file));
});

describe('conformance with recordings of a real Asterisk 22', () => {
  before(() => undefined);
  after(() => undefined);

  if (!present) {
    test('traces', (t) => {
      t.skip(`reference recordings absent: ${TRACES} (../shared/ari-reference is not part of the repository)`);
    });
    return;
  }

  for (const file of files) test(file, () => replayFile(TRACES, file));
});
