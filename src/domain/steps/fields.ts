// Reading one step's fields: each reader checks a field, records a field error named like the
// request (`steps[2].timeoutMs`) and returns the value, or undefined when absent or wrong. Step
// targets are collected so the validator checks them against the step ids afterwards.
import type { FieldError } from '../errors.js';
import { checkMediaUri } from './media-uri.js';
import { FLOW_LIMITS, safeText } from './limits.js';

export type Obj = Record<string, unknown>;

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export interface TargetRef { field: string; target: unknown }

/** `path.key`, or `path["key"]` (JSON-escaped, shortened) when the key is not a plain word. */
export function member(path: string, key: string): string {
  if (/^[A-Za-z0-9_*#-]+$/.test(key) && key.length <= 64) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key.slice(0, 64))}]`;
}

export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function own(obj: Obj, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

export function has(obj: Obj, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key) && obj[key] !== undefined;
}

export class FieldErrors {
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

export class StepFields {
  constructor(
    readonly raw: Obj,
    /** `steps[3]` */
    readonly path: string,
    private readonly errors: FieldErrors,
    private readonly refs: TargetRef[],
  ) {}

  has(key: string): boolean {
    return has(this.raw, key);
  }

  error(field: string, errorCode: string, message: string): void {
    this.errors.add(field, errorCode, message);
  }

  field(key: string): string {
    return `${this.path}.${key}`;
  }

  int(key: string, range: { min: number; max: number }, required = false): number | undefined {
    const field = this.field(key);
    if (!this.has(key)) {
      if (required) this.error(field, 'Required', `${field} is required`);
      return undefined;
    }
    const value = own(this.raw, key);
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.error(field, 'InvalidType', `${field} must be a whole number`);
      return undefined;
    }
    if (value < range.min || value > range.max) {
      this.error(field, 'OutOfRange', `${field} must be from ${range.min} to ${range.max}`);
      return undefined;
    }
    return value;
  }

  bool(key: string): boolean | undefined {
    if (!this.has(key)) return undefined;
    const value = own(this.raw, key);
    if (typeof value === 'boolean') return value;
    this.error(this.field(key), 'InvalidType', `${this.field(key)} must be true or false`);
    return undefined;
  }

  string(key: string, required = false): string | undefined {
    const field = this.field(key);
    if (!this.has(key)) {
      if (required) this.error(field, 'Required', `${field} is required`);
      return undefined;
    }
    const value = own(this.raw, key);
    if (typeof value !== 'string') {
      this.error(field, 'InvalidType', `${field} must be a string`);
      return undefined;
    }
    return value;
  }

  /** A string that must be one of `allowed` (or match it, when a pattern). */
  oneOf(key: string, allowed: RegExp | readonly string[], description: string, required = false): string | undefined {
    const value = this.string(key, required);
    if (value === undefined) return undefined;
    const ok = Array.isArray(allowed) ? allowed.includes(value) : (allowed as RegExp).test(value);
    if (ok) return value;
    this.error(this.field(key), 'InvalidValue', `${this.field(key)} must be ${description}`);
    return undefined;
  }

  variable(key: string, required = false): string | undefined {
    const value = this.string(key, required);
    if (value === undefined) return undefined;
    if (!VARIABLE_NAME.test(value)) {
      this.error(this.field(key), 'InvalidVariableName', `${this.field(key)} must start with a letter or '_' and hold up to 64 letters, digits or '_'`);
      return undefined;
    }
    return value;
  }

  /** Text with `{{var}}` placeholders (bounded, no control characters). */
  template(key: string, required = false): string | undefined {
    const value = this.string(key, required);
    if (value === undefined) return undefined;
    const field = this.field(key);
    if (value.length > FLOW_LIMITS.maxTemplateLength) {
      this.error(field, 'TooLong', `${field} must be at most ${FLOW_LIMITS.maxTemplateLength} characters`);
      return undefined;
    }
    if (!safeText(value)) {
      this.error(field, 'InvalidValue', `${field} must not contain control characters`);
      return undefined;
    }
    return value;
  }

  media(key: string, required = false): string[] | undefined {
    const field = this.field(key);
    if (!this.has(key)) {
      if (required) this.error(field, 'Required', `${field} is required`);
      return undefined;
    }
    const value = own(this.raw, key);
    if (!Array.isArray(value)) {
      this.error(field, 'InvalidType', `${field} must be an array of media URIs`);
      return undefined;
    }
    if (required && value.length === 0) {
      this.error(field, 'Required', `${field} must hold at least one media URI`);
      return undefined;
    }
    if (value.length > FLOW_LIMITS.maxMediaPerList) {
      this.error(field, 'OutOfRange', `${field} may hold at most ${FLOW_LIMITS.maxMediaPerList} media URIs`);
      return undefined;
    }
    let ok = true;
    value.forEach((uri, i) => {
      const error = checkMediaUri(uri, `${field}[${i}]`);
      if (error) {
        this.error(error.fieldName, error.errorCode, error.message);
        ok = false;
      }
    });
    return ok ? (value as string[]).slice() : undefined;
  }

  /** A step id this step may go to (checked against the flow's ids by the validator). */
  target(key: string): string | undefined {
    if (!this.has(key)) return undefined;
    const target = own(this.raw, key);
    this.refs.push({ field: this.field(key), target });
    return typeof target === 'string' ? target : undefined;
  }

  /** A list of step ids this step may go to. */
  targetList(key: string): string[] | undefined {
    const field = this.field(key);
    if (!this.has(key)) return undefined;
    const value = own(this.raw, key);
    if (!Array.isArray(value) || value.length > FLOW_LIMITS.maxMapEntries) {
      this.error(field, 'InvalidType', `${field} must be a list of at most ${FLOW_LIMITS.maxMapEntries} step ids`);
      return undefined;
    }
    value.forEach((target, i) => this.refs.push({ field: `${field}[${i}]`, target }));
    return value.filter((t): t is string => typeof t === 'string');
  }

  /** A map of keys to step ids (gather branches, branch cases); `checkKey` returns a problem. */
  targets(key: string, required: boolean, checkKey: (k: string) => string | undefined): Record<string, string> | undefined {
    const field = this.field(key);
    if (!this.has(key)) {
      if (required) this.error(field, 'Required', `${field} is required`);
      return undefined;
    }
    const value = own(this.raw, key);
    if (!isObject(value)) {
      this.error(field, 'InvalidType', `${field} must be an object mapping values to step ids`);
      return undefined;
    }
    const keys = Object.keys(value);
    if (keys.length > FLOW_LIMITS.maxMapEntries) {
      this.error(field, 'OutOfRange', `${field} may hold at most ${FLOW_LIMITS.maxMapEntries} entries`);
      return undefined;
    }
    const out: Record<string, string> = {};
    for (const k of keys) {
      const entry = member(field, k);
      const problem = checkKey(k);
      if (problem) this.error(entry, 'InvalidValue', `${entry}: ${problem}`);
      const target = value[k];
      this.refs.push({ field: entry, target });
      if (typeof target === 'string') out[k] = target;
    }
    return out;
  }
}
