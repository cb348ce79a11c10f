// The benchmarks' reference call, one definition for every bench that places it (bench/run.ts on
// the simulator, bench/asterisk-bench.ts on a real Asterisk): playback, gather with a prompt,
// branch on the digit, playback, hangup. The floor (bench/floor.ts) runs the same call by hand
// from the same media.
import type { FloorMedia } from '../floor.js';

export interface ReferenceSounds {
  welcome: string;
  /** The gather's prompt: the digit may arrive while it plays (barge-in) or after it. */
  prompt: string;
  /** Played when the digit is 1. */
  thanks: string;
  /** Played for any other digit, or none. */
  other: string;
}

export const GATHER_TIMEOUT_MS = 3000;

export function referenceFlow(sounds: ReferenceSounds): { name: string; steps: unknown[] } {
  return {
    name: 'bench reference: playback, gather, branch, playback, hangup',
    steps: [
      { id: 'welcome', type: 'playback', media: [sounds.welcome] },
      { id: 'menu', type: 'gather', prompt: [sounds.prompt], maxDigits: 1, timeoutMs: GATHER_TIMEOUT_MS, variable: 'choice' },
      { id: 'route', type: 'branch', variable: 'choice', cases: { 1: 'thanks' }, default: 'other' },
      { id: 'thanks', type: 'playback', media: [sounds.thanks], next: 'end' },
      { id: 'other', type: 'playback', media: [sounds.other], next: 'end' },
      { id: 'end', type: 'hangup' },
    ],
  };
}

/** What the floor plays for the same call. */
export function floorMedia(sounds: ReferenceSounds): FloorMedia {
  return { welcome: [sounds.welcome], prompt: [sounds.prompt], thanks: [sounds.thanks], other: [sounds.other], gatherTimeoutMs: GATHER_TIMEOUT_MS };
}
