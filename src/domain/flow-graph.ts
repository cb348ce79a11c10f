// Where a step can go next, as the runner goes: the one definition the reachability check of
// flow-validation.ts and the console's flow drawing share, read from each step's definition
// (steps/<type>.ts). Pure (no Node): bundled for the browser.
import type { FlowStep } from './flow.js';
import { stepDefinition, type FlowEdge } from './steps/index.js';

export type { FlowEdge } from './steps/index.js';
/** `next`, `order`, or a step's own kind of exit (`branch`, `noInput`, `noMatch`, `case`, `default`, ...). */
export type FlowEdgeKind = FlowEdge['kind'];

/**
 * The step's own exits, then the onward edge (`next`, else the following step), taken when none
 * of them applies; a gather with branches, noInput and noMatch always has one that applies.
 */
export function stepEdges(step: FlowStep, index: number, steps: readonly FlowStep[]): FlowEdge[] {
  const definition = stepDefinition(step.type);
  if (definition.terminal) return [];
  const { edges, exhaustive } = definition.exits(step as never);
  const out = [...edges];
  if (!exhaustive) {
    if (step.next !== undefined) out.push({ target: step.next, kind: 'next', label: 'next' });
    else {
      const following = steps[index + 1]?.id;
      if (following !== undefined) out.push({ target: following, kind: 'order', label: 'then' });
    }
  }
  return out;
}
