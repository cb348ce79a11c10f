// A Local channel whose ;2 half enters a Stasis application from the dialplan
// (`exten => …,Stasis(app,inbound,${EXTEN},${CALLERID(num)})`, the lab's [test-inbound]): the
// originator's ;1 half waits, Ringing, while the application on ;2 answers (then ;1 is answered
// and enters its own application) or hangs up (then ;1 ends with that cause).
// RECORDED: the ;2 half's StasisStart in state Ring with the dialplan's arguments and nothing
// after its StasisEnd for the application that took it (traces l, q: an inbound call); a Local
// pair's answer and hangups (traces a, b3, f). MODELED: the Dial status of ;1 when ;2 is hung up
// unanswered (the dial core's mapping of the cause: BUSY, CONGESTION, else NOANSWER) and the
// order of the two halves' events. docs/lab.md lists what a lab run confirms.
import type { CallerId } from './ari-format.js';
import type { Chan } from './entities.js';
import type { SimAsterisk } from './asterisk.js';
import type { CalleeScript } from './types.js';
import { life, type Lifecycle } from './lifecycle.js';

/** ;2 runs Stasis(app, args…): the dialplan variables of the args are the extension and the caller. */
export function enterFromDialplan(sim: SimAsterisk, c: Chan, stasis: NonNullable<CalleeScript['stasis']>, caller: CallerId): void {
  const two = c.half2 as Chan;
  sim.dial(c, '');
  const args = stasis.args.map((a) => a.replaceAll('${EXTEN}', two.dialplan.exten).replaceAll('${CALLERID(num)}', caller.number));
  const appData = [stasis.app, ...args].join(',');
  two.dialplan = { ...two.dialplan, app_name: 'Stasis', app_data: appData };
  sim.chanEvent(two, 'ChannelDialplan', { dialplan_app: 'Stasis', dialplan_app_data: appData });
  if (!sim.sink.hasApp(stasis.app)) {
    // Stasis() fails for an application without a WebSocket: the dialplan hangs ;2 up (trace d, step 9).
    sim.destroyedEvent(two, 0);
    sim.destroyedEvent(c, 0);
    life.remove(sim, c);
    return;
  }
  sim.setState(c, 'Ringing');
  sim.dial(c, 'RINGING');
  two.stasisApp = stasis.app;
  two.apps.add(stasis.app);
  two.args = args;
  // Watched by its application only while in Stasis, as an inbound call (trace l).
  two.inbound = true;
  two.inStasis = true;
  sim.varset(two, 'STASISSTATUS', '');
  two.vars.set('STASISSTATUS', '');
  sim.chanEvent(two, 'StasisStart', { args });
}

/** The application answered ;2: ;1 is answered and enters the originator's application. */
export function answeredHalf2(sim: SimAsterisk, two: Chan): void {
  const c = two.owner as Chan;
  if (c.answered || !c.alive) return;
  sim.setState(c, 'Up');
  sim.dial(c, 'ANSWER');
  life.enterStasis(sim, c);
}

/** The application hung ;2 up (DELETE): it leaves Stasis, then the pair ends with the cause. */
export function hangupHalf2(sim: SimAsterisk, two: Chan, cause: number): void {
  const c = two.owner as Chan;
  sim.hangupRequest(two, 32, true);
  life.leaveStasis(sim, two, true);
  if (c.answered) {
    sim.hangupRequest(c, 16);
    life.leaveStasis(sim, c, true);
  } else {
    sim.hangupRequest(c, cause);
    sim.dial(c, cause === 17 ? 'BUSY' : cause === 34 ? 'CONGESTION' : 'NOANSWER');
  }
  sim.destroyedEvent(two, cause);
  sim.destroyedEvent(c, cause);
  life.remove(sim, c);
}

/** What this module does for the others (lifecycle.ts). */
export const lifecycle = { enterFromDialplan, answeredHalf2, hangupHalf2 } satisfies Partial<Lifecycle>;
