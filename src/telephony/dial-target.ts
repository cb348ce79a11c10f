// Where a dial step's call goes and which number it shows: the route of `to` and the caller-ID
// policy (docs/flows.md, dial): an enabled number of the account; `first-party` (the first
// party's number, only where the account allows caller-ID pass-through); by default the
// session's own number.
import { FIRST_PARTY } from '../domain/steps/dial.js';
import type { Session } from '../domain/model.js';
import { checkE164 } from '../domain/e164.js';
import { checkDestination, type DestinationPolicy } from '../domain/destination-policy.js';
import { isExtension } from '../domain/extension.js';
import type { Router } from '../domain/routing.js';

export type Route = { ok: true; endpoint: string } | { ok: false; reason: string };

/**
 * The one route of a number a flow dials or transfers to: an E.164 number is checked like
 * numberToDial (the destination policy) then routed; an extension goes only where a routing rule
 * sends it (it has no country or number type for the policy to judge, and never falls to the
 * trunk default).
 */
export function routeNumber(router: Router, policy: DestinationPolicy, number: string): Route {
  if (isExtension(number)) {
    const endpoint = router.endpointForExtension(number);
    return endpoint === undefined
      ? { ok: false, reason: `no routing rule dials the extension ${number} (the default route is for E.164 numbers only)` }
      : { ok: true, endpoint };
  }
  const checked = checkE164(number, 'to');
  if (!checked.ok) return { ok: false, reason: checked.error.message };
  const refused = checkDestination(checked.e164, policy, 'to', checked.info());
  if (refused) return { ok: false, reason: refused.message };
  try {
    return { ok: true, endpoint: router.endpointFor(checked.e164) };
  } catch {
    return { ok: false, reason: `no route dials ${checked.e164}` };
  }
}

export interface DialTargetDeps {
  route(number: string): Route;
  owns(accountId: string, number: string): Promise<boolean>;
  callerIdPassthrough(accountId: string): Promise<boolean>;
}

export type DialTarget = { ok: true; endpoint: string; callerNumber: string } | { ok: false; reason: string };

/** The session's own number: the caller ID of an outbound call, the number called on an inbound one. */
function ownNumber(session: Session): string {
  return session.direction === 'inbound' ? session.numberToDial : session.callerId;
}

/** The first party's own number: the callee of an outbound call, the caller of an inbound one. */
function firstPartyNumber(session: Session): string {
  return session.direction === 'inbound' ? session.callerId : session.numberToDial;
}

export async function resolveDialTarget(deps: DialTargetDeps, session: Session, to: string, callerId: string | undefined): Promise<DialTarget> {
  const route = deps.route(to);
  if (!route.ok) return route;
  if (callerId === FIRST_PARTY) {
    // Checked when the step runs: the setting may change after the flow was saved.
    if (!(await deps.callerIdPassthrough(session.accountId))) {
      return { ok: false, reason: 'callerId first-party needs caller-ID pass-through, which this account does not allow (PatchAccount callerIdPassthrough)' };
    }
    const number = firstPartyNumber(session);
    if (number === '') return { ok: false, reason: 'callerId first-party: the first party\'s number is unknown (an anonymous caller)' };
    return { ok: true, endpoint: route.endpoint, callerNumber: number };
  }
  if (callerId !== undefined && !(await deps.owns(session.accountId, callerId))) {
    return { ok: false, reason: `callerId ${callerId} is not an enabled number of the account` };
  }
  return { ok: true, endpoint: route.endpoint, callerNumber: callerId ?? ownNumber(session) };
}
