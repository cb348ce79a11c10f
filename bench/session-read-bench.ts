// Micro-benchmark of the store's side of GET /sessions/{id}: one finished session of 31 timeline
// rows, read N times as the handler reads it (getSessionDetail, then the session's webhook
// deliveries when the outbox has events of it: this one has none), in one process. Prints CPU µs
// per read (process.cpuUsage: the main thread and sqlite's pool threads), for each call alone and
// for both, so that a change to the read path can be compared before/after without the HTTP
// layer's noise.
//   npx tsx bench/session-read-bench.ts      (SESSION_READS=5000, SESSION_ROWS=31)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { appendSessionEvent, createSession, setSessionVariable, updateSession } from '../test/support/session-writers.js';

const READS = Number(process.env.SESSION_READS ?? '') || 5000;
const ROWS = Number(process.env.SESSION_ROWS ?? '') || 31;
const ACCOUNT = 'bench-account';

async function cpuPerCall(label: string, fn: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 200; i++) await fn();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < READS; i++) await fn();
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`${label}: ${((cpu.user + cpu.system) / READS).toFixed(1)} µs CPU per read\n`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'session-read-bench-'));
  const store = await openSqliteStore(join(dir, 'bench.sqlite'));
  try {
    await store.ensureAccount(ACCOUNT, ACCOUNT);
    const id = randomUUID();
    await createSession(store, {
      id, accountId: ACCOUNT, flowId: 'bench-flow', flowVersion: 1, numberToDial: '+18144043093',
      callerId: '+12025550123', channelId: `ch-${id}`, endpoint: 'PJSIP/+18144043093@trunk',
    });
    for (let i = 0; i < ROWS; i++) {
      void appendSessionEvent(store, id, i % 2 === 0 ? 'step.started' : 'step.finished', { stepId: `step-${i >> 1}`, type: 'playback', result: 'next', media: ['sound:hello-world'] });
    }
    await setSessionVariable(store, id, 'choice', '1');
    await updateSession(store, id, { state: 'completed', endReason: 'normal clearing', dateEnded: new Date().toISOString() });
    const detail = await store.getSessionDetail(ACCOUNT, id);
    if (detail?.timeline.length !== ROWS) throw new Error(`expected ${ROWS} rows, read ${detail?.timeline.length}`);
    await cpuPerCall('getSessionDetail', () => store.getSessionDetail(ACCOUNT, id));
    await cpuPerCall('listDeliveries of the session', () => store.listDeliveries(ACCOUNT, { sessionId: id }, { page: 1, countPerPage: 1000 }));
    await cpuPerCall('both (the handler: deliveries read only when the outbox has events of the session)', async () => {
      const read = await store.getSessionDetail(ACCOUNT, id);
      if (read?.hasOutbox) await store.listDeliveries(ACCOUNT, { sessionId: id }, { page: 1, countPerPage: 1000 });
    });
    await cpuPerCall('getSessionDetail of an unknown id', () => store.getSessionDetail(ACCOUNT, `${id.slice(0, -4)}0000`));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
