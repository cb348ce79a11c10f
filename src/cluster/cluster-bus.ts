// The messages engines sharing one database exchange: a live control for the engine that owns a
// session (request and answer, matched by a correlation id) and references to the session events
// each engine commits (the receiver reads the event itself from the store, so a message stays
// far below PostgreSQL's 8000-byte NOTIFY limit). Implementations: in-process.ts (one engine, or
// several in one process, on SQLite) and store/cluster/pg-cluster-bus.ts (LISTEN/NOTIFY).
import type { ControlReply, ControlRequest } from '../services/remote-control.js';

/** A committed session event, by reference. */
export interface EventRef {
  accountId: string;
  sessionId: string;
  seq: number;
}

export interface ClusterHandlers {
  /** A control sent to this engine: run it, resolve with the answer to send back. */
  control(request: ControlRequest): Promise<ControlReply>;
  /** Events other engines committed, in their commit order per session. */
  events(refs: readonly EventRef[]): void;
  /** Messages may have been missed (the bus connection was lost and is back). */
  gap(): void;
}

export interface ClusterBus {
  /** True when other engines may be listening: committed events are announced then. */
  readonly shared: boolean;
  /** Starts receiving as `selfId` (the engine's owner id); does not throw when the bus is down (it reconnects). */
  start(selfId: string, handlers: ClusterHandlers): Promise<void>;
  /** Sends a control to the engine `ownerId`; undefined when no answer came within `timeoutMs`. */
  request(ownerId: string, request: ControlRequest, timeoutMs: number): Promise<ControlReply | undefined>;
  /** Tells the other engines about events this one committed (in commit order). */
  announce(ref: EventRef): void;
  stop(): Promise<void>;
}
