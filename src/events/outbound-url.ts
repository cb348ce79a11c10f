// Where the engine may send requests a user chose (webhooks, media URLs): http(s) only, no
// credentials in the URL, and by default no loopback, private, link-local, CGNAT or metadata
// address after DNS resolution. The address checked is the one connected to (pinned).
// Cloud metadata services are refused even where ALLOW_PRIVATE_DESTINATIONS opens private
// networks to labs: no lab needs them, and they hand out the host's credentials.
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

/**
 * Instance metadata and credential endpoints of the clouds, IPv4 and IPv6:
 * AWS IMDS (169.254.169.254, fd00:ec2::254), ECS task credentials (169.254.170.2), EKS Pod Identity
 * (169.254.170.23, fd00:ec2::23); GCP (169.254.169.254, fd20:ce::254); Azure IMDS (169.254.169.254)
 * and WireServer (168.63.129.16); Alibaba (100.100.100.200); Oracle (169.254.169.254,
 * fd00:c1::a9fe:a9fe, and the legacy 192.0.0.192); Tencent (169.254.0.23); OpenStack,
 * DigitalOcean, Hetzner, Huawei (169.254.169.254).
 */
const METADATA = new BlockList();
for (const a of ['169.254.169.254', '169.254.170.2', '169.254.170.23', '168.63.129.16', '100.100.100.200', '192.0.0.192', '169.254.0.23']) {
  METADATA.addAddress(a, 'ipv4');
}
for (const a of ['fd00:ec2::254', 'fd00:ec2::23', 'fd20:ce::254', 'fd00:c1::a9fe:a9fe']) METADATA.addAddress(a, 'ipv6');
/** Names of those services (GCP's two, AWS's EC2 alias, Tencent's), matched with or without a trailing dot. */
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal', 'metadata.tencentyun.com']);

/** The 8 groups of an IPv6 address (`::` expanded, a dotted IPv4 tail converted), or undefined. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[2]!.split('.').map(Number) as [number, number, number, number];
    text = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.length === 8 ? groups.map((g) => parseInt(g, 16)) : undefined;
}

/**
 * The IPv4 address an IPv6 address carries, where it routes to one: IPv4-mapped (::ffff:a.b.c.d),
 * IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002:AABB:CCDD::/48).
 */
function embeddedIpv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  if (!g) return undefined;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && (g[5] === 0xffff || g[5] === 0) && (g[6]! !== 0 || g[7]! > 1)) return v4(g[6]!, g[7]!);
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return v4(g[6]!, g[7]!);
  if (g[0] === 0x2002) return v4(g[1]!, g[2]!);
  return undefined;
}

/** True for a cloud metadata address, in any of its IPv4 or IPv6 spellings: refused whatever the settings. */
export function isMetadataAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return METADATA.check(address, 'ipv4');
  if (family !== 6) return false;
  const v4 = embeddedIpv4(address);
  return (v4 !== undefined && METADATA.check(v4, 'ipv4')) || METADATA.check(address, 'ipv6');
}

/** True for a metadata service's address or name (`[fd00:ec2::254]`, `metadata.google.internal.`). */
export function isMetadataHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  return METADATA_HOSTS.has(host) || isMetadataAddress(host);
}

/** True for addresses a user-chosen URL may not reach unless private destinations are allowed. */
export function isPrivateAddress(address: string): boolean {
  if (isMetadataAddress(address)) return true;
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (family !== 6) return true;
  const v4 = embeddedIpv4(address);
  if (v4 !== undefined && BLOCKED.check(v4, 'ipv4')) return true;
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
  if (isMetadataHost(url.hostname)) return 'must not point to a cloud metadata address';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) !== 0 && isPrivateAddress(host)))) {
    return 'must not point to a loopback, private, link-local or metadata address';
  }
  return undefined;
}

export type Resolver = (host: string) => Promise<Array<{ address: string; family: number }>>;
const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

/**
 * Resolves the host and checks every address; the one returned is the one to connect to. A name
 * resolving to a metadata address is refused like the address itself.
 */
export async function resolveAllowed(url: URL, allowPrivate: boolean, resolve: Resolver = systemResolver): Promise<{ address: string; family: 4 | 6 }> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host);
  const addresses = literal !== 0 ? [{ address: host, family: literal }] : await resolve(host);
  if (addresses.length === 0) throw new Error(`${host} does not resolve`);
  if (isMetadataHost(host) || addresses.some((a) => isMetadataAddress(a.address))) {
    throw new Error(`${host} is or resolves to a cloud metadata address`);
  }
  if (!allowPrivate && addresses.some((a) => isPrivateAddress(a.address))) {
    throw new Error(`${host} resolves to a loopback, private, link-local or metadata address`);
  }
  const first = addresses[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
