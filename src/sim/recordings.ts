// Live recordings on channels and bridges, and the stored recordings they leave.
import { fail, type Reply, Args } from './rest.js';
import { type Chan, type Bridge, type LiveRec, type Stored, RECORDING_FORMATS } from './entities.js';
import type { SimAsterisk } from './asterisk.js';
import { writeWav } from '../tts/wav.js';
import { life, type Lifecycle } from './lifecycle.js';

export function record(sim: SimAsterisk, args: Args, target: 'channel' | 'bridge'): Reply {
  let channel: Chan | undefined;
  let bridge: Bridge | undefined;
  if (target === 'channel') channel = life.stasisChan(sim, args.str('channelId'));
  else bridge = life.findBridge(sim, args.str('bridgeId'));
  // Checks and messages in the order Asterisk 22 makes them (trace n).
  const maxDur = args.int('maxDurationSeconds') ?? 0;
  const maxSil = args.int('maxSilenceSeconds') ?? 0;
  if (maxDur < 0) fail(400, 'maxDurationSeconds cannot be negative');
  if (maxSil < 0) fail(400, 'maxSilenceSeconds cannot be negative');
  const name = args.str('name');
  const format = args.str('format') ?? '';
  if (!name) fail(500, 'Error parsing request');
  const terminateOn = args.str('terminateOn') ?? 'none';
  if (!['none', 'any', '*', '#'].includes(terminateOn)) fail(400, 'terminateOn invalid');
  const ifExists = args.str('ifExists') ?? 'fail';
  if (!['fail', 'overwrite', 'append'].includes(ifExists)) fail(400, 'ifExists invalid');
  if (!RECORDING_FORMATS.has(format)) fail(422, 'specified format is unknown on this system');
  if (sim.liveRecordings.has(name as string) || (sim.stored.has(name as string) && ifExists === 'fail')) {
    fail(409, `Recording '${name as string}' already exists and can not be overwritten`);
  }
  if (channel?.bridge) fail(409, 'Channel is currently bridged with other channels');
  const limits = [maxDur, maxSil].filter((s) => s > 0);
  const rec: LiveRec = {
    name: name as string, format, targetUri: channel ? `channel:${channel.id}` : `bridge:${(bridge as Bridge).id}`,
    state: 'queued', startedAt: 0, pausedMs: 0, terminateOn, beepMs: args.bool('beep') ? 300 : 0, limitSec: limits.length > 0 ? Math.min(...limits) : 0,
    apps: channel ? new Set(sim.appsOf(channel)) : new Set((bridge as Bridge).apps),
    ...(channel ? { channel } : {}), ...(bridge ? { bridge } : {}),
  };
  sim.liveRecordings.set(rec.name, rec);
  const snapshot = recJson(sim, rec);
  if (channel?.recording) channel.recordQueue.push(rec);
  else startRecording(sim, rec);
  return { status: 201, body: snapshot };
}

function startRecording(sim: SimAsterisk, rec: LiveRec): void {
  if (rec.channel) rec.channel.recording = rec;
  if (rec.bridge) rec.bridge.recording = rec;
  rec.task = sim.clock.after(rec.beepMs, () => {
    if (rec.state !== 'queued') return;
    rec.state = 'recording';
    rec.startedAt = performance.now();
    sim.emit(rec.apps, 'RecordingStarted', { recording: recJson(sim, rec) });
    // The scripted callee is silent, so maxSilenceSeconds ends the recording when it is shorter.
    if (rec.limitSec > 0) rec.task = sim.clock.after(rec.limitSec * 1000, () => finishRecording(sim, rec, 'done'));
  });
}

export function recJson(sim: SimAsterisk, rec: LiveRec, final = false): Record<string, unknown> {
  const base: Record<string, unknown> = { name: rec.name, format: rec.format, state: rec.state, target_uri: rec.targetUri };
  // Asterisk 22 reports talking/silence durations only when silence detection ran (maxSilenceSeconds > 0).
  if (final) base.duration = recordedSeconds(sim, rec);
  return base;
}

export function recordedSeconds(sim: SimAsterisk, rec: LiveRec): number {
  if (rec.startedAt === 0) return 0;
  const end = rec.pausedAt ?? performance.now();
  return Math.max(0, Math.floor((end - rec.startedAt - rec.pausedMs) / sim.clock.scale / 1000));
}

export function finishRecording(sim: SimAsterisk, rec: LiveRec, state: 'done' | 'canceled'): void {
  if (rec.state === 'done' || rec.state === 'canceled' || rec.state === 'failed') return;
  sim.clock.cancel(rec.task);
  const secs = recordedSeconds(sim, rec);
  rec.state = state;
  sim.liveRecordings.delete(rec.name);
  const wasCurrent = rec.channel?.recording === rec;
  if (rec.channel && wasCurrent) rec.channel.recording = undefined;
  if (rec.channel) rec.channel.recordQueue = rec.channel.recordQueue.filter((x) => x !== rec);
  if (rec.bridge && rec.bridge.recording === rec) rec.bridge.recording = undefined;
  if (state === 'done') sim.stored.set(rec.name, { name: rec.name, format: rec.format, durationMs: secs * 1000 });
  // A cancelled recording is announced as done too, but its file is gone (trace n, lab-rec-3).
  rec.state = 'done';
  sim.emit(rec.apps, 'RecordingFinished', { recording: recJson(sim, rec, true) });
  rec.state = state;
  const next = wasCurrent ? rec.channel?.recordQueue.shift() : undefined;
  if (next && rec.channel?.alive) startRecording(sim, next);
}

export function findLive(sim: SimAsterisk, name: string | undefined): LiveRec {
  const rec = name ? sim.liveRecordings.get(name) : undefined;
  if (!rec) return fail(404, 'Recording not found');
  return rec;
}

export function getLive(sim: SimAsterisk, args: Args): Reply {
  return { status: 200, body: recJson(sim, findLive(sim, args.str('recordingName'))) };
}

export function stopLive(sim: SimAsterisk, args: Args, discard: boolean): Reply {
  const rec = findLive(sim, args.str('recordingName'));
  finishRecording(sim, rec, discard ? 'canceled' : 'done');
  return { status: 204 };
}

export function pauseLive(sim: SimAsterisk, args: Args, pause: boolean): Reply {
  const rec = findLive(sim, args.str('recordingName'));
  if (rec.state !== 'recording' && rec.state !== 'paused') fail(409, 'Recording not in session');
  if (pause && rec.state === 'recording') {
    rec.state = 'paused';
    rec.pausedAt = performance.now();
  } else if (!pause && rec.state === 'paused') {
    rec.pausedMs += performance.now() - (rec.pausedAt ?? performance.now());
    rec.pausedAt = undefined;
    rec.state = 'recording';
  }
  return { status: 204 };
}

export function muteLive(sim: SimAsterisk, args: Args): Reply {
  const rec = findLive(sim, args.str('recordingName'));
  if (rec.state !== 'recording' && rec.state !== 'paused') fail(409, 'Recording not in session');
  return { status: 204 };
}

export function listStored(sim: SimAsterisk): Reply {
  return { status: 200, body: [...sim.stored.values()].map((s) => ({ name: s.name, format: s.format })) };
}

export function storedRec(sim: SimAsterisk, name: string | undefined): Stored {
  const s = name ? sim.stored.get(name) : undefined;
  if (!s) return fail(404, 'Recording not found');
  return s;
}

export function getStored(sim: SimAsterisk, args: Args): Reply {
  const s = storedRec(sim, args.str('recordingName'));
  return { status: 200, body: { name: s.name, format: s.format } };
}

export function deleteStored(sim: SimAsterisk, args: Args): Reply {
  const s = storedRec(sim, args.str('recordingName'));
  sim.stored.delete(s.name);
  return { status: 204 };
}

/** The recording's file: a WAV of silence as long as the recording (8 kHz, 16-bit mono), other formats raw. */
export function getStoredFile(sim: SimAsterisk, args: Args): Reply {
  const s = storedRec(sim, args.str('recordingName'));
  const samples = new Int16Array(Math.round(s.durationMs * 8));
  if (s.format !== 'wav') return { status: 200, file: { contentType: 'application/octet-stream', data: Buffer.from(samples.buffer) } };
  return { status: 200, file: { contentType: 'audio/wav', data: writeWav({ sampleRate: 8000, samples }) } };
}

export function copyStored(sim: SimAsterisk, args: Args): Reply {
  const s = storedRec(sim, args.str('recordingName'));
  const dest = args.str('destinationRecordingName');
  if (!dest) fail(400, 'Invalid destination recording name');
  if (sim.stored.has(dest as string)) fail(409, 'A recording with the same name already exists on the system');
  sim.stored.set(dest as string, { ...s, name: dest as string });
  return { status: 200, body: { name: dest, format: s.format } };
}

/** What this module does for the others (lifecycle.ts). */
export const lifecycle = { finishRecording } satisfies Partial<Lifecycle>;
