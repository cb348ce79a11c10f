// One definition per step type (src/domain/steps/): validation, the FlowStep DTO's fields and the
// generated parts of docs/flows.md are read from it (its edges: flow-graph.test.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { validateFlowDocument } from '../../src/domain/flow-validation.js';
import { STEP_DEFINITIONS, STEP_TYPES } from '../../src/domain/steps/index.js';
import { FieldErrors, StepFields, type TargetRef } from '../../src/domain/steps/fields.js';
import { DTOS } from '../../src/http/operations/dtos.js';
import { FLOWS_DOC, renderStepDocs } from '../../scripts/step-docs.js';

describe('step definitions', () => {
  test('the FlowStep DTO declares every field of every step type with the type its definition gives', () => {
    const flowStep = DTOS.get('FlowStep');
    assert.ok(flowStep);
    assert.deepEqual(flowStep.fields.find((f) => f.name === 'type')?.allowed, STEP_TYPES);
    for (const definition of Object.values(STEP_DEFINITIONS)) {
      for (const field of definition.fields) {
        const declared: { type: unknown; description: string } | undefined = flowStep.fields.find((f) => f.name === field.name);
        assert.ok(declared, `${definition.type}.${field.name} is in FlowStep`);
        assert.deepEqual(declared.type, field.type);
        assert.match(declared.description, new RegExp(`${definition.type}: `));
      }
    }
  });

  test('the metadata the console builds forms from agrees with parse: targets, bounds and choices', () => {
    for (const definition of Object.values(STEP_DEFINITIONS)) {
      // Every field given a value of its shape: the step targets parse collects are the target fields.
      const raw: Record<string, unknown> = {};
      for (const field of definition.fields) {
        raw[field.name] = typeof field.type === 'object' ? ('map' in field.type ? { 1: 'x' } : ['sound:x']) : field.type === 'int' ? 0 : field.type === 'bool' ? true : 'x';
      }
      const refs: TargetRef[] = [];
      definition.parse(new StepFields(raw, 's', new FieldErrors(), refs));
      const collected = new Set(refs.map((r) => r.field.replace(/^s\./, '').replace(/\.1$/, '').replace(/\[\d+\]$/, '')));
      assert.deepEqual([...collected].sort(), definition.fields.filter((f) => f.target).map((f) => f.name).sort(), `${definition.type}: target fields`);
      for (const field of definition.fields) {
        const errorsFor = (value: unknown): string[] => {
          const errors = new FieldErrors();
          definition.parse(new StepFields({ ...raw, [field.name]: value }, 's', errors, []));
          return errors.result().filter((e) => e.fieldName === `s.${field.name}`).map((e) => e.errorCode);
        };
        if (field.range) {
          assert.deepEqual(errorsFor(field.range.min), [], `${definition.type}.${field.name} takes its min`);
          assert.deepEqual(errorsFor(field.range.max), [], `${definition.type}.${field.name} takes its max`);
          assert.deepEqual(errorsFor(field.range.max + 1), ['OutOfRange'], `${definition.type}.${field.name} refuses max + 1`);
        }
        for (const option of field.options ?? []) assert.deepEqual(errorsFor(option), [], `${definition.type}.${field.name} takes ${option}`);
        if (field.options) assert.deepEqual(errorsFor('not-an-option'), ['InvalidValue'], `${definition.type}.${field.name} refuses others`);
      }
    }
  });

  test('a field another step type does not have is refused; a terminal step takes no next', () => {
    const result = validateFlowDocument({ name: 'x', steps: [{ id: 'p', type: 'pause', ms: 1, media: ['sound:x'] }, { id: 'h', type: 'hangup', next: 'p' }] });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(result.errors.map((e) => `${e.fieldName}:${e.errorCode}`), ['steps[0].media:UnknownProperty', 'steps[1].next:UnknownProperty']);
  });

  test('a valid document comes back as a clean copy with the fields in a stable order', () => {
    const result = validateFlowDocument({ name: 'x', steps: [{ type: 'gather', id: 'g', attempts: 2, next: 'h', variable: 'v' }, { id: 'h', type: 'hangup' }] });
    assert.ok(result.ok);
    assert.deepEqual(Object.keys(result.document.steps[0]!), ['id', 'next', 'type', 'attempts', 'variable']);
  });

  test('docs/flows.md holds the generated summary and field table of every step type (npm run docs:steps)', () => {
    const doc = readFileSync(FLOWS_DOC, 'utf8');
    assert.equal(renderStepDocs(doc), doc, 'docs/flows.md is out of date: run npm run docs:steps');
    for (const type of STEP_TYPES) assert.ok(doc.includes(`### \`${type}\`\n<!-- step:${type} -->`), `${type} has a section`);
  });
});
