// Where the engine may send requests a user chose (webhooks; media URLs later): http(s) only, no
// credentials in the URL, and by default no loopback, private, link-local, CGNAT or metadata
// address after DNS resolution. The address checked is the one connected to (pinned).
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

const MAX_URL_LENGTH = 2048;

const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) BLOCKED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32], ['64:ff9b::', 96],
] as const) BLOCKED.addSubnet(net, prefix, 'ipv6');

/** True for addresses a user-chosen URL may not reach unless private destinations are allowed. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return BLOCKED.check(mapped[1]!, 'ipv4');
  return BLOCKED.check(address, 'ipv6');
}

const HTTP_SCHEMES = ['http:', 'https:'];
/** Agents of stream steps (a WebSocket is an HTTP request upgraded: the same policy applies). */
export const WEBSOCKET_SCHEMES = ['ws:', 'wss:'];
const schemesText = (schemes: readonly string[]): string => (schemes === WEBSOCKET_SCHEMES ? 'ws(s)' : 'http(s)');

/** The syntax check (at save time): undefined when acceptable, else why not. */
export function urlProblem(raw: string, allowPrivate: boolean, schemes: readonly string[] = HTTP_SCHEMES): string | undefined {
  if (raw.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `must be an absolute ${schemesText(schemes)} URL`;
  }
  if (!schemes.includes(url.protocol)) return `must be an ${schemesText(schemes)} URL`;
  if (url.username || url.password) return 'must not carry credentials';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) !== 0 && isPrivateAddress(host)))) {
    return 'must not point to a loopback, private, link-local or metadata address';
  }
  return undefined;
}

/** Resolves the host and checks every address; the one returned is the one to connect to. */
export async function resolveAllowed(url: URL, allowPrivate: boolean): Promise<{ address: string; family: 4 | 6 }> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host);
  const addresses = literal !== 0 ? [{ address: host, family: literal }] : await lookup(host, { all: true, verbatim: true });
  if (addresses.length === 0) throw new Error(`${host} does not resolve`);
  if (!allowPrivate && addresses.some((a) => isPrivateAddress(a.address))) {
    throw new Error(`${host} resolves to a loopback, private, link-local or metadata address`);
  }
  const first = addresses[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
