// Records a scripted ARI scenario against a real Asterisk as a JSON trace in the format of the
// reference recordings (../shared/ari-reference/traces): every REST request and answer, every
// event of the application's WebSocket, and notes. test/conformance/traces.test.ts replays the
// traces of test/fixtures/traces against the simulator.
//
//   ARI_URL=http://127.0.0.1:8088 ARI_USERNAME=… ARI_PASSWORD=… \
//     npx tsx scripts/record-ari-trace.ts <scenario> [out-dir]     (scenarios: see SCENARIOS)
//   TRACE_ASTCACHEDIR=<the Asterisk's astcachedir> for v-http-media-short-url
//
// TRACE_APP names the Stasis application (default trace-lab). The credentials never reach the
// trace: the WebSocket URL carries api_key=MASKED and requests carry no auth field (the replay
// substitutes its own). Only Local channels of the lab's [test-callees] context are called.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { writeWav } from '../src/tts/wav.js';

type Ev = Record<string, unknown>;
type Entry = Record<string, unknown> & { t: string; ms: number; kind: string };
type Query = Record<string, string | number | undefined>;

const ARI_URL = (process.env.ARI_URL ?? 'http://127.0.0.1:8088').replace(/\/+$/, '');
const USER = process.env.ARI_USERNAME ?? 'engine';
const PASSWORD = process.env.ARI_PASSWORD ?? '';
const APP = process.env.TRACE_APP ?? 'trace-lab';
const MASK = 'MASKED';
/** The recorded Asterisk's astcachedir (asterisk.conf), stated in trace v: it sets where short URLs fail. */
const CACHE_DIR = process.env.TRACE_ASTCACHEDIR ?? '/var/cache/asterisk';
const AUTH = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

export class Recorder {
  readonly entries: Entry[] = [];
  readonly events: Ev[] = [];
  private readonly started = Date.now();
  private readonly sockets = new Map<string, WebSocket>();
  private readonly closing = new Set<string>();
  private waiters: Array<() => void> = [];

  private push(kind: string, fields: Record<string, unknown>): void {
    const now = Date.now();
    this.entries.push({ t: new Date(now).toISOString(), ms: now - this.started, kind, ...fields });
  }

  note(text: string, data?: unknown): void {
    this.push('note', data === undefined ? { text } : { text, data });
  }

  /** Opens an events WebSocket for `app` (default TRACE_APP) under `label`; a close the recorder did not ask for is recorded too. */
  async connect(label = 'ws', app = APP): Promise<void> {
    const query = `app=${encodeURIComponent(app)}&api_key=${MASK}&subscribeAll=false`;
    const url = `${ARI_URL.replace(/^http/, 'ws')}/ari/events?${query}`;
    this.push('ws-connect', { label, url });
    const ws = new WebSocket(url.replace(MASK, encodeURIComponent(`${USER}:${PASSWORD}`)));
    this.sockets.set(label, ws);
    ws.on('message', (data) => {
      const event = JSON.parse(String(data)) as Ev;
      this.push('ws-event', { label, type: event.type, event });
      this.events.push(event);
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('close', (code, reason) => {
      if (!this.closing.has(label)) this.push('ws-close', { label, code, reason: String(reason), by: 'server' });
      for (const w of this.waiters.splice(0)) w();
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    this.push('ws-open', { label });
  }

  /** True while the socket under `label` is open. */
  isOpen(label = 'ws'): boolean {
    return this.sockets.get(label)?.readyState === WebSocket.OPEN;
  }

  async close(label = 'ws'): Promise<void> {
    const ws = this.sockets.get(label);
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    this.closing.add(label);
    const code = await new Promise<number>((resolve) => {
      ws.once('close', (c) => resolve(c));
      ws.close(1000);
    });
    this.push('ws-close', { label, code, reason: '' });
  }

  async rest(method: string, path: string, query: Query = {}, body?: unknown): Promise<{ status: number; body: unknown }> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const rawQuery = params.toString().replace(/\+/g, '%20');
    const shown = Object.fromEntries([...params.entries()]);
    this.push('rest-request', { method, path: `/ari${path}`, rawQuery, query: shown, ...(body === undefined ? {} : { body }) });
    const res = await fetch(`${ARI_URL}/ari${path}${rawQuery ? `?${rawQuery}` : ''}`, {
      method,
      headers: { Authorization: AUTH, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : '';
    } catch { /* kept as text */ }
    this.push('rest-response', { method, path: `/ari${path}`, status: res.status, statusText: res.statusText, contentType: res.headers.get('content-type'), body: parsed });
    return { status: res.status, body: parsed };
  }

  /** The first event (from `from` on) that matches, or an error after `ms`. */
  async waitEvent(match: (e: Ev) => boolean, ms: number, what: string, from = 0): Promise<Ev> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.events.slice(from).find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  /** Lets events that follow arrive (and be recorded) before the next step. */
  settle(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  trace(scenario: string, description: string, asteriskVersion: string): unknown {
    return { description, scenario, asteriskVersion, recordedAt: new Date(this.started).toISOString(), entries: this.entries };
  }
}

const chanOf = (e: Ev) => (e.channel ?? e.peer) as Ev | undefined;
const isEvent = (type: string, channelId: string) => (e: Ev) => e.type === type && chanOf(e)?.id === channelId;

/** An answered Local/answer@test-callees in the application: the first party of a call. */
async function answeredCaller(r: Recorder): Promise<string> {
  const made = await r.rest('POST', '/channels', { endpoint: 'Local/answer@test-callees', app: APP, callerId: '"Trace Caller" <+15551230000>', timeout: 30 });
  const id = String((made.body as Ev).id);
  await r.waitEvent(isEvent('StasisStart', id), 10000, 'StasisStart of the caller');
  return id;
}

async function hangupAndWait(r: Recorder, id: string): Promise<void> {
  const from = r.events.length;
  await r.rest('DELETE', `/channels/${id}`);
  await r.waitEvent(isEvent('ChannelDestroyed', id), 10000, `ChannelDestroyed of ${id}`, from);
}

/** Busy loops on every core for `ms`: the CPU load under which the dial raced StasisStart in the lab. */
async function busyCores(ms: number): Promise<() => void> {
  const { Worker } = await import('node:worker_threads');
  const workers = [0, 1, 2].map(() => new Worker(`const end = Date.now() + ${ms}; while (Date.now() < end) {}`, { eval: true }));
  return () => { for (const w of workers) void w.terminate(); };
}

interface Scenario {
  description: string;
  run(r: Recorder): Promise<string>;
}

/** (s) POST /channels/create then /dial at once, many times, CPU busy: keeps the first attempt that got 409. */
async function dialBeforeStasisStart(): Promise<{ recorder: Recorder; summary: string }> {
  const attempts = Number(process.env.TRACE_ATTEMPTS ?? 60);
  const stop = await busyCores(attempts * 2000);
  const statuses: number[] = [];
  let kept: Recorder | undefined;
  let fallback: Recorder | undefined;
  try {
    for (let i = 1; i <= attempts; i++) {
      const r = new Recorder();
      await r.connect();
      r.note(`attempt ${i}: POST /channels/create Local/answer@test-callees, then POST /channels/{id}/dial without waiting for its StasisStart (busy loops on every core)`);
      const made = await r.rest('POST', '/channels/create', { endpoint: 'Local/answer@test-callees', app: APP, appArgs: 'dialed,trace' });
      const id = String((made.body as Ev).id);
      const first = await r.rest('POST', `/channels/${id}/dial`, { timeout: 10 });
      statuses.push(first.status);
      await r.waitEvent(isEvent('StasisStart', id), 10000, 'StasisStart of the created channel');
      if (first.status !== 204) {
        r.note('delay-created-stasis-start: the dial came before the created channel\'s StasisStart; dial again after it');
        await r.rest('POST', `/channels/${id}/dial`, { timeout: 10 });
      }
      await r.waitEvent((e) => e.type === 'Dial' && e.dialstatus === 'ANSWER' && chanOf(e)?.id === id, 10000, 'Dial ANSWER');
      await r.settle(300);
      await hangupAndWait(r, id);
      await r.close();
      if (first.status === 409 && !kept) kept = r;
      if (!fallback) fallback = r;
      if (kept && i >= 12) break;
    }
  } finally {
    stop();
  }
  const count = (s: number) => statuses.filter((x) => x === s).length;
  const summary = `${statuses.length} attempts with every core busy: first dial answered 204 ${count(204)} times, 409 ${count(409)} times, other ${statuses.length - count(204) - count(409)}`;
  const recorder = (kept ?? fallback) as Recorder;
  recorder.note(summary);
  return { recorder, summary };
}

/** (t) Caller A in a bridge, B = POST /channels/create Local/<callee>@test-callees (originator A) dialed after its StasisStart. */
function dialedLocal(callee: string, timeout: number, until: string): Scenario {
  return {
    description: `Asterisk 22.10.1: a dialed Local leg, as the engine's dial step makes it. A = POST /ari/channels endpoint=Local/answer@test-callees app=trace-lab -> StasisStart -> POST /bridges type=mixing -> addChannel A. B = POST /channels/create endpoint=Local/${callee}@test-callees app=trace-lab originator=A appArgs=dialed,trace -> StasisStart (Down) -> POST /channels/{B}/dial caller=A timeout=${timeout} -> ${until}. Then DELETE the bridge and A. [test-callees] ${callee}: see asterisk-config/extensions.conf.`,
    async run(r) {
      r.note('1. A: Local/answer@test-callees, a mixing bridge, A in it');
      const a = await answeredCaller(r);
      const bridge = await r.rest('POST', '/bridges', { type: 'mixing' });
      const bridgeId = String((bridge.body as Ev).id);
      await r.rest('POST', `/bridges/${bridgeId}/addChannel`, { channel: a });
      r.note(`2. B: create Local/${callee}@test-callees, wait for its StasisStart, dial timeout=${timeout}`);
      const made = await r.rest('POST', '/channels/create', { endpoint: `Local/${callee}@test-callees`, app: APP, appArgs: 'dialed,trace', originator: a });
      const b = String((made.body as Ev).id);
      await r.waitEvent(isEvent('StasisStart', b), 10000, 'StasisStart of B');
      await r.rest('POST', `/channels/${b}/dial`, { caller: a, timeout });
      if (callee === 'hangup') {
        await r.waitEvent((e) => e.type === 'Dial' && e.dialstatus === 'ANSWER' && chanOf(e)?.id === b, 10000, 'Dial ANSWER');
        r.note('3. B answered: into the bridge; the callee hangs up 1.5 s after answering');
        await r.rest('POST', `/bridges/${bridgeId}/addChannel`, { channel: b });
      }
      await r.waitEvent(isEvent('ChannelDestroyed', b), (timeout + 10) * 1000, 'ChannelDestroyed of B');
      await r.settle(500);
      r.note('4. clean up: DELETE bridge, DELETE A');
      await r.rest('DELETE', `/bridges/${bridgeId}`);
      await hangupAndWait(r, a);
      return `B ${callee}: ${r.events.filter((e) => chanOf(e)?.id === b && ['Dial', 'ChannelHangupRequest', 'ChannelDestroyed', 'StasisEnd'].includes(String(e.type)))
        .map((e) => `${String(e.type)}${'dialstatus' in e ? ` ${String(e.dialstatus)}` : ''}${'cause' in e ? ` cause=${String(e.cause)}` : ''}`).join(', ')}`;
    },
  };
}

/** (u) Music on hold on an answered channel, then on a bridge. */
const moh: Scenario = {
  description: 'Asterisk 22.10.1 with res_musiconhold and the project\'s musiconhold.conf (class default, mode files): A = POST /ari/channels endpoint=Local/answer@test-callees app=trace-lab -> StasisStart. POST /channels/{A}/moh, DELETE it; POST with mohClass=nosuchclass; DELETE /channels/{A}/moh when none plays; POST /channels/{unknown}/moh. Then a mixing bridge with A: POST /bridges/{id}/moh, DELETE it, DELETE again; POST /bridges/{unknown}/moh. Then DELETE bridge and A. Every event is recorded, whatever comes.',
  async run(r) {
    r.note('1. A: Local/answer@test-callees');
    const a = await answeredCaller(r);
    r.note('2. POST /channels/{A}/moh, 1 s, DELETE');
    await r.rest('POST', `/channels/${a}/moh`);
    await r.settle(1000);
    await r.rest('DELETE', `/channels/${a}/moh`);
    await r.settle(500);
    r.note('3. POST /channels/{A}/moh mohClass=nosuchclass, DELETE; DELETE again when none plays; an unknown channel');
    await r.rest('POST', `/channels/${a}/moh`, { mohClass: 'nosuchclass' });
    await r.settle(500);
    await r.rest('DELETE', `/channels/${a}/moh`);
    await r.settle(300);
    await r.rest('DELETE', `/channels/${a}/moh`);
    await r.rest('POST', '/channels/nosuchchannel/moh');
    r.note('4. a mixing bridge with A: POST /bridges/{id}/moh, 1 s, DELETE, DELETE again; an unknown bridge');
    const bridge = await r.rest('POST', '/bridges', { type: 'mixing' });
    const bridgeId = String((bridge.body as Ev).id);
    await r.rest('POST', `/bridges/${bridgeId}/addChannel`, { channel: a });
    await r.settle(300);
    await r.rest('POST', `/bridges/${bridgeId}/moh`);
    await r.settle(1000);
    await r.rest('DELETE', `/bridges/${bridgeId}/moh`);
    await r.settle(500);
    await r.rest('DELETE', `/bridges/${bridgeId}/moh`);
    await r.rest('POST', '/bridges/nosuchbridge/moh');
    r.note('5. clean up');
    await r.rest('DELETE', `/bridges/${bridgeId}`);
    await hangupAndWait(r, a);
    const types = [...new Set(r.events.map((e) => String(e.type)))];
    return `event types seen: ${types.join(', ')}`;
  },
};

/** A WAV of 0.3 s of silence for the http playbacks. */
const WAV = writeWav({ sampleRate: 8000, samples: new Int16Array(2400) });

async function mediaServer(r: Recorder, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    r.note(`http server received ${String(req.method)} ${String(req.url)}`, { method: req.method, path: req.url, headers: req.headers });
    res.writeHead(200, { 'Content-Type': 'audio/wav', 'Content-Length': String(WAV.length) }).end(req.method === 'HEAD' ? undefined : WAV);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

/** (v) sound:http:// with a short URL (truncated cache path) and longer ones, a fragment, a query. */
function httpMedia(urls: (base: string) => string[]): Scenario {
  return {
    description: `Asterisk 22.10.1 (astcachedir ${CACHE_DIR}, default_language en): sound:http:// playbacks of one WAV (0.3 s of silence, 8 kHz mono 16-bit, Content-Type audio/wav) served by an HTTP server on 127.0.0.1 (port in the first note), each under a new URL. A = POST /ari/channels endpoint=Local/answer@test-callees app=trace-lab -> StasisStart -> POST /channels/{A}/play media=sound:<url> one after the other, each waited to PlaybackFinished; every request the server received is a note. main/file.c sizes the buffer for the cached file\'s path as strlen(language) + strlen(url) + 4 and media_cache.c copies the path (<astcachedir>/bucket-XXXXXX.<ext>) into it with ast_copy_string, so a URL too short for the path fails after a successful GET.`,
    async run(r) {
      const port = Number(process.env.TRACE_MEDIA_PORT ?? 0);
      const server = await mediaServer(r, port);
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      r.note(`http media server on 127.0.0.1:${(server.address() as AddressInfo).port} (any path: the same WAV, 0.3 s)`);
      try {
        r.note('1. A: Local/answer@test-callees');
        const a = await answeredCaller(r);
        const results: string[] = [];
        for (const [k, url] of urls(base).entries()) {
          r.note(`${k + 2}. play media=sound:${url} (${url.length} characters)`);
          const from = r.events.length;
          const played = await r.rest('POST', `/channels/${a}/play`, { media: `sound:${url}` });
          const pb = String((played.body as Ev).id);
          const done = await r.waitEvent((e) => e.type === 'PlaybackFinished' && (e.playback as Ev).id === pb, 10000, 'PlaybackFinished', from);
          results.push(`${url} (${url.length}): ${String((done.playback as Ev).state)}`);
          await r.settle(200);
        }
        await hangupAndWait(r, a);
        return results.join(' | ');
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    },
  };
}

/** A URL of `length` characters: base/a…a.wav, or base/a…a without extension (Content-Type names it) where .wav does not fit. */
const pad = (base: string, length: number) => {
  const free = length - base.length - 1;
  return free >= 5 ? `${base}/${'a'.repeat(free - 4)}.wav` : `${base}/${'a'.repeat(Math.max(1, free))}`;
};

/** The labels of the sockets that received an event of `type` for channel `id`. */
const receivers = (r: Recorder, type: string, id: string) => r.entries
  .filter((e) => e.kind === 'ws-event' && e.type === type && chanOf(e.event as Ev)?.id === id).map((e) => String(e.label));

/** Bodies longer than this many list items are kept trimmed (the count is noted). */
const LIST_KEEP = 25;

/** (w) The sounds resource: the list, filtered lists, one sound, an unknown one. */
const soundsScenario: Scenario = {
  description: 'Asterisk 22.10.1 with Debian 12\'s asterisk-core-sounds-en-wav linked as <astdatadir>/sounds (Debian names the languages en -> en_US_f_Allison, en_US -> en_US_f_Allison, en_US_f_Allison: every sound is listed under the three) and no other sounds: GET /sounds, GET /sounds?lang=en, GET /sounds?format=gsm, GET /sounds?lang=fr, GET /sounds/hello-world, GET /sounds/digits/1, GET /sounds/nosuchsound, GET /sounds/vm-options. Lists longer than 25 items are trimmed to their first 25 in this file (a note gives the full count and the ids\' order).',
  async run(r) {
    const lists: string[] = [];
    for (const query of [{}, { lang: 'en' }, { format: 'gsm' }, { lang: 'fr' }] as Query[]) {
      const got = await r.rest('GET', '/sounds', query);
      const items = Array.isArray(got.body) ? got.body as Ev[] : [];
      const response = r.entries[r.entries.length - 1] as Entry;
      if (items.length > LIST_KEEP) {
        response.body = items.slice(0, LIST_KEEP);
        response.trimmedFrom = items.length;
      }
      r.note(`GET /sounds ${JSON.stringify(query)}: ${got.status}, ${items.length} sounds`, {
        count: items.length, first: items.slice(0, 5).map((i) => i.id), sortedById: items.every((i, k) => k === 0 || String(items[k - 1]?.id) <= String(i.id)),
      });
      lists.push(`${JSON.stringify(query)} ${got.status} ${items.length}`);
    }
    const one: string[] = [];
    for (const id of ['hello-world', 'digits/1', 'nosuchsound', 'vm-options']) {
      const got = await r.rest('GET', `/sounds/${id}`);
      one.push(`${id} ${got.status}`);
    }
    return `lists: ${lists.join('; ')}; sounds: ${one.join(', ')}`;
  },
};

/** (x) The applications resource with the recorder's application registered, then after its socket closed. */
const applicationsScenario: Scenario = {
  description: 'Asterisk 22.10.1: the recorder\'s WebSocket is open under app=trace-lab (subscribeAll=false). GET /applications, GET /applications/trace-lab, GET /applications/nosuchapp. Then A = POST /ari/channels endpoint=Local/answer@test-callees app=trace-lab -> StasisStart, GET /applications/trace-lab (A in channel_ids?), DELETE A. Then the socket is closed and, 1 s later, GET /applications and GET /applications/trace-lab again.',
  async run(r) {
    const before = await r.rest('GET', '/applications');
    await r.rest('GET', `/applications/${APP}`);
    const unknown = await r.rest('GET', '/applications/nosuchapp');
    const a = await answeredCaller(r);
    const withChannel = await r.rest('GET', `/applications/${APP}`);
    await hangupAndWait(r, a);
    await r.settle(300);
    await r.close();
    await r.settle(1000);
    const after = await r.rest('GET', '/applications');
    const single = await r.rest('GET', `/applications/${APP}`);
    const names = (body: unknown) => (Array.isArray(body) ? (body as Ev[]).map((x) => x.name).join(',') : String(body));
    return `registered: list [${names(before.body)}], unknown ${unknown.status}, with a channel: channel_ids ${JSON.stringify((withChannel.body as Ev).channel_ids)}; after the socket closed: list [${names(after.body)}], GET /applications/${APP} ${single.status}`;
  },
};

/** (y) A second WebSocket under an application name that another socket holds. */
const takeoverScenario: Scenario = {
  description: 'Asterisk 22.10.1: socket ws is open under app=trace-lab; a second socket ws2 connects under the same app=trace-lab. 1 s later: is ws still open? A = POST /ari/channels endpoint=Local/answer@test-callees app=trace-lab: which socket gets its StasisStart? DELETE A. Then ws2 is closed and B = the same originate: does ws get its events again? DELETE B.',
  async run(r) {
    await r.connect('ws2');
    await r.settle(1000);
    const firstOpen = r.isOpen('ws');
    r.note(`1 s after ws2 connected: ws is ${firstOpen ? 'open' : 'closed'}`);
    const a = await answeredCaller(r);
    await r.settle(300);
    const aTo = receivers(r, 'StasisStart', a);
    await hangupAndWait(r, a);
    await r.settle(300);
    await r.close('ws2');
    await r.settle(1000);
    r.note('ws2 closed; the same originate again');
    const made = await r.rest('POST', '/channels', { endpoint: 'Local/answer@test-callees', app: APP, callerId: '"Trace Caller" <+15551230000>', timeout: 30 });
    const b = String((made.body as Ev).id);
    let bTo: string[] = [];
    try {
      await r.waitEvent(isEvent('StasisStart', b), 5000, 'StasisStart of B');
      bTo = receivers(r, 'StasisStart', b);
    } catch {
      r.note('no StasisStart of B on any socket within 5 s');
    }
    await r.rest('DELETE', `/channels/${b}`);
    await r.settle(1000);
    return `after ws2 connected ws stayed ${firstOpen ? 'open' : 'closed'}; StasisStart of A went to [${aTo.join(',')}]; after ws2 closed, StasisStart of B went to [${bTo.join(',')}]`;
  },
};

const SCENARIOS: Record<string, Scenario> = {
  't-dial-local-busy': dialedLocal('busy', 10, 'B\'s events until its ChannelDestroyed'),
  't-dial-local-noanswer': dialedLocal('noanswer', 3, 'the ring timeout, B\'s events until its ChannelDestroyed'),
  't-dial-local-answer-far-hangup': dialedLocal('hangup', 10, 'Dial ANSWER -> addChannel B -> the callee hangs up after 1.5 s -> B\'s events until its ChannelDestroyed'),
  'u-music-on-hold': moh,
  // TRACE_URL_LENGTHS=27,28 … : one URL of each length (path a…a.wav), then a fragment and a query.
  'w-sounds': soundsScenario,
  'x-applications': applicationsScenario,
  'y-app-takeover': takeoverScenario,
  'v-http-media-short-url': httpMedia((base) => [
    ...(process.env.TRACE_URL_LENGTHS ?? '28,29').split(',').map((n) => pad(base, Number(n))),
    `${base}/b.wav#${'x'.repeat(24)}.wav`,
    `${base}/c.wav?${'x'.repeat(24)}`,
  ]),
};

async function main(): Promise<void> {
  const [name, outDir = 'test/fixtures/traces'] = process.argv.slice(2);
  if (!PASSWORD) throw new Error('ARI_PASSWORD is not set');
  const info = await fetch(`${ARI_URL}/ari/asterisk/info`, { headers: { Authorization: AUTH } }).then((res) => res.json() as Promise<Ev>);
  const version = String((info.system as Ev).version);
  let trace: unknown;
  let summary: string;
  if (name === 's-dial-before-stasis-start') {
    const got = await dialBeforeStasisStart();
    summary = got.summary;
    trace = got.recorder.trace(name, `Asterisk 22.10.1: POST /ari/channels/create endpoint=Local/answer@test-callees app=trace-lab appArgs=dialed,trace, then POST /channels/{id}/dial timeout=10 sent as soon as the create answered, without waiting for the channel's StasisStart, while busy loops kept every core busy; repeated, this recording is the first attempt whose dial was answered 409 (if any). After the StasisStart the dial is sent again, the callee answers, then DELETE. ${summary}.`, version);
  } else {
    const scenario = SCENARIOS[name ?? ''];
    if (!scenario) throw new Error(`unknown scenario ${String(name)}; one of: s-dial-before-stasis-start, ${Object.keys(SCENARIOS).join(', ')}`);
    const r = new Recorder();
    await r.connect();
    summary = await scenario.run(r);
    await r.settle(300);
    await r.close();
    trace = r.trace(name as string, `${scenario.description} Observed: ${summary}.`, version);
  }
  mkdirSync(outDir, { recursive: true });
  const text = JSON.stringify(trace, null, 2);
  if (text.includes(PASSWORD)) throw new Error('the trace would contain the ARI password');
  writeFileSync(`${outDir}/${String(name)}.json`, `${text}\n`);
  console.log(`${String(name)}: ${summary}`);
}

await main();
