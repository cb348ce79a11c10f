import type { StepBase, StepDefinition } from './types.js';
import { NO_EXITS } from './types.js';

export interface PlaybackStep extends StepBase {
  type: 'playback';
  /** ARI media URIs: sound:, digits:, number:, characters:, tone:, recording:. */
  media: string[];
}

export const playback: StepDefinition<PlaybackStep> = {
  type: 'playback',
  summary: 'Plays its media in order, then continues. A media that fails (a missing sound) fails the step and the session.',
  fields: [
    { name: 'media', type: { list: 'string' }, required: true, description: 'ARI media URIs played in sequence (sound:, digits:, number:, characters:, tone:, recording:; an https://… URL, plain or as sound:https://…, plays audio from it)', media: true },
  ],
  parse(f) {
    const media = f.media('media', true);
    return media ? { media } : undefined;
  },
  exits: () => NO_EXITS,
};
