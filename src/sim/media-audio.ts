// Audio in the simulator, for media streams (external-media.ts): every 20 ms (simulated) the
// channels that talk produce one μ-law frame — a callee script's voice (`speak`: a tone or a WAV
// file), a media WebSocket channel's next frame from its client, a snoop's copy of its target — and
// each bridge member hears the others' frames (passed through when one talks, mixed in linear PCM
// when several do). A media WebSocket channel sends what it hears to its client as binary frames,
// as chan_websocket does (trace r: 160-byte μ-law frames after the MEDIA_START line); a script with
// `recordHeard` keeps what its channel heard, for tests to check by content. The 20 ms loop only
// runs while a media WebSocket is connected.
import { readFileSync } from 'node:fs';
import type { WebSocket } from 'ws';
import type { SimAsterisk } from './asterisk.js';
import type { Chan, ChanMedia } from './entities.js';
import type { SpeakScript } from './types.js';
import { linearToUlaw, ulawToLinear, ULAW_SILENCE } from './g711.js';

const FRAME_MS = 20;
const FRAME_BYTES = 160;
/** Frames a media client may queue ahead (chan_websocket plays them at 20 ms each). */
const MAX_INCOMING_FRAMES = 3_000;
/** Channels whose heard audio is kept after they hang up. */
const MAX_KEPT_RECORDINGS = 200;
const SILENCE = Buffer.alloc(FRAME_BYTES, ULAW_SILENCE);

const mixers = new WeakMap<SimAsterisk, Mixer>();

export function mixerOf(sim: SimAsterisk): Mixer {
  let m = mixers.get(sim);
  if (!m) {
    m = new Mixer(sim);
    mixers.set(sim, m);
  }
  return m;
}

export function mediaOf(c: Chan): ChanMedia {
  c.media ??= { incoming: [] };
  return c.media;
}

export class Mixer {
  private readonly sockets = new Set<Chan>();
  private readonly heard = new Map<string, Buffer[]>();
  private tickNo = 0;
  private startedAt = 0;
  private running = false;
  private produced = new Map<Chan, Buffer | undefined>();
  private heardNow = new Map<Chan, Buffer | undefined>();

  constructor(private readonly sim: SimAsterisk) {}

  /** A media WebSocket client connected to channel `c`. */
  attach(c: Chan, ws: WebSocket): void {
    const media = mediaOf(c);
    media.socket = ws;
    const probe = this.sim.opts.mediaProbe;
    ws.on('message', (data, isBinary) => {
      if (!isBinary || media.incoming.length >= MAX_INCOMING_FRAMES) return;
      const buf = data as Buffer;
      probe?.(c.id, buf);
      for (let at = 0; at < buf.length; at += FRAME_BYTES) media.incoming.push(buf.subarray(at, at + FRAME_BYTES));
    });
    this.sockets.add(c);
    if (!this.running) {
      this.running = true;
      this.tickNo = 0;
      this.startedAt = performance.now();
      this.schedule();
    }
  }

  detach(c: Chan): void {
    this.sockets.delete(c);
    if (c.media) c.media.socket = undefined;
  }

  /** What channel `id` heard while bridged with a media channel (μ-law), if its script records it. */
  heardAudio(id: string): Buffer | undefined {
    const chunks = this.heard.get(id);
    return chunks ? Buffer.concat(chunks) : undefined;
  }

  private schedule(): void {
    if (this.sockets.size === 0) {
      this.running = false;
      return;
    }
    const due = this.startedAt + (this.tickNo + 1) * FRAME_MS * this.sim.clock.scale;
    this.sim.clock.after(Math.max(0, (due - performance.now()) / this.sim.clock.scale), () => {
      this.tickNo += 1;
      this.tick();
      this.schedule();
    });
  }

  private tick(): void {
    this.produced = new Map();
    this.heardNow = new Map();
    const bridges = new Set([...this.sockets].map((c) => c.bridge).filter((b) => b !== undefined));
    // Bridges without a snoop first: a snoop of what its target hears needs that computed.
    const ordered = [...bridges].sort((a, b) => Number(a.channels.some((c) => c.media?.snoop)) - Number(b.channels.some((c) => c.media?.snoop)));
    for (const b of ordered) {
      for (const m of b.channels) {
        const frames = b.channels.filter((o) => o !== m && o.alive).map((o) => this.voiceOf(o)).filter((f): f is Buffer => f !== undefined);
        const heard = mix(frames);
        this.heardNow.set(m, heard);
        this.deliver(m, heard);
      }
    }
  }

  /** The frame channel `c` produces this tick (undefined: silence). */
  private voiceOf(c: Chan): Buffer | undefined {
    if (this.produced.has(c)) return this.produced.get(c);
    let frame: Buffer | undefined;
    const media = c.media;
    if (media?.socket) frame = media.incoming.shift();
    else if (media?.snoop) {
      const { target, spy } = media.snoop;
      frame = spy === 'out' ? this.heardBy(target) : this.voiceOf(target);
    } else if (c.script.speak && c.answered) frame = this.scriptVoice(c, c.script.speak);
    this.produced.set(c, frame);
    return frame;
  }

  /** What `c` hears this tick: computed for a bridge the loop does not serve (a dial's). */
  private heardBy(c: Chan): Buffer | undefined {
    if (this.heardNow.has(c)) return this.heardNow.get(c);
    const others = c.bridge ? c.bridge.channels.filter((o) => o !== c && o.alive) : [];
    const heard = mix(others.map((o) => this.voiceOf(o)).filter((f): f is Buffer => f !== undefined));
    this.heardNow.set(c, heard);
    return heard;
  }

  private scriptVoice(c: Chan, speak: SpeakScript): Buffer | undefined {
    const media = mediaOf(c);
    media.voiceStart ??= this.tickNo + Math.round((speak.startMs ?? 0) / FRAME_MS);
    const n = this.tickNo - media.voiceStart;
    if (n < 0) return undefined;
    media.voice ??= new Voice(speak);
    return media.voice.frame(n);
  }

  private deliver(c: Chan, heard: Buffer | undefined): void {
    const socket = c.media?.socket;
    if (socket && socket.readyState === 1) socket.send(heard ?? SILENCE, { binary: true });
    if (c.script.recordHeard && c.alive) {
      let chunks = this.heard.get(c.id);
      if (!chunks) {
        chunks = [];
        this.heard.set(c.id, chunks);
        if (this.heard.size > MAX_KEPT_RECORDINGS) this.heard.delete(this.heard.keys().next().value as string);
      }
      chunks.push(heard ?? SILENCE);
    }
  }
}

function mix(frames: Buffer[]): Buffer | undefined {
  if (frames.length <= 1) return frames[0];
  const out = Buffer.alloc(FRAME_BYTES);
  for (let i = 0; i < FRAME_BYTES; i++) {
    let sum = 0;
    for (const f of frames) sum += ulawToLinear(f[i] ?? ULAW_SILENCE);
    out[i] = linearToUlaw(sum);
  }
  return out;
}

/** A scripted voice: a sine tone, or a WAV file (8 kHz mono, 16-bit PCM or μ-law), for `durationMs` (default: all of it / forever). */
class Voice {
  private readonly wav: Buffer | undefined;
  private readonly frames: number;

  constructor(private readonly speak: SpeakScript) {
    this.wav = speak.wav ? readWavUlaw(speak.wav) : undefined;
    const ms = speak.durationMs ?? (this.wav ? (this.wav.length / 8) : Infinity);
    this.frames = Math.ceil(ms / FRAME_MS);
  }

  frame(n: number): Buffer | undefined {
    if (n >= this.frames) return undefined;
    if (this.wav) {
      const at = n * FRAME_BYTES;
      return at < this.wav.length ? this.wav.subarray(at, at + FRAME_BYTES) : undefined;
    }
    if (this.speak.counter) {
      const out = Buffer.alloc(FRAME_BYTES, ULAW_SILENCE);
      out.writeUInt32LE(n, 0);
      out.writeDoubleLE(performance.timeOrigin + performance.now(), 4);
      return out;
    }
    const hz = this.speak.toneHz ?? 440;
    const amplitude = this.speak.amplitude ?? 8000;
    const out = Buffer.alloc(FRAME_BYTES);
    for (let i = 0; i < FRAME_BYTES; i++) out[i] = linearToUlaw(amplitude * Math.sin((2 * Math.PI * hz * (n * FRAME_BYTES + i)) / 8000));
    return out;
  }
}

/** A WAV file's audio as μ-law at 8 kHz mono (PCM 16-bit is encoded; μ-law taken as is). */
export function readWavUlaw(path: string): Buffer {
  const file = readFileSync(path);
  if (file.toString('ascii', 0, 4) !== 'RIFF' || file.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${path} is not a WAV file`);
  let at = 12;
  let format = 0;
  let channels = 0;
  let rate = 0;
  let bits = 0;
  while (at + 8 <= file.length) {
    const id = file.toString('ascii', at, at + 4);
    const size = file.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      format = file.readUInt16LE(body);
      channels = file.readUInt16LE(body + 2);
      rate = file.readUInt32LE(body + 4);
      bits = file.readUInt16LE(body + 14);
    } else if (id === 'data') {
      if (channels !== 1 || rate !== 8000) throw new Error(`${path}: only 8 kHz mono WAV is supported`);
      const data = file.subarray(body, Math.min(file.length, body + size));
      if (format === 7 && bits === 8) return Buffer.from(data);
      if (format === 1 && bits === 16) {
        const out = Buffer.alloc(data.length >> 1);
        for (let i = 0; i < out.length; i++) out[i] = linearToUlaw(data.readInt16LE(i * 2));
        return out;
      }
      throw new Error(`${path}: only 16-bit PCM or μ-law WAV is supported`);
    }
    at = body + size + (size & 1);
  }
  throw new Error(`${path} has no data chunk`);
}
