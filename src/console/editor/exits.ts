// A step's exits as the editor draws them, read from its definition's metadata (fields marked
// `target`) and the domain's own edges (flow-graph.ts) for the onward step: no step type is named
// here, so a new definition in domain/steps/ gets its handles without a change to the console.
import { stepEdges } from '../../domain/flow-graph.js';
import type { FlowStep } from '../../domain/flow.js';
import { isObject } from '../../domain/steps/fields.js';
import { isStepType, stepDefinition } from '../../domain/steps/index.js';
import type { Doc, Step } from './model.js';

export interface Exit {
  /** The field holding the target (`next` for the onward step). */
  field: string;
  /** The key of a target map's entry (a gather's digits, a branch's value). */
  key?: string;
  /** A handle that adds an entry to a target map. */
  adds?: true;
  label: string;
  /** The step id it leads to, if set. */
  target?: string;
  /** The onward step taken because it follows in the list (no `next`): drawn dashed. */
  implicit?: true;
}

/** The key a new entry of a target map gets: the smallest whole number not used yet. */
export function freshKey(map: Record<string, unknown>): string {
  for (let n = 1; ; n++) if (!Object.prototype.hasOwnProperty.call(map, String(n))) return String(n);
}

export function exitsOf(doc: Doc, index: number): Exit[] {
  const step = doc.steps[index]!;
  if (!isStepType(step.type)) return [];
  const definition = stepDefinition(step.type);
  const exits: Exit[] = [];
  for (const field of definition.fields) {
    if (!field.target) continue;
    const value = step[field.name];
    if (typeof field.type === 'object' && 'map' in field.type) {
      if (isObject(value)) {
        for (const [key, target] of Object.entries(value)) {
          exits.push({ field: field.name, key, label: `${field.name} ${key}`, ...(typeof target === 'string' ? { target } : {}) });
        }
      }
      exits.push({ field: field.name, adds: true, label: `+ ${field.name}` });
    } else {
      exits.push({ field: field.name, label: field.name, ...(typeof value === 'string' ? { target: value } : {}) });
    }
  }
  if (!definition.terminal) {
    const onward: Exit = { field: 'next', label: 'next' };
    if (typeof step.next === 'string') onward.target = step.next;
    else {
      const following = onwardInList(doc, index, step);
      if (following !== undefined) Object.assign(onward, { target: following, implicit: true, label: 'then' });
    }
    exits.push(onward);
  }
  return exits;
}

/** The following step the runner goes on to when no exit applies (none when the exits are exhaustive). */
function onwardInList(doc: Doc, index: number, step: Step): string | undefined {
  try {
    return stepEdges(step as unknown as FlowStep, index, doc.steps as unknown as FlowStep[]).find((e) => e.kind === 'order')?.target;
  } catch {
    // A step being typed may lack the fields its edges read.
    return undefined;
  }
}

/** Points an exit at a step (or at nothing, `target` undefined). */
export function setExit(step: Step, exit: Exit, target: string | undefined): void {
  if (exit.field === 'next' || exit.key === undefined && !exit.adds) {
    if (target === undefined) delete step[exit.field];
    else step[exit.field] = target;
    return;
  }
  const map = isObject(step[exit.field]) ? step[exit.field] as Record<string, unknown> : {};
  const key = exit.key ?? freshKey(map);
  if (target === undefined) delete map[key];
  else map[key] = target;
  if (Object.keys(map).length > 0) step[exit.field] = map;
  else delete step[exit.field];
}
