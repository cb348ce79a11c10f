import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { validateFlowDocument, FLOW_LIMITS } from '../../src/domain/flow-validation.js';
import type { FieldError } from '../../src/domain/errors.js';

const ISSUE_EXAMPLE = {
  name: 'Reminder',
  steps: [
    { id: 'hello', type: 'playback', media: ['sound:hello-world'] },
    {
      id: 'menu', type: 'gather', prompt: ['sound:press-1'], maxDigits: 1, finishOnKey: '#',
      timeoutMs: 5000, interDigitTimeoutMs: 3000, attempts: 2, variable: 'choice',
      branches: { 1: 'yes', 2: 'no' }, noInput: 'bye', noMatch: 'bye',
    },
    { id: 'yes', type: 'playback', media: ['sound:thank-you'], next: 'bye' },
    { id: 'no', type: 'say', digits: '{{choice}}', next: 'bye' },
    { id: 'wait', type: 'pause', ms: 1000 },
    { id: 'check', type: 'branch', variable: 'choice', cases: { 1: 'yes' }, default: 'bye' },
    { id: 'bye', type: 'hangup' },
  ],
};

type Json = Record<string, unknown>;

/** A two-step flow whose first step is `step` (ids `s` and `end`), for single-rule tests. */
function withStep(step: Json, extra: Json[] = []): Json {
  return { name: 'T', steps: [{ id: 's', ...step }, ...extra, { id: 'end', type: 'hangup' }] };
}

function errorsOf(input: unknown): FieldError[] {
  const result = validateFlowDocument(input);
  assert.equal(result.ok, false, 'expected the document to be refused');
  return result.ok ? [] : result.errors;
}

function expectError(input: unknown, fieldName: string, errorCode: string): FieldError {
  const errors = errorsOf(input);
  const found = errors.find((e) => e.fieldName === fieldName && e.errorCode === errorCode);
  assert.ok(found, `expected ${errorCode} on ${fieldName}, got ${JSON.stringify(errors)}`);
  assert.ok(found.message.length > 0);
  return found;
}

function expectValid(input: unknown): Json {
  const result = validateFlowDocument(input);
  assert.ok(result.ok, `expected valid, got ${JSON.stringify(result.ok ? [] : result.errors)}`);
  return result.document as unknown as Json;
}

describe('validateFlowDocument: valid documents', () => {
  test('the example of the issue is valid and comes back equal', () => {
    const document = expectValid(ISSUE_EXAMPLE);
    assert.deepEqual(JSON.parse(JSON.stringify(document)), JSON.parse(JSON.stringify(ISSUE_EXAMPLE)));
  });

  test('the result is a copy: changing the input afterwards does not change it', () => {
    const input = structuredClone(ISSUE_EXAMPLE);
    const document = expectValid(input);
    input.steps[0]!.media = ['sound:changed'];
    assert.deepEqual((document.steps as Json[])[0]!.media, ['sound:hello-world']);
  });

  test('every step type with all its fields', () => {
    expectValid({
      name: 'All',
      steps: [
        { id: 'p', type: 'playback', media: ['sound:en/hello-world', 'digits:123*#', 'number:-42', 'characters:ABC 1', 'tone:ring;tonezone=fr', 'recording:calls/rec-1'] },
        { id: 'g', type: 'gather', prompt: [], maxDigits: 32, finishOnKey: '*', timeoutMs: 0, interDigitTimeoutMs: 120000, attempts: 10, variable: '_x9', branches: { '*1#': 'sy' } },
        { id: 'sy', type: 'say', characters: 'Hi {{_x9}}' },
        { id: 'sn', type: 'say', number: '{{_x9}}' },
        { id: 'pa', type: 'pause', ms: 600000 },
        { id: 'se', type: 'set', variable: 'v', value: 'a{{_x9}}' },
        { id: 'b', type: 'branch', variable: 'v', cases: { 'a 1': 'r', '': 'h' } },
        { id: 'r', type: 'record', variable: 'rec', maxDurationMs: 60000, maxSilenceMs: 5000, beep: true, finishOnKey: '#' },
        { id: 'h', type: 'hangup' },
      ],
    });
  });

  test('a flow of one step and the step limit itself are fine', () => {
    expectValid({ name: 'One', steps: [{ id: 'only', type: 'hangup' }] });
    const steps = Array.from({ length: FLOW_LIMITS.maxSteps }, (_, i) => ({ id: `p${i}`, type: 'pause', ms: 1 }));
    expectValid({ name: 'Max', steps });
  });

  test('the copy holds the known fields only', () => {
    const document = expectValid({ name: 'N', steps: [{ id: 'a', type: 'pause', ms: 5, next: 'b' }, { id: 'b', type: 'hangup' }] });
    assert.deepEqual(document, { name: 'N', steps: [{ id: 'a', next: 'b', type: 'pause', ms: 5 }, { id: 'b', type: 'hangup' }] });
  });
});

describe('validateFlowDocument: the document', () => {
  test('not an object', () => {
    for (const input of [null, undefined, 'flow', 42, [], true]) {
      assert.equal(errorsOf(input)[0]?.errorCode, 'InvalidType');
    }
  });

  test('name: missing, wrong type, empty, too long, control characters', () => {
    expectError({ steps: [{ id: 'a', type: 'hangup' }] }, 'name', 'Required');
    expectError({ name: 3, steps: [{ id: 'a', type: 'hangup' }] }, 'name', 'InvalidType');
    expectError({ name: '  ', steps: [{ id: 'a', type: 'hangup' }] }, 'name', 'Required');
    expectError({ name: 'x'.repeat(201), steps: [{ id: 'a', type: 'hangup' }] }, 'name', 'TooLong');
    expectError({ name: 'a\u0000b', steps: [{ id: 'a', type: 'hangup' }] }, 'name', 'InvalidValue');
    expectValid({ name: 'x'.repeat(200), steps: [{ id: 'a', type: 'hangup' }] });
  });

  test('steps: missing, not an array, empty, too many', () => {
    expectError({ name: 'n' }, 'steps', 'Required');
    expectError({ name: 'n', steps: {} }, 'steps', 'InvalidType');
    expectError({ name: 'n', steps: [] }, 'steps', 'Required');
    const steps = Array.from({ length: FLOW_LIMITS.maxSteps + 1 }, (_, i) => ({ id: `p${i}`, type: 'pause', ms: 1 }));
    expectError({ name: 'n', steps }, 'steps', 'TooManySteps');
  });

  test('unknown properties are refused, top level and in steps', () => {
    expectError({ ...ISSUE_EXAMPLE, owner: 'me' }, 'owner', 'UnknownProperty');
    expectError(withStep({ type: 'pause', ms: 1, volume: 3 }), 'steps[0].volume', 'UnknownProperty');
    expectError(withStep({ type: 'playback', media: ['sound:a'], ms: 3 }), 'steps[0].ms', 'UnknownProperty');
  });

  test('__proto__, constructor and prototype keys anywhere', () => {
    expectError(JSON.parse('{"name":"n","__proto__":{"x":1},"steps":[{"id":"a","type":"hangup"}]}'), '__proto__', 'ForbiddenKey');
    expectError(JSON.parse('{"name":"n","steps":[{"id":"a","type":"hangup","constructor":{}}]}'), 'steps[0].constructor', 'ForbiddenKey');
    expectError(JSON.parse('{"name":"n","steps":[{"id":"s","type":"gather","branches":{"prototype":"end"}},{"id":"end","type":"hangup"}]}'),
      'steps[0].branches.prototype', 'ForbiddenKey');
    expectError(JSON.parse('{"name":"n","steps":[{"id":"s","type":"branch","variable":"v","cases":{"__proto__":"end"}},{"id":"end","type":"hangup"}]}'),
      'steps[0].cases.__proto__', 'ForbiddenKey');
    assert.equal(({} as Json).x, undefined);
  });

  test('deep nesting is refused without recursion trouble', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 10000; i++) deep = { a: deep };
    const errors = errorsOf({ name: 'n', steps: [{ id: 'a', type: 'hangup', extra: deep }] });
    assert.ok(errors.some((e) => e.errorCode === 'TooDeep'));
  });

  test('odd keys are named in bracket form', () => {
    expectError({ ...ISSUE_EXAMPLE, '': 1 }, '[""]', 'UnknownProperty');
    expectError(withStep({ type: 'hangup', 'a.b': 1 }), 'steps[0]["a.b"]', 'UnknownProperty');
  });

  test('the error list is capped', () => {
    const steps = Array.from({ length: 150 }, (_, i) => ({ id: `p${i}`, type: 'pause', ms: -1 }));
    const errors = errorsOf({ name: 'n', steps });
    assert.equal(errors.length, FLOW_LIMITS.maxErrors + 1);
    assert.equal(errors.at(-1)?.errorCode, 'TooManyErrors');
  });
});

describe('validateFlowDocument: steps', () => {
  test('step not an object', () => {
    expectError({ name: 'n', steps: ['hangup'] }, 'steps[0]', 'InvalidType');
  });

  test('unknown or missing type', () => {
    expectError(withStep({ type: 'teleport' }), 'steps[0].type', 'UnknownStepType');
    expectError(withStep({ type: 7 }), 'steps[0].type', 'UnknownStepType');
    expectError(withStep({}), 'steps[0].type', 'Required');
  });

  test('ids: missing, wrong type, invalid, too long, duplicate', () => {
    expectError({ name: 'n', steps: [{ type: 'hangup' }] }, 'steps[0].id', 'Required');
    expectError({ name: 'n', steps: [{ id: 1, type: 'hangup' }] }, 'steps[0].id', 'InvalidType');
    expectError({ name: 'n', steps: [{ id: '', type: 'hangup' }] }, 'steps[0].id', 'InvalidStepId');
    expectError({ name: 'n', steps: [{ id: 'has space', type: 'hangup' }] }, 'steps[0].id', 'InvalidStepId');
    expectError({ name: 'n', steps: [{ id: 'x'.repeat(65), type: 'hangup' }] }, 'steps[0].id', 'InvalidStepId');
    const dup = expectError({ name: 'n', steps: [{ id: 'a', type: 'pause', ms: 1 }, { id: 'a', type: 'hangup' }] }, 'steps[1].id', 'DuplicateStepId');
    assert.match(dup.message, /steps\[0\]/);
  });

  test('unknown targets: next, branches, noInput, noMatch, cases, default', () => {
    expectError(withStep({ type: 'pause', ms: 1, next: 'nowhere' }), 'steps[0].next', 'UnknownStepTarget');
    expectError(withStep({ type: 'gather', branches: { 1: 'nowhere' } }), 'steps[0].branches.1', 'UnknownStepTarget');
    expectError(withStep({ type: 'gather', noInput: 'nowhere' }), 'steps[0].noInput', 'UnknownStepTarget');
    expectError(withStep({ type: 'gather', noMatch: 'nowhere' }), 'steps[0].noMatch', 'UnknownStepTarget');
    expectError(withStep({ type: 'branch', variable: 'v', cases: { a: 'nowhere' } }), 'steps[0].cases.a', 'UnknownStepTarget');
    expectError(withStep({ type: 'branch', variable: 'v', cases: {}, default: 'nowhere' }), 'steps[0].default', 'UnknownStepTarget');
    expectError(withStep({ type: 'pause', ms: 1, next: 5 }), 'steps[0].next', 'InvalidType');
    expectError(withStep({ type: 'gather', branches: { 1: null } }), 'steps[0].branches.1', 'InvalidType');
  });

  test('hangup takes no next', () => {
    expectError({ name: 'n', steps: [{ id: 'a', type: 'hangup', next: 'a' }] }, 'steps[0].next', 'UnknownProperty');
  });

  test('unreachable steps: after a hangup and targeted by nothing', () => {
    const errors = errorsOf({
      name: 'n',
      steps: [
        { id: 'a', type: 'pause', ms: 1, next: 'd' },
        { id: 'b', type: 'hangup' },
        { id: 'c', type: 'pause', ms: 1 },
        { id: 'd', type: 'hangup' },
        { id: 'e', type: 'hangup' },
      ],
    });
    assert.deepEqual(errors.map((e) => [e.fieldName, e.errorCode]), [['steps[2]', 'UnreachableStep'], ['steps[4]', 'UnreachableStep']]);
    assert.match(errors[0]?.message ?? '', /'c'/);
  });

  test('a cycle that nothing enters is unreachable', () => {
    const errors = errorsOf({
      name: 'n',
      steps: [
        { id: 'a', type: 'hangup' },
        { id: 'x', type: 'pause', ms: 1, next: 'y' },
        { id: 'y', type: 'pause', ms: 1, next: 'x' },
      ],
    });
    assert.deepEqual(errors.map((e) => e.fieldName), ['steps[1]', 'steps[2]']);
  });

  test('list order counts after a step with next (the issue example relies on it)', () => {
    expectValid({ name: 'n', steps: [{ id: 'a', type: 'pause', ms: 1, next: 'c' }, { id: 'b', type: 'pause', ms: 1 }, { id: 'c', type: 'hangup' }] });
  });

  test('steps reached only through branches, noInput, noMatch, cases or default are reachable', () => {
    expectValid({
      name: 'n',
      steps: [
        { id: 'g', type: 'gather', branches: { 1: 'b1' }, noInput: 'ni', noMatch: 'nm', next: 'br' },
        { id: 'b1', type: 'hangup' },
        { id: 'ni', type: 'hangup' },
        { id: 'nm', type: 'hangup' },
        { id: 'br', type: 'branch', variable: 'x', cases: { y: 'c1' }, default: 'd' },
        { id: 'c1', type: 'hangup' },
        { id: 'd', type: 'hangup' },
      ],
    });
  });

  test('playback: media required, non-empty, array of valid URIs, capped', () => {
    expectError(withStep({ type: 'playback' }), 'steps[0].media', 'Required');
    expectError(withStep({ type: 'playback', media: [] }), 'steps[0].media', 'Required');
    expectError(withStep({ type: 'playback', media: 'sound:a' }), 'steps[0].media', 'InvalidType');
    expectError(withStep({ type: 'playback', media: Array.from({ length: 21 }, () => 'sound:a') }), 'steps[0].media', 'OutOfRange');
  });

  test('media URIs: known scheme, safe value, one URI, length cap', () => {
    const bad = [
      'hello-world', 'ftp://evil/x.wav', 'http://', 'https://evil x.wav', 'foo:bar', 'sound:', 'sound:a,sound:b', 'sound:../../etc/passwd', 'sound:/etc/passwd',
      'sound:a\nb', 'sound:a\u0000', 'sound:a b', `sound:${'a'.repeat(300)}`, 'digits:12a', 'number:1.5', 'number:12345678901234567890',
      'characters:a,b', 'recording:../x', 'tone:ring&x', 42, null,
    ];
    for (const uri of bad) {
      expectError(withStep({ type: 'playback', media: ['sound:ok', uri] }), 'steps[0].media[1]', 'InvalidMediaUri');
    }
    expectError(withStep({ type: 'gather', prompt: ['nope'] }), 'steps[0].prompt[0]', 'InvalidMediaUri');
  });

  test('gather: ranges and types', () => {
    for (const [field, value, code] of [
      ['maxDigits', 0, 'OutOfRange'], ['maxDigits', 33, 'OutOfRange'], ['maxDigits', 1.5, 'InvalidType'], ['maxDigits', '3', 'InvalidType'],
      ['timeoutMs', -1, 'OutOfRange'], ['timeoutMs', 120001, 'OutOfRange'],
      ['interDigitTimeoutMs', 120001, 'OutOfRange'], ['interDigitTimeoutMs', Number.NaN, 'InvalidType'],
      ['attempts', 0, 'OutOfRange'], ['attempts', 11, 'OutOfRange'],
      ['finishOnKey', 'A', 'InvalidValue'], ['finishOnKey', '##', 'InvalidValue'], ['finishOnKey', '', 'InvalidValue'], ['finishOnKey', 1, 'InvalidType'],
      ['variable', '1abc', 'InvalidVariableName'], ['variable', 'a-b', 'InvalidVariableName'], ['variable', `a${'b'.repeat(64)}`, 'InvalidVariableName'],
      ['branches', [], 'InvalidType'], ['branches', 'x', 'InvalidType'],
    ] as const) {
      expectError(withStep({ type: 'gather', [field]: value }), `steps[0].${field}`, code);
    }
    expectError(withStep({ type: 'gather', branches: { A: 'end' } }), 'steps[0].branches.A', 'InvalidValue');
    expectError(withStep({ type: 'gather', branches: { '': 'end' } }), 'steps[0].branches[""]', 'InvalidValue');
    expectValid(withStep({ type: 'gather', maxDigits: 1, timeoutMs: 120000, attempts: 1, variable: `a${'b'.repeat(63)}` }));
  });

  test('say: exactly one of digits, number, characters; templates checked', () => {
    expectError(withStep({ type: 'say' }), 'steps[0]', 'Required');
    expectError(withStep({ type: 'say', digits: '1', number: '2' }), 'steps[0]', 'Required');
    expectError(withStep({ type: 'say', digits: 5 }), 'steps[0].digits', 'InvalidType');
    expectError(withStep({ type: 'say', digits: 'x'.repeat(1001) }), 'steps[0].digits', 'TooLong');
    expectError(withStep({ type: 'say', characters: 'a\rb' }), 'steps[0].characters', 'InvalidValue');
  });

  test('pause: ms required, 0 to 600000', () => {
    expectError(withStep({ type: 'pause' }), 'steps[0].ms', 'Required');
    expectError(withStep({ type: 'pause', ms: 600001 }), 'steps[0].ms', 'OutOfRange');
    expectError(withStep({ type: 'pause', ms: -5 }), 'steps[0].ms', 'OutOfRange');
    expectError(withStep({ type: 'pause', ms: '100' }), 'steps[0].ms', 'InvalidType');
    expectValid(withStep({ type: 'pause', ms: 0 }));
  });

  test('branch: variable and cases required; case values checked', () => {
    expectError(withStep({ type: 'branch', cases: {} }), 'steps[0].variable', 'Required');
    expectError(withStep({ type: 'branch', variable: 'v' }), 'steps[0].cases', 'Required');
    expectError(withStep({ type: 'branch', variable: 'v', cases: ['end'] }), 'steps[0].cases', 'InvalidType');
    expectError(withStep({ type: 'branch', variable: 'v', cases: { 'a\u0007': 'end' } }), 'steps[0].cases["a\\u0007"]', 'InvalidValue');
    expectError(withStep({ type: 'branch', variable: '$v', cases: {} }), 'steps[0].variable', 'InvalidVariableName');
  });

  test('set: variable and value required', () => {
    expectError(withStep({ type: 'set', value: 'x' }), 'steps[0].variable', 'Required');
    expectError(withStep({ type: 'set', variable: 'v' }), 'steps[0].value', 'Required');
    expectError(withStep({ type: 'set', variable: 'v', value: 1 }), 'steps[0].value', 'InvalidType');
    expectValid(withStep({ type: 'set', variable: 'v', value: '' }));
  });

  test('record: ranges, beep, finishOnKey as ARI terminateOn', () => {
    expectError(withStep({ type: 'record', maxDurationMs: -1 }), 'steps[0].maxDurationMs', 'OutOfRange');
    expectError(withStep({ type: 'record', maxDurationMs: 3600001 }), 'steps[0].maxDurationMs', 'OutOfRange');
    expectError(withStep({ type: 'record', maxSilenceMs: 120001 }), 'steps[0].maxSilenceMs', 'OutOfRange');
    expectError(withStep({ type: 'record', beep: 'yes' }), 'steps[0].beep', 'InvalidType');
    expectError(withStep({ type: 'record', finishOnKey: '5' }), 'steps[0].finishOnKey', 'InvalidValue');
    expectError(withStep({ type: 'record', variable: 'no good' }), 'steps[0].variable', 'InvalidVariableName');
    for (const key of ['*', '#', 'any', 'none']) expectValid(withStep({ type: 'record', finishOnKey: key }));
  });

  test('several errors are reported at once, each with its field', () => {
    const errors = errorsOf({
      name: '',
      steps: [
        { id: 'a', type: 'pause', ms: -1 },
        { id: 'b', type: 'teleport' },
        { id: 'a', type: 'hangup' },
      ],
    });
    const fields = errors.map((e) => e.fieldName);
    for (const f of ['name', 'steps[0].ms', 'steps[1].type', 'steps[2].id']) assert.ok(fields.includes(f), `${f} in ${fields.join(', ')}`);
  });
});
