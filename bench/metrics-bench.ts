// Micro-benchmark of the metrics' cost per call: one demo call's worth of what the wrappers of
// src/metrics/instrument.ts observe (1 session create, 27 timeline entries, a StasisStart, 5 port
// requests, 2 other store writes, as session units) against no-op store and port, with and without the wrappers,
// and one scrape of the registry afterwards. Prints CPU µs per call (process.cpuUsage).
//   npx tsx bench/metrics-bench.ts          (METRICS_BENCH_CALLS=20000)
import type { Store, TimelineRow } from '../src/store/store.js';
import type { PortResult, TelephonyEvent, TelephonyPort } from '../src/telephony/port.js';
import { createEngineMetrics } from '../src/metrics/engine-metrics.js';
import { instrument } from '../src/metrics/instrument.js';

const CALLS = Number(process.env.METRICS_BENCH_CALLS ?? '') || 20_000;
const ok: Promise<PortResult> = Promise.resolve({ ok: true, value: undefined });
const listeners: Array<(e: TelephonyEvent) => void> = [];
const done = (): Promise<void> => Promise.resolve();

const rawStore = {
  createSessionWith: async (s: { id: string; channelId: string }) => ({ ...s, state: 'queued' }),
  recordSession: done,
} as unknown as Store;
const rawPort = {
  onEvent: (l: (e: TelephonyEvent) => void) => listeners.push(l), onConnection: () => undefined,
  originate: () => ok, play: () => ok, hangup: () => ok,
} as unknown as TelephonyPort;

/** The demo call's timeline (as test/console/ sees it), the StasisStart after the 6th entry. */
const TIMELINE: Array<[string, Record<string, unknown>]> = [
  ['state', { state: 'dialing' }], ['ari.originated', {}], ['state', { state: 'ringing' }], ['ari.dial', {}], ['state', { state: 'in-progress' }], ['ari.dial', {}],
  ['flow.started', {}], ['step.started', { type: 'playback' }], ['playback.started', {}], ['playback.finished', {}], ['step.finished', { result: 'next' }],
  ['step.started', { type: 'gather' }], ['playback.started', {}], ['playback.finished', {}], ['dtmf', {}], ['gather.input', { outcome: 'input' }], ['step.finished', { result: 'next' }],
  ['step.started', { type: 'playback' }], ['playback.started', {}], ['playback.finished', {}], ['step.finished', { result: 'next' }],
  ['step.started', { type: 'hangup' }], ['step.finished', { result: 'hangup' }], ['flow.ended', {}], ['ari.hangup-request', {}], ['ari.channel-destroyed', {}], ['state', { state: 'completed' }],
];

async function calls(store: Store, port: TelephonyPort): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < CALLS; i += 1) {
    const id = `s${i}`;
    const channelId = `c${i}`;
    let seq = 0;
    // Rows cut down to what the metrics read.
    const unit = (type: string, data: Record<string, unknown>) => ({ timeline: [{ seq: ++seq, at: '', type, data } as TimelineRow] });
    await store.createSessionWith({ id, channelId } as never, unit(...TIMELINE[0]!));
    TIMELINE.slice(1, 6).forEach(([type, data]) => void store.recordSession(id, unit(type, data)));
    await port.originate({} as never);
    for (const l of listeners) l({ type: 'stasis-start', channelId, args: [], state: 'Up', at: '' });
    for (const [type, data] of TIMELINE.slice(6)) {
      void store.recordSession(id, unit(type, data));
      if (type === 'playback.started') await port.play(channelId, 'pb', ['sound:x']);
    }
    void store.recordSession(id, { change: {} });
    void store.recordSession(id, { variables: [{ name: 'choice', value: '1' }] });
    await port.hangup(channelId);
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / CALLS;
}

const metrics = createEngineMetrics();
const observed = instrument(metrics, { store: rawStore, port: rawPort });
// Twice each, alternating: the first rounds warm the JIT.
for (let round = 0; round < 2; round += 1) {
  const raw = await calls(rawStore, rawPort);
  const withMetrics = await calls(observed.store, observed.port);
  console.log(`round ${round + 1}: ${raw.toFixed(1)} µs CPU per call without metrics, ${withMetrics.toFixed(1)} µs with (${(withMetrics - raw).toFixed(1)} µs for the metrics)`);
}
const before = process.cpuUsage();
const text = await metrics.registry.metrics();
const scrape = process.cpuUsage(before);
console.log(`one scrape: ${((scrape.user + scrape.system) / 1000).toFixed(2)} ms CPU, ${text.length} bytes`);
