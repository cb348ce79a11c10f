// The FlowStep DTO's own fields, read from the step definitions (domain/steps/): one field per
// name across all step types, typed as the definitions declare it, described per step type.
import { STEP_DEFINITIONS } from '../../domain/steps/index.js';
import type { StepFieldType } from '../../domain/steps/index.js';
import type { Field } from './types.js';

export function stepOwnFields(): Field[] {
  const byName = new Map<string, { type: StepFieldType; uses: Array<{ step: string; description: string }> }>();
  for (const definition of Object.values(STEP_DEFINITIONS)) {
    for (const field of definition.fields) {
      const entry = byName.get(field.name);
      if (!entry) byName.set(field.name, { type: field.type, uses: [{ step: definition.type, description: field.description }] });
      else if (JSON.stringify(entry.type) !== JSON.stringify(field.type)) {
        // One XML/DTO field per name: two step types cannot give one name two types.
        throw new Error(`step field ${field.name}: ${definition.type} declares another type than ${entry.uses[0]!.step}`);
      } else entry.uses.push({ step: definition.type, description: field.description });
    }
  }
  return [...byName].map(([name, { type, uses }]) => ({
    name,
    type,
    description: uses.map((u) => `${u.step}: ${u.description}`).join('; '),
  }));
}
