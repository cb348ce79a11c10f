// The step table: one definition per step type. Adding a step type = a file in this folder and one
// entry here, plus its runner in telephony/steps/ (that table fails to compile without it).
import type { StepDefinition } from './types.js';
import { playback } from './playback.js';
import { gather } from './gather.js';
import { say } from './say.js';
import { pause } from './pause.js';
import { branch } from './branch.js';
import { set } from './set.js';
import { record } from './record.js';
import { hangup } from './hangup.js';
import { dial } from './dial.js';
import { transfer } from './transfer.js';
import { stream } from './stream.js';
import { stopStream } from './stop-stream.js';

export const STEP_DEFINITIONS = { playback, gather, say, pause, branch, set, record, hangup, dial, transfer, stream, stopStream } as const;

type Table = typeof STEP_DEFINITIONS;
type StepOfDefinition<D> = D extends StepDefinition<infer S> ? S : never;

export type StepType = keyof Table;
/** The step of type K. */
export type StepOf<K extends StepType> = StepOfDefinition<Table[K]>;
export type FlowStep = { [K in StepType]: StepOf<K> }[StepType];

// Each entry's key is its step's type (a mismatch fails to compile).
const keyedByType: { [K in StepType]: StepDefinition<StepOf<K>> & { type: K } } = STEP_DEFINITIONS;
void keyedByType;

export const STEP_TYPES = Object.keys(STEP_DEFINITIONS) as StepType[];

export function stepDefinition<K extends StepType>(type: K): StepDefinition<StepOf<K>> {
  return STEP_DEFINITIONS[type] as unknown as StepDefinition<StepOf<K>>;
}

export function isStepType(value: unknown): value is StepType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(STEP_DEFINITIONS, value);
}

export type { StepBase, StepDefinition, StepFieldDoc, StepFieldType, FlowEdge } from './types.js';
export type { PlaybackStep } from './playback.js';
export type { GatherStep } from './gather.js';
export type { SayStep } from './say.js';
export type { PauseStep } from './pause.js';
export type { BranchStep } from './branch.js';
export type { SetVariableStep } from './set.js';
export type { RecordStep } from './record.js';
export type { HangupStep } from './hangup.js';
export type { DialStep, DialOutcome } from './dial.js';
export type { TransferStep } from './transfer.js';
export type { StreamStep, StreamTracks } from './stream.js';
export type { StopStreamStep } from './stop-stream.js';
