// The address of the client a request comes from, for the per-IP limiter and the logs. Behind a
// reverse proxy every request comes from the proxy, so one bad client would lock every client
// out; X-Forwarded-For names the client, but anyone can send it, so it is read only through the
// proxies TRUST_PROXY names (a hop count, or their addresses/CIDRs), right to left, stopping at
// the first address that is not a trusted proxy.
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { TrustProxy } from '../config.js';

/** Entries read from the right of X-Forwarded-For at most: bounds the work a long header costs. */
const MAX_HOPS = 32;

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) is `10.0.0.1`. */
function normalize(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}

function trustedBy(trust: TrustProxy): (address: string, hop: number) => boolean {
  if ('hops' in trust) return (_address, hop) => hop < trust.hops;
  const list = new BlockList();
  for (const entry of trust.proxies) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return (address) => list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

export type ClientAddress = (req: IncomingMessage) => string;

/** TRUST_PROXY unset: the socket's peer, whatever the headers say. */
export function clientAddressOf(trust: TrustProxy | undefined): ClientAddress {
  if (!trust) return (req) => normalize(req.socket.remoteAddress ?? 'unknown');
  const trusted = trustedBy(trust);
  return (req) => {
    let address = normalize(req.socket.remoteAddress ?? 'unknown');
    const header = req.headers['x-forwarded-for'];
    if (typeof header !== 'string') return address;
    const forwarded = header.split(',').slice(-MAX_HOPS).reverse();
    for (let hop = 0; hop < forwarded.length && trusted(address, hop); hop += 1) {
      const next = normalize((forwarded[hop] ?? '').trim());
      // A trusted proxy that forwarded garbage: the proxy itself is the best we know.
      if (isIP(next) === 0) break;
      address = next;
    }
    return address;
  };
}
