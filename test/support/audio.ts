// Checking streamed audio by content: μ-law decoded to linear samples, and the Goertzel share of
// one frequency (scenario-audio.ts's toneShare) over 20 ms frames.
import { ulawToLinear, linearToUlaw } from '../../src/sim/g711.js';
import { toneShare } from './scenario-audio.js';

export function decodeUlaw(buf: Buffer): Int16Array {
  const out = new Int16Array(buf.length);
  for (let i = 0; i < buf.length; i++) out[i] = ulawToLinear(buf[i]!);
  return out;
}

/** Share of μ-law audio's power at `hz` (8 kHz): close to 1 for a tone at hz. */
export function ulawToneShare(ulaw: Buffer, hz: number): number {
  return toneShare(decodeUlaw(ulaw), 8000, hz);
}

/** `ms` of a sine tone as μ-law. */
export function ulawTone(hz: number, ms: number, amplitude = 8000): Buffer {
  const n = (ms * 8000) / 1000;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = linearToUlaw(amplitude * Math.sin((2 * Math.PI * hz * i) / 8000));
  return out;
}

/** 20 ms frames (160 bytes) of μ-law in which a tone at `hz` dominates. */
export function framesWithTone(ulaw: Buffer, hz: number, threshold = 0.5): number {
  let count = 0;
  for (let at = 0; at + 160 <= ulaw.length; at += 160) if (ulawToneShare(ulaw.subarray(at, at + 160), hz) > threshold) count += 1;
  return count;
}
