// The cluster bus of engines in one process (the single engine on SQLite, or several engines of
// a test): a registry of the engines started here. A control for an owner that is not here gets
// no answer at once (no other process can run sessions of this database concurrently).
import type { ControlReply, ControlRequest } from '../services/remote-control.js';
import type { ClusterBus, ClusterHandlers, EventRef } from './cluster-bus.js';

const ENGINES = new Map<string, ClusterHandlers>();

export class InProcessClusterBus implements ClusterBus {
  private selfId: string | undefined;

  get shared(): boolean {
    return ENGINES.size > 1;
  }

  async start(selfId: string, handlers: ClusterHandlers): Promise<void> {
    this.selfId = selfId;
    ENGINES.set(selfId, handlers);
  }

  async request(ownerId: string, request: ControlRequest, _timeoutMs: number): Promise<ControlReply | undefined> {
    const owner = ENGINES.get(ownerId);
    return owner ? owner.control(structuredClone(request)) : undefined;
  }

  announce(ref: EventRef): void {
    for (const [id, handlers] of ENGINES) if (id !== this.selfId) handlers.events([ref]);
  }

  async stop(): Promise<void> {
    if (this.selfId !== undefined) ENGINES.delete(this.selfId);
  }
}
