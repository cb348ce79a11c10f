// Session rows: the columns, the live states in SQL, and a row (with its variables) as a Session.
import type { Session, SessionState } from '../domain/model.js';
import { LIVE_STATES } from '../domain/model.js';
import type { Db, Row } from './db.js';
import type { NewSession } from './store.js';

export const LIVE_SQL = `state IN (${LIVE_STATES.map((s) => `'${s}'`).join(', ')})`;
export const LIVE_STATE_SET: ReadonlySet<string> = new Set(LIVE_STATES);

export const SESSION_COLUMNS = `id, account_id, flow_id, flow_version, number_to_dial, caller_id, state, channel_id,
  endpoint, end_reason, date_created, date_answered, date_ended, status_callback, status_callback_events, owner_id, lease_expires, direction, asterisk_server`;

export interface SessionRow extends Row {
  id: string; account_id: string; flow_id: string; flow_version: number; number_to_dial: string; caller_id: string;
  state: string; channel_id: string; endpoint: string; end_reason: string | null; date_created: string;
  date_answered: string | null; date_ended: string | null;
  status_callback: string | null; status_callback_events: string | null; owner_id: string | null; lease_expires: string | null;
  direction: string;
  asterisk_server: string | null;
}
interface VariableRow extends Row { session_id: string; name: string; value: string }

export function toSession(r: SessionRow, variables: Record<string, string>): Session {
  return {
    id: r.id, accountId: r.account_id, direction: r.direction === 'inbound' ? 'inbound' : 'outbound', flowId: r.flow_id, flowVersion: r.flow_version,
    numberToDial: r.number_to_dial, callerId: r.caller_id, state: r.state as SessionState,
    channelId: r.channel_id, endpoint: r.endpoint, variables, endReason: r.end_reason,
    dateCreated: r.date_created, dateAnswered: r.date_answered, dateEnded: r.date_ended,
    statusCallback: r.status_callback,
    statusCallbackEvents: r.status_callback_events === null ? null : JSON.parse(r.status_callback_events) as string[],
    ownerId: r.owner_id, leaseExpires: r.lease_expires,
    ...(r.asterisk_server !== null ? { asteriskServer: r.asterisk_server } : {}),
  };
}

/** The sessions of the rows with their variables (one query for all of them). */
export async function withVariables(db: Db, rows: SessionRow[]): Promise<Session[]> {
  if (rows.length === 0) return [];
  const byId = new Map<string, Record<string, string>>();
  for (const r of rows) byId.set(r.id, {});
  // One statement text whatever the number of ids (statements are cached by text).
  const vars = await db.all<VariableRow>(
    'SELECT session_id, name, value FROM session_variables WHERE session_id IN (SELECT value FROM json_each(?))',
    [JSON.stringify([...byId.keys()])]);
  for (const v of vars) {
    const bag = byId.get(v.session_id);
    if (bag) bag[v.name] = v.value;
  }
  return rows.map((r) => toSession(r, byId.get(r.id) ?? {}));
}

/** A session as its creation stores it (`queued`, nothing else yet), without reading it back. */
export function queuedSession(s: NewSession, at: string): Session {
  return {
    id: s.id, accountId: s.accountId, direction: s.direction ?? 'outbound', flowId: s.flowId, flowVersion: s.flowVersion, numberToDial: s.numberToDial,
    callerId: s.callerId, state: 'queued', channelId: s.channelId, endpoint: s.endpoint, variables: {},
    endReason: null, dateCreated: at, dateAnswered: null, dateEnded: null,
    statusCallback: s.statusCallback ?? null, statusCallbackEvents: s.statusCallbackEvents ?? null, ownerId: s.owner?.id ?? null,
    leaseExpires: s.owner?.leaseExpires ?? null, ...(s.asteriskServer !== undefined ? { asteriskServer: s.asteriskServer } : {}),
  };
}
