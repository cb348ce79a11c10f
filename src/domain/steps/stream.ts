import type { FlowEdge, StepBase, StepDefinition } from './types.js';
import { defined } from './types.js';
import { safeText } from './limits.js';
import { isObject, member, own } from './fields.js';

/** The audio a stream carries: what the caller says, what the caller hears, or both (Twilio's `track`). */
export const STREAM_TRACKS = ['inbound', 'outbound', 'both'] as const;
export type StreamTracks = (typeof STREAM_TRACKS)[number];

export interface StreamStep extends StepBase {
  type: 'stream';
  /** ws:// or wss:// URL of the agent (checked with the webhooks' destination policy on save). */
  url: string;
  /** Sent to the agent as `start.customParameters` ({{var}} placeholders filled in). */
  parameters?: Record<string, string>;
  tracks?: StreamTracks;
  /** Listen only: the flow goes on at once while the stream runs alongside (until stopStream or the hangup). */
  fork?: boolean;
  maxDurationMs?: number;
  connectTimeoutMs?: number;
  /** The steps an agent's `engine.exit` may name as `next` (another is ignored: the flow goes on to `next`). */
  agentExits?: string[];
  /** The agent's socket dropped without a close frame. */
  onDisconnected?: string;
  /** The agent could not be reached, or Asterisk's media could not be set up. */
  onFailed?: string;
}

export const STREAM_LIMITS = {
  maxDurationMs: { min: 1_000, max: 14_400_000 },
  connectTimeoutMs: { min: 100, max: 60_000 },
  maxUrlLength: 1024,
  maxParameters: 20,
  maxParameterLength: 500,
} as const;

const EXITS: ReadonlyArray<[keyof StreamStep, string]> = [['onDisconnected', 'agent dropped'], ['onFailed', 'agent unreachable']];

/** The URL syntax (ws/wss, no credentials); the address policy is the service's, on save. */
function checkUrl(value: string): string | undefined {
  if (value.length > STREAM_LIMITS.maxUrlLength) return `must be at most ${STREAM_LIMITS.maxUrlLength} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute ws:// or wss:// URL';
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return 'must be a ws:// or wss:// URL';
  if (url.username || url.password) return 'must not carry credentials';
  return undefined;
}

export const stream: StepDefinition<StreamStep> = {
  type: 'stream',
  summary: 'Connects the call\'s audio to a WebSocket agent in the Twilio Media Streams protocol, both ways (docs/streams.md). The step ends when the agent closes the socket, sends `engine.exit` (optionally naming the next step and setting variables), or maxDurationMs passes; then the flow goes on (`next`, or the exit\'s step). With `fork: true` it only listens: the flow goes on at once while the stream runs alongside, until a stopStream step or the hangup.',
  fields: [
    { name: 'url', type: 'string', required: true, description: 'the agent\'s ws:// or wss:// URL (the webhooks\' destination policy applies)', websocket: true },
    { name: 'parameters', type: { map: 'string' }, description: 'sent as start.customParameters; {{var}} placeholders are filled in', default: 'none', template: true },
    { name: 'tracks', type: 'string', description: 'inbound (the caller), outbound (what the caller hears) or both; a stream that is not forked carries inbound only', default: 'inbound', options: STREAM_TRACKS },
    { name: 'fork', type: 'bool', description: 'listen only, alongside the following steps, until stopStream or the hangup', default: 'false' },
    { name: 'maxDurationMs', type: 'int', description: 'longest stream; then the flow goes on', default: '3600000', range: STREAM_LIMITS.maxDurationMs },
    { name: 'connectTimeoutMs', type: 'int', description: 'time to open the agent\'s socket before onFailed', default: '5000', range: STREAM_LIMITS.connectTimeoutMs },
    { name: 'agentExits', type: { list: 'string' }, description: 'step ids the agent may name as next in engine.exit (another name is ignored)', default: 'none', target: true },
    { name: 'onDisconnected', type: 'string', description: 'step when the agent\'s socket drops without a close frame', default: 'the onward step', target: true },
    { name: 'onFailed', type: 'string', description: 'step when the agent cannot be reached in time', default: 'the onward step', target: true },
  ],
  parse(f) {
    const raw = f.string('url', true);
    const problem = raw === undefined ? undefined : checkUrl(raw);
    if (problem) f.error(f.field('url'), 'InvalidValue', `${f.field('url')} ${problem}`);
    const url = problem ? undefined : raw;
    const parameters = readParameters(f);
    const tracks = f.oneOf('tracks', STREAM_TRACKS, STREAM_TRACKS.join(', ')) as StreamTracks | undefined;
    const fork = f.bool('fork');
    if (tracks !== undefined && tracks !== 'inbound' && fork !== true) {
      f.error(f.field('tracks'), 'InvalidValue', `${f.field('tracks')} must be inbound unless fork is true (an agent that talks back hears the caller only)`);
    }
    const maxDurationMs = f.int('maxDurationMs', STREAM_LIMITS.maxDurationMs);
    const connectTimeoutMs = f.int('connectTimeoutMs', STREAM_LIMITS.connectTimeoutMs);
    const agentExits = f.targetList('agentExits');
    const [onDisconnected, onFailed] = EXITS.map(([key]) => f.target(key));
    if (url === undefined) return undefined;
    return defined({ url, parameters, tracks, fork, maxDurationMs, connectTimeoutMs, agentExits, onDisconnected, onFailed });
  },
  exits(step) {
    const edges: FlowEdge[] = (step.agentExits ?? []).map((target) => ({ target, kind: 'agentExit', label: 'engine.exit' }));
    for (const [key, label] of EXITS) {
      const target = step[key];
      if (typeof target === 'string') edges.push({ target, kind: key, label });
    }
    return { edges, exhaustive: false };
  },
};

function readParameters(f: Parameters<StepDefinition<StreamStep>['parse']>[0]): Record<string, string> | undefined {
  if (!f.has('parameters')) return undefined;
  const field = f.field('parameters');
  const value = own(f.raw, 'parameters');
  if (!isObject(value)) {
    f.error(field, 'InvalidType', `${field} must be an object of strings`);
    return undefined;
  }
  const entries = Object.entries(value);
  if (entries.length > STREAM_LIMITS.maxParameters) {
    f.error(field, 'OutOfRange', `${field} may hold at most ${STREAM_LIMITS.maxParameters} entries`);
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [key, v] of entries) {
    const entry = member(field, key);
    if (typeof v !== 'string' || v.length > STREAM_LIMITS.maxParameterLength || !safeText(v) || key.length > 64 || !safeText(key)) {
      f.error(entry, 'InvalidValue', `${entry} must be a string of at most ${STREAM_LIMITS.maxParameterLength} characters without control characters`);
      continue;
    }
    out[key] = v;
  }
  return out;
}

