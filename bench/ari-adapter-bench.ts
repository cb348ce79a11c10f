// Micro-benchmark of the ARI adapter alone: CPU per call of the reference flow's ARI traffic
// (originate → StasisStart → play welcome → finished → play prompt → DTMF "1" during the prompt →
// stop the prompt → finished → play thanks → finished → hangup → ChannelDestroyed) driven through
// `createAriClientPort`, with no engine, no database and no HTTP API. The simulator runs in a
// process of its own (bench/simulator-host.ts), so that process.cpuUsage() here is the adapter's
// (plus this small driver's) CPU only.
//   npx tsx bench/ari-adapter-bench.ts [calls=2000] [concurrency=100]
// Before the measured calls, one call runs alone and its request sequence, as the simulator
// logged it, is printed: it must stay the one the floor (bench/floor.ts) sends.
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { startSimulator, type SimulatorOptions } from '../src/sim/index.js';
import { createAriClientPort, type AriClientPort } from '../src/telephony/ari/ari-client-adapter.js';
import type { PortResult, TelephonyEvent } from '../src/telephony/port.js';

const SOUND_MS = 150;
const NUMBER = '+14155550101';
const SOUNDS = { welcome: 'sound:hello-world', prompt: 'sound:press-1', thanks: 'sound:thank-you' };
const SIM_OPTIONS: SimulatorOptions = {
  username: 'engine', password: 'bench-adapter', defaultSoundMs: SOUND_MS, requestLogSize: 50,
  soundDurationsMs: Object.fromEntries(Object.values(SOUNDS).map((s) => [s.slice('sound:'.length), SOUND_MS])),
  scripts: { [NUMBER]: { result: 'answer', answerAfterMs: 50, dtmf: [{ digits: '1', afterPlaybackStarted: 2, delayMs: 60 }] } },
};

type Stage = 'ringing' | 'welcome' | 'prompt' | 'stopping' | 'thanks' | 'hanging-up';
interface Call { stage: Stage; playbackId: string; done: () => void }

/** Drives the reference flow on every call the port reports; one instance per port. */
class Driver {
  readonly calls = new Map<string, Call>();
  /** REST calls that failed (other than not-found, which a far-end race may cause). */
  requestErrors = 0;
  /** Calls whose prompt ended before the digit came (timing under load, not an adapter error). */
  digitMissed = 0;
  /** Calls that ended before the flow hung them up. */
  cutShort = 0;

  constructor(private readonly port: AriClientPort) {
    port.onEvent((e) => this.onEvent(e));
  }

  run(): Promise<void> {
    const channelId = randomUUID();
    return new Promise<void>((resolve) => {
      this.calls.set(channelId, { stage: 'ringing', playbackId: '', done: resolve });
      void this.port.originate({
        channelId, endpoint: `PJSIP/${NUMBER}@trunk`, callerId: '+12125551234', timeoutSec: 30,
        variables: { ENGINE_SESSION_ID: channelId }, appArgs: [channelId],
      }).then((r) => {
        if (r.ok) return;
        this.requestErrors++;
        this.finish(channelId, false);
      });
    });
  }

  private finish(channelId: string, cutShort: boolean): void {
    const call = this.calls.get(channelId);
    if (!call) return;
    if (cutShort) this.cutShort++;
    this.calls.delete(channelId);
    call.done();
  }

  private play(channelId: string, call: Call, media: string, stage: Stage): void {
    call.stage = stage;
    call.playbackId = `pb-${randomUUID()}`;
    void this.port.play(channelId, call.playbackId, [media]).then((r) => this.count(r));
  }

  private count(r: PortResult): void {
    if (!r.ok && r.kind !== 'not-found') this.requestErrors++;
  }

  private onEvent(e: TelephonyEvent): void {
    const call = 'channelId' in e && e.channelId ? this.calls.get(e.channelId) : undefined;
    if (!call || !('channelId' in e) || !e.channelId) return;
    const id = e.channelId;
    switch (e.type) {
      case 'stasis-start':
        this.play(id, call, SOUNDS.welcome, 'welcome');
        return;
      case 'dtmf':
        if (call.stage === 'prompt' && e.digit === '1') {
          call.stage = 'stopping';
          void this.port.stopPlayback(call.playbackId).then((r) => this.count(r));
        }
        return;
      case 'playback-finished':
        if (e.playbackId !== call.playbackId) return;
        if (call.stage === 'welcome') this.play(id, call, SOUNDS.prompt, 'prompt');
        else if (call.stage === 'stopping') this.play(id, call, SOUNDS.thanks, 'thanks');
        else if (call.stage === 'prompt' || call.stage === 'thanks') {
          // The flow is over (thanks), or the digit never came during the prompt: a failed call.
          if (call.stage === 'prompt') this.digitMissed++;
          call.stage = 'hanging-up';
          void this.port.hangup(id).then((r) => this.count(r));
        }
        return;
      case 'channel-destroyed':
        this.finish(id, call.stage !== 'hanging-up');
        return;
      default:
        return;
    }
  }
}

async function runCalls(driver: Driver, count: number, concurrency: number): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      next++;
      await driver.run();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}

/** One call alone against an in-process simulator: the request sequence it causes. */
async function requestSequence(): Promise<string[]> {
  const sim = await startSimulator({ ...SIM_OPTIONS, timeScale: 0.2 });
  const port = createAriClientPort({ url: sim.url, username: sim.username, password: sim.password, app: 'adapter-bench', logger: pino({ level: 'silent' }) });
  try {
    await port.start();
    const driver = new Driver(port);
    await driver.run();
    if (driver.requestErrors + driver.digitMissed + driver.cutShort > 0) throw new Error('the sequence call did not run the reference flow');
    return sim.requests().map((r) => `${r.method} ${r.path.replace(/(pb-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '{id}')}${
      Object.keys(r.query).length ? `?${Object.keys(r.query).sort().map((k) => (k === 'media' || k === 'reason' ? `${k}=${String(r.query[k])}` : k)).join('&')}` : ''
    }${r.body !== undefined ? ` body{${Object.keys(r.body as object).sort().join(',')}}` : ''} → ${r.status}`);
  } finally {
    await port.close();
    await sim.close();
  }
}

function startSimulatorProcess(): Promise<{ url: string; stop: () => void }> {
  const child = fork(fileURLToPath(new URL('./simulator-host.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'], env: { ...process.env, SIM_OPTIONS: JSON.stringify({ ...SIM_OPTIONS, requestLogSize: 10 }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`simulator exited (${code})`)));
    child.once('message', (msg: unknown) => {
      const url = typeof msg === 'object' && msg !== null && 'url' in msg && typeof msg.url === 'string' ? msg.url : undefined;
      if (!url) return reject(new Error('simulator sent no url'));
      child.removeAllListeners('exit');
      resolve({ url, stop: () => child.disconnect() });
    });
  });
}

async function main(): Promise<void> {
  const calls = Number(process.argv[2] ?? 2000);
  const concurrency = Number(process.argv[3] ?? 100);
  if (!Number.isInteger(calls) || calls < 1 || !Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error('usage: tsx bench/ari-adapter-bench.ts [calls>=1] [concurrency>=1]');
  }
  console.log('request sequence of one call:');
  for (const line of await requestSequence()) console.log(`  ${line}`);

  const sim = await startSimulatorProcess();
  const port = createAriClientPort({ url: sim.url, username: 'engine', password: SIM_OPTIONS.password ?? '', app: 'adapter-bench', logger: pino({ level: 'silent' }) });
  try {
    await port.start();
    const driver = new Driver(port);
    await runCalls(driver, Math.min(300, calls), concurrency);
    driver.requestErrors = driver.digitMissed = driver.cutShort = 0; // the warm-up's do not count
    global.gc?.();
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await runCalls(driver, calls, concurrency);
    const cpu = process.cpuUsage(cpu0);
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpuMs = (cpu.user + cpu.system) / 1000;
    console.log(JSON.stringify({
      calls, concurrency, requestErrors: driver.requestErrors, digitMissed: driver.digitMissed, cutShort: driver.cutShort, wallMs: Math.round(wallMs),
      cpuMs: Math.round(cpuMs), cpuPerCallMs: Number((cpuMs / calls).toFixed(3)),
      userPerCallMs: Number((cpu.user / 1000 / calls).toFixed(3)), systemPerCallMs: Number((cpu.system / 1000 / calls).toFixed(3)),
    }));
  } finally {
    await port.close();
    sim.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exitCode = 1;
});
