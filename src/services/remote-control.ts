// Live control of a session another engine runs. The services validate a control, find that the
// call is not live in this process, and hand it to a `ControlForwarder` (src/cluster/) that
// carries it to the owner; the owner runs the same service locally (`ControlTarget`) and its
// answer, success or error, comes back as it would have locally.
import { AppError, type ErrorKind, type FieldError } from '../domain/errors.js';
import type { Session } from '../domain/model.js';
import type { Input } from './input.js';

/** `ping`: is the engine alive (answered by the cluster layer itself, before a takeover). */
export type ControlOp = 'end' | 'redirect' | 'hold' | 'dtmf' | 'ping';

/** A control as it travels between engines (small: references and validated fields only). */
export interface ControlRequest {
  op: ControlOp;
  accountId: string;
  sessionId: string;
  input: Input;
}

/** The owner's answer: done, or the error the owner's service raised. */
export type ControlReply =
  | { ok: true }
  | { ok: false; error: { kind: ErrorKind; errorCode: string; message: string; fieldErrors: FieldError[]; retryAfterSec?: number } };

export interface ControlForwarder {
  /**
   * Carries the control to the session's owner and resolves once it acted; throws the owner's
   * AppError, 409 SessionNotLive when the session ended meanwhile, 503 when the owner does not
   * answer while its lease is valid. False when the session has no other owner to forward to.
   */
  forward(session: Session, request: ControlRequest): Promise<boolean>;
}

/** What runs a forwarded control on the owner: the services, never forwarding again. */
export type ControlTarget = (request: ControlRequest) => Promise<void>;

export function replyOf(err: unknown): ControlReply {
  if (err instanceof AppError) {
    const { kind, errorCode, message, fieldErrors, retryAfterSec } = err;
    return { ok: false, error: { kind, errorCode, message, fieldErrors, ...(retryAfterSec !== undefined ? { retryAfterSec } : {}) } };
  }
  return { ok: false, error: { kind: 'unavailable', errorCode: 'ControlFailed', message: 'The engine running the session could not apply the control', fieldErrors: [], retryAfterSec: 1 } };
}

export function errorOf(reply: Extract<ControlReply, { ok: false }>): AppError {
  const e = reply.error;
  return new AppError(e.kind, e.errorCode, e.message, e.fieldErrors, e.retryAfterSec);
}

/** The cluster as the HTTP layer wires it: the forwarder, where forwarded controls run, and gaps. */
export interface ClusterLink extends ControlForwarder {
  serve(target: ControlTarget): void;
  /** Events of other engines may have been missed: live streams are closed so that clients resume. */
  onGap(listener: () => void): () => void;
}
