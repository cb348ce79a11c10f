// POST /channels/create and POST /channels/{id}/dial: a channel the app makes in Stasis first and
// dials later (the second leg of a bridged call). PJSIP legs: sequences from traces m and m2 of a
// real Asterisk 22. Local legs (Local/<exten>@<context>, the lab's test callees): no recording
// shows one dialed, so `ringLocal` composes what is recorded elsewhere — see its comment.
import { fail, type Reply, Args } from './rest.js';
import { type Chan, ENDPOINT_CALLER_IDS } from './entities.js';
import type { SimAsterisk } from './asterisk.js';
import { life, type Lifecycle } from './lifecycle.js';

export function create(sim: SimAsterisk, args: Args): Reply {
  const endpoint = args.str('endpoint');
  if (!endpoint) fail(400, 'Endpoint must be specified');
  const app = args.str('app');
  if (!app) fail(400, 'Application must be specified');
  const c = life.allocate(sim, args, endpoint as string, args.str('channelId'), { name: '', number: '' }, -1);
  // The channel carries its endpoint's own caller ID and nobody is connected yet (trace m).
  c.caller = { ...(ENDPOINT_CALLER_IDS[c.endpointName] ?? { name: '', number: '' }) };
  c.connected = { name: '', number: '' };
  c.dialplan = { ...c.dialplan, app_name: '', app_data: '' };
  c.created = 'waiting';
  const snapshot = sim.chanJson(c);
  sim.clock.after(sim.createdEnterDelays.shift() ?? 0, () => {
    if (!c.alive || !sim.sink.hasApp(app as string)) return;
    c.inStasis = true;
    c.dialplan = { ...c.dialplan, app_name: 'Stasis', app_data: [app, ...c.args].join(',') };
    sim.varset(c, 'STASISSTATUS', '');
    c.vars.set('STASISSTATUS', '');
    sim.chanEvent(c, 'StasisStart', { args: c.args });
  });
  return { status: 200, body: snapshot };
}

export function dial(sim: SimAsterisk, args: Args): Reply {
  const c = sim.channels.get(args.str('channelId') ?? '');
  if (!c || !c.alive) return fail(404, 'Channel not found');
  // A real 22.10.1 checks this first (trace s-dial-before-stasis-start).
  if (!c.inStasis) return fail(409, 'Channel not in Stasis application');
  if (c.created !== 'waiting') return fail(409, 'Channel cannot be dialed');
  c.created = 'dialing';
  const timeout = args.int('timeout') ?? 0;
  c.timeoutSec = timeout > 0 ? timeout : -1;
  sim.clock.after(0, () => {
    if (!c.alive) return;
    if (c.tech === 'Local') ringLocal(sim, c);
    else ring(sim, c);
  });
  return { status: 204 };
}

/** The dialed leg rings; the first Dial names the dial string, the next ones none (trace m). */
function ring(sim: SimAsterisk, c: Chan): void {
  sim.dial(c, '');
  sim.setState(c, 'Ringing');
  sim.dial(c, 'RINGING', '');
  const result = c.script.result ?? 'answer';
  const timeout = c.timeoutSec < 0 ? Infinity : c.timeoutSec * 1000;
  const delay = life.outcomeDelay(sim, c);
  if (result === 'no-answer' || delay >= timeout) {
    // Trace m2, B2: the dial timeout cancels the leg; the phone's 480 shows on ChannelDestroyed.
    if (timeout !== Infinity) sim.at(c, timeout, () => dialFailed(sim, c, 32, 19, 480, true));
    return;
  }
  sim.at(c, delay, () => {
    if (result === 'answer') {
      sim.setState(c, 'Up');
      sim.dial(c, 'ANSWER', '');
      c.answered = true;
      life.scheduleScript(sim, c);
      return;
    }
    const [cause, sip] = ({ busy: [17, 486], congestion: [34, 503], reject: [21, 603] } as Record<string, [number, number]>)[result] ?? [38, 500];
    dialFailed(sim, c, cause, cause, sip, false);
  });
}

/**
 * A created Local leg dialed. RECORDED elsewhere, reused here: the ;2 half runs the callee's
 * dialplan with the states and causes of the Local originates (traces a, b, b3, c, d, f; the
 * callee scripts of config/test-callees.sim.json), and the Dial events of a created leg (traces
 * m, m2: the dial string on the first, "" on RINGING and ANSWER). MODELED, not recorded: that
 * a non-answer then publishes the final Dial status Asterisk's dial core gives for the control
 * frame the ;2 half sends (BUSY for Busy(), CONGESTION for Congestion(), NOANSWER for a hangup
 * before answer, as in traces b, b2, b3) with dial string "", and that the leg leaves Stasis
 * (StasisEnd) before its ChannelDestroyed. The ring timeout gives no Dial status (as trace m2's
 * PJSIP leg: the timeout is the dial core's, not the channel technology's) and cause 19 on both
 * halves (trace c). docs/lab.md lists what a lab run confirms.
 */
function ringLocal(sim: SimAsterisk, c: Chan): void {
  life.runLocalLeg(sim, c, {
    laterDialstring: '',
    inStasis: true,
    cancelledOnTimeout: true,
    answered: () => {
      c.answered = true;
      life.scheduleScript(sim, c);
    },
  });
}

/** A dialed leg that never answered: no Dial status reaches the app, only the hangup (trace m2). */
export function dialFailed(sim: SimAsterisk, c: Chan, requestCause: number, cause: number, sip: number, soft: boolean): void {
  sim.hangupRequest(c, requestCause, soft, soft ? undefined : sip);
  life.leaveStasis(sim, c, true);
  sim.destroyedEvent(c, cause, sip);
  life.remove(sim, c);
}

/** What this module does for the others (lifecycle.ts). */
export const lifecycle = { dialFailed } satisfies Partial<Lifecycle>;
