// In-process fan-out of committed events to live-stream listeners (per session and per account).
// Rendering is skipped when nobody listens, so calls without listeners pay nothing.
import type { SessionEventJson } from './event-model.js';

type Listener = (event: SessionEventJson) => void;

export class EventBus {
  private readonly bySession = new Map<string, Set<Listener>>();
  private readonly byAccount = new Map<string, Set<Listener>>();

  listening(accountId: string, sessionId: string): boolean {
    return this.bySession.has(sessionId) || this.byAccount.has(accountId);
  }

  publish(event: SessionEventJson): void {
    for (const l of [...(this.bySession.get(event.sessionId) ?? [])]) l(event);
    for (const l of [...(this.byAccount.get(event.accountId) ?? [])]) l(event);
  }

  onSession(sessionId: string, listener: Listener): () => void {
    return add(this.bySession, sessionId, listener);
  }

  onAccount(accountId: string, listener: Listener): () => void {
    return add(this.byAccount, accountId, listener);
  }
}

function add(map: Map<string, Set<Listener>>, key: string, listener: Listener): () => void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(listener);
  return () => {
    const s = map.get(key);
    if (!s) return;
    s.delete(listener);
    if (s.size === 0) map.delete(key);
  };
}
