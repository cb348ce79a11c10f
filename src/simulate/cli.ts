// `npm run flow -- simulate flow.json [--script callee.json | --scenarios scenarios.json] [--json]`:
// simulates a flow document from the command line (CI pipelines). The scenarios file is a list of
// {name, script, expect}, or an object holding `scenarios`. Exit codes: 0 every expectation held,
// 1 one failed, 2 bad input.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { validateFlowDocument } from '../domain/flow-validation.js';
import { AppError } from '../domain/errors.js';
import { readScenarios, runSimulation } from '../services/flow-simulation.js';

const USAGE = 'usage: npm run flow -- simulate <flow.json> [--script <callee.json> | --scenarios <scenarios.json>] [--json] [--max-steps N]';

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<number> {
  const [command, flowPath, ...rest] = argv;
  if (command !== 'simulate' || !flowPath) fail(USAGE);
  const opts: Record<string, string | true> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--json') opts.json = true;
    else if (['--script', '--scenarios', '--max-steps'].includes(arg) && rest[i + 1] !== undefined) opts[arg.slice(2)] = rest[++i]!;
    else fail(`unknown argument ${arg}\n${USAGE}`);
  }
  const checked = validateFlowDocument(readJson(flowPath));
  if (!checked.ok) fail(`${flowPath}: invalid flow\n${checked.errors.map((e) => `  ${e.fieldName}: ${e.message}`).join('\n')}`);
  let input: Record<string, unknown> = {};
  if (typeof opts.script === 'string') {
    const raw = readJson(opts.script);
    // A script file may carry its expectations: {"script": {...}, "expect": {...}}, or be the script itself.
    input = raw && typeof raw === 'object' && 'script' in raw ? raw as Record<string, unknown> : { script: raw };
  } else if (typeof opts.scenarios === 'string') {
    const raw = readJson(opts.scenarios);
    input = { scenarios: Array.isArray(raw) ? raw : (raw as Record<string, unknown>).scenarios };
  }
  const maxSteps = typeof opts['max-steps'] === 'string' ? Number(opts['max-steps']) : 500;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) fail('--max-steps must be a positive whole number');
  let report;
  try {
    const { scenarios, many } = readScenarios(input);
    report = await runSimulation(checked.document, scenarios, many, { flowMaxSteps: maxSteps, flowMaxDurationMs: 3_600_000 }, pino({ level: 'silent' }));
  } catch (err) {
    if (err instanceof AppError) fail(err.fieldErrors.map((e) => `${e.fieldName}: ${e.message}`).join('\n') || err.message);
    throw err;
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    report.results.forEach((r, i) => {
      const ok = r.failures.length === 0;
      process.stdout.write(`${ok ? 'ok' : 'FAIL'} ${r.name ?? `#${i + 1}`}: ${r.state} after ${r.durationMs} ms (virtual), path ${r.path.join(' > ') || '(none)'}, variables ${JSON.stringify(r.variables)}\n`);
      for (const f of r.failures) process.stdout.write(`    ${f}\n`);
    });
    if (report.coverage) process.stdout.write(`steps no scenario reached: ${report.coverage.unreachedSteps.join(', ') || 'none'}\n`);
  }
  return report.passed ? 0 : 1;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => fail(err instanceof Error ? err.message : String(err)));
