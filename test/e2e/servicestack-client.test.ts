// The engine as a ServiceStack user meets it: "Add ServiceStack Reference" (the TypeScript DTOs
// fetched from the running engine, type-checked against the real @servicestack/client, imported),
// then the real JsonServiceClient with a bearer token on the default /api base path and on the
// classic /json/reply one, against the whole engine (real ari-client, simulator, SQLite).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { JsonServiceClient } from '@servicestack/client';
import { startE2E, type E2E } from '../support/e2e-stack.js';

const CALLEE = '+18144043093';
/** Rings until the originate timeout (600 s here, scaled by the simulator: EndSession always comes first). */
const RINGING = '+12025550147';
const LONG_WAIT_FLOW = { name: 'Hold the line', steps: [{ id: 'wait', type: 'pause', ms: 600_000 }] };

/** The generated DTOs, and a use of them with the real client, type-checked with strict settings. */
function typeCheck(dir: string, dtosFile: string): readonly ts.Diagnostic[] {
  const usage = join(dir, 'usage.ts');
  writeFileSync(usage, `import { JsonServiceClient } from '@servicestack/client';
import { NewOutgoingSession, ListSessions, GetSession, EndSession, Session, SessionList } from './dtos';
export async function use(client: JsonServiceClient): Promise<[Session, SessionList, Session, Session]> {
  const created: Session = await client.post(new NewOutgoingSession({ flowId: 'f', numberToDial: '+18144043093' }));
  const list: SessionList = await client.get(new ListSessions({ countPerPage: 10, sortOrder: 'Descend' }));
  const one: Session = await client.get(new GetSession({ sessionId: created.id }));
  const ended: Session = await client.delete(new EndSession({ sessionId: one.id }));
  return [created, list, one, ended];
}
`);
  const program = ts.createProgram([dtosFile, usage], {
    strict: true, strictPropertyInitialization: false, noEmit: true, target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, skipLibCheck: true, types: [],
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    baseUrl: dir,
    paths: { '@servicestack/client': [resolve('node_modules/@servicestack/client/dist/index.d.ts')] },
  });
  return ts.getPreEmitDiagnostics(program);
}

describe('ServiceStack clients (@servicestack/client with the generated TypeScript DTOs)', () => {
  let e2e: E2E;
  let dir: string;
  let dtos: Record<string, new (init?: object) => object>;

  before(async () => {
    e2e = await startE2E({ ORIGINATE_TIMEOUT_SEC: '600' }, { [CALLEE]: { result: 'answer', answerAfterMs: 200 }, [RINGING]: { result: 'no-answer' } });
    dir = mkdtempSync(join(tmpdir(), 'engine-dtos-'));
    const res = await fetch(`${e2e.base}/types/typescript`);
    assert.equal(res.status, 200);
    const source = await res.text();
    assert.match(source, /^\/\* Options:\nDate: .+\nVersion: .+\n/);
    const file = join(dir, 'dtos.ts');
    writeFileSync(file, source);
    const diagnostics = typeCheck(dir, file);
    assert.deepEqual(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')), []);
    dtos = (await import(pathToFileURL(file).href)) as typeof dtos;
  });
  after(async () => {
    await e2e?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const client = (classic: boolean): JsonServiceClient => {
    const c = new JsonServiceClient(e2e.base);
    if (classic) c.useBasePath();
    c.bearerToken = e2e.token();
    return c;
  };

  it('places a call with client.post on /api and on /json/reply, lists and gets it, and ends a live one with EndSession', async () => {
    const { NewOutgoingSession, ListSessions, GetSession, EndSession, NewFlow } = dtos as Record<string, new (init?: object) => any>;
    const api: any = client(false);
    const flow = await api.post(new NewFlow!(LONG_WAIT_FLOW));
    assert.equal(flow.version, 1);

    const viaApi = await api.post(new NewOutgoingSession!({ flowId: flow.id, numberToDial: CALLEE }));
    assert.equal(viaApi.state, 'queued');
    assert.equal(viaApi.numberToDial, CALLEE);
    const classic: any = client(true);
    const viaReply = await classic.post(new NewOutgoingSession!({ flowId: 'demo-flow', numberToDial: CALLEE }));
    assert.equal(viaReply.flowId, 'demo-flow');

    const list = await api.get(new ListSessions!({ countPerPage: 10 }));
    assert.deepEqual(new Set(list.items.map((s: { id: string }) => s.id)), new Set([viaApi.id, viaReply.id]));
    const got = await classic.get(new GetSession!({ sessionId: viaApi.id }));
    assert.equal(got.id, viaApi.id);
    assert.ok(Array.isArray(got.timeline));

    await e2e.waitForSession(viaApi.id, (s) => s.state === 'in-progress');
    const ending = await api.delete(new EndSession!({ sessionId: viaApi.id }));
    assert.equal(ending.id, viaApi.id);
    const ended = await e2e.waitForSession(viaApi.id, (s) => s.dateEnded !== null);
    assert.equal(ended.state, 'completed');
    assert.match(ended.endReason, /EndSession/);
    // A finished session is left as it is.
    const again = await api.delete(new EndSession!({ sessionId: viaApi.id }));
    assert.equal(again.state, 'completed');
  });

  it('EndSession on a ringing call ends it canceled', async () => {
    const { NewOutgoingSession, EndSession } = dtos as Record<string, new (init?: object) => any>;
    const api: any = client(false);
    const session = await api.post(new NewOutgoingSession!({ flowId: 'demo-flow', numberToDial: RINGING }));
    await e2e.waitForSession(session.id, (s) => s.state === 'ringing');
    await api.delete(new EndSession!({ sessionId: session.id }));
    const ended = await e2e.waitForSession(session.id, (s) => s.dateEnded !== null);
    assert.equal(ended.state, 'canceled');
    assert.equal(ended.dateAnswered, null);
  });

  it('an invalid number is a typed error with the numberToDial field error', async () => {
    const { NewOutgoingSession } = dtos as Record<string, new (init?: object) => any>;
    for (const classic of [false, true]) {
      await assert.rejects((client(classic) as any).post(new NewOutgoingSession!({ flowId: 'demo-flow', numberToDial: '+1814404309' })), (err: any) => {
        assert.equal(err.responseStatus?.errorCode, 'ValidationException');
        assert.equal(err.responseStatus.errors[0].fieldName, 'numberToDial');
        assert.equal(err.responseStatus.errors[0].errorCode, 'InvalidPhoneNumber');
        return true;
      });
    }
  });
});
