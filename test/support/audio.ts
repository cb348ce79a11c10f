// Checking audio by content: μ-law decoded, and the Goertzel filter's power at one frequency
// relative to the signal's total power (1 for a pure tone at that frequency, ~0 for another).
import { ulawToLinear, linearToUlaw } from '../../src/sim/g711.js';

export function decodeUlaw(buf: Buffer): Float64Array {
  const out = new Float64Array(buf.length);
  for (let i = 0; i < buf.length; i++) out[i] = ulawToLinear(buf[i]!);
  return out;
}

/** Share of the signal's power at `hz` (Goertzel, 8 kHz): close to 1 for a tone at hz. */
export function toneShare(samples: Float64Array, hz: number, rate = 8000): number {
  const n = samples.length;
  if (n === 0) return 0;
  const k = Math.round((n * hz) / rate);
  const w = (2 * Math.PI * k) / n;
  const coeff = 2 * Math.cos(w);
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
  return energy === 0 ? 0 : (2 * power) / (n * energy);
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
  for (let at = 0; at + 160 <= ulaw.length; at += 160) if (toneShare(decodeUlaw(ulaw.subarray(at, at + 160)), hz) > threshold) count += 1;
  return count;
}
