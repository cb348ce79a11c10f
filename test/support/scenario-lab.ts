// What the engine's scenarios (engine-scenarios.ts) dial and run against: the lab's test numbers
// and their routing (config/routes.test-callees.json), the simulator's stand-ins for the
// dialplan (config/test-callees.sim.json), the scenarios' Stasis application, the target
// Asterisk, and the running engine the scenario modules share.
import type { TestDatabase } from './postgres.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RunningStack } from '../../src/stack.js';
import type { FlowDocument } from '../../src/domain/flow.js';
import type { CalleeScript } from '../../src/sim/index.js';
import type { EngineClient } from './e2e-stack.js';
import { FINAL_STATES, timelineOf } from './faults-engine.js';
import type { LabPhones } from './lab-phones.js';

export const ROUTES_FILE = fileURLToPath(new URL('../../config/routes.test-callees.json', import.meta.url));
const SIM_CALLEES_FILE = fileURLToPath(new URL('../../config/test-callees.sim.json', import.meta.url));

/**
 * The scenarios' Stasis application (ARI_APP). A literal in asterisk-config/extensions.conf
 * [test-inbound] and in its simulator stand-in: the inbound scenarios need this name.
 */
export const SCENARIO_APP = 'engine-scenarios';

/** The simulator's stand-ins for the dialplan's test callees, keyed by the endpoints dialed. */
export function simulatorCallees(): Record<string, CalleeScript> {
  return JSON.parse(readFileSync(SIM_CALLEES_FILE, 'utf8')) as Record<string, CalleeScript>;
}

/** Test numbers of config/routes.test-callees.json. */
export const CALLEES = {
  /** PJSIP/phone1: the compose lab's labphone (baresip, answers every call at once). */
  labPhone: '+12025550101',
  /** PJSIP/phone2: the lab's second phone, driven by the phone scenarios (answers, rejects, rings). */
  phone2: '+12025550102',
  answer: '+12025550150',
  dtmf1: '+12025550151',
  busy: '+12025550152',
  noAnswer: '+12025550153',
  hangup: '+12025550154',
  unregistered: '+12025550155',
} as const;

export interface ScenarioTarget {
  /** What the report calls it ("the simulator", "Asterisk at http://…"). */
  name: string;
  ari: { url: string; username: string; password: string; app: string };
  /**
   * Restarts Asterisk (all channels gone, ARI WebSockets closed) and resolves once the restart
   * has been requested. ARI itself cannot restart Asterisk: against a real one this runs an
   * operator-supplied command; undefined skips the restart scenario with `restartSkipReason`.
   */
  restart?: () => Promise<void>;
  restartSkipReason?: string;
  /** How long Asterisk may take to come back after a restart. */
  restartBackMs?: number;
  /** Channels carry real audio (a real Asterisk): scenarios also check what is heard. */
  audio: boolean;
  /** phone2 of the lab (dials in, answers or rejects the calls that reach it); undefined skips the phone scenarios with `phonesSkipReason`. */
  phones?: () => Promise<LabPhones>;
  phonesSkipReason?: string;
}

/** The engine under test, in this process (as `npm start` wires it). */
export interface RunningEngine { stack: RunningStack; client: EngineClient; base: string; dir: string; database?: TestDatabase }

/** What a scenario module gets from engine-scenarios.ts. */
export interface ScenarioContext {
  target: ScenarioTarget;
  engine(): RunningEngine;
  /** Stores a flow in the demo account (the scenarios' account); resolves to its id. */
  flow(document: FlowDocument): Promise<string>;
  /** POST /sessions/outgoing from the demo caller ID; resolves to the session id. */
  call(flowId: string, numberToDial: string): Promise<string>;
  finalSession(id: string): Promise<any>;
  /** Hangs a channel up through ARI (a transferred call the engine no longer owns); a gone channel is fine. */
  hangupChannel(channelId: string): Promise<void>;
}

export const isFinal = (s: { state: string }): boolean => FINAL_STATES.has(s.state);
export const stepsOf = (s: unknown): string[] => timelineOf(s).filter((e) => e.type === 'step.started').map((e) => e.data.stepId as string);
export const rowsOf = (s: unknown, type: string): any[] => timelineOf(s).filter((e) => e.type === type);
