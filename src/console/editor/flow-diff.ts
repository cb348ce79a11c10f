// What changed between two versions of a flow document, by step id: steps added, removed, and the
// fields of a step that changed (with the old and the new value), plus the flow's name.
import { isObject } from '../../domain/steps/fields.js';
import { docOf, stepId } from './model.js';

export interface FlowDiff {
  name?: { from: unknown; to: unknown };
  added: string[];
  removed: string[];
  changed: Array<{ step: string; field: string; from: unknown; to: unknown }>;
  /** The start step (the first) is another one. */
  start?: { from: string | undefined; to: string | undefined };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export function diffFlows(before: unknown, after: unknown): FlowDiff {
  const a = docOf(before);
  const b = docOf(after);
  const byId = (steps: typeof a.steps): Map<string, Record<string, unknown>> => new Map(steps.map((s, i) => [stepId(s, i), s]));
  const old = byId(a.steps);
  const now = byId(b.steps);
  const diff: FlowDiff = {
    added: [...now.keys()].filter((id) => !old.has(id)),
    removed: [...old.keys()].filter((id) => !now.has(id)),
    changed: [],
  };
  if (!same(a.name, b.name)) diff.name = { from: a.name, to: b.name };
  const startA = a.steps[0] ? stepId(a.steps[0], 0) : undefined;
  const startB = b.steps[0] ? stepId(b.steps[0], 0) : undefined;
  if (startA !== startB) diff.start = { from: startA, to: startB };
  for (const [id, s] of now) {
    const o = old.get(id);
    if (!o || !isObject(o)) continue;
    for (const field of new Set([...Object.keys(o), ...Object.keys(s)])) {
      if (field !== 'id' && !same(o[field], s[field])) diff.changed.push({ step: id, field, from: o[field], to: s[field] });
    }
  }
  return diff;
}
