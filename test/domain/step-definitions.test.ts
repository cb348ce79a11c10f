// One definition per step type (src/domain/steps/): the flow graph's edges, the FlowStep DTO's
// fields and the generated parts of docs/flows.md are all read from it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { stepEdges } from '../../src/domain/flow-graph.js';
import { validateFlowDocument } from '../../src/domain/flow-validation.js';
import type { FlowStep } from '../../src/domain/flow.js';
import { STEP_DEFINITIONS, STEP_TYPES } from '../../src/domain/steps/index.js';
import { DEMO_FLOW } from '../../src/demo.js';
import { DTOS } from '../../src/http/operations/dtos.js';
import { FLOWS_DOC, renderStepDocs } from '../../scripts/step-docs.js';

const edges = (steps: FlowStep[], i: number) => stepEdges(steps[i]!, i, steps).map((e) => `${e.kind}:${e.label}>${e.target}`);

describe('step definitions', () => {
  test('the demo flow: order, branches, noInput, noMatch, next; a hangup has none', () => {
    const s = DEMO_FLOW.steps;
    assert.deepEqual(edges(s, 0), ['order:then>menu']);
    assert.deepEqual(edges(s, 1), ['branch:pressed 1>yes', 'branch:pressed 2>no', 'noInput:no input>bye', 'noMatch:no match>bye']);
    assert.deepEqual(edges(s, 2), ['next:next>bye']);
    assert.deepEqual(edges(s, 4), []);
  });

  test('a gather without noMatch and a branch without default go on to next or the following step', () => {
    const steps: FlowStep[] = [
      { id: 'g', type: 'gather', branches: { '1': 'h' }, noInput: 'h' },
      { id: 'b', type: 'branch', variable: 'v', cases: { x: 'h' } },
      { id: 'h', type: 'hangup' },
    ];
    assert.deepEqual(edges(steps, 0), ['branch:pressed 1>h', 'noInput:no input>h', 'order:then>b']);
    assert.deepEqual(edges(steps, 1), ['case:v = x>h', 'order:then>h']);
  });

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
