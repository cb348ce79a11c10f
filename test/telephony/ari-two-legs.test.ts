// The adapter's two-leg operations (channels/create + dial, bridges, continue) through the real
// ari-client transport to the simulator: each request is checked against Asterisk 22.10.1's own
// declarations (../shared/ari-reference/api-docs: method, path, parameter names), and the events
// of the second leg are translated as the engine needs them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adapterBed, type AdapterBed } from '../support/telephony-sim.js';

const API_DOCS = fileURLToPath(new URL('../../../shared/ari-reference/api-docs', import.meta.url));
const CALLER = '+18144043093';
const DIALED = '+13125550001';

interface Declared { path: RegExp; method: string; params: Set<string> }

function declarations(): Declared[] {
  const out: Declared[] = [];
  for (const file of readdirSync(API_DOCS).filter((f) => f.endsWith('.json') && f !== 'resources.json')) {
    const doc = JSON.parse(readFileSync(join(API_DOCS, file), 'utf8')) as { apis?: Array<{ path: string; operations: Array<{ httpMethod: string; parameters?: Array<{ name: string }> }> }> };
    for (const api of doc.apis ?? []) {
      const path = new RegExp(`^/ari${api.path.replace(/\{\w+\}/g, '[^/]+')}$`);
      for (const op of api.operations) out.push({ path, method: op.httpMethod, params: new Set((op.parameters ?? []).map((p) => p.name)) });
    }
  }
  return out;
}

describe('two-leg ARI operations as Asterisk 22.10.1 declares them', { timeout: 60_000 }, () => {
  let bed: AdapterBed;
  before(async () => {
    bed = await adapterBed({
      [CALLER]: { result: 'answer', answerAfterMs: 50 }, [DIALED]: { result: 'answer', answerAfterMs: 100 },
      'Local/busy@test-callees': { result: 'busy', answerAfterMs: 0 },
      'Local/noanswer@test-callees': { result: 'no-answer' },
      'Local/hangup@test-callees': { result: 'answer', answerAfterMs: 0, hangupAfterMs: 1500 },
    });
  });
  after(async () => { await bed?.close(); });

  test('create, dial, bridge, play on the bridge, moh, record, destroy, continue: declared requests; the leg enters Down, Dial RINGING then ANSWER, bridge events', async (t) => {
    const first = `t-${randomUUID()}`;
    assert.deepEqual(await bed.port.originate({ channelId: first, endpoint: `PJSIP/${CALLER}@trunk`, callerId: '+12125550100', timeoutSec: 5, variables: {}, appArgs: ['s'] }), { ok: true, value: undefined });
    await bed.waitEvent((e) => e.type === 'stasis-start' && e.channelId === first);
    const bridge = randomUUID();
    assert.deepEqual(await bed.port.createBridge(bridge, 'two-legs test'), { ok: true, value: undefined });
    assert.deepEqual(await bed.port.addToBridge(bridge, [first]), { ok: true, value: undefined });
    await bed.waitEvent((e) => e.type === 'bridge-entered' && e.channelId === first && e.bridgeId === bridge);
    const ring = `pb-${randomUUID()}`;
    assert.deepEqual(await bed.port.playOnBridge(bridge, ring, ['tone:ring']), { ok: true, value: undefined });
    const started = await bed.waitEvent((e) => e.type === 'playback-started' && e.playbackId === ring);
    assert.equal(started.type === 'playback-started' && started.bridgeId, bridge, 'a bridge playback is routed by its bridge');
    assert.deepEqual(await bed.port.stopPlayback(ring), { ok: true, value: undefined });

    const leg = `t-${randomUUID()}`;
    assert.deepEqual(await bed.port.createChannel({ channelId: leg, endpoint: `PJSIP/${DIALED}@trunk`, originator: first, callerNumber: '+12125550100', variables: { ENGINE_SESSION_ID: 's' }, appArgs: ['dialed', 's'] }), { ok: true, value: undefined });
    const entered = await bed.waitEvent((e) => e.type === 'stasis-start' && e.channelId === leg);
    assert.equal(entered.type === 'stasis-start' && entered.state, 'Down', 'a created leg enters the application before any dial');
    assert.deepEqual(await bed.port.dial(leg, first, 20), { ok: true, value: undefined });
    await bed.waitEvent((e) => e.type === 'dial' && e.channelId === leg && e.dialstatus === 'RINGING');
    await bed.waitEvent((e) => e.type === 'dial' && e.channelId === leg && e.dialstatus === 'ANSWER');
    assert.deepEqual(await bed.port.addToBridge(bridge, [leg]), { ok: true, value: undefined });
    await bed.waitEvent((e) => e.type === 'bridge-entered' && e.channelId === leg);
    assert.deepEqual(await bed.port.startBridgeMoh(bridge), { ok: true, value: undefined });
    assert.deepEqual(await bed.port.stopBridgeMoh(bridge), { ok: true, value: undefined });
    assert.deepEqual(await bed.port.hangup(leg), { ok: true, value: undefined });
    await bed.waitEvent((e) => e.type === 'bridge-left' && e.channelId === leg);
    const listed = await bed.port.listBridgeIds();
    assert.ok(listed.ok && listed.value.includes(bridge), 'GET /bridges lists the bridge');
    const rec = `rec-${randomUUID()}`;
    assert.deepEqual(await bed.port.recordBridge(bridge, { name: rec, format: 'wav', maxDurationSeconds: 0 }), { ok: true, value: undefined });
    assert.deepEqual(await bed.port.destroyBridge(bridge), { ok: true, value: undefined });
    const after = await bed.port.listBridgeIds();
    assert.ok(after.ok && !after.value.includes(bridge), 'a destroyed bridge is no longer listed');
    const finished = await bed.waitEvent((e) => e.type === 'recording-finished' && e.name === rec);
    assert.equal(finished.type === 'recording-finished' && finished.bridgeId, bridge, 'a bridge recording is routed by its bridge');
    assert.deepEqual(await bed.port.setVariable(first, 'ENGINE_TRANSFER_TO', 'PJSIP/phone2'), { ok: true, value: undefined });
    assert.deepEqual(await bed.port.continueInDialplan(first, 'engine-transfer', DIALED, 1), { ok: true, value: undefined });
    await bed.waitEvent((e) => e.type === 'stasis-end' && e.channelId === first);

    if (!existsSync(API_DOCS)) {
      t.skip(`Asterisk's declarations absent: ${API_DOCS} (../shared/ari-reference is not part of the repository)`);
      return;
    }
    const declared = declarations();
    const ours = bed.sim.requests().filter((r) => /\/(create|dial|continue|addChannel|moh|record|play\/)|\/bridges\//.test(r.path));
    assert.ok(ours.length >= 9, `requests seen: ${ours.map((r) => r.path).join(' ')}`);
    for (const r of ours) {
      const op = declared.find((d) => d.method === r.method && d.path.test(r.path)
        // /channels/{channelId} also matches /channels/create: prefer the literal declaration.
        && !(r.path.endsWith('/channels/create') && !d.path.source.endsWith('create$')));
      assert.ok(op, `${r.method} ${r.path} is an operation of Asterisk 22.10.1`);
      for (const name of Object.keys(r.query)) assert.ok(op.params.has(name), `${r.method} ${r.path}: parameter ${name} is declared`);
    }
  });

  /** A first leg in the application, then a created Local leg dialed from it; the leg's events in order. */
  const dialLocal = async (endpoint: string): Promise<{ leg: string; events: () => string[] }> => {
    const first = `t-${randomUUID()}`;
    assert.deepEqual(await bed.port.originate({ channelId: first, endpoint: `PJSIP/${CALLER}@trunk`, callerId: '+12125550100', timeoutSec: 5, variables: {}, appArgs: ['s'] }), { ok: true, value: undefined });
    await bed.waitEvent((e) => e.type === 'stasis-start' && e.channelId === first);
    const leg = `t-${randomUUID()}`;
    assert.deepEqual(await bed.port.createChannel({ channelId: leg, endpoint, originator: first, callerNumber: '+12125550100', variables: {}, appArgs: ['dialed', 's'] }), { ok: true, value: undefined });
    await bed.waitEvent((e) => e.type === 'stasis-start' && e.channelId === leg);
    assert.deepEqual(await bed.port.dial(leg, first, 4), { ok: true, value: undefined }, 'a created Local channel can be dialed');
    const events = () => bed.events.filter((e) => 'channelId' in e && e.channelId === leg).map((e) => {
      if (e.type === 'dial') return `dial ${e.dialstatus}`;
      if (e.type === 'channel-destroyed') return `destroyed ${e.cause}`;
      if (e.type === 'state-change') return `state ${e.state}`;
      return e.type;
    });
    return { leg, events };
  };

  test('a created Local leg to a busy callee: Dial "" then BUSY reach the engine; left alone, the dial timeout ends it with cause 19 (trace t-dial-local-busy)', async () => {
    const { leg, events } = await dialLocal('Local/busy@test-callees');
    await bed.waitEvent((e) => e.type === 'channel-destroyed' && e.channelId === leg);
    assert.deepEqual(events(), ['stasis-start', 'dial ', 'dial BUSY', 'hangup-request', 'stasis-end', 'destroyed 19']);
  });

  test('a created Local leg that rings out: Ringing, Dial RINGING, no final Dial status, cause 19 at the dial timeout', async () => {
    const { leg, events } = await dialLocal('Local/noanswer@test-callees');
    await bed.waitEvent((e) => e.type === 'channel-destroyed' && e.channelId === leg);
    assert.deepEqual(events(), ['stasis-start', 'dial ', 'state Ringing', 'dial RINGING', 'hangup-request', 'stasis-end', 'destroyed 19']);
  });

  test('a created Local leg that answers and hangs up: Up, Dial ANSWER, then the trace f hangup with cause 16', async () => {
    const { leg, events } = await dialLocal('Local/hangup@test-callees');
    await bed.waitEvent((e) => e.type === 'channel-destroyed' && e.channelId === leg);
    assert.deepEqual(events(), ['stasis-start', 'dial ', 'state Up', 'dial ANSWER', 'hangup-request', 'stasis-end', 'destroyed 16']);
  });
});
