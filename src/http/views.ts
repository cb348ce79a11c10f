// The public shapes of entities, as the API returns them (JSON camelCase; XML PascalCase).
import type { Account, AccountSettings, Extension, Flow, Page, PhoneNumber, Recording, Session, SessionEvent, Sound } from '../domain/model.js';
import { legsOf } from '../domain/session-legs.js';

export function sessionView(s: Session) {
  return {
    id: s.id,
    accountId: s.accountId,
    direction: s.direction,
    flowId: s.flowId,
    flowVersion: s.flowVersion,
    numberToDial: s.numberToDial,
    callerId: s.callerId,
    // Who called whom, whichever the direction (inbound: the caller, then the owned number).
    from: s.callerId,
    to: s.numberToDial,
    state: s.state,
    dateCreated: s.dateCreated,
  };
}

export function sessionDetailView(s: Session, timeline: SessionEvent[]) {
  return {
    ...sessionView(s),
    dateAnswered: s.dateAnswered,
    dateEnded: s.dateEnded,
    endReason: s.endReason,
    channelId: s.channelId,
    endpoint: s.endpoint,
    variables: s.variables,
    legs: legsOf(s, timeline),
    timeline: timeline.map((e) => ({ seq: e.seq, at: e.at, type: e.type, data: e.data })),
  };
}

export function flowView(f: Flow) {
  return {
    id: f.id,
    accountId: f.accountId,
    name: f.name,
    version: f.version,
    document: f.document,
    dateCreated: f.dateCreated,
    dateModified: f.dateModified,
    createdBy: f.createdBy ?? null,
  };
}

export function soundView(s: Sound) {
  return { id: s.id, ...(s.text ? { text: s.text } : {}), languages: s.languages, formats: s.formats };
}

export function phoneNumberView(n: PhoneNumber) {
  return {
    id: n.id,
    accountId: n.accountId,
    number: n.number,
    name: n.name,
    enabled: n.enabled,
    inboundFlowId: n.inboundFlowId,
    dateCreated: n.dateCreated,
    dateModified: n.dateModified,
  };
}

export function extensionView(x: Extension) {
  return {
    id: x.id,
    accountId: x.accountId,
    number: x.number,
    name: x.name,
    enabled: x.enabled,
    inboundFlowId: x.inboundFlowId,
    dateCreated: x.dateCreated,
    dateModified: x.dateModified,
  };
}

export function accountView({ account, settings }: { account: Account; settings: AccountSettings }) {
  return {
    id: account.id,
    name: account.name,
    callerIdPassthrough: settings.callerIdPassthrough,
    dateCreated: account.dateCreated,
    ...(settings.dateModified ? { dateModified: settings.dateModified } : {}),
  };
}

/** With `simplifiedPaging` (ListRequest) only the items and whether more pages follow. */
export function pageView<T, V>(page: Page<T>, view: (item: T) => V, request: { simplifiedPaging?: unknown } = {}) {
  const items = page.items.map(view);
  if (request.simplifiedPaging === true) return { items, hasMorePages: page.hasMorePages };
  return { items, totalCount: page.totalCount, totalPages: page.totalPages, hasMorePages: page.hasMorePages };
}

/** A recording as the API shows it (no account id: the caller's own). */
export function recordingView(r: Recording & { size?: number; contentType?: string }): Record<string, unknown> {
  return {
    id: r.id, sessionId: r.sessionId, ...(r.stepId ? { stepId: r.stepId } : {}), format: r.format,
    ...(r.durationSec !== undefined ? { durationSec: r.durationSec } : {}),
    ...(r.size !== undefined ? { size: r.size } : {}), ...(r.contentType ? { contentType: r.contentType } : {}),
    dateCreated: r.dateCreated,
  };
}
