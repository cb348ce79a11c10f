// Opens the agent's WebSocket under the webhooks' destination policy: the host is resolved and
// every address checked (no loopback, private, link-local or metadata address unless
// ALLOW_PRIVATE_DESTINATIONS), and the connection goes to the address checked (pinned), so a DNS
// answer that changes between check and connect cannot reach a private address.
import WebSocket from 'ws';
import type { LookupFunction } from 'node:net';
import { resolveAllowed } from '../events/outbound-url.js';

/** The agent's messages are small JSON; one larger than this closes the socket (ws's maxPayload). */
const MAX_AGENT_MESSAGE_BYTES = 1024 * 1024;

export async function connectAgent(rawUrl: string, timeoutMs: number, allowPrivate: boolean): Promise<{ ok: true; socket: WebSocket } | { ok: false; reason: string }> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { ok: false, reason: 'the agent URL is not a URL' };
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return { ok: false, reason: 'the agent URL must be ws:// or wss://' };
  let pinned: { address: string; family: 4 | 6 };
  try {
    pinned = await resolveAllowed(url, allowPrivate);
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
  const lookup: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { handshakeTimeout: timeoutMs, maxPayload: MAX_AGENT_MESSAGE_BYTES, lookup, perMessageDeflate: false });
    const timer = setTimeout(() => fail(`the agent did not answer within ${timeoutMs} ms`), timeoutMs + 100);
    let settled = false;
    function fail(reason: string): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.terminate();
      resolve({ ok: false, reason });
    }
    socket.once('open', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Errors from now on end in a close event, which whoever holds the socket handles.
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      resolve({ ok: true, socket });
    });
    socket.on('error', (err) => fail(`the agent could not be reached: ${err.message}`));
    socket.once('unexpected-response', (_req, res) => fail(`the agent answered HTTP ${res.statusCode} instead of a WebSocket`));
  });
}
