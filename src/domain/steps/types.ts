// The vocabulary of a step definition: everything the validator, the flow graph, the XML typing
// and the docs know about one step type, declared once in `<type>.ts` of this folder. The runner
// of each type is in `telephony/steps/<type>.ts`. Pure: bundled for the browser (console).
import type { StepFields } from './fields.js';

export interface StepBase {
  id: string;
  /** Step to run after this one; default: the next in the list (the end of the list hangs up). */
  next?: string;
}

/** A field's type as the API declares it (XML typing, metadata, generated DTOs). */
export type StepFieldType = 'string' | 'int' | 'bool' | { list: 'string' } | { map: 'string' };

export interface StepFieldDoc {
  name: string;
  type: StepFieldType;
  required?: boolean;
  /** What the field does, in one line (docs, metadata). */
  description: string;
  /** The default when absent, in words (docs). */
  default?: string;
  /** A list of media URIs: its http(s) URLs (plain or `sound:`) are checked with the destination policy on save. */
  media?: true;
  /** A ws(s):// URL the engine connects to: checked with the destination policy on save. */
  websocket?: true;
  /**
   * The value is a step id (a map field: each value is): an exit of the step. The console draws
   * it as a handle to drag to the next step, and a test checks it against what `parse` collects.
   */
  target?: true;
  /** A number's bounds, as `parse` checks them (the console's number inputs). */
  range?: { readonly min: number; readonly max: number };
  /** The values a string field takes, as `parse` checks them (the console's choice lists). */
  options?: readonly string[];
  /** Text with `{{var}}` placeholders. */
  template?: true;
  /**
   * Text spoken by text to speech, with the step's `voice` and `language` fields: the console
   * offers "listen" (the engine's TTS, POST /speech/preview).
   */
  speech?: true;
}

/** An edge of the flow graph: where a step can go and what takes it there. */
export interface FlowEdge {
  target: string;
  /** `next`, `order`, or the step's own kind of exit (`branch`, `noInput`, `case`, ...). */
  kind: string;
  /** What takes this edge, in words: a digit, a variable's value, `no input`, `then`. */
  label: string;
}

export interface StepExits {
  /** The step's own targets (branches, cases, ...), besides `next` / the following step. */
  edges: FlowEdge[];
  /** True when these always apply, so the runner never goes on to `next` / the following step. */
  exhaustive: boolean;
}

/** What a step's own fields are (everything but id, type and next). */
export type OwnFields<S> = Omit<S, 'id' | 'type' | 'next'>;

export interface StepDefinition<S extends StepBase & { type: string }> {
  type: S['type'];
  /** One paragraph for the docs: what the step does. */
  summary: string;
  fields: readonly StepFieldDoc[];
  /** The step ends the call: it has no `next` and no onward edge. */
  terminal?: boolean;
  /**
   * Reads and checks the step's own fields through `f` (which records every field error and the
   * step ids it targets); returns a clean copy, or undefined when a field is wrong.
   */
  parse(f: StepFields): OwnFields<S> | undefined;
  exits(step: S): StepExits;
}

/** Drops the keys whose value is undefined (a clean copy holds only the fields given). */
export function defined<T extends Record<string, unknown>>(obj: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out as T;
}

export const NO_EXITS: StepExits = { edges: [], exhaustive: false };
