// The simulator's control API under /sim (no ARI auth; the server binds 127.0.0.1 by default):
// health and stats, the request log, callee scripts, the far end's DTMF and hangups, inbound
// calls, and the faults. Also the validation of callee scripts (control API, scripts file, the
// flow simulation's scripts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimAsterisk } from './asterisk.js';
import * as dialing from './channel-dial.js';
import * as hangups from './channel-hangup.js';
import { parseCallerId } from './ari-format.js';
import { parseJsonBody, readBody, send } from './http-io.js';
import type { ServerState } from './server-state.js';
import type { EventSockets } from './events-socket.js';
import type { CalleeScript, SimFaults, SimRequestRecord } from './types.js';

/** Validates a callee script from JSON (control API, scripts file); throws a readable message. */
export function validateScript(raw: unknown, where = 'script'): CalleeScript {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${where}: must be a JSON object`);
  const o = raw as Record<string, unknown>;
  const out: CalleeScript = {};
  const results = ['answer', 'busy', 'no-answer', 'congestion', 'reject', 'fail'];
  if (o.result !== undefined) {
    if (typeof o.result !== 'string' || !results.includes(o.result)) throw new Error(`${where}.result: one of ${results.join(', ')}`);
    out.result = o.result as CalleeScript['result'];
  }
  const ms = (v: unknown, name: string): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${where}.${name}: a number of milliseconds >= 0`);
    return v;
  };
  const answerAfterMs = ms(o.answerAfterMs, 'answerAfterMs');
  if (answerAfterMs !== undefined) out.answerAfterMs = answerAfterMs;
  const hangupAfterMs = ms(o.hangupAfterMs, 'hangupAfterMs');
  if (hangupAfterMs !== undefined) out.hangupAfterMs = hangupAfterMs;
  if (o.dtmf !== undefined) {
    if (!Array.isArray(o.dtmf)) throw new Error(`${where}.dtmf: an array`);
    out.dtmf = o.dtmf.map((step: unknown, i) => {
      if (typeof step !== 'object' || step === null) throw new Error(`${where}.dtmf[${i}]: an object`);
      const s = step as Record<string, unknown>;
      if (typeof s.digits !== 'string' || !/^[0-9A-Da-d*#]+$/.test(s.digits)) throw new Error(`${where}.dtmf[${i}].digits: DTMF digits (0-9, A-D, *, #)`);
      const r: NonNullable<CalleeScript['dtmf']>[number] = { digits: s.digits };
      for (const k of ['atMs', 'afterPlaybackStarted', 'afterPlaybackFinished', 'delayMs', 'gapMs'] as const) {
        const v = ms(s[k], `dtmf[${i}].${k}`);
        if (v !== undefined) r[k] = v;
      }
      return r;
    });
  }
  if (o.stasis !== undefined) {
    const st = o.stasis as Record<string, unknown> | null;
    if (typeof st !== 'object' || st === null || typeof st.app !== 'string' || st.app === '') throw new Error(`${where}.stasis.app: the Stasis application to enter`);
    if (!Array.isArray(st.args) || st.args.some((a) => typeof a !== 'string' || a.includes(','))) throw new Error(`${where}.stasis.args: an array of strings without commas`);
    out.stasis = { app: st.app, args: st.args as string[] };
  }
  // A tone only: a WAV (speak.wav) names a file of the simulator's host, given through its
  // programmatic options, never through this unauthenticated API.
  if (o.speak !== undefined) {
    const sp = o.speak as Record<string, unknown> | null;
    if (typeof sp !== 'object' || sp === null || Array.isArray(sp)) throw new Error(`${where}.speak: an object (toneHz, amplitude, startMs, durationMs)`);
    for (const key of Object.keys(sp)) if (!['toneHz', 'amplitude', 'startMs', 'durationMs'].includes(key)) throw new Error(`${where}.speak.${key}: not a known property (toneHz, amplitude, startMs, durationMs)`);
    const speak: NonNullable<CalleeScript['speak']> = {};
    if (sp.toneHz !== undefined) {
      if (typeof sp.toneHz !== 'number' || !(sp.toneHz > 0 && sp.toneHz < 4000)) throw new Error(`${where}.speak.toneHz: a frequency below 4000 Hz`);
      speak.toneHz = sp.toneHz;
    }
    if (sp.amplitude !== undefined) {
      if (typeof sp.amplitude !== 'number' || !(sp.amplitude >= 0 && sp.amplitude <= 32767)) throw new Error(`${where}.speak.amplitude: 0 to 32767`);
      speak.amplitude = sp.amplitude;
    }
    const startMs = ms(sp.startMs, 'speak.startMs');
    if (startMs !== undefined) speak.startMs = startMs;
    const durationMs = ms(sp.durationMs, 'speak.durationMs');
    if (durationMs !== undefined) speak.durationMs = durationMs;
    out.speak = speak;
  }
  if (o.recordHeard !== undefined) {
    if (typeof o.recordHeard !== 'boolean') throw new Error(`${where}.recordHeard: true or false`);
    out.recordHeard = o.recordHeard;
  }
  return out;
}

export interface ControlDeps {
  ast: SimAsterisk;
  state: ServerState;
  events: EventSockets;
  faults: SimFaults;
  requests(): SimRequestRecord[];
}

/** The handler of every request under /sim/. */
export function controlApi(deps: ControlDeps): (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void> {
  const { ast, state, events, faults } = deps;
  return async (req, res, path) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const text = await readBody(req);
    const body = parseJsonBody(text);
    const obj = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
    const bad = (message: string) => send(res, 400, { message });
    const seg = path.split('/').slice(2).map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
    const [a, b, c] = seg;
    if (a === 'health' && method === 'GET') return send(res, 200, { ok: true, phase: state.phase });
    if (a === 'stats' && method === 'GET') {
      return send(res, 200, { originates: ast.originateCount(), channels: ast.channels.size, websockets: events.count, apps: events.appNames() });
    }
    if (a === 'requests' && method === 'GET') return send(res, 200, deps.requests());
    if (a === 'callees') {
      if (b === undefined && method === 'GET') return send(res, 200, ast.callees());
      if (b !== undefined && c === undefined) {
        if (method === 'PUT') {
          try {
            const script = validateScript(body);
            ast.setCallee(b, script);
            return send(res, 200, { key: b, script });
          } catch (err) {
            return bad((err as Error).message);
          }
        }
        if (method === 'DELETE') {
          ast.deleteCallee(b);
          return send(res, 204);
        }
        if (method === 'GET') {
          const s = ast.callees()[b];
          return s ? send(res, 200, s) : send(res, 404, { message: 'No script for this key' });
        }
      }
    }
    if (a === 'channels') {
      if (b === undefined && method === 'GET') return send(res, 200, ast.channelInfos());
      if (b !== undefined && c === 'dtmf' && method === 'POST') {
        if (typeof obj.digits !== 'string' || !/^[0-9A-Da-d*#]+$/.test(obj.digits)) return bad('digits: DTMF digits (0-9, A-D, *, #)');
        const gap = typeof obj.gapMs === 'number' ? obj.gapMs : undefined;
        return dialing.farEndDtmf(ast, b, obj.digits, gap) ? send(res, 204) : send(res, 404, { message: 'Channel not found or not answered' });
      }
      if (b !== undefined && c === 'hangup' && method === 'POST') {
        return hangups.farEndHangupById(ast, b) ? send(res, 204) : send(res, 404, { message: 'Channel not found' });
      }
    }
    if (a === 'inbound' && method === 'POST') {
      const from = typeof obj.from === 'string' ? obj.from : 'PJSIP/phone1';
      const exten = typeof obj.exten === 'string' ? obj.exten : 's';
      // `apps`: the dialplan's fallback (asterisk-config/extensions.conf [engine-inbound]): Stasis()
      // into each in turn while it fails (STASISSTATUS=FAILED: no WebSocket holds the application).
      const apps = Array.isArray(obj.apps) ? obj.apps.filter((a): a is string => typeof a === 'string' && a !== '') : typeof obj.app === 'string' && obj.app !== '' ? [obj.app] : [];
      if (apps.length === 0) return bad('app: the Stasis application to enter (or apps: the applications to try in turn)');
      const app = apps.find((a) => ast.sink.hasApp(a)) ?? (apps[0] as string);
      const args = Array.isArray(obj.args) ? obj.args.map(String) : [exten];
      if (obj.unseen !== undefined && typeof obj.unseen !== 'boolean') return bad('unseen: true or false');
      const id = dialing.inbound(ast, from, exten, app, args, parseCallerId(typeof obj.callerId === 'string' ? obj.callerId : ''), obj.unseen === true);
      return send(res, 200, { channelId: id, app });
    }
    if (a === 'faults') {
      if (b === undefined && method === 'DELETE') {
        faults.clear();
        return send(res, 204);
      }
      if (method === 'POST') {
        switch (b) {
          case 'drop-websockets':
            faults.dropWebSockets();
            return send(res, 204);
          case 'refuse-connections': {
            const ms = obj.ms;
            if (typeof ms !== 'number' || ms < 0) return bad('ms: milliseconds >= 0');
            send(res, 204, undefined, { Connection: 'close' });
            state.later(0, () => faults.refuseConnections(ms));
            return;
          }
          case 'delay-created-stasis-start': {
            const ms = obj.delayMs;
            const count = typeof obj.count === 'number' && obj.count > 0 ? obj.count : 1;
            if (typeof ms !== 'number' || ms < 0) return bad('delayMs: milliseconds >= 0');
            faults.delayCreatedStasisStart(ms, count);
            return send(res, 204);
          }
          case 'restart':
            send(res, 204, undefined, { Connection: 'close' });
            state.later(0, () => void faults.restart());
            return;
          case 'stop-gracefully': {
            const again = obj.restartAfterMs;
            if (again !== undefined && (typeof again !== 'number' || again < 0)) return bad('restartAfterMs: milliseconds >= 0');
            send(res, 202, { message: 'Stopping when the last call ends' });
            void faults.stopGracefully().then(() => {
              if (typeof again === 'number') state.later(again, () => void faults.start());
            });
            return;
          }
          case 'fail-next':
          case 'delay-next': {
            const pathSpec = typeof obj.pathRegex === 'string' ? safeRegExp(obj.pathRegex) : typeof obj.path === 'string' ? obj.path : undefined;
            if (pathSpec === undefined) return bad('path (exact) or pathRegex is required');
            const method = typeof obj.method === 'string' ? obj.method : undefined;
            const count = typeof obj.count === 'number' && obj.count > 0 ? obj.count : 1;
            if (b === 'fail-next') {
              if (typeof obj.status !== 'number' || obj.status < 100 || obj.status > 599) return bad('status: an HTTP status');
              faults.failNext({ path: pathSpec, status: obj.status, count, ...(method ? { method } : {}), ...(obj.body !== undefined ? { body: obj.body } : {}),
                ...(typeof obj.delayMs === 'number' ? { delayMs: obj.delayMs } : {}) });
            } else {
              if (typeof obj.delayMs !== 'number' || obj.delayMs < 0) return bad('delayMs: milliseconds >= 0');
              faults.delayNext({ path: pathSpec, delayMs: obj.delayMs, count, ...(method ? { method } : {}) });
            }
            return send(res, 204);
          }
        }
      }
    }
    send(res, 404, { message: 'Unknown control endpoint' });
  };
}

function safeRegExp(source: string): RegExp | undefined {
  try {
    return new RegExp(source);
  } catch {
    return undefined;
  }
}
