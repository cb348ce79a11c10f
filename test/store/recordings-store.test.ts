// Recordings in the store: registered with the unit that writes a session's recording.finished row (done
// only), account-scoped, marked deleted; and RecordingService's retention sweep over a real file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { parseRange, RecordingService } from '../../src/services/recordings.js';
import { FakePort } from '../support/telephony-fake-port.js';

describe('recordings', () => {
  let dir: string;
  let store: Store;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recordings-'));
    store = await openSqliteStore(join(dir, 'engine.sqlite'));
    await store.ensureAccount('acme', 'Acme');
    await store.ensureAccount('other', 'Other');
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const session = async (id: string, accountId = 'acme') => {
    await store.createSession({ id, accountId, flowId: 'f', flowVersion: 1, numberToDial: '+15551230000', callerId: '+15551230001', channelId: `ch-${id}`, endpoint: 'PJSIP/x' });
  };

  test('a done recording.finished row registers the recording; failed or cancelled ones do not', async () => {
    await session('s1');
    const at = new Date().toISOString();
    await store.appendSessionEvent('s1', 'recording.finished', { name: 'rec-a', stepId: 'msg', format: 'wav', state: 'done', durationSec: 3 }, at);
    await store.appendSessionEvent('s1', 'recording.finished', { name: 'rec-b', stepId: 'msg', format: 'wav', state: 'failed' });
    await store.appendSessionEvent('s1', 'recording.started', { name: 'rec-c' });
    assert.deepEqual(await store.listRecordings('acme', 's1'), [
      { id: 'rec-a', accountId: 'acme', sessionId: 's1', stepId: 'msg', format: 'wav', durationSec: 3, dateCreated: at },
    ]);
    assert.equal(await store.getRecording('other', 'rec-a'), undefined, 'another account');
    assert.deepEqual(await store.listRecordings('other', 's1'), []);
  });

  test('deleting marks it once; the retention sweep deletes old ones from Asterisk and the list', async () => {
    await session('s2');
    await store.appendSessionEvent('s2', 'recording.finished', { name: 'rec-old', state: 'done' }, '2020-01-01T00:00:00.000Z');
    await store.appendSessionEvent('s2', 'recording.finished', { name: 'rec-new', state: 'done' }, new Date().toISOString());
    const port = new FakePort();
    port.storedFiles.set('rec-old', { data: Buffer.from('old'), contentType: 'audio/wav' });
    const service = new RecordingService(store, port, pino({ level: 'silent' }));
    assert.equal(await service.sweep(30 * 86_400_000), 1);
    assert.equal(port.storedFiles.has('rec-old'), false);
    assert.deepEqual((await store.listRecordings('acme', 's2')).map((r) => r.id), ['rec-new']);
    assert.equal(await store.markRecordingDeleted('acme', 'rec-new', new Date().toISOString()), true);
    assert.equal(await store.markRecordingDeleted('acme', 'rec-new', new Date().toISOString()), false);
  });

  test('ranges: a-b, a-, -n; outside the file is unsatisfiable; nonsense is the whole file', () => {
    assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=50-500', 100), { start: 50, end: 99 });
    assert.equal(parseRange('bytes=100-', 100), 'unsatisfiable');
    assert.equal(parseRange('bytes=5-2', 100), undefined);
    assert.equal(parseRange('items=0-1', 100), undefined);
    assert.equal(parseRange(undefined, 100), undefined);
  });
});
