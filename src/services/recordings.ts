// Recordings use cases: the recordings a session made (registered with its recording.finished
// timeline row), their metadata, their audio (read from Asterisk's stored recordings, Range
// answered here) and their deletion; the retention sweep deletes those older than the setting.
import { AppError } from '../domain/errors.js';
import type { Recording } from '../domain/model.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';

/** Where the audio lives (the telephony port: Asterisk's /recordings/stored). */
export interface RecordingFiles {
  storedRecordingFile(name: string): Promise<{ ok: true; value: { data: Buffer; contentType: string } } | { ok: false; kind: string; message: string }>;
  deleteStoredRecording(name: string): Promise<{ ok: true } | { ok: false; kind: string; message: string }>;
}

export interface RecordingFile {
  status: 200 | 206 | 416;
  data: Buffer;
  contentType: string;
  headers: Record<string, string>;
}

const ID_MAX = 128;
/** The content type Asterisk's stored recording API gives a format (it answers audio/wav for wav). */
const CONTENT_TYPES: Record<string, string> = { wav: 'audio/wav', gsm: 'audio/x-gsm', ulaw: 'audio/basic', alaw: 'audio/x-alaw-basic', sln16: 'audio/L16;rate=16000', sln: 'audio/L16;rate=8000' };

/** One `bytes=a-b`, `bytes=a-` or `bytes=-n` range; undefined when absent or not understood (whole file). */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return undefined;
  }
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

export class RecordingService {
  constructor(
    private readonly store: Store,
    private readonly files: RecordingFiles | undefined,
    private readonly logger: Logger,
  ) {}

  async listForSession(accountId: string, sessionId: string): Promise<Recording[]> {
    if (sessionId.length === 0 || sessionId.length > ID_MAX || !(await this.store.getSession(accountId, sessionId))) throw AppError.notFound('Session');
    return this.store.listRecordings(accountId, sessionId);
  }

  async get(accountId: string, id: string): Promise<Recording & { size?: number; contentType: string }> {
    const recording = await this.find(accountId, id);
    const file = await this.read(recording);
    return { ...recording, size: file.data.length, contentType: file.contentType };
  }

  async file(accountId: string, id: string, range: string | undefined): Promise<RecordingFile> {
    const recording = await this.find(accountId, id);
    const { data, contentType } = await this.read(recording);
    const base = { 'Accept-Ranges': 'bytes', 'Content-Disposition': `attachment; filename="${recording.id}.${recording.format}"` };
    const r = parseRange(range, data.length);
    if (r === 'unsatisfiable') return { status: 416, data: Buffer.alloc(0), contentType, headers: { ...base, 'Content-Range': `bytes */${data.length}` } };
    if (!r) return { status: 200, data, contentType, headers: base };
    return { status: 206, data: data.subarray(r.start, r.end + 1), contentType, headers: { ...base, 'Content-Range': `bytes ${r.start}-${r.end}/${data.length}` } };
  }

  async delete(accountId: string, id: string): Promise<void> {
    const recording = await this.find(accountId, id);
    await this.remove(recording);
  }

  /** Deletes the recordings created more than `retentionMs` ago; returns how many. */
  async sweep(retentionMs: number, now = Date.now()): Promise<number> {
    const old = await this.store.recordingsCreatedBefore(new Date(now - retentionMs).toISOString(), 100);
    for (const recording of old) await this.remove(recording);
    if (old.length > 0) this.logger.info({ deleted: old.length }, 'recordings past their retention deleted');
    return old.length;
  }

  private async remove(recording: Recording): Promise<void> {
    if (this.files) {
      const res = await this.files.deleteStoredRecording(recording.id);
      // Already gone from Asterisk (deleted there, or a cancelled recording): still ours to forget.
      if (!res.ok && res.kind !== 'not-found') throw new AppError('unavailable', 'ServiceUnavailable', `Asterisk did not delete the recording: ${res.message}`);
    }
    await this.store.markRecordingDeleted(recording.accountId, recording.id, new Date().toISOString());
  }

  private async find(accountId: string, id: string): Promise<Recording> {
    const recording = id.length > 0 && id.length <= ID_MAX ? await this.store.getRecording(accountId, id) : undefined;
    if (!recording) throw AppError.notFound('Recording');
    return recording;
  }

  private async read(recording: Recording): Promise<{ data: Buffer; contentType: string }> {
    if (!this.files) throw new AppError('unavailable', 'ServiceUnavailable', 'Recordings are not available: no telephony connection');
    const res = await this.files.storedRecordingFile(recording.id);
    if (res.ok) return { data: res.value.data, contentType: CONTENT_TYPES[recording.format] ?? res.value.contentType };
    if (res.kind === 'not-found') throw AppError.notFound('Recording file');
    throw new AppError('unavailable', 'ServiceUnavailable', `Asterisk did not send the recording: ${res.message}`);
  }
}
