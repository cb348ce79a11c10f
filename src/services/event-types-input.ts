// Reading a list of webhook event types from a request (JSON array, or a comma-separated string
// as query strings and XML give it).
import type { FieldError } from '../domain/errors.js';
import { EVENT_TYPES } from '../events/event-model.js';
import { isAbsent, pick, type Input } from './input.js';

const KNOWN: ReadonlySet<string> = new Set(EVENT_TYPES);

export function readEventTypes(input: Input, name: string, errors: FieldError[]): string[] | undefined {
  const raw = pick(input, name);
  if (isAbsent(raw)) return undefined;
  const list = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter(Boolean) : raw;
  if (!Array.isArray(list) || list.length > EVENT_TYPES.length || !list.every((t) => typeof t === 'string')) {
    errors.push({ fieldName: name, errorCode: 'InvalidEventTypes', message: `${name} must be a list of event types: ${EVENT_TYPES.join(', ')}` });
    return undefined;
  }
  const unknown = (list as string[]).filter((t) => !KNOWN.has(t));
  if (unknown.length > 0) {
    errors.push({ fieldName: name, errorCode: 'UnknownEventType', message: `${name}: unknown event type ${unknown.join(', ')} (known: ${EVENT_TYPES.join(', ')})` });
    return undefined;
  }
  return [...new Set(list as string[])];
}
