// The flow editor's document model (src/console/editor/): undo/redo with typing coalesced, a
// rename followed by every reference, a deleted step taking the exits that led to it, exits read
// from the step definitions' metadata, and the difference between two versions. Pure modules:
// no browser needed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deleteStep, FlowModel, freshId, renameStep, type Doc } from '../../src/console/editor/model.js';
import { exitsOf, setExit } from '../../src/console/editor/exits.js';
import { diffFlows } from '../../src/console/editor/flow-diff.js';

const demo = (): Doc => ({
  name: 'd',
  steps: [
    { id: 'menu', type: 'gather', branches: { 1: 'yes', 2: 'bye' }, noInput: 'bye' },
    { id: 'yes', type: 'say', digits: '1' },
    { id: 'bye', type: 'hangup' },
  ],
});

describe('flow editor model', () => {
  test('undo and redo every change; typing in one field is one entry; a new change drops the redo', () => {
    const model = new FlowModel(demo());
    const sources: string[] = [];
    model.onChange((s) => sources.push(s));
    model.change('form', (d) => { d.steps[1]!.digits = '12'; }, 'form:1:digits');
    model.change('form', (d) => { d.steps[1]!.digits = '123'; }, 'form:1:digits');
    model.change('canvas', (d) => { d.steps.push({ id: 'p', type: 'pause', ms: 1 }); });
    assert.equal(model.doc.steps.length, 4);
    model.undo();
    assert.equal(model.doc.steps.length, 3);
    assert.equal(model.doc.steps[1]!.digits, '123');
    model.undo();
    assert.equal(model.doc.steps[1]!.digits, '1', 'the typing was one entry');
    assert.equal(model.canUndo, false);
    model.redo();
    assert.equal(model.doc.steps[1]!.digits, '123');
    model.change('canvas', (_d, positions) => { positions.yes = { x: 1, y: 2 }; });
    assert.equal(model.canRedo, false);
    assert.deepEqual(sources, ['form', 'form', 'canvas', 'history', 'history', 'history', 'canvas']);
  });

  test('a rename is followed by every reference; a deleted step takes the exits to it', () => {
    const doc = demo();
    renameStep(doc, 'bye', 'end');
    assert.deepEqual(doc.steps[0], { id: 'menu', type: 'gather', branches: { 1: 'yes', 2: 'end' }, noInput: 'end' });
    assert.equal(doc.steps[2]!.id, 'end');
    deleteStep(doc, 2);
    assert.deepEqual(doc.steps[0], { id: 'menu', type: 'gather', branches: { 1: 'yes' } });
    assert.equal(freshId(doc, 'say'), 'say1');
  });

  test('exits come from the definitions: target fields, map entries, an adder, and the onward step', () => {
    const doc = demo();
    assert.deepEqual(exitsOf(doc, 0).map((e) => `${e.label}>${e.target ?? ''}${e.implicit ? ' (implicit)' : ''}`),
      ['branches 1>yes', 'branches 2>bye', '+ branches>', 'noInput>bye', 'noMatch>', 'then>yes (implicit)']);
    assert.deepEqual(exitsOf(doc, 2), [], 'a hangup has none');
    const adder = exitsOf(doc, 0).find((e) => e.adds)!;
    setExit(doc.steps[0]!, adder, 'yes');
    assert.deepEqual(doc.steps[0]!.branches, { 1: 'yes', 2: 'bye', 3: 'yes' });
    setExit(doc.steps[0]!, exitsOf(doc, 0).find((e) => e.label === 'noInput')!, undefined);
    assert.equal('noInput' in doc.steps[0]!, false);
  });

  test('the difference of two versions: steps added, removed, fields changed, the start', () => {
    const before = demo();
    const after = demo();
    after.steps[1]!.digits = '2';
    after.steps.splice(2, 1, { id: 'end', type: 'hangup' });
    after.steps.reverse();
    const d = diffFlows(before, after);
    assert.deepEqual(d.added, ['end']);
    assert.deepEqual(d.removed, ['bye']);
    assert.deepEqual(d.changed, [{ step: 'yes', field: 'digits', from: '1', to: '2' }]);
    assert.deepEqual(d.start, { from: 'menu', to: 'end' });
    assert.equal(d.name, undefined);
  });
});
