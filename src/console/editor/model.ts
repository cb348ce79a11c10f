// The flow being edited: one document that the drawing, the step forms and the JSON text all
// change, with where each step sits on the drawing (not part of the document: the API refuses
// unknown fields), and undo/redo over both. Every change goes through `change`, which records a
// history entry and tells the views; a view that made the change says so, so it is not redrawn
// under the user's cursor.
import { isObject } from '../../domain/steps/fields.js';
import { stepDefinition, isStepType } from '../../domain/steps/index.js';

export type Step = Record<string, unknown> & { id?: unknown; type?: unknown };
export interface Doc { name?: unknown; steps: Step[]; [key: string]: unknown }
export interface Point { x: number; y: number }

interface Snapshot { doc: Doc; positions: Record<string, Point> }

/**
 * Who changed the document: that view keeps its own state (focus, caret), the others redraw.
 * `form` is typing in a field (the form stays); `structure` is a form edit that changes the form
 * itself (an entry added or removed), so everything redraws.
 */
export type Source = 'canvas' | 'form' | 'structure' | 'json' | 'history' | 'load';

const HISTORY_MAX = 200;
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** The document's steps, whatever the JSON holds (a document being typed may be anything). */
export function docOf(value: unknown): Doc {
  if (!isObject(value)) return { steps: [] };
  return { ...value, steps: Array.isArray(value.steps) ? (value.steps as unknown[]).map((s) => (isObject(s) ? s : {}) as Step) : [] };
}

export const stepId = (step: Step, index: number): string => (typeof step.id === 'string' && step.id !== '' ? step.id : `steps[${index}]`);

export class FlowModel {
  private snapshot: Snapshot;
  private readonly past: Snapshot[] = [];
  private readonly future: Snapshot[] = [];
  /** Typing in one field (or the JSON) makes one history entry, not one per key. */
  private coalesceKey: string | undefined;
  private readonly listeners: Array<(source: Source) => void> = [];
  selected: number | undefined;

  constructor(doc: unknown) {
    this.snapshot = { doc: docOf(doc), positions: {} };
  }

  get doc(): Doc { return this.snapshot.doc; }
  get positions(): Record<string, Point> { return this.snapshot.positions; }
  get canUndo(): boolean { return this.past.length > 0; }
  get canRedo(): boolean { return this.future.length > 0; }

  onChange(fn: (source: Source) => void): void {
    this.listeners.push(fn);
  }

  /** Replaces the whole state without history (a flow loaded or saved). */
  load(doc: unknown, positions: Record<string, Point>): void {
    this.snapshot = { doc: docOf(doc), positions };
    this.past.length = 0;
    this.future.length = 0;
    this.coalesceKey = undefined;
    this.emit('load');
  }

  /**
   * Applies `edit` to a copy of the state and records the previous one for undo; `coalesce`
   * names a run of edits (typing in one field) kept as one entry.
   */
  change(source: Source, edit: (doc: Doc, positions: Record<string, Point>) => void, coalesce?: string): void {
    const next = clone(this.snapshot);
    edit(next.doc, next.positions);
    if (coalesce === undefined || coalesce !== this.coalesceKey) {
      this.past.push(this.snapshot);
      if (this.past.length > HISTORY_MAX) this.past.shift();
    }
    this.coalesceKey = coalesce;
    this.future.length = 0;
    this.snapshot = next;
    if (this.selected !== undefined && this.selected >= next.doc.steps.length) this.selected = undefined;
    this.emit(source);
  }

  undo(): void {
    const prev = this.past.pop();
    if (!prev) return;
    this.future.push(this.snapshot);
    this.restore(prev);
  }

  redo(): void {
    const next = this.future.pop();
    if (!next) return;
    this.past.push(this.snapshot);
    this.restore(next);
  }

  select(index: number | undefined): void {
    this.selected = index;
    this.coalesceKey = undefined;
    this.emit('canvas');
  }

  private restore(s: Snapshot): void {
    this.snapshot = s;
    this.coalesceKey = undefined;
    if (this.selected !== undefined && this.selected >= s.doc.steps.length) this.selected = undefined;
    this.emit('history');
  }

  private emit(source: Source): void {
    for (const fn of this.listeners) fn(source);
  }
}

// ---- edits: each runs inside `change` on the copy it is given ----

/** `gather1`, `gather2`, ...: the first id of the type not taken. */
export function freshId(doc: Doc, type: string): string {
  const taken = new Set(doc.steps.map((s) => s.id));
  for (let n = 1; ; n++) if (!taken.has(`${type}${n}`)) return `${type}${n}`;
}

/** A step id to another: every reference to it follows (next, target fields, target maps). */
export function renameStep(doc: Doc, from: string, to: string): void {
  for (const step of doc.steps) {
    if (step.id === from) step.id = to;
    if (step.next === from) step.next = to;
    if (!isStepType(step.type)) continue;
    for (const field of stepDefinition(step.type).fields) {
      if (!field.target) continue;
      const value = step[field.name];
      if (value === from) step[field.name] = to;
      else if (isObject(value)) for (const [k, v] of Object.entries(value)) if (v === from) value[k] = to;
    }
  }
}

/** Removes a step and every exit that led to it. */
export function deleteStep(doc: Doc, index: number): void {
  const [removed] = doc.steps.splice(index, 1);
  const id = removed?.id;
  if (typeof id !== 'string') return;
  for (const step of doc.steps) {
    if (step.next === id) delete step.next;
    if (!isStepType(step.type)) continue;
    for (const field of stepDefinition(step.type).fields) {
      if (!field.target) continue;
      const value = step[field.name];
      if (value === id) delete step[field.name];
      else if (isObject(value)) for (const [k, v] of Object.entries(value)) if (v === id) delete value[k];
    }
  }
}
