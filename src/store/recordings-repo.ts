// Recordings: registered by a trigger in the commit of their session's recording.finished timeline
// row (migrations.ts), read here, soft-deleted by the API or by retention.
import type { Recording } from '../domain/model.js';
import type { Db, Row } from './db.js';
import type { Store } from './store.js';
import type { PendingWrites } from './pending-writes.js';

const RECORDING_COLUMNS = 'id, account_id, session_id, step_id, format, duration_sec, date_created';
interface RecordingRow extends Row {
  id: string; account_id: string; session_id: string; step_id: string | null; format: string; duration_sec: number | null; date_created: string;
}

function recordingFromRow(r: RecordingRow): Recording {
  return {
    id: r.id, accountId: r.account_id, sessionId: r.session_id, ...(r.step_id ? { stepId: r.step_id } : {}),
    format: r.format, ...(r.duration_sec !== null ? { durationSec: Number(r.duration_sec) } : {}), dateCreated: r.date_created,
  };
}

export class RecordingsRepo implements Pick<Store, 'listRecordings' | 'getRecording' | 'markRecordingDeleted' | 'recordingsCreatedBefore'> {
  /** `pendingBySession`: the sessions' queued writes, which may register a recording. */
  constructor(private readonly db: Db, private readonly pendingBySession: PendingWrites) {}

  async listRecordings(accountId: string, sessionId: string): Promise<Recording[]> {
    if (this.pendingBySession.has(sessionId)) await this.db.flush();
    const rows = await this.db.all<RecordingRow>(`SELECT ${RECORDING_COLUMNS} FROM recordings
      WHERE session_id = ? AND account_id = ? AND date_deleted IS NULL ORDER BY date_created, id`, [sessionId, accountId]);
    return rows.map(recordingFromRow);
  }

  async getRecording(accountId: string, id: string): Promise<Recording | undefined> {
    const row = await this.db.get<RecordingRow>(`SELECT ${RECORDING_COLUMNS} FROM recordings
      WHERE id = ? AND account_id = ? AND date_deleted IS NULL`, [id, accountId]);
    return row ? recordingFromRow(row) : undefined;
  }

  async markRecordingDeleted(accountId: string, id: string, at: string): Promise<boolean> {
    const changed = await this.db.transaction(() => this.db.runRaw(
      'UPDATE recordings SET date_deleted = ? WHERE id = ? AND account_id = ? AND date_deleted IS NULL', [at, id, accountId]));
    return changed > 0;
  }

  async recordingsCreatedBefore(before: string, limit: number): Promise<Recording[]> {
    const rows = await this.db.all<RecordingRow>(`SELECT ${RECORDING_COLUMNS} FROM recordings
      WHERE date_deleted IS NULL AND date_created < ? ORDER BY date_created LIMIT ?`, [before, limit]);
    return rows.map(recordingFromRow);
  }
}
