// Flow simulation use case: a saved flow (its latest version) or an unsaved document, run against
// one simulation script (a callee and its dialed parties: simulate/script.ts) or several
// scenarios, on a virtual clock (src/simulate/). Never places a
// call: it works the same with the embedded simulator or a real Asterisk behind the engine.
import { AppError, type FieldError } from '../domain/errors.js';
import type { FlowDocument } from '../domain/flow.js';
import { validateFlowDocument } from '../domain/flow-validation.js';
import { FINAL_STATES, type SessionState } from '../domain/model.js';
import { readSimulationScript } from '../simulate/script.js';
import { coverage, simulateFlow, type Coverage, type Scenario, type SimulationExpect, type SimulationLimits, type SimulationResult } from '../simulate/simulate-flow.js';
import type { Store } from '../store/store.js';
import type { Logger } from '../log.js';
import { pick, type Input } from './input.js';

export const MAX_SCENARIOS = 50;
const MAX_NAME = 100;

export interface SimulationReport {
  results: SimulationResult[];
  /** With `scenarios`: which steps and exits they reached. */
  coverage?: Coverage;
  /** Every expectation held. */
  passed: boolean;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readExpect(raw: unknown, field: string, errors: FieldError[]): SimulationExpect | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) {
    errors.push({ fieldName: field, errorCode: 'InvalidType', message: `${field} must be an object with state, variables and/or path` });
    return undefined;
  }
  const out: SimulationExpect = {};
  for (const key of Object.keys(raw)) {
    if (!['state', 'variables', 'path'].includes(key)) errors.push({ fieldName: `${field}.${key}`, errorCode: 'UnknownProperty', message: `${field}.${key} is not a known property` });
  }
  if (raw.state !== undefined) {
    if (typeof raw.state === 'string' && (FINAL_STATES as readonly string[]).includes(raw.state)) out.state = raw.state as SessionState;
    else errors.push({ fieldName: `${field}.state`, errorCode: 'InvalidValue', message: `${field}.state must be one of ${FINAL_STATES.join(', ')}` });
  }
  if (raw.variables !== undefined) {
    if (isObject(raw.variables) && Object.values(raw.variables).every((v) => typeof v === 'string')) out.variables = { ...(raw.variables as Record<string, string>) };
    else errors.push({ fieldName: `${field}.variables`, errorCode: 'InvalidType', message: `${field}.variables must map variable names to strings` });
  }
  if (raw.path !== undefined) {
    if (Array.isArray(raw.path) && raw.path.every((v) => typeof v === 'string')) out.path = [...(raw.path as string[])];
    else errors.push({ fieldName: `${field}.path`, errorCode: 'InvalidType', message: `${field}.path must be a list of step ids` });
  }
  return out;
}

function readScenario(raw: unknown, field: string, errors: FieldError[]): Scenario | undefined {
  if (!isObject(raw)) {
    errors.push({ fieldName: field, errorCode: 'InvalidType', message: `${field} must be an object with script (and name, expect)` });
    return undefined;
  }
  let script;
  try {
    script = readSimulationScript(raw.script ?? {}, `${field}.script`);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    errors.push({ fieldName: message.split(':')[0] ?? `${field}.script`, errorCode: 'InvalidValue', message });
    return undefined;
  }
  const expect = readExpect(raw.expect, `${field}.expect`, errors);
  const name = raw.name;
  if (name !== undefined && (typeof name !== 'string' || name.length > MAX_NAME)) {
    errors.push({ fieldName: `${field}.name`, errorCode: 'InvalidValue', message: `${field}.name must be a string of at most ${MAX_NAME} characters` });
  }
  return { ...(typeof name === 'string' ? { name } : {}), script, ...(expect ? { expect } : {}) };
}

/** `scenarios: [...]`, or one scenario from `script` / `expect` at the top (an empty script: answer, silence). */
export function readScenarios(input: Input): { scenarios: Scenario[]; many: boolean } {
  const errors: FieldError[] = [];
  const raw = pick(input, 'scenarios');
  let scenarios: Scenario[] = [];
  const many = raw !== undefined;
  if (many) {
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_SCENARIOS) {
      errors.push({ fieldName: 'scenarios', errorCode: 'InvalidValue', message: `scenarios must be a list of 1 to ${MAX_SCENARIOS} scenarios` });
    } else {
      scenarios = raw.map((s, i) => readScenario(s, `scenarios[${i}]`, errors)).filter((s): s is Scenario => s !== undefined);
    }
  } else {
    const one = readScenario({ script: pick(input, 'script'), expect: pick(input, 'expect') }, 'scenario', errors);
    if (one) scenarios = [one];
  }
  if (errors.length > 0) throw AppError.validation(errors.map((e) => (e.fieldName.startsWith('scenario.') ? { ...e, fieldName: e.fieldName.slice('scenario.'.length), message: e.message.replace(/^scenario\./, '') } : e)));
  return { scenarios, many };
}

export async function runSimulation(document: FlowDocument, scenarios: Scenario[], many: boolean, limits: SimulationLimits, logger: Logger): Promise<SimulationReport> {
  const results: SimulationResult[] = [];
  for (const scenario of scenarios) results.push(await simulateFlow(document, scenario, limits, logger));
  return {
    results,
    ...(many ? { coverage: coverage(document, results) } : {}),
    passed: results.every((r) => r.failures.length === 0),
  };
}

export class FlowSimulations {
  constructor(private readonly store: Store, private readonly limits: SimulationLimits, private readonly logger: Logger) {}

  async simulateSaved(accountId: string, flowId: string, input: Input): Promise<SimulationReport> {
    const flow = flowId.length > 0 && flowId.length <= 128 ? await this.store.getFlow(accountId, flowId) : undefined;
    if (!flow) throw AppError.notFound('Flow');
    const { scenarios, many } = readScenarios(input);
    return runSimulation(flow.document, scenarios, many, this.limits, this.logger);
  }

  async simulateDocument(input: Input): Promise<SimulationReport> {
    const checked = validateFlowDocument(pick(input, 'document'));
    if (!checked.ok) throw AppError.validation(checked.errors.map((e) => ({ ...e, fieldName: `document.${e.fieldName}` })));
    const { scenarios, many } = readScenarios(input);
    return runSimulation(checked.document, scenarios, many, this.limits, this.logger);
  }
}
