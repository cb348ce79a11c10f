// The flow's edges (domain/flow-graph.ts) and the console's drawing of them (src/console/flow-layout.ts,
// pure): labelled edges as the runner takes them, loops set aside, arrows pointing down, errors pinned.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stepEdges } from '../../src/domain/flow-graph.js';
import { validateFlowDocument } from '../../src/domain/flow-validation.js';
import type { FlowStep } from '../../src/domain/flow.js';
import { DEMO_FLOW } from '../../src/demo.js';
import { layoutFlow, NODE_H, NODE_W } from '../../src/console/flow-layout.js';

const edges = (steps: FlowStep[], i: number) => stepEdges(steps[i]!, i, steps).map((e) => `${e.kind}:${e.label}>${e.target}`);

describe('stepEdges', () => {
  test('the demo flow: order, branches, noInput, noMatch, next; a hangup has none', () => {
    const s = DEMO_FLOW.steps;
    assert.deepEqual(edges(s, 0), ['order:then>menu']);
    // branches, noInput and noMatch cover every outcome: no onward edge from the gather.
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
});

describe('layoutFlow', () => {
  test('arrows point down except loops, which are flagged; long arrows get passages', () => {
    const steps = [
      { id: 'a', type: 'playback', media: ['sound:x'] },
      { id: 'g', type: 'gather', branches: { '1': 'a', '2': 'z' }, noInput: 'z', noMatch: 'm' },
      { id: 'm', type: 'playback', media: ['sound:y'], next: 'z' },
      { id: 'z', type: 'hangup' },
    ];
    const graph = layoutFlow(steps, []);
    const loop = graph.edges.find((e) => e.from === 1 && e.to === 0);
    assert.equal(loop?.back, true);
    for (const e of graph.edges.filter((x) => !x.back)) assert.ok(graph.nodes[e.to]!.y > graph.nodes[e.from]!.y, `${e.label} points down`);
    const long = graph.edges.find((e) => e.from === 1 && e.to === 3)!;
    assert.equal(long.label, 'pressed 2 / no input');
    assert.equal(long.via.length, 1, 'g → z passes the row of m');
    const m = graph.nodes[2]!;
    assert.ok(long.via[0]!.x < m.x || long.via[0]!.x > m.x + NODE_W, 'the passage does not cross m');
    assert.ok(graph.height >= 3 * NODE_H && graph.width > NODE_W);
  });

  test('validation errors are pinned to their steps; unreachable steps are marked', () => {
    const doc = { name: 'x', steps: [{ id: 'a', type: 'hangup' }, { id: 'b', type: 'hangup' }] };
    const result = validateFlowDocument(doc);
    assert.equal(result.ok, false);
    const graph = layoutFlow(doc.steps, result.ok ? [] : result.errors);
    assert.equal(graph.nodes[1]!.unreachable, true);
    assert.equal(graph.nodes[0]!.unreachable, false);
    assert.ok(graph.nodes[1]!.y > graph.nodes[0]!.y, 'unreachable steps go below the others');

    const broken = [{ id: 'a', type: 'playback', next: 'nowhere' }, { type: 'say' }];
    const bad = validateFlowDocument({ name: '', steps: broken });
    const g2 = layoutFlow(broken, bad.ok ? [] : bad.errors);
    assert.ok(g2.nodes[0]!.errors.length > 0);
    assert.equal(g2.nodes[1]!.id, 'steps[1]', 'a step without an id is still drawn');
    assert.ok(g2.general.some((m) => m.startsWith('name')));
  });
});
