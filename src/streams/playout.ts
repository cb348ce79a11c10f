// Plays an agent's audio to Asterisk in real time: agents send faster than real time (a whole
// sentence at once), chan_websocket plays what it gets as it comes, so the engine holds the audio
// and sends one 20 ms frame per 20 ms. A mark waits in the queue behind the audio sent before it and
// is echoed once that audio has played; `clear` drops the queue at once (barge-in) and echoes the
// marks still waiting, as Twilio does. The queue is bounded (a runaway agent costs dropped frames,
// counted, not memory). One ticker serves every stream of the process.

/** μ-law at 8 kHz: 160 bytes are 20 ms. */
export const FRAME_BYTES = 160;
export const FRAME_MS = 20;
/** At most this much queued audio per stream (2 minutes). */
export const MAX_QUEUED_FRAMES = 6_000;
const TICK_MS = 5;

type Item = { frame: Buffer; arrived: number } | { mark: string };

export interface PlayoutSink {
  send(frame: Buffer): void;
  mark(name: string): void;
  /** Engine-added delay of a frame: from when it could play (arrived and its slot came) to its send. */
  latency(ms: number): void;
}

export class Playout {
  private queue: Item[] = [];
  private head = 0;
  private frames = 0;
  private nextDue = 0;
  dropped = 0;
  sent = 0;

  constructor(private readonly sink: PlayoutSink, private readonly ticker: PlayoutTicker = SHARED_TICKER) {}

  get queuedFrames(): number {
    return this.frames;
  }

  /** Queues audio, cut in 20 ms frames (views of the decoded payload, no copy). */
  push(audio: Buffer, now = performance.now()): void {
    const idle = this.head >= this.queue.length;
    for (let at = 0; at < audio.length; at += FRAME_BYTES) {
      if (this.frames >= MAX_QUEUED_FRAMES) {
        this.dropped += Math.ceil((audio.length - at) / FRAME_BYTES);
        break;
      }
      this.queue.push({ frame: audio.subarray(at, Math.min(at + FRAME_BYTES, audio.length)), arrived: now });
      this.frames += 1;
    }
    this.schedule(now, idle);
  }

  pushMark(name: string, now = performance.now()): void {
    const idle = this.head >= this.queue.length;
    this.queue.push({ mark: name });
    this.schedule(now, idle);
  }

  /** Drops the queued audio; the marks waiting are echoed. Answers the frames dropped. */
  clear(): number {
    const pending = this.queue.slice(this.head);
    const cleared = this.frames;
    this.queue = [];
    this.head = 0;
    this.frames = 0;
    this.ticker.remove(this);
    for (const item of pending) if ('mark' in item) this.sink.mark(item.mark);
    return cleared;
  }

  stop(): void {
    this.queue = [];
    this.head = 0;
    this.frames = 0;
    this.ticker.remove(this);
  }

  /** Sends what is due by `now`; true while something is left to play. */
  tick(now: number): boolean {
    while (this.head < this.queue.length && this.nextDue <= now + 1) {
      const item = this.queue[this.head]!;
      this.head += 1;
      if ('mark' in item) {
        this.sink.mark(item.mark);
        continue;
      }
      this.frames -= 1;
      this.sent += 1;
      this.sink.latency(now - Math.max(item.arrived, this.nextDue));
      this.sink.send(item.frame);
      this.nextDue += FRAME_MS;
    }
    if (this.head >= this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return this.head < this.queue.length;
  }

  private schedule(now: number, idle: boolean): void {
    // Idle (nothing queued before this, the last frame played out): the clock starts again now and
    // the first frame goes at once, so an agent that paces itself gets no added delay. While audio
    // is queued the clock runs on: frames a stalled process could not send in their slot go as
    // soon as it runs again, so a stall never adds lasting delay.
    if (idle && this.nextDue < now) this.nextDue = now;
    if (!this.tick(now)) return;
    this.ticker.add(this);
  }
}

/** What drives play-outs that have audio queued (an interval; a test drives its own). */
export interface PlayoutTicker {
  add(p: Playout): void;
  remove(p: Playout): void;
}

/** One interval for every playout with audio queued; stopped when none has. */
class IntervalTicker implements PlayoutTicker {
  private readonly active = new Set<Playout>();
  private timer: NodeJS.Timeout | undefined;

  add(p: Playout): void {
    this.active.add(p);
    this.timer ??= setInterval(() => this.run(), TICK_MS);
  }

  remove(p: Playout): void {
    this.active.delete(p);
    if (this.active.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private run(): void {
    const now = performance.now();
    for (const p of this.active) if (!p.tick(now)) this.remove(p);
  }
}

const SHARED_TICKER = new IntervalTicker();
