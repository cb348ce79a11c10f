// The flow document: the public contract of what a session runs. Validation lives in
// `flow-validation.ts`; the runner's steps live in `telephony/steps/`, one file per type.

export interface StepBase {
  id: string;
  /** Step to run after this one; default: the next in the list (the end of the list hangs up). */
  next?: string;
}

export interface PlaybackStep extends StepBase {
  type: 'playback';
  /** ARI media URIs: sound:, digits:, number:, characters:, tone:, recording:. */
  media: string[];
}

export interface GatherStep extends StepBase {
  type: 'gather';
  prompt?: string[];
  maxDigits?: number;
  finishOnKey?: string;
  /** Wait for the first digit (counted from the end of the prompt). */
  timeoutMs?: number;
  interDigitTimeoutMs?: number;
  attempts?: number;
  /** Session variable receiving the digits. */
  variable?: string;
  branches?: Record<string, string>;
  noInput?: string;
  noMatch?: string;
}

export interface SayStep extends StepBase {
  type: 'say';
  /** Template, `{{var}}` replaced by session variables; spoken as digits. */
  digits?: string;
  number?: string;
  characters?: string;
}

export interface PauseStep extends StepBase {
  type: 'pause';
  ms: number;
}

export interface BranchStep extends StepBase {
  type: 'branch';
  variable: string;
  cases: Record<string, string>;
  default?: string;
}

export interface SetVariableStep extends StepBase {
  type: 'set';
  variable: string;
  /** Template, `{{var}}` replaced. */
  value: string;
}

export interface RecordStep extends StepBase {
  type: 'record';
  /** Session variable receiving the recording name. */
  variable?: string;
  maxDurationMs?: number;
  maxSilenceMs?: number;
  beep?: boolean;
  finishOnKey?: string;
}

export interface HangupStep extends StepBase {
  type: 'hangup';
}

export type FlowStep =
  | PlaybackStep | GatherStep | SayStep | PauseStep | BranchStep | SetVariableStep | RecordStep | HangupStep;

export type StepType = FlowStep['type'];

export interface FlowDocument {
  name: string;
  steps: FlowStep[];
}
