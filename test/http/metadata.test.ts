// Metadata as ServiceStack serves it, over real HTTP and without a token: the operation pages, the
// generated Dart and C# DTOs (every operation and field, with its description), /types/metadata,
// and the OpenAPI 3.1 document checked by a real validator.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Validator } from '@seriousme/openapi-schema-validator';
import { allFields, DTOS } from '../../src/http/operations/dtos.js';
import { OPERATIONS } from '../../src/http/operations/registry.js';
import { startHttpHarness, type HttpHarness } from '../support/http-harness.js';

/** What a page shows of a description: HTML-escaped. */
const escaped = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

describe('metadata', () => {
  let h: HttpHarness;
  before(async () => {
    h = await startHttpHarness();
    await h.seedFlow();
  });
  after(() => h.close());

  const get = (path: string) => h.request('GET', path, { token: null });

  it('/metadata lists every operation, publicly and without account data', async () => {
    const res = await get('/metadata');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    for (const op of OPERATIONS) assert.ok(res.text.includes(`/json/metadata?op=${op.name}`), op.name);
    assert.ok(!res.text.includes('acme'));
  });

  it('an operation page has its description, authentication, roles, routes, parameters and samples, in each language', async () => {
    const json = await get('/json/metadata?op=NewOutgoingSession');
    assert.equal(json.status, 200);
    for (const text of ['Requires Authentication', 'Manager', 'SystemAdministrator', '/sessions/outgoing', '/api/NewOutgoingSession', '/json/reply/NewOutgoingSession', 'POST /sessions/outgoing HTTP/1.1', '?callback=']) {
      assert.ok(json.text.includes(escaped(text)), text);
    }
    for (const f of allFields(DTOS.get('NewOutgoingSession')!)) assert.ok(json.text.includes(escaped(f.description)), f.name);
    assert.match(json.text, /public partial class NewOutgoingSession/);
    const xml = await get('/xml/metadata?op=NewOutgoingSession&lang=typescript');
    assert.ok(xml.text.includes(escaped('<NewOutgoingSession xmlns:i=')));
    assert.match(xml.text, /export class NewOutgoingSession implements IReturn&lt;Session&gt;, IPost/);
    const dart = await get('/json/metadata?op=ListSessions&lang=dart');
    assert.match(dart.text, /class ListSessions extends ListRequest implements IReturn&lt;SessionList&gt;, IConvertible, IGet/);
    assert.equal((await get('/json/metadata?op=NoSuchThing')).status, 404);
  });

  it('/types/dart and /types/csharp declare every operation and every field with its description', async () => {
    const dart = await get('/types/dart');
    const cs = await get('/types/csharp');
    assert.match(dart.text, /^\/\* Options:\n/);
    assert.match(dart.text, /import 'package:servicestack\/servicestack.dart';/);
    assert.match(cs.text, /^\/\* Options:\n/);
    for (const op of OPERATIONS) {
      const verb = `I${op.verb.charAt(0)}${op.verb.slice(1).toLowerCase()}`;
      const ret = op.response ? `IReturn<${op.response}>` : 'IReturnVoid';
      assert.match(dart.text, new RegExp(`class ${op.name}( extends \\w+)? implements ${ret.replace(/[<>]/g, '\\$&')}, IConvertible, ${verb}\\n`), op.name);
      assert.match(cs.text, new RegExp(`public partial class ${op.name}\\n        : (\\w+, )?${ret.replace(/[<>]/g, '\\$&')}, ${verb}\\n`), op.name);
      for (const route of op.routes) assert.ok(cs.text.includes(`[Route("${route}", `), `${op.name} ${route}`);
      assert.ok(dart.text.includes(`getTypeName() => "${op.name}";`));
      const request = DTOS.get(op.request)!;
      for (const f of request.fields) {
        assert.ok(dart.text.includes(`? ${f.name};`), `dart ${op.name}.${f.name}`);
        assert.ok(cs.text.includes(` ${f.name.charAt(0).toUpperCase()}${f.name.slice(1)} { get; set; }`), `c# ${op.name}.${f.name}`);
        assert.ok(dart.text.includes(f.description) && cs.text.includes(f.description), `${op.name}.${f.name} description`);
      }
    }
    assert.match(cs.text, /\[DataContract\(Namespace="http:\/\/schemas.datacontract.org\/2004\/07\/Voice.Api.Sessions"\)\]\n    public partial class NewOutgoingSession/);
  });

  it('/types/python declares every operation and field, and is valid Python', async (t) => {
    const py = await get('/types/python');
    assert.equal(py.status, 200);
    assert.match(py.text, /^""" Options:\n/);
    const snake = (n: string) => n.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    for (const op of OPERATIONS) {
      const verb = `I${op.verb.charAt(0)}${op.verb.slice(1).toLowerCase()}`;
      const ret = op.response ? `IReturn\\[${op.response}\\]` : 'IReturnVoid';
      assert.match(py.text, new RegExp(`class ${op.name}\\((\\w+, )?${ret}, ${verb}\\):`), op.name);
      for (const f of DTOS.get(op.request)!.fields) assert.ok(py.text.includes(`    ${snake(f.name)}: `), `${op.name}.${f.name}`);
    }
    const python = spawnSync('python3', ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: py.text, encoding: 'utf8' });
    if (python.error) {
      t.skip('python3 is not installed: the syntax check of /types/python is skipped');
      return;
    }
    assert.equal(python.status, 0, python.stderr);
  });

  it('/types/metadata describes the operations and types as ServiceStack\'s tools read them', async () => {
    const res = await get('/types/metadata');
    assert.equal(res.status, 200);
    const op = res.body.operations.find((o: any) => o.request.name === 'NewOutgoingSession');
    assert.deepEqual(op.routes, [{ path: '/sessions/outgoing', verbs: 'POST' }]);
    assert.equal(op.response.name, 'Session');
    assert.equal(op.requiresAuth, true);
    assert.deepEqual(op.request.properties.map((p: any) => [p.name, p.type, p.isRequired ?? false]), [
      ['FlowId', 'String', true], ['NumberToDial', 'String', true], ['CallerId', 'String', false],
      ['StatusCallback', 'String', false], ['StatusCallbackEvents', 'List`1', false],
    ]);
    assert.equal(res.body.operations.length, OPERATIONS.length);
  });

  it('/openapi.json is a valid OpenAPI 3.1 document with every operation', async () => {
    const res = await get('/openapi.json');
    assert.equal(res.status, 200);
    const validator = new Validator();
    const result = await validator.validate(res.body);
    assert.equal(validator.version, '3.1');
    assert.deepEqual(result.errors ?? [], []);
    assert.equal(result.valid, true);
    const ids = Object.values(res.body.paths).flatMap((item: any) => Object.values(item).map((o: any) => o.operationId));
    for (const op of OPERATIONS) assert.ok(ids.includes(op.name), op.name);
    assert.deepEqual(res.body.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: res.body.components.securitySchemes.bearer.description });
    assert.deepEqual(res.body.paths['/sessions/outgoing'].post.requestBody.content['application/json'].schema, { $ref: '#/components/schemas/NewOutgoingSession' });
  });
});
