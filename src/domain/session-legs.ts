// The legs of a session (its channels), as GetSession shows them: read from the timeline, where
// every row that concerns a leg names it (`leg`: its channel id), so the legs need no storage of
// their own and can never disagree with the timeline.
//   role: `callee` (the party an outbound call reached), `caller` (who called in), `dialed` (a
//   party a dial step connected).
import type { Session, SessionEvent } from './model.js';
import { storedEntry } from './timeline.js';

export type LegState = 'created' | 'ringing' | 'up' | 'ended' | 'failed' | 'transferred';

export interface SessionLeg {
  channelId: string;
  role: 'caller' | 'callee' | 'dialed';
  endpoint: string;
  number: string;
  state: LegState;
  dateCreated: string;
  dateAnswered: string | null;
  dateEnded: string | null;
  /** Q.850 cause of its end (ChannelDestroyed), when Asterisk gave one. */
  cause: number | null;
  causeTxt: string | null;
}

export function legsOf(s: Session, timeline: readonly SessionEvent[]): SessionLeg[] {
  const inbound = s.direction === 'inbound';
  const first: SessionLeg = {
    channelId: s.channelId, role: inbound ? 'caller' : 'callee', endpoint: s.endpoint,
    number: inbound ? s.callerId : s.numberToDial, state: 'created', dateCreated: s.dateCreated,
    dateAnswered: s.dateAnswered, dateEnded: null, cause: null, causeTxt: null,
  };
  const legs = new Map<string, SessionLeg>([[s.channelId, first]]);
  for (const read of timeline) {
    const row = storedEntry(read);
    if (!row) continue;
    // Rows stored before legs were named have no `leg` (hence the `in` check): they concern the first leg.
    const id = 'leg' in row.data ? row.data.leg : undefined;
    if (row.type === 'leg.created') {
      if (id) {
        legs.set(id, {
          channelId: id, role: 'dialed', endpoint: row.data.endpoint, number: row.data.number, state: 'created',
          dateCreated: row.at, dateAnswered: null, dateEnded: null, cause: null, causeTxt: null,
        });
      }
      continue;
    }
    if (row.type === 'state') {
      if (row.data.state === 'ringing' && first.state === 'created') first.state = 'ringing';
      if (row.data.state === 'in-progress' && first.dateEnded === null) first.state = 'up';
      continue;
    }
    const leg = legs.get(id ?? s.channelId);
    if (!leg) continue;
    switch (row.type) {
      case 'ari.dial': {
        const { dialstatus } = row.data;
        if ((dialstatus === 'RINGING' || dialstatus === 'PROGRESS') && leg.state === 'created') leg.state = 'ringing';
        if (dialstatus === 'ANSWER') answered(leg, row.at);
        break;
      }
      case 'leg.answered':
        answered(leg, row.at);
        break;
      case 'leg.failed':
        leg.state = 'failed';
        leg.dateEnded = row.at;
        break;
      case 'session.transferred':
        leg.state = 'transferred';
        leg.dateEnded = row.at;
        break;
      case 'ari.channel-destroyed':
        if (leg.state !== 'transferred') leg.state = 'ended';
        leg.dateEnded ??= row.at;
        leg.cause = row.data.cause;
        leg.causeTxt = row.data.causeTxt;
        break;
      default:
        break;
    }
  }
  if (s.dateEnded && first.state !== 'ended' && first.state !== 'transferred') {
    first.state = 'ended';
    first.dateEnded ??= s.dateEnded;
  }
  return [...legs.values()];
}

function answered(leg: SessionLeg, at: string): void {
  if (leg.state === 'ended' || leg.state === 'failed') return;
  leg.state = 'up';
  leg.dateAnswered ??= at;
}
