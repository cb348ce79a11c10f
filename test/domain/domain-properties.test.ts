import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { validateFlowDocument } from '../../src/domain/flow-validation.js';
import { checkE164 } from '../../src/domain/e164.js';
import { renderTemplate } from '../../src/domain/template.js';

// Fixed seed so CI is reproducible; FC_RUNS raises the count for a longer run on demand.
const runs = Number(process.env.FC_RUNS ?? 500);
const params = { seed: 20240601, numRuns: runs };

const stepArb = fc.record({
  id: fc.oneof(fc.constantFrom('a', 'b', 'c', 'end'), fc.string()),
  type: fc.oneof(fc.constantFrom('playback', 'gather', 'say', 'pause', 'branch', 'set', 'record', 'hangup'), fc.string()),
  next: fc.constantFrom('a', 'b', 'c', 'end', 'zz'),
  media: fc.array(fc.oneof(fc.constantFrom('sound:hello-world', 'digits:12', 'foo:bar'), fc.string()), { maxLength: 3 }),
  ms: fc.oneof(fc.integer({ min: -10, max: 700000 }), fc.double()),
  variable: fc.oneof(fc.constantFrom('choice', '1bad'), fc.string()),
  value: fc.string(),
  cases: fc.dictionary(fc.string({ maxLength: 3 }), fc.constantFrom('a', 'end', 'zz')),
  branches: fc.dictionary(fc.constantFrom('1', '2', '#', 'x'), fc.constantFrom('a', 'end', 'zz')),
  digits: fc.string(),
}, { requiredKeys: ['type'] });

test('validateFlowDocument never throws and a valid result re-validates to itself', () => {
  fc.assert(fc.property(
    fc.oneof(
      fc.record({ name: fc.string(), steps: fc.array(stepArb, { maxLength: 6 }) }),
      fc.jsonValue().map((v) => v as unknown),
    ),
    (input) => {
      const result = validateFlowDocument(input);
      if (!result.ok) {
        assert.ok(result.errors.length > 0);
        for (const e of result.errors) assert.ok(e.fieldName && e.errorCode && e.message);
        return;
      }
      const again = validateFlowDocument(JSON.parse(JSON.stringify(result.document)));
      assert.ok(again.ok);
      assert.deepEqual(again.document, result.document);
    },
  ), params);
});

test('checkE164 never throws; what it accepts is +digits only', () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.stringMatching(/^\+[0-9]{1,17}$/), fc.anything()), (value) => {
    const result = checkE164(value, 'n');
    if (result.ok) assert.match(result.e164, /^\+[1-9][0-9]{1,14}$/);
  }), params);
});

test('renderTemplate leaves text without braces unchanged', () => {
  fc.assert(fc.property(fc.string().filter((s) => !s.includes('{')), fc.dictionary(fc.string(), fc.string()), (text, vars) => {
    assert.equal(renderTemplate(text, vars), text);
  }), params);
});
