// POST /channels/create and POST /channels/{id}/dial: a channel the app makes in Stasis first and
// dials later (the second leg of a bridged call). PJSIP legs: sequences from traces m and m2 of a
// real Asterisk 22. Local legs (Local/<exten>@<context>, the lab's test callees): the project's
// recordings test/fixtures/traces/s-*, t-* (see `ringLocal`).
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
  const caller = sim.channels.get(args.str('caller') ?? '');
  sim.clock.after(0, () => {
    if (!c.alive) return;
    if (c.tech === 'Local') ringLocal(sim, c, caller);
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
 * A created Local leg dialed, as recorded on a real 22.10.1 (test/fixtures/traces: s, t-dial-local-*).
 * Its ;2 half runs the callee's dialplan unseen by the app (appsOf). With a `caller`, the leg's
 * connected line becomes the caller's first. The first Dial names the dial string, the later ones
 * none; real Asterisk races that first Dial against the state change and status (the recordings
 * show both orders), the simulator sends it first. Answer(): Up, ANSWER. Busy(): BUSY, then nothing
 * until the dial timeout; Ringing(): Ringing, RINGING, then nothing until it. The timeout cancels
 * the leg: hangup request 32 (soft), StasisEnd, ChannelDestroyed 19. A far-end hangup after the
 * answer: channel-hangup.ts. MODELED, not recorded: Congestion() as Busy() with CONGESTION, an
 * answer after a ring (RINGING first), and a callee that hangs up unanswered or does not exist
 * (as the originated Local channels of traces b3 and d: NOANSWER and cause 21, or cause 0).
 */
function ringLocal(sim: SimAsterisk, c: Chan, caller: Chan | undefined): void {
  const two = c.half2 as Chan;
  const result = c.script.result ?? 'answer';
  if (caller) {
    c.connected = { ...caller.caller };
    sim.chanEvent(c, 'ChannelConnectedLine');
  }
  if (result === 'fail' || result === 'reject') {
    if (result === 'reject') sim.dial(c, 'NOANSWER', '');
    const cause = result === 'reject' ? 21 : 0;
    sim.hangupRequest(c, cause);
    life.leaveStasis(sim, c, true);
    sim.destroyedEvent(c, cause);
    life.remove(sim, c);
    return;
  }
  sim.dial(c, '');
  life.runCalleeDialplan(sim, two, result);
  const timeout = life.timeoutMs(sim, c);
  if (timeout !== Infinity) {
    sim.at(c, timeout, () => {
      if (c.answered) return;
      sim.hangupRequest(c, 32, true);
      life.leaveStasis(sim, c, true);
      sim.destroyedEvent(c, 19);
      life.remove(sim, c);
    });
  }
  const delay = life.outcomeDelay(sim, c);
  if (result === 'no-answer' || (result === 'answer' && delay > 0)) {
    two.state = 'Ringing';
    sim.setState(c, 'Ringing');
    sim.dial(c, 'RINGING', '');
  }
  if (result === 'no-answer' || delay >= timeout) return;
  sim.at(c, delay, () => {
    if (result === 'answer') {
      two.state = 'Up';
      sim.setState(c, 'Up');
      sim.dial(c, 'ANSWER', '');
      c.answered = true;
      life.scheduleScript(sim, c);
      return;
    }
    two.state = 'Busy';
    sim.dial(c, result === 'congestion' ? 'CONGESTION' : 'BUSY', '');
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
