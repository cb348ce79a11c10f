// Writes the generated parts of docs/flows.md from the step definitions (domain/steps/): under
// each `### \`type\`` heading, between `<!-- step:type -->` and `<!-- /step -->`, the step's
// summary and its field table. `npm run docs:steps`; test/domain/step-definitions.test.ts fails
// when the file is not up to date.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { STEP_DEFINITIONS, type StepFieldType } from '../src/domain/steps/index.js';

export const FLOWS_DOC = fileURLToPath(new URL('../docs/flows.md', import.meta.url));

function typeName(type: StepFieldType): string {
  if (typeof type === 'string') return type;
  return 'list' in type ? `${type.list}[]` : `map of ${type.map}`;
}

function block(type: string): string {
  const d = Object.values(STEP_DEFINITIONS).find((x) => x.type === type);
  if (!d) throw new Error(`docs/flows.md names an unknown step type: ${type}`);
  const lines = [`<!-- step:${type} -->`, d.summary];
  if (d.fields.length > 0) {
    lines.push('', '| Field | Type | Default | Meaning |', '|---|---|---|---|');
    for (const f of d.fields) {
      lines.push(`| \`${f.name}\` | ${typeName(f.type)} | ${f.required ? 'required' : (f.default ?? 'none')} | ${f.description.replaceAll('|', '\\|')} |`);
    }
  }
  lines.push('<!-- /step -->');
  return lines.join('\n');
}

/** The document with every generated block rewritten; throws if a step type has no block. */
export function renderStepDocs(markdown: string): string {
  const out = markdown.replace(/<!-- step:([a-z-]+) -->[\s\S]*?<!-- \/step -->/g, (_m, type: string) => block(type));
  for (const type of Object.keys(STEP_DEFINITIONS)) {
    if (!out.includes(`<!-- step:${type} -->`)) throw new Error(`docs/flows.md has no <!-- step:${type} --> block`);
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(FLOWS_DOC, renderStepDocs(readFileSync(FLOWS_DOC, 'utf8')));
}
