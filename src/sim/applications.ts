// /applications: registered Stasis applications and their event subscriptions.
import { fail, type Reply, Args } from './rest.js';
import { type Chan, type Bridge } from './entities.js';
import type { SimAsterisk } from './asterisk.js';

export function appJson(sim: SimAsterisk, name: string): Record<string, unknown> {
  return {
    name,
    channel_ids: [...sim.channels.values()].filter((c) => c.apps.has(name)).map((c) => c.id),
    bridge_ids: [...sim.bridges.values()].filter((b) => b.apps.has(name)).map((b) => b.id),
    endpoint_ids: [],
    device_names: [],
    events_allowed: [],
    events_disallowed: [],
  };
}

/**
 * Registered applications: those a WebSocket holds, and, as res_stasis keeps them, those whose
 * WebSocket is gone (inactive: Stasis() into them fails, STASISSTATUS=FAILED) until a cleanup
 * finds them without subscriptions (stasis_app_unregister, cleanup_cb in res/res_stasis.c of
 * 22.10.1; events-socket.ts).
 */
function registeredApps(sim: SimAsterisk): Set<string> {
  return new Set(sim.sink.apps());
}

export function listApps(sim: SimAsterisk): Reply {
  return { status: 200, body: [...registeredApps(sim)].sort().map((a) => appJson(sim, a)) };
}

export function getApp(sim: SimAsterisk, args: Args): Reply {
  const name = args.str('applicationName') ?? '';
  if (!registeredApps(sim).has(name)) fail(404, 'Application not found');
  return { status: 200, body: appJson(sim, name) };
}

export function subscribe(sim: SimAsterisk, args: Args, on: boolean): Reply {
  const name = args.str('applicationName') ?? '';
  const sources = args.list('eventSource');
  if (sources.length === 0) fail(400, 'Missing parameter eventSource');
  if (!registeredApps(sim).has(name)) fail(404, 'Application not found');
  const targets: Array<Set<string>> = [];
  for (const source of sources) {
    const colon = source.indexOf(':');
    const scheme = colon < 0 ? source : source.slice(0, colon);
    const id = colon < 0 ? '' : source.slice(colon + 1);
    if (scheme === 'channel') {
      const c = sim.channels.get(id);
      if (!c) fail(422, `Event source not found: ${source}`);
      targets.push((c as Chan).apps);
    } else if (scheme === 'bridge') {
      const b = sim.bridges.get(id);
      if (!b) fail(422, `Event source not found: ${source}`);
      targets.push((b as Bridge).apps);
    } else if (scheme === 'endpoint' || scheme === 'deviceState') {
      continue;
    } else {
      fail(400, `Invalid scheme: ${scheme}`);
    }
  }
  for (const set of targets) {
    if (on) set.add(name);
    else if (!set.has(name)) fail(409, 'Application not subscribed to event source');
  }
  if (!on) for (const set of targets) set.delete(name);
  return { status: 200, body: appJson(sim, name) };
}
