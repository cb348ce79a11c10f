// Two small agents for the stream step, in the Twilio Media Streams protocol (docs/streams.md), on
// one port: `npm run example:agents` (PORT, default 8765; PLAY_FILE, an 8 kHz mono WAV).
//   ws://127.0.0.1:8765/echo       repeats what the caller says, 20 ms frame by frame, and sends a
//                                  mark every second of it (echoed back once played).
//   ws://127.0.0.1:8765/play-file  plays a file at once (as agents send: faster than real time, the
//                                  engine paces it); a key the caller presses clears it (barge-in)
//                                  and says a beep; `#` or the end of the file leaves the stream with
//                                  engine.exit and the keys pressed in a variable.
// Point a flow at one: {"id": "agent", "type": "stream", "url": "ws://127.0.0.1:8765/echo"}
// (with ALLOW_PRIVATE_DESTINATIONS=true for a local agent).
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { readWavUlaw } from '../src/sim/media-audio.js';
import { linearToUlaw } from '../src/sim/g711.js';

type Incoming = { event: string; start?: { streamSid: string; customParameters: Record<string, string> }; media?: { payload: string }; dtmf?: { digit: string }; mark?: { name: string } };

/** `ms` of a sine as μ-law, fading in and out (a chime when no PLAY_FILE is given). */
function tone(hz: number, ms: number): Buffer {
  const n = (ms * 8000) / 1000;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = linearToUlaw(6000 * Math.min(1, i / 400, (n - i) / 400) * Math.sin((2 * Math.PI * hz * i) / 8000));
  return out;
}

const CHIME = Buffer.concat([tone(523, 400), tone(659, 400), tone(784, 400), tone(1047, 1200)]);
const BEEP = tone(880, 150);

function echo(ws: WebSocket): void {
  let streamSid = '';
  let frames = 0;
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as Incoming;
    if (msg.event === 'start' && msg.start) streamSid = msg.start.streamSid;
    if (msg.event !== 'media' || !msg.media) return;
    ws.send(JSON.stringify({ event: 'media', streamSid, media: { payload: msg.media.payload } }));
    frames += 1;
    if (frames % 50 === 0) ws.send(JSON.stringify({ event: 'mark', streamSid, mark: { name: `echoed-${frames / 50}s` } }));
  });
}

function playFile(ws: WebSocket, audio: Buffer): void {
  let streamSid = '';
  let keys = '';
  const send = (msg: unknown): void => ws.send(JSON.stringify(msg));
  const exit = (): void => send({ event: 'engine.exit', variables: { keys, finished: keys.includes('#') ? 'by-key' : 'file-played' } });
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as Incoming;
    if (msg.event === 'start' && msg.start) {
      streamSid = msg.start.streamSid;
      send({ event: 'media', streamSid, media: { payload: audio.toString('base64') } });
      send({ event: 'mark', streamSid, mark: { name: 'file-end' } });
    } else if (msg.event === 'dtmf' && msg.dtmf) {
      keys += msg.dtmf.digit;
      // Barge-in: what is still queued is dropped at once; its mark comes back (cleared).
      send({ event: 'clear', streamSid });
      if (msg.dtmf.digit === '#') {
        exit();
        return;
      }
      send({ event: 'media', streamSid, media: { payload: BEEP.toString('base64') } });
    } else if (msg.event === 'mark' && msg.mark?.name === 'file-end' && keys === '') {
      exit();
    }
  });
}

export async function startExampleAgents(port = 0, file?: string): Promise<{ port: number; close(): Promise<void> }> {
  const audio = file ? readWavUlaw(file) : CHIME;
  const wss = new WebSocketServer({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (ws, req) => {
    if (req.url === '/echo') echo(ws);
    else if (req.url === '/play-file') playFile(ws, audio);
    else ws.close(1008, 'unknown agent: /echo or /play-file');
  });
  return {
    port: (wss.address() as AddressInfo).port,
    close: () => new Promise((resolve) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => resolve());
    }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const agents = await startExampleAgents(Number(process.env.PORT ?? 8765), process.env.PLAY_FILE);
  console.log(`stream agents on ws://127.0.0.1:${agents.port}/echo and ws://127.0.0.1:${agents.port}/play-file (Ctrl-C stops them)`);
}
