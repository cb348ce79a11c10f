// What a flow simulation played: the record of each playback, kept by the scripted call and its
// dialed parties' bridge, and returned with the result.
export interface PlayedMedia {
  atMs: number;
  playbackId: string;
  media: string[];
  /** Text a `say` step spoke (text to speech), when it did. */
  text?: string;
  /** done, stopped (barge-in) or failed. */
  state?: string;
  /** Length used for media whose real length the simulation cannot know (URLs, unknown sounds). */
  estimated?: boolean;
  /** Played on the dial step's bridge (both parties hear it), not on the call's channel. */
  bridgeId?: string;
}
