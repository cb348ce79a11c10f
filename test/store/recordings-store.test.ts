// Byte ranges of recording downloads. The recordings in the store (registered by their unit,
// account-scoped, deleted, swept by retention) are in the contract suite (store-contract.test.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRange } from '../../src/services/recordings.js';

describe('recordings', () => {
  test('ranges: a-b, a-, -n; outside the file is unsatisfiable; nonsense is the whole file', () => {
    assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=50-500', 100), { start: 50, end: 99 });
    assert.equal(parseRange('bytes=100-', 100), 'unsatisfiable');
    assert.equal(parseRange('bytes=5-2', 100), undefined);
    assert.equal(parseRange('items=0-1', 100), undefined);
    assert.equal(parseRange(undefined, 100), undefined);
  });
});
