// The flow page's Simulate panel: runs the flow as edited against a simulation script (a preset or
// a custom one: the callee and the parties a dial step reaches) on the API's virtual clock, shows
// what happened, and marks on the drawing the steps a run visited or, with every preset run as
// scenarios, the steps none reached and the exits none took.
import { api, type SimulationReport, type SimulationResult } from '../api.js';
import { h } from '../dom.js';
import { describeEntry } from '../timeline-text.js';
import { errorBox, field, stateBadge, table } from './common.js';

/** The callee scripts of docs/flows.md's simulation example (the simulator's callee-script language). */
const PRESETS: ReadonlyArray<{ name: string; script: Record<string, unknown> }> = [
  { name: 'answers and presses 1 after the prompt', script: { dtmf: [{ digits: '1', afterPlaybackFinished: 2 }] } },
  { name: 'answers and presses 9', script: { dtmf: [{ digits: '9', afterPlaybackStarted: 2 }] } },
  { name: 'answers and stays silent (no input)', script: {} },
  { name: 'hangs up during the greeting', script: { hangupAfterMs: 500 } },
];
const CUSTOM = 'custom';

/** What to run: the saved flow while the editor holds it unchanged, else the edited document. */
export interface SimulationTarget { flowId: string; edited: boolean; document: () => unknown }

const seconds = (ms: number): string => `+${(ms / 1000).toFixed(2)} s`;

/** `from>to` of every step a run went on to from another. */
function transitions(report: SimulationReport): Set<string> {
  return new Set(report.results.flatMap((r) => r.path.slice(1).map((to, i) => `${r.path[i]}>${to}`)));
}

/**
 * Marks the steps the runs visited and, after the presets ran as scenarios, the steps none
 * reached and the exits of the drawing none took (returned as `step exit → target`).
 */
function markGraph(graph: HTMLElement, report: SimulationReport): string[] {
  const visited = new Set(report.results.flatMap((r) => r.path));
  const unreached = new Set(report.coverage?.unreachedSteps ?? []);
  for (const node of graph.querySelectorAll('svg.flow-graph g.node, svg.flow-canvas g.canvas-node')) {
    const step = node.getAttribute('data-step') ?? '';
    node.classList.toggle('visited', visited.has(step));
    node.classList.toggle('not-covered', unreached.has(step));
  }
  const taken = transitions(report);
  const notTaken: string[] = [];
  for (const exit of graph.querySelectorAll('svg.flow-canvas g.exit[data-target]')) {
    const from = exit.closest('[data-step]')?.getAttribute('data-step') ?? '';
    const to = exit.getAttribute('data-target') ?? '';
    const missed = report.coverage !== undefined && !taken.has(`${from}>${to}`);
    exit.classList.toggle('not-taken', missed);
    if (missed) notTaken.push(`${from} ${exit.getAttribute('data-exit') ?? ''} → ${to}`);
  }
  return notTaken;
}

function runView(r: SimulationResult): HTMLElement {
  return h('div', { class: 'sim-run', 'data-testid': 'sim-result' },
    h('p', {}, 'Final state: ', h('span', { 'data-testid': 'sim-state', 'data-state': r.state }, stateBadge(r.state)),
      r.reason ? ` (${r.reason})` : '', ` after ${(r.durationMs / 1000).toFixed(2)} s of virtual time`),
    r.failures.length > 0 ? h('ul', { class: 'errors', role: 'alert' }, r.failures.map((f) => h('li', {}, f))) : null,
    h('h3', {}, 'Path'),
    h('p', { 'data-testid': 'sim-path' }, r.path.join(' → ') || 'no step ran'),
    h('h3', {}, 'Variables'),
    table('Variables at the end', ['Name', 'Value'], Object.entries(r.variables).map(([k, v]) => [k, v]), 'No variables.'),
    h('h3', {}, 'Media that would play'),
    table('Media in the order it would play', ['At', 'Media', 'Spoken text', 'Outcome'],
      r.media.map((m) => [seconds(m.atMs), `${m.media.join(', ')}${m.bridgeId ? ' (on the bridge)' : ''}`, m.text ?? '', `${m.state ?? ''}${m.estimated ? ' (length estimated)' : ''}`]), 'Nothing would play.'),
    h('h3', {}, `Timeline (${r.timeline.length} events, virtual times)`),
    h('ol', { class: 'timeline' }, r.timeline.map((e, i) => {
      const { kind, text } = describeEntry({ seq: i, at: '', type: e.type, data: e.data });
      return h('li', { class: `entry entry-${kind}`, 'data-type': e.type }, h('time', {}, seconds(e.atMs)), ' ', h('span', {}, text));
    })));
}

function coverageView(report: SimulationReport, notTaken: string[]): HTMLElement {
  const cov = report.coverage;
  const unreached = cov?.unreachedSteps ?? [];
  const total = cov?.steps.length ?? 0;
  return h('div', { class: 'sim-run', 'data-testid': 'sim-coverage' },
    h('p', { 'data-testid': 'sim-coverage-summary' }, `Coverage: ${total - unreached.length} of ${total} steps reached by the presets`,
      unreached.length > 0 ? `; not reached: ${unreached.join(', ')}` : '; every step reached', '.'),
    h('p', { 'data-testid': 'sim-exit-coverage' }, notTaken.length > 0 ? `Exits no preset took: ${notTaken.join('; ')}.` : 'Every exit drawn was taken by a preset.'),
    table('Runs of the presets', ['Scenario', 'State', 'Path'],
      report.results.map((r) => [r.name ?? '', stateBadge(r.state), r.path.join(' → ')]), 'No runs.'),
    table('Steps and the presets that reached them', ['Step', 'Reached by'],
      (cov?.steps ?? []).map((s) => [s.stepId, s.reachedBy.join(', ') || 'none'] as [string, string]), 'No steps.'));
}

export function simulatePanel(target: SimulationTarget, graph: HTMLElement): HTMLElement {
  const choice = h('select', {}, PRESETS.map((p, i) => h('option', { value: String(i) }, p.name)), h('option', { value: CUSTOM }, 'custom script (JSON below)'));
  const script = h('textarea', { rows: 7, spellcheck: 'false', autocomplete: 'off' });
  const output = h('div', { 'aria-live': 'polite', 'data-testid': 'sim-output' });
  const run = h('button', { type: 'submit' }, 'Run simulation');
  const runAll = h('button', { type: 'button' }, 'Run all presets');
  const showPreset = (): void => {
    const preset = PRESETS[Number(choice.value)];
    if (preset) script.value = JSON.stringify(preset.script, null, 2);
  };
  choice.addEventListener('change', showPreset);
  // Editing the script makes it a custom one.
  script.addEventListener('input', () => { choice.value = CUSTOM; });
  showPreset();

  const simulate = (body: Record<string, unknown>, show: (r: SimulationReport, notTaken: string[]) => HTMLElement): void => {
    let document: unknown;
    try {
      document = target.document();
    } catch (err) {
      output.replaceChildren(errorBox(new Error(`The document is not JSON: ${err instanceof Error ? err.message : String(err)}`)));
      return;
    }
    run.disabled = runAll.disabled = true;
    output.replaceChildren(h('p', { class: 'muted' }, 'Simulating…'));
    const call = target.edited
      ? api<SimulationReport>('POST', '/flows/simulate', { document, ...body })
      : api<SimulationReport>('POST', `/flows/${encodeURIComponent(target.flowId)}/simulate`, body);
    void call.then((report) => {
      const notTaken = markGraph(graph, report);
      output.replaceChildren(h('p', { class: 'muted' }, target.edited ? 'Ran the edited, unsaved document.' : 'Ran the saved flow.'), show(report, notTaken));
    }, (err: unknown) => output.replaceChildren(errorBox(err))).finally(() => { run.disabled = runAll.disabled = false; });
  };

  runAll.addEventListener('click', () => simulate({ scenarios: PRESETS.map((p) => ({ name: p.name, script: p.script })) }, coverageView));
  const form = h('form', {
    class: 'simulate',
    onsubmit: (ev: Event) => {
      ev.preventDefault();
      let parsed: unknown;
      try {
        parsed = JSON.parse(script.value);
      } catch (err) {
        output.replaceChildren(errorBox(new Error(`The callee script is not JSON: ${err instanceof Error ? err.message : String(err)}`)));
        return;
      }
      simulate({ script: parsed }, (report) => report.results[0] ? runView(report.results[0]) : h('p', {}, 'No result.'));
    },
  },
  h('p', { class: 'muted' }, 'Runs the flow as edited against a scripted callee on a virtual clock: nothing is dialled or stored.'),
  field('Callee', choice),
  field('Callee script (JSON)', script, 'The simulation script: the callee\'s result, answerAfterMs, hangupAfterMs, dtmf, and `dialed`: the party each number a dial step calls reaches (by number or "default"), in the same terms.'),
  h('div', { class: 'actions' }, run, ' ', runAll),
  output);
  return h('section', { 'aria-labelledby': 'simulate-h' }, h('h2', { id: 'simulate-h' }, 'Simulate'), form);
}
