import type { FlowEdge, StepBase, StepDefinition } from './types.js';
import { FLOW_LIMITS, safeText } from './limits.js';

export interface BranchStep extends StepBase {
  type: 'branch';
  variable: string;
  cases: Record<string, string>;
  default?: string;
}

export const branch: StepDefinition<BranchStep> = {
  type: 'branch',
  summary: 'Goes to `cases[value of variable]`, else `default`, else on to the onward step.',
  fields: [
    { name: 'variable', type: 'string', required: true, description: 'the session variable read' },
    { name: 'cases', type: { map: 'string' }, required: true, description: 'variable value -> step id', target: true },
    { name: 'default', type: 'string', description: 'step when no case matches', default: 'the onward step', target: true },
  ],
  parse(f) {
    const variable = f.variable('variable', true);
    const cases = f.targets('cases', true, (k) =>
      (k.length <= FLOW_LIMITS.maxCaseValueLength && safeText(k) ? undefined
        : `case values must be at most ${FLOW_LIMITS.maxCaseValueLength} characters without control characters`));
    const fallback = f.target('default');
    if (variable === undefined || cases === undefined) return undefined;
    return { variable, cases, ...(fallback !== undefined ? { default: fallback } : {}) };
  },
  exits(step) {
    const edges: FlowEdge[] = Object.entries(step.cases).map(([value, target]) => ({ target, kind: 'case', label: `${step.variable} = ${value}` }));
    if (step.default !== undefined) edges.push({ target: step.default, kind: 'default', label: 'otherwise' });
    return { edges, exhaustive: step.default !== undefined };
  },
};
