// A TypeScript client generated from the running engine's /openapi.json with maintained generators
// (openapi-typescript for the types, openapi-fetch for the calls), type-checked with tsc (strict)
// like a user's project would, then run against the engine: places a call, lists sessions, ends
// the session and reads typed errors. Real HTTP, real ari-client against the simulator, SQLite.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import openapiTS, { astToString } from 'openapi-typescript';
import { startE2E, type E2E } from '../support/e2e-stack.js';
import { DEMO_FLOW_ID } from '../../src/demo.js';

const CALLEE = '+12025550104';

/** The user's program, as they would write it against the generated types. */
const CLIENT_PROGRAM = `
import createClient from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type Session = components['schemas']['Session'];
export type SessionState = Session['state'];
export type ResponseStatus = components['schemas']['ResponseStatus'];

export interface Outcome {
  placed: Session;
  listedIds: string[];
  ended: Session;
  invalid: { status: number; responseStatus: ResponseStatus };
  notFound: { status: number; errorCode: string };
  unauthorized: { status: number; errorCode: string };
}

const FINAL: readonly SessionState[] = ['completed', 'busy', 'no-answer', 'failed', 'canceled'];
export const isFinal = (state: SessionState): boolean => FINAL.includes(state);

export async function run(baseUrl: string, token: string, flowId: string, numberToDial: string): Promise<Outcome> {
  const client = createClient<paths, 'application/json'>({ baseUrl, headers: { authorization: \`Bearer \${token}\` } });

  const placed = await client.POST('/sessions/outgoing', { body: { flowId, numberToDial } });
  if (placed.error) throw new Error(\`NewOutgoingSession: \${placed.error.responseStatus.errorCode}\`);

  const listed = await client.GET('/sessions', { params: { query: { countPerPage: 100, sortOrder: 'Descend' } } });
  if (listed.error) throw new Error(\`ListSessions: \${listed.error.responseStatus.message}\`);

  const ended = await client.DELETE('/sessions/{sessionId}', { params: { path: { sessionId: placed.data.id } } });
  if (ended.error) throw new Error(\`EndSession: \${ended.error.responseStatus.message}\`);

  const invalid = await client.POST('/sessions/outgoing', { body: { flowId, numberToDial: '12' } });
  if (!invalid.error) throw new Error('an invalid number was accepted');

  const missing = await client.GET('/sessions/{sessionId}', { params: { path: { sessionId: 'no-such-session' } } });
  if (!missing.error) throw new Error('a missing session was found');

  const anonymous = createClient<paths, 'application/json'>({ baseUrl });
  const denied = await anonymous.GET('/sessions');
  if (!denied.error) throw new Error('no token, yet listed');

  return {
    placed: placed.data,
    listedIds: listed.data.items.map((s) => s.id),
    ended: ended.data,
    invalid: { status: invalid.response.status, responseStatus: invalid.error.responseStatus },
    notFound: { status: missing.response.status, errorCode: missing.error.responseStatus.errorCode },
    unauthorized: { status: denied.response.status, errorCode: denied.error.responseStatus.errorCode },
  };
}
`;

/** What the generated types must refuse: a wrong body, an unknown path, a value outside an enum, a nullable date used as a string. */
const MISTAKES = `
import createClient from 'openapi-fetch';
import type { components, paths } from './schema.js';
const client = createClient<paths, 'application/json'>({ baseUrl: 'http://x' });
export const a = client.POST('/sessions/outgoing', { body: { flowId: 42, numberToDial: '+1' } });
export const b = client.GET('/no-such-path');
export const c: components['schemas']['Session']['state'] = 'ringing-twice';
export const d = (s: components['schemas']['Session']): string => s.dateAnswered ?? 'never';
export const e = (s: components['schemas']['Session']): string => s.dateEnded;
`;

/** The program's exports, as this test uses them (their real types are checked by tsc above). */
interface GeneratedProgram {
  run(baseUrl: string, token: string, flowId: string, numberToDial: string): Promise<{
    placed: { id: string; state: string; numberToDial: string };
    listedIds: string[];
    ended: { id: string };
    invalid: { status: number; responseStatus: { errorCode: string; errors?: Array<{ fieldName: string; errorCode: string }> } };
    notFound: { status: number; errorCode: string };
    unauthorized: { status: number; errorCode: string };
  }>;
  isFinal(state: string): boolean;
}

/**
 * Runs tsc (strict) on `files` in a child process, as a user's build would, and without blocking
 * this process's event loop (the engine under test runs in it). Problems as `file:line message`.
 */
async function typeCheck(dir: string, files: string[]): Promise<string[]> {
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, skipLibCheck: false, types: [], lib: ['ES2022', 'DOM'],
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext',
    },
    files,
  }));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const child = spawn(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], { cwd: dir });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  const [code] = await once(child, 'close') as [number | null];
  // One problem per `file(line,col): error …` line; indented lines continue the one before.
  const problems: string[] = [];
  for (const line of output.split('\n').filter((l) => l.trim() !== '')) {
    if (/^\s/.test(line) && problems.length > 0) problems[problems.length - 1] += `\n${line}`;
    else problems.push(line.replace(/^([\w.-]+)\((\d+),\d+\): /, '$1:$2 '));
  }
  assert.equal(code === 0, problems.length === 0, `tsc exit ${code}: ${output}`);
  return problems;
}

describe('a client generated from /openapi.json (openapi-typescript + openapi-fetch)', () => {
  let e2e: E2E;
  let dir: string;
  before(async () => {
    // The callee rings (unanswered) far longer than the test can take, whatever the load: EndSession finds it live.
    e2e = await startE2E({ ORIGINATE_TIMEOUT_SEC: '600' }, { [CALLEE]: { result: 'answer', answerAfterMs: 600_000 } });
    // Inside the project's node_modules, so the generated program resolves openapi-fetch as a user's would.
    const cache = fileURLToPath(new URL('../../node_modules/.cache/', import.meta.url));
    mkdirSync(cache, { recursive: true });
    dir = mkdtempSync(join(cache, 'openapi-client-'));
    const doc = await (await fetch(`${e2e.base}/openapi.json`)).json() as Record<string, unknown>;
    writeFileSync(join(dir, 'schema.d.ts'), astToString(await openapiTS(doc as never)));
    writeFileSync(join(dir, 'client.ts'), CLIENT_PROGRAM);
    writeFileSync(join(dir, 'mistakes.ts'), MISTAKES);
  });
  after(async () => {
    await e2e?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('tsc (strict): the generated types and the client program check; the types refuse a wrong body, an unknown path, a value outside an enum and a nullable date used as a string', async () => {
    // One program for the three files (the type-check is the slow part); problems sorted by file.
    const problems = await typeCheck(dir, ['schema.d.ts', 'client.ts', 'mistakes.ts']);
    assert.deepEqual(problems.filter((p) => !p.startsWith('mistakes.ts:')), []);
    for (const line of [5, 6, 7, 9]) assert.ok(problems.some((p) => p.startsWith(`mistakes.ts:${line} `)), `line ${line} refused: ${problems.join('\n')}`);
    assert.ok(!problems.some((p) => p.startsWith('mistakes.ts:8 ')), `line 8 (null handled) is fine: ${problems.join('\n')}`);
  });

  test('against the running engine: place a call, list sessions, end it, read typed errors', async () => {
    const client = await import(pathToFileURL(join(dir, 'client.ts')).href) as GeneratedProgram;
    const out = await client.run(e2e.base, e2e.token(), DEMO_FLOW_ID, CALLEE);
    assert.equal(out.placed.numberToDial, CALLEE);
    assert.equal(out.placed.state, 'queued');
    assert.ok(out.listedIds.includes(out.placed.id), 'the new session is listed');
    assert.equal(out.ended.id, out.placed.id);
    assert.equal(out.invalid.status, 400);
    assert.equal(out.invalid.responseStatus.errors?.[0]?.fieldName, 'numberToDial');
    assert.equal(typeof out.invalid.responseStatus.errors?.[0]?.errorCode, 'string');
    assert.deepEqual(out.notFound, { status: 404, errorCode: 'NotFound' });
    assert.equal(out.unauthorized.status, 401);
    assert.equal(typeof out.unauthorized.errorCode, 'string');
    const ended = await e2e.waitForSession(out.placed.id, (s) => client.isFinal(s.state));
    assert.equal(ended.state, 'canceled');
  });
});
