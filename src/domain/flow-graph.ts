// Where a step can go next, as the runner goes: the one definition the reachability check of
// flow-validation.ts and the console's flow drawing share. Pure (no Node): bundled for the browser.
import type { FlowStep } from './flow.js';

export type FlowEdgeKind = 'next' | 'order' | 'branch' | 'noInput' | 'noMatch' | 'case' | 'default';

export interface FlowEdge {
  target: string;
  kind: FlowEdgeKind;
  /** What takes this edge, in words: a digit, a variable's value, `no input`, `then`. */
  label: string;
}

/**
 * The onward edge (`next`, else the following step) is taken when no target of the step applies;
 * a gather with branches, noInput and noMatch always has one that applies.
 */
export function stepEdges(step: FlowStep, index: number, steps: readonly FlowStep[]): FlowEdge[] {
  if (step.type === 'hangup') return [];
  const edges: FlowEdge[] = [];
  let onwardPossible = true;
  if (step.type === 'gather') {
    const branches = Object.entries(step.branches ?? {});
    for (const [digits, target] of branches) edges.push({ target, kind: 'branch', label: `pressed ${digits}` });
    if (step.noInput !== undefined) edges.push({ target: step.noInput, kind: 'noInput', label: 'no input' });
    if (step.noMatch !== undefined) edges.push({ target: step.noMatch, kind: 'noMatch', label: 'no match' });
    onwardPossible = !(branches.length > 0 && step.noInput !== undefined && step.noMatch !== undefined);
  } else if (step.type === 'branch') {
    for (const [value, target] of Object.entries(step.cases)) edges.push({ target, kind: 'case', label: `${step.variable} = ${value}` });
    if (step.default !== undefined) edges.push({ target: step.default, kind: 'default', label: 'otherwise' });
    onwardPossible = step.default === undefined;
  }
  if (onwardPossible) {
    if (step.next !== undefined) edges.push({ target: step.next, kind: 'next', label: 'next' });
    else {
      const following = steps[index + 1]?.id;
      if (following !== undefined) edges.push({ target: following, kind: 'order', label: 'then' });
    }
  }
  return edges;
}
