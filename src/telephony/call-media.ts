// Per-call expectations for media events: a playback or recording is registered here BEFORE the
// REST call that starts it (its events can arrive before the REST answer), and DTMF digits reach
// only an active collector. Everything is bounded: digits nobody collects are dropped and counted.
import type { TelephonyEvent } from './port.js';

export interface PlaybackWatch {
  readonly id: string;
  started: boolean;
  /** ARI's final playback state (`done`, `failed`...), once PlaybackFinished arrived. */
  finished: string | undefined;
}

export interface RecordingWatch {
  readonly name: string;
  finished: { state: string; durationSec?: number } | undefined;
  failed: string | undefined;
}

/** Upper bound of digits buffered for one collector (a DTMF flood cannot grow memory). */
export const MAX_BUFFERED_DIGITS = 64;

type Listener = () => void;

export class CallMedia {
  private readonly playbacks = new Map<string, PlaybackWatch>();
  private readonly recordings = new Map<string, RecordingWatch>();
  private readonly listeners = new Set<Listener>();
  private collector: string[] | undefined;
  droppedDigits = 0;

  /** Registers interest in a playback before it is started. */
  expectPlayback(id: string): PlaybackWatch {
    const watch: PlaybackWatch = { id, started: false, finished: undefined };
    this.playbacks.set(id, watch);
    return watch;
  }

  expectRecording(name: string): RecordingWatch {
    const watch: RecordingWatch = { name, finished: undefined, failed: undefined };
    this.recordings.set(name, watch);
    return watch;
  }

  /** Playbacks started and not yet finished (to resync after events were lost). */
  pendingPlaybacks(): string[] {
    return [...this.playbacks.values()].filter((w) => w.finished === undefined).map((w) => w.id);
  }

  /** The playback ended while events were lost: its outcome is unknown. */
  markPlaybackLost(id: string): void {
    const watch = this.playbacks.get(id);
    if (!watch || watch.finished !== undefined) return;
    watch.started = true;
    watch.finished = 'lost';
    for (const listener of [...this.listeners]) listener();
  }

  forgetPlayback(id: string): void {
    this.playbacks.delete(id);
  }

  forgetRecording(name: string): void {
    this.recordings.delete(name);
  }

  /** Starts buffering digits (pressed from now on) for one collector. */
  startCollecting(): void {
    this.collector = [];
  }

  stopCollecting(): void {
    this.collector = undefined;
  }

  /** Takes the digits buffered so far. */
  takeDigits(): string[] {
    const digits = this.collector ?? [];
    if (this.collector) this.collector = [];
    return digits;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Feeds a media event of this call's channel; returns false when it is not a media event. */
  handle(event: TelephonyEvent): boolean {
    switch (event.type) {
      case 'playback-started': {
        const watch = this.playbacks.get(event.playbackId);
        if (watch) watch.started = true;
        break;
      }
      case 'playback-finished': {
        const watch = this.playbacks.get(event.playbackId);
        if (watch && watch.finished === undefined) watch.finished = event.state;
        break;
      }
      case 'recording-finished': {
        const watch = this.recordings.get(event.name);
        if (watch && !watch.finished) watch.finished = { state: event.state, ...(event.durationSec !== undefined ? { durationSec: event.durationSec } : {}) };
        break;
      }
      case 'recording-failed': {
        const watch = this.recordings.get(event.name);
        if (watch && watch.failed === undefined) watch.failed = event.cause ?? 'recording failed';
        break;
      }
      case 'dtmf':
        if (this.collector && this.collector.length < MAX_BUFFERED_DIGITS) this.collector.push(event.digit);
        else this.droppedDigits += 1;
        break;
      default:
        return false;
    }
    for (const listener of [...this.listeners]) listener();
    return true;
  }

  /** Live registrations (tests assert nothing is left behind). */
  size(): number {
    return this.playbacks.size + this.recordings.size + this.listeners.size;
  }
}
