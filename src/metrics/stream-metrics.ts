// The media streams' metrics (the stream step), on the engine's registry: live streams, frames
// relayed and dropped each way, and the delay the engine adds to a frame.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { StreamObserver } from '../streams/stream-relay.js';

export function streamMetrics(registry: Registry): StreamObserver {
  const registers = [registry];
  const live = new Gauge({ name: 'engine_streams_live', help: 'Media streams to WebSocket agents now open.', registers });
  const frames = new Counter({ name: 'engine_stream_frames_total', help: '20 ms audio frames relayed: to-agent (the call\'s audio), to-caller (the agent\'s).', labelNames: ['direction'] as const, registers });
  const dropped = new Counter({ name: 'engine_stream_frames_dropped_total', help: 'Frames dropped by backpressure (a slow agent, a full play-out queue, a stalled Asterisk socket).', labelNames: ['direction'] as const, registers });
  const latency = new Histogram({
    name: 'engine_stream_relay_latency_seconds', help: 'Delay the engine adds to a frame: receipt (or, to the caller, its play-out slot) to its write.',
    labelNames: ['direction'] as const, buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1], registers,
  });
  return {
    started: () => live.inc(),
    ended: () => live.dec(),
    relayed: (direction, ms) => {
      frames.inc({ direction });
      latency.observe({ direction }, ms / 1000);
    },
    dropped: (direction, n) => dropped.inc({ direction }, n),
  };
}
