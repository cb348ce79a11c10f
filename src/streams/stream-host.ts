// What the stream steps need of streams: a call's host opens them and stops forked ones by step id
// (streams.ts over real sockets; simulate/scripted-agents.ts on a flow simulation's virtual clock).
import type { Track } from './twilio-protocol.js';

export type StreamEnd =
  | { kind: 'exit'; variables: Record<string, string>; next?: string }
  | { kind: 'closed' }
  | { kind: 'dropped' }
  | { kind: 'media-lost' }
  | { kind: 'stopped'; reason: string };

export interface StreamRequest {
  stepId: string;
  url: string;
  customParameters: Record<string, string>;
  /** Forked streams listen only, to the tracks asked; a stream that talks back carries `inbound`. */
  tracks: Track[];
  fork: boolean;
  connectTimeoutMs: number;
}

/** One open stream. */
export interface StreamHandle {
  /** How the stream ended, once it has. */
  ended(): StreamEnd | undefined;
  /** Told when the stream ends. */
  subscribe(listener: () => void): () => void;
  /** The caller pressed a key. */
  dtmf(digit: string): void;
  /** The engine ends the stream (the agent gets `stop`); resolves once Asterisk's side is removed. */
  stop(reason: string): Promise<void>;
}

/** One call's streams. */
export interface StreamHost {
  /** Opens a stream; the reason when it could not be. A forked one is kept by its step id until it ends. */
  open(req: StreamRequest): Promise<StreamHandle | { failed: string }>;
  /** Stops the forked stream started by `stepId`; false when none runs. */
  stop(stepId: string, reason: string): Promise<boolean>;
}
