// ARI_APP must be this engine's own on every server: Asterisk gives a Stasis application's events
// to one WebSocket only, and a second connection under the same name takes it over from the first
// (res_http_websocket + res_stasis: the first gets ApplicationReplaced and nothing after). So
// before connecting, each server is asked GET /ari/applications/{app}, right after a throwaway
// events WebSocket under another name was opened and closed: res_stasis removes an application
// whose socket is gone and which nothing is subscribed to only in cleanup(), which runs at each
// unregistration (stasis_app_unregister in res/res_stasis.c of 22.10.1); without it, the empty
// application of an engine that died stays listed (seen on the lab's 22.10.1). Then:
//   - 404: nobody holds it;
//   - 200 without channels: a live WebSocket holds it, another engine uses the name: refuse;
//   - 200 with channels: either a live engine with calls, or the calls an engine that died left
//     in its (inactive) application. The store tells: refuse if one of those channels is a live
//     session whose owner still holds its lease; otherwise they are orphans the sweep settles.
// A server that cannot be reached is not checked (it is down); its adapter logs loudly if the
// name is taken over later (ApplicationReplaced).
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { Session } from '../../domain/model.js';
import { ownerIsGone } from '../owner.js';

export interface AppCheckServer { name: string; url: string; username: string; password: string }

export class ApplicationTakenError extends Error {}

export type AppState = { kind: 'free' } | { kind: 'held'; channelIds: string[] } | { kind: 'unreachable'; why: string };

const authorizationOf = (server: AppCheckServer): string => `Basic ${Buffer.from(`${server.username}:${server.password}`).toString('base64')}`;

/** Registers and unregisters a throwaway application: Asterisk's cleanup() then drops the dead, empty ones. */
async function runCleanup(server: AppCheckServer, app: string, timeoutMs: number): Promise<void> {
  const probe = `${app.slice(0, 40)}.check-${randomBytes(4).toString('hex')}`;
  const url = new URL(`/ari/events?app=${encodeURIComponent(probe)}`, server.url);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  await new Promise<void>((resolve) => {
    const ws = new WebSocket(url, { headers: { authorization: authorizationOf(server) }, handshakeTimeout: timeoutMs });
    ws.once('open', () => ws.close());
    ws.once('close', () => resolve());
    ws.once('error', () => resolve());
  });
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    if ((await applicationState(server, probe, timeoutMs)).kind !== 'held') return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What the server says about the application (bounded, no credentials in what it returns). */
export async function applicationState(server: AppCheckServer, app: string, timeoutMs = 5_000): Promise<AppState> {
  const url = new URL(`/ari/applications/${encodeURIComponent(app)}`, server.url);
  const authorization = authorizationOf(server);
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return { kind: 'unreachable', why: cause?.code ?? (err as Error).name };
  }
  const text = await res.text().catch(() => '');
  if (res.status === 404) return { kind: 'free' };
  if (res.status !== 200) return { kind: 'unreachable', why: `HTTP ${res.status}` };
  try {
    const body = JSON.parse(text) as { channel_ids?: unknown; bridge_ids?: unknown };
    const ids = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    return { kind: 'held', channelIds: ids(body.channel_ids) };
  } catch {
    return { kind: 'unreachable', why: 'unreadable answer' };
  }
}

export interface AppCheckDeps {
  /** Live sessions of the store (all owners). */
  liveSessions(): Promise<Session[]>;
  warn(detail: Record<string, unknown>, message: string): void;
}

/**
 * Throws ApplicationTakenError when another live engine holds `app` on one of the servers. A
 * holder is given `settleMs` to let go first: a process killed just before this one started
 * (a supervisor's restart) has its socket closed by its kernel, which Asterisk sees a moment later.
 */
export async function ensureApplicationIsOurs(servers: readonly AppCheckServer[], app: string, deps: AppCheckDeps, settleMs = 5_000): Promise<void> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    try {
      await checkServers(servers, app, deps);
      return;
    } catch (err) {
      if (!(err instanceof ApplicationTakenError) || Date.now() >= deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function checkServers(servers: readonly AppCheckServer[], app: string, deps: AppCheckDeps): Promise<void> {
  for (const server of servers) {
    await runCleanup(server, app, 5_000);
    const state = await applicationState(server, app);
    if (state.kind === 'free') continue;
    if (state.kind === 'unreachable') {
      deps.warn({ server: server.name, why: state.why }, 'cannot check whether ARI_APP is free on this Asterisk server (down?); checked only by ApplicationReplaced later');
      continue;
    }
    const taken = (): ApplicationTakenError => new ApplicationTakenError(
      `ARI_APP "${app}" is already registered on Asterisk server "${server.name}": another engine's WebSocket holds it. `
      + 'Each engine needs its own ARI_APP (docs/scaling.md#stasis-applications).');
    if (state.channelIds.length === 0) throw taken();
    const present = new Set(state.channelIds);
    const held = (await deps.liveSessions()).some((s) => present.has(s.channelId) && s.ownerId !== null && !ownerIsGone(s.ownerId, s.leaseExpires));
    if (held) throw taken();
    deps.warn({ server: server.name, channels: state.channelIds.length }, 'ARI_APP is registered with calls of an engine that is gone: taking it over (its sessions are settled by the orphan sweep)');
  }
}
