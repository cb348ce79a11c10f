// What a channel hears, measured on a real Asterisk: a snoop channel (POST /channels/{id}/snoop,
// spy=out: the audio sent to the channel) is recorded for a while in a probe application of the
// test's own, and the level of the stored WAV is computed. ARI shows no event for music on hold
// (and answers 204 without the module), so only the audio proves that music plays.
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { parseWav } from '../../src/tts/wav.js';
import type { ScenarioTarget } from './scenario-lab.js';

export interface Level { rms: number; samples: number }

export async function heardOn(target: ScenarioTarget, channelId: string, ms: number): Promise<Level> {
  const { url, username, password } = target.ari;
  const app = `${target.ari.app}-snoop`;
  const auth = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const ari = async (method: string, path: string, query: Record<string, string> = {}): Promise<Response> => {
    const u = new URL(`/ari${path}`, url);
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    return fetch(u, { method, headers: { authorization: auth } });
  };
  const events: Array<Record<string, any>> = [];
  const waiters = new Set<() => void>();
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ari/events?app=${encodeURIComponent(app)}`, { headers: { authorization: auth } });
  ws.on('message', (data) => { events.push(JSON.parse(String(data))); for (const w of [...waiters]) w(); });
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  const until = (match: (e: Record<string, any>) => boolean, timeoutMs: number, what: string): Promise<Record<string, any>> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = events.find(match);
        if (found) { clearTimeout(timer); waiters.delete(check); resolve(found); }
      };
      const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`${what} did not come within ${timeoutMs} ms; got ${events.map((e) => e.type).join(', ')}`)); }, timeoutMs);
      waiters.add(check);
      check();
    });
  const snoopId = `snoop-${randomUUID()}`;
  const name = `scenario-heard-${randomUUID()}`;
  try {
    const snoop = await ari('POST', `/channels/${channelId}/snoop`, { spy: 'out', app, snoopId });
    if (!snoop.ok) throw new Error(`snoop refused: ${snoop.status} ${await snoop.text()}`);
    await until((e) => e.type === 'StasisStart' && e.channel?.id === snoopId, 10_000, 'the snoop channel\'s StasisStart');
    const rec = await ari('POST', `/channels/${snoopId}/record`, { name, format: 'wav', maxDurationSeconds: String(Math.ceil(ms / 1000)), ifExists: 'overwrite' });
    if (!rec.ok) throw new Error(`record refused: ${rec.status} ${await rec.text()}`);
    await until((e) => e.type === 'RecordingFinished' && e.recording?.name === name, ms + 10_000, 'RecordingFinished');
    const file = await ari('GET', `/recordings/stored/${name}/file`);
    if (!file.ok) throw new Error(`stored recording: ${file.status}`);
    const { samples } = parseWav(Buffer.from(await file.arrayBuffer()));
    let sum = 0;
    for (const s of samples) sum += s * s;
    return { rms: samples.length > 0 ? Math.sqrt(sum / samples.length) : 0, samples: samples.length };
  } finally {
    await ari('DELETE', `/channels/${snoopId}`).catch(() => undefined);
    await ari('DELETE', `/recordings/stored/${name}`).catch(() => undefined);
    ws.close();
  }
}

/**
 * How strongly `freq` is present in the samples, against the signal's whole power (Goertzel): 1 for
 * a pure tone at that frequency, near 0 when it is absent.
 */
export function toneShare(samples: Int16Array, sampleRate: number, freq: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (const x of samples) {
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += x * x;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return energy > 0 ? (2 * power) / (samples.length * energy) : 0;
}
