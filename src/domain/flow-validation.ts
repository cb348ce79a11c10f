// Validation of flow documents on save: nothing that reaches the runner (and through it ARI)
// can be malformed. Every problem becomes a field error named like the request
// (`steps[2].next`); a valid document comes back as a clean copy holding only known fields.
import type { FieldError } from './errors.js';
import type { FlowDocument, FlowStep } from './flow.js';
import { stepEdges } from './flow-graph.js';
import { isStepType, stepDefinition, STEP_TYPES } from './steps/index.js';
import { FieldErrors, has, isObject, member, own, StepFields, type TargetRef } from './steps/fields.js';
import { FLOW_LIMITS, safeText } from './steps/limits.js';
import { mediaUrl } from './steps/media-uri.js';

export { FLOW_LIMITS } from './steps/limits.js';
export { asteriskMedia, checkMediaUri, MEDIA_SCHEMES, mediaUrl } from './steps/media-uri.js';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const STEP_ID = /^[A-Za-z0-9_-]+$/;

type Errors = FieldErrors;

/** Scans the raw input for prototype-polluting keys and excessive nesting before reading it. */
function scanKeys(value: unknown, path: string, depth: number, errors: Errors): void {
  if (typeof value !== 'object' || value === null) return;
  if (depth > FLOW_LIMITS.maxDepth) {
    errors.add(path || 'document', 'TooDeep', `${path || 'the document'} is nested too deeply`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => scanKeys(item, `${path}[${i}]`, depth + 1, errors));
    return;
  }
  for (const key of Object.keys(value)) {
    const field = member(path, key);
    if (FORBIDDEN_KEYS.has(key)) {
      errors.add(field, 'ForbiddenKey', `'${key}' is not allowed as a property name`);
      continue;
    }
    scanKeys((value as Record<string, unknown>)[key], field, depth + 1, errors);
  }
}

/** Checks one step: its type, the common fields, then its own fields as its definition reads them. */
function checkStep(raw: unknown, index: number, errors: Errors, refs: TargetRef[]): FlowStep | undefined {
  const path = `steps[${index}]`;
  if (!isObject(raw)) {
    errors.add(path, 'InvalidType', `${path} must be an object`);
    return undefined;
  }
  const type = own(raw, 'type');
  if (type === undefined) {
    errors.add(`${path}.type`, 'Required', `${path}.type is required`);
    return undefined;
  }
  if (!isStepType(type)) {
    errors.add(`${path}.type`, 'UnknownStepType', `${path}.type must be one of ${STEP_TYPES.join(', ')}`);
    return undefined;
  }
  const definition = stepDefinition(type);
  const before = errors.list.length;
  if (definition.terminal && has(raw, 'next')) {
    errors.add(`${path}.next`, 'UnknownProperty', `${path}.next is not allowed: a ${type} step ends the call`);
  }
  const allowed = ['id', 'type', 'next', ...definition.fields.map((f) => f.name)];
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) {
      const field = member(path, key);
      errors.add(field, 'UnknownProperty', `${field} is not a known property`);
    }
  }
  const fields = new StepFields(raw, path, errors, refs);
  const id = fields.string('id', true);
  const next = definition.terminal ? undefined : fields.target('next');
  const ownFields = definition.parse(fields);
  if (errors.list.length !== before || ownFields === undefined) return undefined;
  return { id: id ?? '', ...(next !== undefined ? { next } : {}), type, ...ownFields } as FlowStep;
}

/**
 * Edges of the reachability check: the runner's edges (flow-graph.ts) plus list order and `next`
 * even where the runner would not take them (as the brief defines it: reachable via
 * order/next/branches), so a step is flagged only when it sits after a hangup, or at the start of
 * a chain, and nothing targets it.
 */
function successors(step: FlowStep, index: number, steps: readonly FlowStep[]): string[] {
  if (stepDefinition(step.type).terminal) return [];
  const out = stepEdges(step, index, steps).map((e) => e.target);
  const following = steps[index + 1]?.id;
  if (following !== undefined) out.push(following);
  if (step.next !== undefined) out.push(step.next);
  return out;
}

export function validateFlowDocument(input: unknown): { ok: true; document: FlowDocument } | { ok: false; errors: FieldError[] } {
  const errors = new FieldErrors();
  if (!isObject(input)) {
    return { ok: false, errors: [{ fieldName: 'document', errorCode: 'InvalidType', message: 'The flow must be a JSON object with name and steps' }] };
  }
  scanKeys(input, '', 0, errors);
  if (errors.list.length > 0) return { ok: false, errors: errors.result() };

  for (const key of Object.keys(input)) {
    if (key !== 'name' && key !== 'steps') errors.add(member('', key), 'UnknownProperty', `${member('', key)} is not a known property`);
  }

  const name = own(input, 'name');
  if (name === undefined) errors.add('name', 'Required', 'name is required');
  else if (typeof name !== 'string') errors.add('name', 'InvalidType', 'name must be a string');
  else if (name.trim() === '') errors.add('name', 'Required', 'name must not be empty');
  else if (name.length > FLOW_LIMITS.maxNameLength) errors.add('name', 'TooLong', `name must be at most ${FLOW_LIMITS.maxNameLength} characters`);
  else if (!safeText(name)) errors.add('name', 'InvalidValue', 'name must not contain control characters');

  const rawSteps = own(input, 'steps');
  if (rawSteps === undefined) {
    errors.add('steps', 'Required', 'steps is required');
    return { ok: false, errors: errors.result() };
  }
  if (!Array.isArray(rawSteps)) {
    errors.add('steps', 'InvalidType', 'steps must be an array');
    return { ok: false, errors: errors.result() };
  }
  if (rawSteps.length === 0) {
    errors.add('steps', 'Required', 'steps must hold at least one step');
    return { ok: false, errors: errors.result() };
  }
  if (rawSteps.length > FLOW_LIMITS.maxSteps) {
    errors.add('steps', 'TooManySteps', `a flow may have at most ${FLOW_LIMITS.maxSteps} steps`);
    return { ok: false, errors: errors.result() };
  }

  const refs: TargetRef[] = [];
  const steps: Array<FlowStep | undefined> = rawSteps.map((raw, i) => checkStep(raw, i, errors, refs));

  // Ids: present, well-formed, unique.
  const ids = new Map<string, number>();
  rawSteps.forEach((raw, i) => {
    if (!isObject(raw)) return;
    const id = own(raw, 'id');
    if (typeof id !== 'string') return;
    const field = `steps[${i}].id`;
    if (id.length === 0 || id.length > FLOW_LIMITS.maxStepIdLength || !STEP_ID.test(id)) {
      errors.add(field, 'InvalidStepId', `${field} must be 1 to ${FLOW_LIMITS.maxStepIdLength} letters, digits, '_' or '-'`);
      return;
    }
    const first = ids.get(id);
    if (first !== undefined) {
      errors.add(field, 'DuplicateStepId', `${field}: '${id}' is already the id of steps[${first}]`);
      return;
    }
    ids.set(id, i);
  });

  for (const ref of refs) {
    if (typeof ref.target !== 'string') {
      errors.add(ref.field, 'InvalidType', `${ref.field} must be a step id (string)`);
    } else if (!ids.has(ref.target)) {
      errors.add(ref.field, 'UnknownStepTarget', `${ref.field}: no step has the id '${ref.target.slice(0, 64)}'`);
    }
  }

  if (errors.list.length > 0) return { ok: false, errors: errors.result() };
  const valid = steps as FlowStep[];

  // Reachability from the first step.
  const indexOf = new Map(valid.map((s, i) => [s.id, i]));
  const seen = new Set<number>([0]);
  const stack = [0];
  while (stack.length > 0) {
    const i = stack.pop()!;
    for (const target of successors(valid[i]!, i, valid)) {
      const j = indexOf.get(target);
      if (j !== undefined && !seen.has(j)) {
        seen.add(j);
        stack.push(j);
      }
    }
  }
  valid.forEach((s, i) => {
    if (!seen.has(i)) errors.add(`steps[${i}]`, 'UnreachableStep', `steps[${i}] ('${s.id}') can never run: no step leads to it from the first step`);
  });
  if (errors.list.length > 0) return { ok: false, errors: errors.result() };

  return { ok: true, document: { name: name as string, steps: valid } };
}

/** Every http(s) media URL (plain or `sound:`) of a valid document, with the field it is in (`steps[1].prompt[0]`). */
export function mediaUrls(document: FlowDocument): Array<{ field: string; url: string }> {
  const out: Array<{ field: string; url: string }> = [];
  document.steps.forEach((step, i) => {
    for (const field of stepDefinition(step.type).fields) {
      if (!field.media) continue;
      const list = (step as unknown as Record<string, unknown>)[field.name];
      if (!Array.isArray(list)) continue;
      list.forEach((uri: unknown, j) => {
        const url = typeof uri === 'string' ? mediaUrl(uri) : undefined;
        if (url !== undefined) out.push({ field: `steps[${i}].${field.name}[${j}]`, url });
      });
    }
  });
  return out;
}

/** Every ws(s):// URL the engine would connect to (stream steps), with its field (`steps[2].url`). */
export function websocketUrls(document: FlowDocument): Array<{ field: string; url: string }> {
  const out: Array<{ field: string; url: string }> = [];
  document.steps.forEach((step, i) => {
    for (const field of stepDefinition(step.type).fields) {
      const url = field.websocket ? (step as unknown as Record<string, unknown>)[field.name] : undefined;
      if (typeof url === 'string') out.push({ field: `steps[${i}].${field.name}`, url });
    }
  });
  return out;
}
