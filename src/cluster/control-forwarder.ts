// Forwards a live control to the engine that owns the session and waits, bounded, for its answer.
// No answer: the session is read again. Ended meanwhile: 409 SessionNotLive, as locally. Taken
// over by another engine (failover): the control goes to the new owner. Otherwise the owner is
// silent while its lease holds (busy, or dead and not yet noticed): 503 with Retry-After, the time
// until a survivor may take the session over.
import { AppError } from '../domain/errors.js';
import type { Session } from '../domain/model.js';
import { isFinal } from '../domain/session-state.js';
import type { Logger } from '../log.js';
import { errorOf, replyOf, type ClusterLink, type ControlRequest, type ControlTarget } from '../services/remote-control.js';
import type { ClusterBus, ClusterHandlers, EventRef } from './cluster-bus.js';

const OWNER_CHANGES_FOLLOWED = 2;

export interface ClusterDeps {
  bus: ClusterBus;
  getSession(accountId: string, id: string): Promise<Session | undefined>;
  /** This engine's owner id. */
  selfId: string;
  timeoutMs: number;
  logger: Logger;
  /** Events other engines committed (remote-events.ts). */
  events(refs: readonly EventRef[]): void;
}

export class Cluster implements ClusterLink {
  private target: ControlTarget | undefined;
  private readonly gapListeners = new Set<() => void>();

  constructor(private readonly deps: ClusterDeps) {}

  start(): Promise<void> {
    const handlers: ClusterHandlers = {
      control: async (request) => {
        if (request.op === 'ping') return { ok: true };
        if (!this.target) return replyOf(new AppError('unavailable', 'EngineStarting', 'The engine running the session is starting', [], 1));
        try {
          await this.target(request);
          return { ok: true };
        } catch (err) {
          if (!(err instanceof AppError)) this.deps.logger.error({ err, op: request.op, sessionId: request.sessionId }, 'forwarded control failed');
          return replyOf(err);
        }
      },
      events: (refs) => this.deps.events(refs),
      gap: () => {
        for (const l of [...this.gapListeners]) l();
      },
    };
    return this.deps.bus.start(this.deps.selfId, handlers);
  }

  serve(target: ControlTarget): void {
    this.target = target;
  }

  onGap(listener: () => void): () => void {
    this.gapListeners.add(listener);
    return () => this.gapListeners.delete(listener);
  }

  async forward(session: Session, request: ControlRequest): Promise<boolean> {
    let current = session;
    for (let hop = 0; ; hop += 1) {
      const owner = current.ownerId;
      if (owner === null || owner === this.deps.selfId) return false;
      const reply = await this.deps.bus.request(owner, request, this.deps.timeoutMs);
      if (reply?.ok) return true;
      if (reply) throw errorOf(reply);
      const now = await this.deps.getSession(request.accountId, request.sessionId);
      if (!now || isFinal(now.state)) {
        throw new AppError('conflict', 'SessionNotLive', `Session ${request.sessionId} cannot be controlled: it ended (state ${now?.state ?? 'unknown'})`);
      }
      if (now.ownerId !== owner && hop < OWNER_CHANGES_FOLLOWED) {
        current = now;
        continue;
      }
      this.deps.logger.warn({ sessionId: now.id, owner, timeoutMs: this.deps.timeoutMs }, 'the engine running the session did not answer a control');
      throw new AppError('unavailable', 'OwnerNotAnswering',
        `The engine running session ${now.id} did not answer within ${this.deps.timeoutMs} ms; its lease runs until ${now.leaseExpires ?? 'unknown'}, then another engine settles the call`,
        [], retryAfter(now.leaseExpires));
    }
  }

  /** True when the engine `ownerId` answers over the bus (alive, whatever its lease says). */
  async ownerAnswers(ownerId: string, timeoutMs: number): Promise<boolean> {
    const reply = await this.deps.bus.request(ownerId, { op: 'ping', accountId: '', sessionId: '', input: {} }, timeoutMs);
    return reply?.ok === true;
  }

  stop(): Promise<void> {
    return this.deps.bus.stop();
  }
}

function retryAfter(leaseExpires: string | null): number {
  const ms = leaseExpires ? Date.parse(leaseExpires) - Date.now() : NaN;
  return Number.isFinite(ms) && ms > 0 ? Math.min(3600, Math.ceil(ms / 1000)) : 1;
}
