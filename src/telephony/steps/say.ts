// `say`: speaks a rendered template as digits, a number or characters (ARI's digits:, number:,
// characters: media), or as text through text to speech (ctx.speaker: the audio delivered where
// Asterisk plays it). Characters outside what each form can speak are dropped, so a variable can
// never inject another media URI; an empty result says nothing.
import type { SayStep } from '../../domain/flow.js';
import { renderTemplate, spokenText } from '../../domain/template.js';
import type { StepContext, StepResult } from './types.js';
import { playMedia } from './media.js';

const MAX_SPOKEN = 64;

export function sayMedia(step: SayStep, variables: Record<string, string>): string[] {
  const media: string[] = [];
  if (step.digits !== undefined) {
    const digits = renderTemplate(step.digits, variables).replace(/[^0-9*#]/g, '').slice(0, MAX_SPOKEN);
    if (digits) media.push(`digits:${digits}`);
  }
  if (step.number !== undefined) {
    const number = /^-?\d{1,15}$/.exec(renderTemplate(step.number, variables).trim())?.[0];
    if (number) media.push(`number:${number}`);
  }
  if (step.characters !== undefined) {
    const characters = renderTemplate(step.characters, variables).replace(/[^A-Za-z0-9]/g, '').slice(0, MAX_SPOKEN);
    if (characters) media.push(`characters:${characters}`);
  }
  return media;
}

async function sayText(step: SayStep & { text: string }, ctx: StepContext): Promise<StepResult> {
  const text = spokenText(step.text, ctx.variables());
  if (!text) {
    ctx.timeline('say.skipped', { reason: 'nothing to say' });
    return { kind: 'next' };
  }
  if (!ctx.speaker) return { kind: 'failed', reason: 'text to speech is not configured (TTS_PROVIDER=none)' };
  const spoken = await ctx.speaker.speak({ text, ...(step.voice ? { voice: step.voice } : {}), ...(step.language ? { language: step.language } : {}) });
  if (!spoken.ok) return { kind: 'failed', reason: spoken.reason };
  ctx.timeline('say.text', { text, ...(step.voice ? { voice: step.voice } : {}), ...(step.language ? { language: step.language } : {}) });
  const outcome = await playMedia(ctx, [spoken.media]);
  return outcome.kind === 'failed' ? { kind: 'failed', reason: outcome.reason } : { kind: 'next' };
}

export async function exec(step: SayStep, ctx: StepContext): Promise<StepResult> {
  if (step.text !== undefined) return sayText({ ...step, text: step.text }, ctx);
  const media = sayMedia(step, ctx.variables());
  if (media.length === 0) {
    ctx.timeline('say.skipped', { reason: 'nothing to say' });
    return { kind: 'next' };
  }
  const outcome = await playMedia(ctx, media);
  return outcome.kind === 'failed' ? { kind: 'failed', reason: outcome.reason } : { kind: 'next' };
}
