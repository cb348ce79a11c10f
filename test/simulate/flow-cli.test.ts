// `npm run flow -- simulate`: a real child process, its output and exit code (0 passed, 1 an
// expectation failed, 2 bad input).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_FLOW } from '../../src/demo.js';

const CLI = fileURLToPath(new URL('../../src/simulate/cli.ts', import.meta.url));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args], (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('flow CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flow-cli-'));
  const flow = join(dir, 'flow.json');
  writeFileSync(flow, JSON.stringify(DEMO_FLOW));
  const file = (name: string, value: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(value));
    return path;
  };

  test('expectations that hold: exit 0; one that fails: exit 1 with the failure', async () => {
    const scenarios = file('scenarios.json', [
      { name: 'press 1', script: { dtmf: [{ digits: '1', afterPlaybackFinished: 2 }] }, expect: { state: 'completed', path: ['hello', 'menu', 'yes', 'bye'] } },
      { name: 'silent', script: {}, expect: { variables: { choice: '' } } },
    ]);
    const ok = await run(['simulate', flow, '--scenarios', scenarios]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /ok press 1: completed .* path hello > menu > yes > bye/);
    assert.match(ok.stdout, /steps no scenario reached: no/);

    const bad = await run(['simulate', flow, '--script', file('callee.json', { script: {}, expect: { path: ['hello', 'menu', 'yes', 'bye'] } }), '--json']);
    assert.equal(bad.code, 1);
    const report = JSON.parse(bad.stdout) as { passed: boolean; results: Array<{ failures: string[] }> };
    assert.equal(report.passed, false);
    assert.deepEqual(report.results[0]!.failures, ['path: expected hello > menu > yes > bye, got hello > menu > bye']);
  });

  test('dialed parties in the scenarios file: a dial flow takes each branch, exit 0; a misspelt key: exit 2', async () => {
    const dialFlow = file('dial-flow.json', {
      name: 'Connect',
      steps: [
        { id: 'connect', type: 'dial', to: '+13125550001', variable: 'dialed', onAnswered: 'done', onBusy: 'busy' },
        { id: 'done', type: 'hangup' },
        { id: 'busy', type: 'playback', media: ['sound:busy'] },
      ],
    });
    const scenarios = file('dial-scenarios.json', { scenarios: [
      { name: 'agent answers', script: { dialed: { '+13125550001': { answerAfterMs: 2000, hangupAfterMs: 1000 } } }, expect: { path: ['connect', 'done'], variables: { dialed: 'answered' } } },
      { name: 'agent busy', script: { dialed: { default: { result: 'busy' } } }, expect: { path: ['connect', 'busy'], variables: { dialed: 'busy' } } },
    ] });
    const ok = await run(['simulate', dialFlow, '--scenarios', scenarios]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /ok agent answers: completed after 4000 ms \(virtual\), path connect > done/);
    assert.match(ok.stdout, /ok agent busy: completed .* path connect > busy/);
    const typo = await run(['simulate', dialFlow, '--script', file('typo.json', { dialed: { '+13125550001': { reslt: 'busy' } } })]);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /script\.dialed\.\+13125550001\.reslt: not a known property/);
  });

  test('an invalid flow or script: exit 2 with the field errors', async () => {
    const invalid = await run(['simulate', file('bad.json', { name: 'x', steps: [{ id: 'a', type: 'teleport' }] })]);
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /steps\[0\]\.type/);
    const script = await run(['simulate', flow, '--script', file('s.json', { result: 'maybe' })]);
    assert.equal(script.code, 2);
    assert.match(script.stderr, /script\.result/);
  });
});
