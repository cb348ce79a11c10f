// The flow document: the public contract of what a session runs. Each step type is defined once
// in `steps/<type>.ts` (fields, validation, exits, docs); its runner is `telephony/steps/<type>.ts`.
import type { FlowStep } from './steps/index.js';

export type {
  StepBase, FlowStep, StepType, StepOf,
  PlaybackStep, GatherStep, SayStep, PauseStep, BranchStep, SetVariableStep, RecordStep, HangupStep,
  DialStep, DialOutcome, TransferStep, StreamStep, StopStreamStep,
} from './steps/index.js';

export interface FlowDocument {
  name: string;
  steps: FlowStep[];
}
