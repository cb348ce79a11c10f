// WAV (RIFF, PCM 16-bit) reading and writing, and the resampling that brings a provider's audio
// to 8 kHz mono, the rate Asterisk's format_wav plays without transcoding.
export interface Pcm { sampleRate: number; samples: Int16Array }

export const TARGET_RATE = 8000;

export function parseWav(buf: Buffer): Pcm {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a RIFF/WAVE file');
  let offset = 12;
  let format: { channels: number; rate: number; bits: number; tag: number } | undefined;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    let size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      format = { tag: buf.readUInt16LE(body), channels: buf.readUInt16LE(body + 2), rate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!format) throw new Error('WAV data before its format');
      if (format.tag !== 1 || format.bits !== 16) throw new Error('only 16-bit PCM WAV is supported');
      // Streamed WAVs (espeak-ng --stdout) carry a placeholder size: the data runs to the end.
      if (size === 0 || size === 0xffffffff || body + size > buf.length) size = buf.length - body;
      const frames = Math.floor(size / (2 * format.channels));
      const samples = new Int16Array(frames);
      for (let i = 0; i < frames; i++) {
        let sum = 0;
        for (let c = 0; c < format.channels; c++) sum += buf.readInt16LE(body + (i * format.channels + c) * 2);
        samples[i] = Math.round(sum / format.channels);
      }
      return { sampleRate: format.rate, samples };
    }
    offset = body + size + (size % 2);
  }
  throw new Error('WAV without a data chunk');
}

/** Linear interpolation after a box low-pass as wide as the rate ratio (enough for speech). */
export function resample(pcm: Pcm, rate: number): Pcm {
  if (pcm.sampleRate === rate) return pcm;
  const ratio = pcm.sampleRate / rate;
  const width = Math.max(1, Math.round(ratio));
  const src = pcm.samples;
  const smooth = new Float64Array(src.length);
  let acc = 0;
  for (let i = 0; i < src.length; i++) {
    acc += src[i]!;
    if (i >= width) acc -= src[i - width]!;
    smooth[i] = acc / Math.min(i + 1, width);
  }
  const out = new Int16Array(Math.floor(src.length / ratio));
  for (let i = 0; i < out.length; i++) {
    const pos = i * ratio;
    const j = Math.floor(pos);
    const frac = pos - j;
    const a = smooth[j] ?? 0;
    const b = smooth[Math.min(j + 1, smooth.length - 1)] ?? a;
    out[i] = Math.max(-32768, Math.min(32767, Math.round(a + (b - a) * frac)));
  }
  return { sampleRate: rate, samples: out };
}

export function writeWav(pcm: Pcm): Buffer {
  const data = pcm.samples.length * 2;
  const buf = Buffer.alloc(44 + data);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + data, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(pcm.sampleRate, 24);
  buf.writeUInt32LE(pcm.sampleRate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(data, 40);
  for (let i = 0; i < pcm.samples.length; i++) buf.writeInt16LE(pcm.samples[i]!, 44 + i * 2);
  return buf;
}

/** Any 16-bit PCM WAV as an 8 kHz mono one. */
export function toTelephoneWav(buf: Buffer): Buffer {
  return writeWav(resample(parseWav(buf), TARGET_RATE));
}

export function wavDurationMs(buf: Buffer): number {
  const pcm = parseWav(buf);
  return Math.round((pcm.samples.length / pcm.sampleRate) * 1000);
}
