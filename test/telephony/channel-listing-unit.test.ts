// How the port reads GET /channels (ari-operations.ts), on answers of a real Asterisk 22.10.1
// (reference traces p and q, trimmed to the fields read): each channel's Stasis application,
// whole and without its arguments, and its creationtime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ariOperations } from '../../src/telephony/ari/ari-operations.js';

const channel = (id: string, appName: string, appData: string, creationtime: string) => ({
  id, name: 'x', state: 'Up', protocol_id: '', caller: { name: '', number: '' }, connected: { name: '', number: '' }, accountcode: '',
  dialplan: { context: 'lab', exten: 'answer', priority: 1, app_name: appName, app_data: appData }, creationtime, language: 'en',
});

const ANSWER = [
  // Trace p: an originated Local pair (;2 runs the dialplan) and a phone's call in Stasis(lab).
  channel('1796155015.12', 'Answer', '', '2026-12-01T19:56:55.467+0000'),
  channel('1796155015.11', 'Stasis', 'lab', '2026-12-01T19:56:55.467+0000'),
  channel('1796155005.10', 'Stasis', 'lab', '2026-12-01T19:56:45.625+0000'),
  // Trace q: Stasis(lab-inbound,${EXTEN},${CALLERID(num)}); trace m: an originate still ringing.
  channel('1796155025.13', 'Stasis', 'lab-inbound,+12125550100,1001', '2026-12-01T19:57:05.516+0000'),
  channel('1796154946.0', 'AppDial2', '(Outgoing Line)', '2026-12-01T19:55:46.664+0000'),
];

test('GET /channels: the Stasis application of each channel (none outside Stasis) and its creation time', async () => {
  const ops = ariOperations({
    app: 'lab',
    send: () => Promise.reject(new Error('not used')),
    read: (_what, path, map) => {
      assert.equal(path, '/channels');
      return Promise.resolve({ ok: true, value: map(ANSWER) });
    },
    download: () => Promise.reject(new Error('not used')),
  });
  const listed = await ops.listChannels();
  assert.deepEqual(listed, {
    ok: true,
    value: [
      { id: '1796155015.12', createdMs: Date.UTC(2026, 11, 1, 19, 56, 55, 467) },
      { id: '1796155015.11', stasisApp: 'lab', createdMs: Date.UTC(2026, 11, 1, 19, 56, 55, 467) },
      { id: '1796155005.10', stasisApp: 'lab', createdMs: Date.UTC(2026, 11, 1, 19, 56, 45, 625) },
      { id: '1796155025.13', stasisApp: 'lab-inbound', createdMs: Date.UTC(2026, 11, 1, 19, 57, 5, 516) },
      { id: '1796154946.0', createdMs: Date.UTC(2026, 11, 1, 19, 55, 46, 664) },
    ],
  });
});

test('GET /channels: entries without an id are skipped, a missing or unreadable creationtime is left out', async () => {
  const ops = ariOperations({
    app: 'lab',
    send: () => Promise.reject(new Error('not used')),
    read: (_what, _path, map) => Promise.resolve({ ok: true, value: map([{ name: 'no id' }, { id: 'a', dialplan: { app_name: 'Stasis', app_data: 'lab' } }, { id: 'b', creationtime: 'never' }]) }),
    download: () => Promise.reject(new Error('not used')),
  });
  assert.deepEqual(await ops.listChannels(), { ok: true, value: [{ id: 'a', stasisApp: 'lab' }, { id: 'b' }] });
});
