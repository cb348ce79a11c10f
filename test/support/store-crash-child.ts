// Child process for the crash test: creates sessions as fast as it can and prints each id on
// stdout once createSession has resolved; the parent kills it with SIGKILL mid-stream.
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { newSession } from './store-temp.js';
import { appendSessionEvent, createSession } from './session-writers.js';

const path = process.argv[2];
if (!path) throw new Error('usage: store-crash-child <db path>');
const store = await openSqliteStore(path);
process.stdout.write('ready\n');
for (;;) {
  const batch = Array.from({ length: 20 }, () => newSession('crash'));
  await Promise.all(batch.map(async (s) => {
    await createSession(store, s);
    await appendSessionEvent(store, s.id, 'state', { state: 'queued' });
    process.stdout.write(`${s.id}\n`);
  }));
}
