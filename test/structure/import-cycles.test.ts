// No import cycle in src/: modules form layers a reader can follow one way. Type-only imports
// count too: they are erased at run time, but a cycle of them still ties modules that should
// depend one way.
//
// The graph comes from TypeScript itself (ts.preProcessFile lists every import, export-from and
// import(); ts.resolveModuleName resolves each one as the compiler does under NodeNext), walked for
// strongly connected components. madge or dependency-cruiser would do the same through dozens of
// packages (parsers for languages this project does not have); TypeScript is already here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const OPTIONS: ts.CompilerOptions = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };

/**
 * Cycles of modules another engineer is rewriting (the call core redesign, issue 20: src/store/
 * and src/simulate/ belong to it). Each entry must still be a cycle: once it is broken, this test
 * fails until the entry is deleted, so the list can only shrink.
 */
const OWNED_ELSEWHERE: string[][] = [
  ['store/db.ts', 'store/group-commit.ts'],
  ['simulate/dialed-parties.ts', 'simulate/scripted-call.ts'],
];

type Graph = Map<string, string[]>;

function importGraph(): Graph {
  const files = (readdirSync(SRC, { recursive: true }) as string[])
    .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => join(SRC, f));
  const graph: Graph = new Map();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const deps = new Set<string>();
    for (const { fileName } of info.importedFiles) {
      const resolved = ts.resolveModuleName(fileName, file, OPTIONS, ts.sys).resolvedModule;
      if (resolved && !resolved.isExternalLibraryImport && resolved.resolvedFileName.startsWith(SRC)) deps.add(resolved.resolvedFileName);
    }
    graph.set(file, [...deps]);
  }
  return graph;
}

/** Strongly connected components of more than one module, or a module importing itself (Tarjan). */
function cycles(graph: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop();
      if (w === undefined) break;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** One path around the component, for the failure message: a → b → … → a. */
function pathAround(graph: Graph, component: string[]): string {
  const members = new Set(component);
  const start = [...component].sort()[0] ?? '';
  const seen = new Set<string>();
  const walk = (v: string, path: string[]): string[] | undefined => {
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) return [...path, w];
      if (seen.has(w)) continue;
      seen.add(w);
      const found = walk(w, [...path, w]);
      if (found) return found;
    }
    return undefined;
  };
  return (walk(start, [start]) ?? component).map((f) => relative(SRC, f)).join(' → ');
}

test('no import cycle in src/ (type-only imports included)', () => {
  const graph = importGraph();
  assert.ok(graph.size > 100, `src/ read: ${graph.size} modules`);
  const found = cycles(graph).map((c) => ({ members: c.map((f) => relative(SRC, f).replaceAll('\\', '/')).sort(), path: pathAround(graph, c) }));
  const key = (members: string[]): string => [...members].sort().join(' ');
  const owned = new Set(OWNED_ELSEWHERE.map(key));
  const unexpected = found.filter((c) => !owned.has(key(c.members)));
  assert.deepEqual(unexpected.map((c) => c.path), [], 'import cycles in src/');
  const still = new Set(found.map((c) => key(c.members)));
  const broken = OWNED_ELSEWHERE.filter((members) => !still.has(key(members)));
  assert.deepEqual(broken, [], 'these cycles are broken now: delete them from OWNED_ELSEWHERE');
});

test('the walk finds a cycle when there is one (a graph built by hand)', () => {
  const graph: Graph = new Map([
    [join(SRC, 'a.ts'), [join(SRC, 'b.ts')]],
    [join(SRC, 'b.ts'), [join(SRC, 'c.ts')]],
    [join(SRC, 'c.ts'), [join(SRC, 'a.ts')]],
    [join(SRC, 'd.ts'), [join(SRC, 'a.ts')]],
  ]);
  const found = cycles(graph);
  assert.equal(found.length, 1);
  assert.equal(pathAround(graph, found[0] ?? []), 'a.ts → b.ts → c.ts → a.ts');
});
