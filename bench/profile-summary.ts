// Where the CPU time goes in a V8 CPU profile (`node --cpu-prof`, or BENCH_CPU_PROF=1 npm run bench):
// self time aggregated by function and by file (package), largest first, as a share of the busy
// time (idle samples left out: they are the event loop waiting).
//   npx tsx bench/profile-summary.ts bench/results/profiles/<file>.cpuprofile [top=25]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileLine {
  name: string;
  selfMs: number;
  pct: number;
}

function place(url: string): string {
  if (url === '') return '(native / V8)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return `npm:${rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : rest[0] ?? ''}`;
  }
  if (url.startsWith('node:')) return url;
  const src = url.indexOf('/src/');
  return src >= 0 ? url.slice(src + 1) : url;
}

export function summarizeProfile(profile: CpuProfile, top: number): { byFunction: ProfileLine[]; byFile: ProfileLine[]; totalMs: number } {
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i];
    if (id === undefined) continue;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, deltas[i] ?? 0));
  }
  let total = 0;
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0 || node.callFrame.functionName === '(idle)') continue;
    total += us;
    const where = place(node.callFrame.url);
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${where}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    byFile.set(where, (byFile.get(where) ?? 0) + us);
  }
  const lines = (m: Map<string, number>): ProfileLine[] => [...m.entries()]
    .sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, us]) => ({ name, selfMs: Math.round(us / 100) / 10, pct: Math.round((us / total) * 1000) / 10 }));
  return { byFunction: lines(byFunction), byFile: lines(byFile), totalMs: Math.round(total / 1000) };
}

function main(): void {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top]\n');
    process.exitCode = 2;
    return;
  }
  const top = Number(process.argv[3] ?? 25) || 25;
  const summary = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top);
  const print = (title: string, list: ProfileLine[]): void => {
    process.stdout.write(`\n${title} (self time, share of ${summary.totalMs} ms busy)\n`);
    for (const l of list) process.stdout.write(`  ${String(l.pct).padStart(5)}%  ${String(l.selfMs).padStart(8)} ms  ${l.name}\n`);
  };
  print('By file or package', summary.byFile);
  print('By function', summary.byFunction);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
