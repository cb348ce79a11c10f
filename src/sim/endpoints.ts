// /endpoints: the configured PJSIP endpoints and their channels.
import { fail, type Reply, Args } from './rest.js';
import type { SimAsterisk } from './asterisk.js';

export function endpointList(sim: SimAsterisk): Array<{ technology: string; resource: string; state: string; channel_ids: string[] }> {
  const byResource = new Map<string, string>();
  const add = (pattern: string, state: string) => {
    const m = /^pjsip\/(.+)$/i.exec(pattern);
    if (!m) return;
    const rest = m[1] as string;
    const at = rest.lastIndexOf('@');
    const resource = at >= 0 ? rest.slice(at + 1) : rest;
    if (resource.includes('*') || byResource.has(resource)) return;
    byResource.set(resource, state);
  };
  for (const p of sim.opts.offlineEndpoints) add(p, 'offline');
  for (const p of sim.opts.knownEndpoints) add(p, 'online');
  return [...byResource.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([resource, state]) => ({
      technology: 'PJSIP',
      resource,
      state,
      channel_ids: [...sim.channels.values()].filter((c) => c.tech === 'PJSIP' && c.endpointName === resource).map((c) => c.id),
    }));
}

export function listEndpoints(sim: SimAsterisk, args: Args, byTech: boolean): Reply {
  const list = endpointList(sim);
  if (!byTech) return { status: 200, body: list };
  const tech = args.str('tech') ?? '';
  if (tech.toLowerCase() === 'local') return { status: 200, body: [] };
  if (tech.toLowerCase() !== 'pjsip') fail(404, `No Endpoints found - invalid tech ${tech}`);
  return { status: 200, body: list };
}

export function getEndpoint(sim: SimAsterisk, args: Args): Reply {
  const tech = (args.str('tech') ?? '').toLowerCase();
  const resource = args.str('resource');
  const ep = tech === 'pjsip' ? endpointList(sim).find((e) => e.resource === resource) : undefined;
  if (!ep) fail(404, 'Endpoint not found');
  return { status: 200, body: ep };
}
