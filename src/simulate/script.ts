// The simulation script: the callee, in the simulator's callee-script language (sim/types.ts
// CalleeScript), and the parties a `dial` step reaches, each in that same language, by the number
// dialed or `default`. Declared and validated here once; the CLI, the HTTP simulation operations
// and the console's Simulate panel all send it. Validation is strict: an unknown key is an error
// that names it, so a misspelt `hangupAfterMS` never passes silently as "never hangs up".
import { validateScript, type CalleeScript } from '../sim/index.js';
import { DESTINATION, DESTINATION_SYNTAX } from '../domain/steps/dial.js';
import { readAgents, type AgentScript } from './scripted-agents.js';

export interface SimulationScript extends CalleeScript {
  /** Dialed parties by the dial step's `to`, or `default` for any other; absent: answers after 1 s, stays on. */
  dialed?: Record<string, CalleeScript>;
  /** The agents stream steps reach, by the step's url (scripted-agents.ts). */
  agents?: Record<string, AgentScript>;
}

/** The key of the party any number without its own entry reaches. */
const DEFAULT_PARTY = 'default';
const MAX_DIALED_PARTIES = 20;

const CALLEE_KEYS = ['result', 'answerAfterMs', 'hangupAfterMs', 'dtmf'];
const DTMF_KEYS = ['digits', 'atMs', 'afterPlaybackStarted', 'afterPlaybackFinished', 'delayMs', 'gapMs'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(raw: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) throw new Error(`${where}.${key}: not a known property (known: ${allowed.join(', ')})`);
  }
}

function callee(raw: unknown, where: string, extra: readonly string[] = []): CalleeScript {
  if (!isObject(raw)) throw new Error(`${where}: must be a JSON object`);
  onlyKeys(raw, [...CALLEE_KEYS, ...extra], where);
  if (Array.isArray(raw.dtmf)) raw.dtmf.forEach((step, i) => { if (isObject(step)) onlyKeys(step, DTMF_KEYS, `${where}.dtmf[${i}]`); });
  return validateScript(Object.fromEntries(Object.entries(raw).filter(([k]) => CALLEE_KEYS.includes(k))), where);
}

/** A dialed party hears no playback of its own: its digits come at `atMs` after it answered. */
function dialedParty(raw: unknown, where: string): CalleeScript {
  const script = callee(raw, where);
  script.dtmf?.forEach((step, i) => {
    if (step.atMs === undefined || step.afterPlaybackStarted !== undefined || step.afterPlaybackFinished !== undefined) {
      throw new Error(`${where}.dtmf[${i}]: a dialed party sends its digits at atMs (milliseconds after it answered), not after playbacks`);
    }
  });
  return script;
}

/** The script, checked; throws an Error whose message starts with the offending field's path. */
export function readSimulationScript(raw: unknown, where = 'script'): SimulationScript {
  const script: SimulationScript = callee(raw, where, ['dialed', 'agents']);
  const agents = (raw as Record<string, unknown>).agents;
  if (agents !== undefined) script.agents = readAgents(agents, `${where}.agents`);
  const dialed = (raw as Record<string, unknown>).dialed;
  if (dialed === undefined) return script;
  if (!isObject(dialed)) throw new Error(`${where}.dialed: must be an object mapping dialed numbers (or "${DEFAULT_PARTY}") to callee scripts`);
  const entries = Object.entries(dialed);
  if (entries.length > MAX_DIALED_PARTIES) throw new Error(`${where}.dialed: at most ${MAX_DIALED_PARTIES} parties`);
  script.dialed = {};
  for (const [key, party] of entries) {
    if (key !== DEFAULT_PARTY && !DESTINATION.test(key)) {
      throw new Error(`${where}.dialed.${key}: not a number a dial step can reach (${DESTINATION_SYNTAX}, or "${DEFAULT_PARTY}")`);
    }
    script.dialed[key] = dialedParty(party, `${where}.dialed.${key}`);
  }
  return script;
}

/** The party a dial to `to` reaches. */
export function partyFor(script: SimulationScript, to: string): CalleeScript {
  return script.dialed?.[to] ?? script.dialed?.[DEFAULT_PARTY] ?? {};
}
