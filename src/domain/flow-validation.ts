// Validation of flow documents on save: nothing that reaches the runner (and through it ARI)
// can be malformed. Every problem becomes a field error named like the request
// (`steps[2].next`); a valid document comes back as a clean copy holding only known fields.
import type { FieldError } from './errors.js';
import type { FlowDocument, FlowStep, StepType } from './flow.js';
import { stepEdges } from './flow-graph.js';

export const FLOW_LIMITS = {
  maxSteps: 200,
  maxNameLength: 200,
  maxStepIdLength: 64,
  maxMediaPerList: 20,
  maxMediaUriLength: 256,
  maxTemplateLength: 1000,
  maxDigits: { min: 1, max: 32 },
  timeoutMs: { min: 0, max: 120_000 },
  attempts: { min: 1, max: 10 },
  pauseMs: { min: 0, max: 600_000 },
  recordMaxDurationMs: { min: 0, max: 3_600_000 },
  recordMaxSilenceMs: { min: 0, max: 120_000 },
  maxMapEntries: 50,
  maxCaseValueLength: 100,
  /** Nesting depth of the whole document (a valid one needs 4). */
  maxDepth: 16,
  /** Errors reported at most; the rest are summarized in one. */
  maxErrors: 50,
} as const;

export const MEDIA_SCHEMES = ['sound', 'recording', 'digits', 'number', 'characters', 'tone'] as const;

const STEP_TYPES: readonly StepType[] = ['playback', 'gather', 'say', 'pause', 'branch', 'set', 'record', 'hangup'];
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const STEP_ID = /^[A-Za-z0-9_-]+$/;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const DTMF_KEY = /^[0-9*#]$/;
const DTMF_STRING = /^[0-9*#]{1,32}$/;
const RECORD_TERMINATE = ['*', '#', 'any', 'none'] as const;
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** A stored file name: segments of safe characters, no `..`, not absolute. */
const FILE_PATH = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/;
const MEDIA_VALUE: Record<(typeof MEDIA_SCHEMES)[number], RegExp> = {
  sound: FILE_PATH,
  recording: FILE_PATH,
  digits: /^[0-9*#]+$/,
  number: /^-?[0-9]{1,18}$/,
  characters: /^[A-Za-z0-9 .!?@*#+=_-]+$/,
  // Indication names (`ring`, `busy`), optionally `;tonezone=fr`, or a single tone `!425/500`.
  tone: /^[A-Za-z0-9!/+*;=._-]+$/,
};

/** Fields a step of each type may carry besides `id`, `type` and `next`. */
const STEP_FIELDS: Record<StepType, readonly string[]> = {
  playback: ['media'],
  gather: ['prompt', 'maxDigits', 'finishOnKey', 'timeoutMs', 'interDigitTimeoutMs', 'attempts', 'variable', 'branches', 'noInput', 'noMatch'],
  say: ['digits', 'number', 'characters'],
  pause: ['ms'],
  branch: ['variable', 'cases', 'default'],
  set: ['variable', 'value'],
  record: ['variable', 'maxDurationMs', 'maxSilenceMs', 'beep', 'finishOnKey'],
  hangup: [],
};

type Obj = Record<string, unknown>;

/** `path.key`, or `path["key"]` (JSON-escaped, shortened) when the key is not a plain word. */
function member(path: string, key: string): string {
  if (/^[A-Za-z0-9_*#-]+$/.test(key) && key.length <= 64) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key.slice(0, 64))}]`;
}

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function own(obj: Obj, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

function has(obj: Obj, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key) && obj[key] !== undefined;
}

class Errors {
  readonly list: FieldError[] = [];
  private dropped = 0;

  add(fieldName: string, errorCode: string, message: string): void {
    if (this.list.length < FLOW_LIMITS.maxErrors) this.list.push({ fieldName, errorCode, message });
    else this.dropped++;
  }

  result(): FieldError[] {
    if (this.dropped > 0) this.list.push({ fieldName: 'steps', errorCode: 'TooManyErrors', message: `${this.dropped} more errors not listed` });
    return this.list;
  }
}

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
    scanKeys((value as Obj)[key], field, depth + 1, errors);
  }
}

function checkUnknown(obj: Obj, allowed: readonly string[], path: string, errors: Errors): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      const field = member(path, key);
      errors.add(field, 'UnknownProperty', `${field} is not a known property`);
    }
  }
}

function safeText(value: string): boolean {
  return !CONTROL_CHARS.test(value);
}

function intField(obj: Obj, key: string, path: string, range: { min: number; max: number }, errors: Errors, required = false): number | undefined {
  const field = `${path}.${key}`;
  if (!has(obj, key)) {
    if (required) errors.add(field, 'Required', `${field} is required`);
    return undefined;
  }
  const value = own(obj, key);
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    errors.add(field, 'InvalidType', `${field} must be a whole number`);
    return undefined;
  }
  if (value < range.min || value > range.max) {
    errors.add(field, 'OutOfRange', `${field} must be from ${range.min} to ${range.max}`);
    return undefined;
  }
  return value;
}

function stringField(obj: Obj, key: string, path: string, errors: Errors, required = false): string | undefined {
  const field = `${path}.${key}`;
  if (!has(obj, key)) {
    if (required) errors.add(field, 'Required', `${field} is required`);
    return undefined;
  }
  const value = own(obj, key);
  if (typeof value !== 'string') {
    errors.add(field, 'InvalidType', `${field} must be a string`);
    return undefined;
  }
  return value;
}

function variableField(obj: Obj, key: string, path: string, errors: Errors, required = false): string | undefined {
  const value = stringField(obj, key, path, errors, required);
  if (value === undefined) return undefined;
  if (!VARIABLE_NAME.test(value)) {
    errors.add(`${path}.${key}`, 'InvalidVariableName', `${path}.${key} must start with a letter or '_' and hold up to 64 letters, digits or '_'`);
    return undefined;
  }
  return value;
}

function templateField(obj: Obj, key: string, path: string, errors: Errors, required = false): string | undefined {
  const value = stringField(obj, key, path, errors, required);
  if (value === undefined) return undefined;
  const field = `${path}.${key}`;
  if (value.length > FLOW_LIMITS.maxTemplateLength) {
    errors.add(field, 'TooLong', `${field} must be at most ${FLOW_LIMITS.maxTemplateLength} characters`);
    return undefined;
  }
  if (!safeText(value)) {
    errors.add(field, 'InvalidValue', `${field} must not contain control characters`);
    return undefined;
  }
  return value;
}

export function checkMediaUri(uri: unknown, field: string): FieldError | undefined {
  const bad = (message: string): FieldError => ({ fieldName: field, errorCode: 'InvalidMediaUri', message });
  if (typeof uri !== 'string') return bad(`${field} must be a string media URI such as sound:hello-world`);
  if (uri.length > FLOW_LIMITS.maxMediaUriLength) return bad(`${field} must be at most ${FLOW_LIMITS.maxMediaUriLength} characters`);
  if (!safeText(uri)) return bad(`${field} must not contain control characters`);
  if (uri.includes(',')) return bad(`${field} must hold one media URI (a comma would split it in two)`);
  const colon = uri.indexOf(':');
  const scheme = colon > 0 ? uri.slice(0, colon) : '';
  if (!(MEDIA_SCHEMES as readonly string[]).includes(scheme)) {
    return bad(`${field} must start with one of ${MEDIA_SCHEMES.map((s) => `${s}:`).join(', ')}`);
  }
  const value = uri.slice(colon + 1);
  if (value === '' || !MEDIA_VALUE[scheme as (typeof MEDIA_SCHEMES)[number]].test(value)) {
    return bad(`${field} has an invalid ${scheme}: value`);
  }
  return undefined;
}

function mediaList(obj: Obj, key: string, path: string, errors: Errors, required: boolean): string[] | undefined {
  const field = `${path}.${key}`;
  if (!has(obj, key)) {
    if (required) errors.add(field, 'Required', `${field} is required`);
    return undefined;
  }
  const value = own(obj, key);
  if (!Array.isArray(value)) {
    errors.add(field, 'InvalidType', `${field} must be an array of media URIs`);
    return undefined;
  }
  if (required && value.length === 0) {
    errors.add(field, 'Required', `${field} must hold at least one media URI`);
    return undefined;
  }
  if (value.length > FLOW_LIMITS.maxMediaPerList) {
    errors.add(field, 'OutOfRange', `${field} may hold at most ${FLOW_LIMITS.maxMediaPerList} media URIs`);
    return undefined;
  }
  let ok = true;
  value.forEach((uri, i) => {
    const error = checkMediaUri(uri, `${field}[${i}]`);
    if (error) {
      errors.add(error.fieldName, error.errorCode, error.message);
      ok = false;
    }
  });
  return ok ? (value as string[]).slice() : undefined;
}

interface TargetRef { field: string; target: unknown }

function targetField(obj: Obj, key: string, path: string, refs: TargetRef[]): string | undefined {
  if (!has(obj, key)) return undefined;
  const target = own(obj, key);
  refs.push({ field: `${path}.${key}`, target });
  return typeof target === 'string' ? target : undefined;
}

/** A map of keys to step ids (gather branches, branch cases). */
function targetMap(
  obj: Obj, key: string, path: string, errors: Errors, refs: TargetRef[], required: boolean,
  checkKey: (k: string) => string | undefined,
): Record<string, string> | undefined {
  const field = `${path}.${key}`;
  if (!has(obj, key)) {
    if (required) errors.add(field, 'Required', `${field} is required`);
    return undefined;
  }
  const value = own(obj, key);
  if (!isObject(value)) {
    errors.add(field, 'InvalidType', `${field} must be an object mapping values to step ids`);
    return undefined;
  }
  const keys = Object.keys(value);
  if (keys.length > FLOW_LIMITS.maxMapEntries) {
    errors.add(field, 'OutOfRange', `${field} may hold at most ${FLOW_LIMITS.maxMapEntries} entries`);
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const k of keys) {
    const entry = member(field, k);
    const problem = checkKey(k);
    if (problem) errors.add(entry, 'InvalidValue', `${entry}: ${problem}`);
    const target = value[k];
    refs.push({ field: entry, target });
    if (typeof target === 'string') out[k] = target;
  }
  return out;
}

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
  if (typeof type !== 'string' || !(STEP_TYPES as readonly string[]).includes(type)) {
    errors.add(`${path}.type`, 'UnknownStepType', `${path}.type must be one of ${STEP_TYPES.join(', ')}`);
    return undefined;
  }
  const stepType = type as StepType;
  const before = errors.list.length;
  if (stepType === 'hangup' && has(raw, 'next')) {
    errors.add(`${path}.next`, 'UnknownProperty', `${path}.next is not allowed: a hangup step ends the call`);
  }
  checkUnknown(raw, ['id', 'type', 'next', ...STEP_FIELDS[stepType]], path, errors);

  const id = stringField(raw, 'id', path, errors, true);
  const next = stepType === 'hangup' ? undefined : targetField(raw, 'next', path, refs);
  const base = { id: id ?? '', ...(next !== undefined ? { next } : {}) };

  let step: FlowStep | undefined;
  switch (stepType) {
    case 'playback': {
      const media = mediaList(raw, 'media', path, errors, true);
      if (media) step = { ...base, type: 'playback', media };
      break;
    }
    case 'gather': {
      const prompt = mediaList(raw, 'prompt', path, errors, false);
      const maxDigits = intField(raw, 'maxDigits', path, FLOW_LIMITS.maxDigits, errors);
      const finishOnKey = stringField(raw, 'finishOnKey', path, errors);
      if (finishOnKey !== undefined && !DTMF_KEY.test(finishOnKey)) {
        errors.add(`${path}.finishOnKey`, 'InvalidValue', `${path}.finishOnKey must be one key: 0-9, * or #`);
      }
      const timeoutMs = intField(raw, 'timeoutMs', path, FLOW_LIMITS.timeoutMs, errors);
      const interDigitTimeoutMs = intField(raw, 'interDigitTimeoutMs', path, FLOW_LIMITS.timeoutMs, errors);
      const attempts = intField(raw, 'attempts', path, FLOW_LIMITS.attempts, errors);
      const variable = variableField(raw, 'variable', path, errors);
      const branches = targetMap(raw, 'branches', path, errors, refs, false,
        (k) => (DTMF_STRING.test(k) ? undefined : 'keys must be DTMF strings of 1 to 32 keys (0-9, *, #)'));
      const noInput = targetField(raw, 'noInput', path, refs);
      const noMatch = targetField(raw, 'noMatch', path, refs);
      step = {
        ...base, type: 'gather',
        ...(prompt !== undefined ? { prompt } : {}),
        ...(maxDigits !== undefined ? { maxDigits } : {}),
        ...(finishOnKey !== undefined ? { finishOnKey } : {}),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        ...(interDigitTimeoutMs !== undefined ? { interDigitTimeoutMs } : {}),
        ...(attempts !== undefined ? { attempts } : {}),
        ...(variable !== undefined ? { variable } : {}),
        ...(branches !== undefined ? { branches } : {}),
        ...(noInput !== undefined ? { noInput } : {}),
        ...(noMatch !== undefined ? { noMatch } : {}),
      };
      break;
    }
    case 'say': {
      const present = (['digits', 'number', 'characters'] as const).filter((k) => has(raw, k));
      if (present.length !== 1) {
        errors.add(path, 'Required', `${path} must have exactly one of digits, number or characters`);
        break;
      }
      const key = present[0]!;
      const text = templateField(raw, key, path, errors, true);
      if (text !== undefined) step = { ...base, type: 'say', [key]: text };
      break;
    }
    case 'pause': {
      const ms = intField(raw, 'ms', path, FLOW_LIMITS.pauseMs, errors, true);
      if (ms !== undefined) step = { ...base, type: 'pause', ms };
      break;
    }
    case 'branch': {
      const variable = variableField(raw, 'variable', path, errors, true);
      const cases = targetMap(raw, 'cases', path, errors, refs, true, (k) =>
        (k.length <= FLOW_LIMITS.maxCaseValueLength && safeText(k) ? undefined
          : `case values must be at most ${FLOW_LIMITS.maxCaseValueLength} characters without control characters`));
      const fallback = targetField(raw, 'default', path, refs);
      if (variable !== undefined && cases !== undefined) {
        step = { ...base, type: 'branch', variable, cases, ...(fallback !== undefined ? { default: fallback } : {}) };
      }
      break;
    }
    case 'set': {
      const variable = variableField(raw, 'variable', path, errors, true);
      const value = templateField(raw, 'value', path, errors, true);
      if (variable !== undefined && value !== undefined) step = { ...base, type: 'set', variable, value };
      break;
    }
    case 'record': {
      const variable = variableField(raw, 'variable', path, errors);
      const maxDurationMs = intField(raw, 'maxDurationMs', path, FLOW_LIMITS.recordMaxDurationMs, errors);
      const maxSilenceMs = intField(raw, 'maxSilenceMs', path, FLOW_LIMITS.recordMaxSilenceMs, errors);
      let beep: boolean | undefined;
      if (has(raw, 'beep')) {
        const value = own(raw, 'beep');
        if (typeof value === 'boolean') beep = value;
        else errors.add(`${path}.beep`, 'InvalidType', `${path}.beep must be true or false`);
      }
      const finishOnKey = stringField(raw, 'finishOnKey', path, errors);
      if (finishOnKey !== undefined && !(RECORD_TERMINATE as readonly string[]).includes(finishOnKey)) {
        errors.add(`${path}.finishOnKey`, 'InvalidValue', `${path}.finishOnKey must be one of ${RECORD_TERMINATE.join(', ')}`);
      }
      step = {
        ...base, type: 'record',
        ...(variable !== undefined ? { variable } : {}),
        ...(maxDurationMs !== undefined ? { maxDurationMs } : {}),
        ...(maxSilenceMs !== undefined ? { maxSilenceMs } : {}),
        ...(beep !== undefined ? { beep } : {}),
        ...(finishOnKey !== undefined ? { finishOnKey } : {}),
      };
      break;
    }
    case 'hangup':
      step = { ...base, type: 'hangup' };
      break;
  }
  return errors.list.length === before ? step : undefined;
}

/**
 * Edges of the reachability check: the runner's edges (flow-graph.ts) plus list order and `next`
 * even where the runner would not take them (as the brief defines it: reachable via
 * order/next/branches), so a step is flagged only when it sits after a hangup, or at the start of
 * a chain, and nothing targets it.
 */
function successors(step: FlowStep, index: number, steps: readonly FlowStep[]): string[] {
  if (step.type === 'hangup') return [];
  const out = stepEdges(step, index, steps).map((e) => e.target);
  const following = steps[index + 1]?.id;
  if (following !== undefined) out.push(following);
  if (step.next !== undefined) out.push(step.next);
  return out;
}

export function validateFlowDocument(input: unknown): { ok: true; document: FlowDocument } | { ok: false; errors: FieldError[] } {
  const errors = new Errors();
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
