import type { StepBase, StepDefinition } from './types.js';
import { NO_EXITS } from './types.js';

export interface StopStreamStep extends StepBase {
  type: 'stopStream';
  /** The id of the forked stream step whose stream to stop. */
  stream: string;
}

const STEP_ID = /^[A-Za-z0-9_-]{1,64}$/;

export const stopStream: StepDefinition<StopStreamStep> = {
  type: 'stopStream',
  summary: 'Stops a forked stream (a stream step with fork: true), named by the id of the step that started it: the agent gets `stop` and the socket closes. A stream that is not running is left as it is.',
  fields: [
    { name: 'stream', type: 'string', required: true, description: 'the id of the stream step that started the stream' },
  ],
  parse(f) {
    const stream = f.oneOf('stream', STEP_ID, 'a step id', true);
    return stream === undefined ? undefined : { stream };
  },
  exits: () => NO_EXITS,
};
