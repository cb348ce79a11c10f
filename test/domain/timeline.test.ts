// The timeline's rows (src/domain/timeline.ts): each declared type with its data, written through
// a typed writer. The `@ts-expect-error` lines are the compile-time half: `tsc -p tsconfig.json`
// fails if any of those wrong rows compiles.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TIMELINE_ROW_TYPES, entryOf, recordingOf, storedEntry,
  type TimelineData, type TimelineEntry, type TimelineRowType, type TimelineWriter,
} from '../../src/domain/timeline.js';

// Every declared type has its data (without one, `TimelineEntry` itself fails to compile: `TimelineData[K]`),
// and no data is declared for a type that is not in TIMELINE_ROW_TYPES.
const noUndeclaredData: [Exclude<keyof TimelineData, TimelineRowType>] extends [never] ? true : false = true;

function writer(): { write: TimelineWriter; rows: TimelineEntry[] } {
  const rows: TimelineEntry[] = [];
  return { write: (...args) => { rows.push(entryOf(args)); }, rows };
}

describe('timeline rows', () => {
  test('a writer takes each type with its own data only', () => {
    const { write, rows } = writer();
    write('dtmf', { digit: '5', stepId: 'menu', attempt: 1 });
    write('session.end-requested', {});
    write('ari.channel-destroyed', { leg: 'c1', cause: 16, causeTxt: 'Normal Clearing' }, '2026-01-01T00:00:00.000Z');
    // @ts-expect-error a missing field (attempt)
    write('dtmf', { digit: '5', stepId: 'menu' });
    // @ts-expect-error a field of the wrong type
    write('dtmf', { digit: 5, stepId: 'menu', attempt: 1 });
    // @ts-expect-error a field the type does not declare
    write('playback.lost', { playbackId: 'pb-1', media: ['sound:x'] });
    // @ts-expect-error another type's data
    write('flow.started', { stepId: 's', type: 'say' });
    // @ts-expect-error a type that is not declared
    write('dtmf.pressed', { digit: '5' });
    // @ts-expect-error an empty row carries no data
    write('session.end-requested', { reason: 'x' });
    const anyType = 'dtmf' as TimelineRowType;
    // @ts-expect-error a type not known at compile time cannot carry data of its choosing
    write(anyType, { digit: '5', stepId: 'menu', attempt: 1 });
    assert.equal(rows.length, 10, 'the calls ran (the wrong ones are checked by the compiler only)');
    assert.deepEqual(rows[0], { type: 'dtmf', data: { digit: '5', stepId: 'menu', attempt: 1 } });
  });

  test('readers narrow by type', () => {
    const row = { seq: 3, at: 'now', type: 'gather.input', data: { stepId: 'g', attempt: 1, digits: '12', end: 'max-digits', outcome: 'input' } };
    const entry = storedEntry(row);
    assert.ok(entry, 'a declared type reads back');
    assert.equal(entry.seq, 3, 'the rest of the row is kept');
    if (entry.type !== 'gather.input') assert.fail(entry.type);
    const outcome: 'input' | 'no-input' | 'no-match' = entry.data.outcome;
    assert.equal(outcome, 'input');
    assert.equal(storedEntry({ type: 'no.such-row', data: {} }), undefined, 'an undeclared type is no entry');
  });

  test('every declared type reads back as an entry, and nothing else is declared', () => {
    assert.equal(noUndeclaredData, true);
    assert.equal(new Set(TIMELINE_ROW_TYPES).size, TIMELINE_ROW_TYPES.length, 'each type once');
    for (const type of TIMELINE_ROW_TYPES) assert.ok(storedEntry({ type, data: {} }), type);
  });

  test('a done recording.finished row registers its recording; other rows do not', () => {
    const done: TimelineEntry = { type: 'recording.finished', data: { name: 'rec-1', stepId: 'msg', format: 'wav', state: 'done', durationSec: 3 } };
    assert.deepEqual(recordingOf(done, 'at'), { id: 'rec-1', stepId: 'msg', format: 'wav', durationSec: 3, at: 'at' });
    const noDuration: TimelineEntry = { type: 'recording.finished', data: { name: 'rec-2', stepId: 'call', format: 'wav', bridgeId: 'b', state: 'done' } };
    assert.equal(recordingOf(noDuration, 'at')?.durationSec, null);
    assert.equal(recordingOf({ type: 'recording.finished', data: { name: 'rec-3', stepId: 'msg', format: 'wav', state: 'lost' } }, 'at'), undefined);
    assert.equal(recordingOf({ type: 'recording.started', data: { name: 'rec-1' } }, 'at'), undefined);
  });
});
