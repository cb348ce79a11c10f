// Temp folders for store tests: a real SQLite file per test, removed afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlowDocument } from '../../src/domain/flow.js';
import type { NewSession } from '../../src/store/store.js';
import { randomUUID } from 'node:crypto';

export interface TempDir {
  path: string;
  file(name: string): string;
  remove(): void;
}

export function tempDir(prefix = 'store-test-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    file: (name) => join(path, name),
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}

export function sampleFlow(name = 'Reminder'): FlowDocument {
  return {
    name,
    steps: [
      { id: 'hello', type: 'playback', media: ['sound:hello-world'] },
      { id: 'bye', type: 'hangup' },
    ],
  };
}

export function newSession(accountId: string, over: Partial<NewSession> = {}): NewSession {
  const id = randomUUID();
  return {
    id,
    accountId,
    flowId: randomUUID(),
    flowVersion: 1,
    numberToDial: '+18144043093',
    callerId: '+12025550123',
    channelId: `ch-${id}`,
    endpoint: 'PJSIP/+18144043093@trunk',
    ...over,
  };
}
