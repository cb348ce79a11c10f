// `npm run bench:stream`: STREAMS (default 100) concurrent bidirectional streams for DURATION_S
// (default 30) seconds through the engine (its own process) between the simulator's external media
// (this process) and a WebSocket agent server (this process, one clock with the simulator):
//   - Asterisk → agent: the callee says counter frames (their number and the time they were made);
//     the agent reads them from `media` messages: relay latency, loss, order.
//   - agent → Asterisk: each agent sends counter frames in real time (one per 20 ms, as a paced
//     agent does), starting once every call is up; the simulator's media probe reads them as they
//     reach Asterisk's socket.
// Latency here is end to end (two loopback WebSocket hops and the engine); the same hops without
// the engine are measured first (the agent server talking to a client in this process) as the
// floor. CPU per stream-second and memory per stream are the engine process's own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { startSimulator } from '../src/sim/index.js';
import { Child } from './lib/child.js';
import { ApiClient } from './lib/api.js';
import { summarize, type Summary } from './lib/stats.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STREAMS = Number(process.env.STREAMS ?? 100);
const DURATION_S = Number(process.env.DURATION_S ?? 30);
const NUMBER = '+12025550150';
const SECRET = 'stream-bench-secret-0123456789abcdef-0123456789';
const FRAME = 160;

const wallNow = (): number => performance.timeOrigin + performance.now();

interface Direction { samples: number[]; frames: number; lost: number; reordered: number; last: Map<number, number> }
const direction = (): Direction => ({ samples: [], frames: 0, lost: 0, reordered: 0, last: new Map() });

/** One counter frame: stream index (uint32 at 12) in the agent's frames; sequence and time as the simulator writes them. */
function counterFrame(seq: number, stream: number): Buffer {
  const f = Buffer.alloc(FRAME, 0xff);
  f.writeUInt32LE(seq, 0);
  f.writeDoubleLE(wallNow(), 4);
  f.writeUInt32LE(stream, 12);
  return f;
}

function observe(d: Direction, key: number, frame: Buffer, measuring: boolean): void {
  const seq = frame.readUInt32LE(0);
  const sent = frame.readDoubleLE(4);
  const last = d.last.get(key);
  if (last !== undefined) {
    if (seq <= last) d.reordered += 1;
    else if (seq > last + 1) d.lost += seq - last - 1;
  }
  d.last.set(key, Math.max(seq, last ?? -1));
  if (!measuring) return;
  d.frames += 1;
  d.samples.push(wallNow() - sent);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stream-bench-'));
  const toAgent = direction();
  const toAsterisk = direction();
  let measuring = false;
  /** The agents talk once every call is up (call set-up is not what is measured). */
  let talking = false;
  const sim = await startSimulator({
    username: 'engine', password: 'bench', requestLogSize: 10,
    scripts: { [NUMBER]: { result: 'answer', answerAfterMs: 20, speak: { counter: true } } },
    mediaProbe: (_channelId, frame) => {
      if (frame.length === FRAME) observe(toAsterisk, frame.readUInt32LE(12), frame, measuring);
    },
  });

  // The agents: each paces its own counter frames at 20 ms and reads the caller's.
  const agents = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => agents.once('listening', () => resolve()));
  const live = new Map<WebSocket, { streamSid: string; index: number; seq: number }>();
  let nextIndex = 0;
  agents.on('connection', (ws) => {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { event: string; start?: { streamSid: string }; media?: { payload: string } };
      if (msg.event === 'start' && msg.start) live.set(ws, { streamSid: msg.start.streamSid, index: nextIndex++, seq: 0 });
      else if (msg.event === 'media' && msg.media) {
        const s = live.get(ws);
        if (s) observe(toAgent, s.index, Buffer.from(msg.media.payload, 'base64'), measuring);
      }
    });
    ws.on('close', () => live.delete(ws));
  });
  const started = performance.now();
  let tick = 0;
  const pacer = setInterval(() => {
    const due = Math.floor((performance.now() - started) / 20);
    // A real-time agent: frames it could not send in their slot (this process stalled) are not
    // sent in a burst afterwards, which would queue in the engine's play-out as lasting delay.
    if (due - tick > 2) tick = due - 1;
    for (; tick < due; tick++) {
      if (!talking) continue;
      for (const [ws, s] of live) {
        if (ws.readyState !== WebSocket.OPEN) continue;
        ws.send(JSON.stringify({ event: 'media', streamSid: s.streamSid, media: { payload: counterFrame(s.seq++, s.index).toString('base64') } }));
      }
    }
  }, 5);

  // The floor: the same two hops without the engine (a client here sending to the agent server's twin).
  const floor = await measureFloor();

  const engine = new Child({
    name: 'engine', cwd: ROOT, args: ['--expose-gc', '--import', 'tsx', 'bench/stream-engine-host.ts'],
    env: {
      ...process.env, PORT: '0', HOST: '127.0.0.1', JWT_SECRET: SECRET, DATABASE_PATH: join(dir, 'engine.sqlite'),
      ARI_URL: sim.url, ARI_USERNAME: 'engine', ARI_PASSWORD: 'bench', ALLOW_PRIVATE_DESTINATIONS: 'true',
      MAX_LIVE_CALLS_PER_ACCOUNT: '100000', MAX_CALLS_PER_SECOND_PER_ACCOUNT: '100000', UNAUTHENTICATED_PER_MINUTE: '1000000', DRAIN_TIMEOUT_MS: '0', LOG_LEVEL: 'warn',
    },
  });
  try {
    const port = Number((await engine.ready()).port);
    const api = new ApiClient(port, SECRET, 'bench');
    const usage = () => engine.call<{ cpuMs: number; heapUsed: number; rss: number; external: number }>({ type: 'usage' });
    const number = await api.request('POST', '/phone-numbers', { number: '+12025550100', name: 'bench', enabled: true });
    if (number.status !== 201) throw new Error(`phone number: ${number.status} ${JSON.stringify(number.body)}`);
    const agentUrl = `ws://127.0.0.1:${(agents.address() as AddressInfo).port}/`;
    const flow = await api.request('POST', '/flows', { name: 'stream bench', steps: [{ id: 'talk', type: 'stream', url: agentUrl, maxDurationMs: (DURATION_S + 60) * 1000 }, { id: 'bye', type: 'hangup' }] });
    if (flow.status !== 201) throw new Error(`flow: ${flow.status} ${JSON.stringify(flow.body)}`);
    const before = await usage();
    const ids: string[] = [];
    for (let i = 0; i < STREAMS; i++) {
      const res = await api.request('POST', '/sessions/outgoing', { flowId: (flow.body as { id: string }).id, numberToDial: NUMBER });
      if (res.status >= 300) throw new Error(`call ${i}: ${res.status} ${JSON.stringify(res.body)}`);
      ids.push((res.body as { id: string }).id);
    }
    const deadline = Date.now() + 60_000;
    while (live.size < STREAMS) {
      if (Date.now() > deadline) throw new Error(`only ${live.size} of ${STREAMS} streams started`);
      await new Promise((r) => setTimeout(r, 50));
    }
    talking = true;
    await new Promise((r) => setTimeout(r, 2000)); // every stream past its first frames
    const atStart = await usage();
    measuring = true;
    const windowStart = performance.now();
    await new Promise((r) => setTimeout(r, DURATION_S * 1000));
    measuring = false;
    const seconds = (performance.now() - windowStart) / 1000;
    const atEnd = await usage();
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
    for (const id of ids) await api.request('DELETE', `/sessions/${id}`, undefined, false);
    api.close();
    const expected = STREAMS * seconds * 50;
    const result = {
      streams: STREAMS, seconds: Math.round(seconds * 10) / 10,
      asteriskToAgent: { ...report(toAgent), expectedFrames: Math.round(expected), floorMs: floor, engineOwnMs: histogramPercentiles(metrics, 'to-agent') },
      agentToAsterisk: { ...report(toAsterisk), engineOwnMs: histogramPercentiles(metrics, 'to-caller') },
      engine: {
        /** Frames the engine relayed per stream and second, both ways (100 when nothing falls behind). */
        framesPerStreamSecond: round((toAgent.frames + toAsterisk.frames) / (STREAMS * seconds)),
        cpuMsPerFrame: round((atEnd.cpuMs - atStart.cpuMs) / Math.max(1, toAgent.frames + toAsterisk.frames)),
        cpuMsPerStreamSecond: round((atEnd.cpuMs - atStart.cpuMs) / (STREAMS * seconds)),
        cpuPercentOfOneCore: round(((atEnd.cpuMs - atStart.cpuMs) / (seconds * 1000)) * 100),
        heapPerStreamKiB: round((atStart.heapUsed - before.heapUsed) / STREAMS / 1024),
        rssPerStreamKiB: round((atStart.rss - before.rss) / STREAMS / 1024),
      },
    };
    console.log(JSON.stringify(result, null, 2));
    const bad = toAgent.lost + toAgent.reordered + toAsterisk.lost + toAsterisk.reordered;
    if (bad > 0) {
      console.error(`FAIL: ${bad} frames lost or reordered`);
      process.exitCode = 1;
    }
  } finally {
    clearInterval(pacer);
    await engine.stop();
    for (const c of agents.clients) c.terminate();
    await new Promise<void>((resolve) => agents.close(() => resolve()));
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

/**
 * p50/p99 of the engine's own relay latency histogram (engine_stream_relay_latency_seconds, the
 * whole run), as the upper bound of the bucket they fall in: "at most" figures.
 */
function histogramPercentiles(metrics: string, direction: string): { p50AtMost: number; p99AtMost: number; count: number } {
  const buckets: Array<[number, number]> = [];
  for (const line of metrics.split('\n')) {
    const m = new RegExp(`^engine_stream_relay_latency_seconds_bucket\\{le="([^"]+)",direction="${direction}"\\} (\\d+)`).exec(line);
    if (m) buckets.push([m[1] === '+Inf' ? Infinity : Number(m[1]) * 1000, Number(m[2])]);
  }
  const count = buckets.at(-1)?.[1] ?? 0;
  const at = (p: number): number => buckets.find(([, c]) => c >= p * count)?.[0] ?? Infinity;
  return { p50AtMost: at(0.5), p99AtMost: at(0.99), count };
}

function report(d: Direction): { frames: number; lost: number; reordered: number; latencyMs: Summary } {
  return { frames: d.frames, lost: d.lost, reordered: d.reordered, latencyMs: summarize(d.samples) };
}

/** Two loopback WebSocket hops of a 160-byte frame without the engine: sender → relay → receiver, in this process. */
async function measureFloor(): Promise<Summary> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const samples: number[] = [];
  server.on('connection', (ws) => ws.on('message', (d) => ws.send(d)));
  const ws = new WebSocket(url);
  await new Promise<void>((resolve) => ws.once('open', () => resolve()));
  ws.on('message', (d) => samples.push(wallNow() - (d as Buffer).readDoubleLE(4)));
  for (let i = 0; i < 250; i++) {
    ws.send(counterFrame(i, 0));
    await new Promise((r) => setTimeout(r, 20));
  }
  ws.close();
  for (const c of server.clients) c.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return summarize(samples);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
