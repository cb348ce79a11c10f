// A flow version's columns (flows joined with flow_versions) and its row as a Flow: one definition
// for both dialects; callers add the version condition to the join and their WHERE.
import type { Flow } from '../domain/model.js';
import type { FlowDocument } from '../domain/flow.js';

export const FLOW_SELECT = `SELECT f.id, f.account_id, f.date_created, v.version, v.name, v.document,
  v.date_created AS version_created, v.created_by
  FROM flows f JOIN flow_versions v ON v.flow_id = f.id`;

export interface FlowRow {
  [column: string]: unknown;
  id: string; account_id: string; date_created: string; version: number; name: string; document: string; version_created: string; created_by: string | null;
}

export function toFlow(r: FlowRow): Flow {
  // Our own JSON, written from a validated document.
  const document = JSON.parse(r.document) as FlowDocument;
  return {
    id: r.id, accountId: r.account_id, name: r.name, version: r.version, document,
    dateCreated: r.date_created, dateModified: r.version_created, ...(r.created_by !== null ? { createdBy: r.created_by } : {}),
  };
}
