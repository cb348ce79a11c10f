// Writes the README's configuration table from SETTINGS (src/config.ts), between
// `<!-- settings -->` and `<!-- /settings -->`. `npm run docs:settings`;
// test/config/settings.test.ts fails when the README is not up to date.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SETTINGS, type Setting } from '../src/config.js';

export const README = fileURLToPath(new URL('../README.md', import.meta.url));

const BLOCK = /<!-- settings -->[\s\S]*?<!-- \/settings -->/;

function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

function row(name: string, setting: Setting<unknown>): string {
  const names = setting.secret ? `\`${name}\` (or \`${name}_FILE\`)` : `\`${name}\``;
  const shown = setting.default === '' ? '—' : /^[`(]/.test(setting.default) ? setting.default : `\`${setting.default}\``;
  return `| ${names} | ${cell(shown)} | ${cell(setting.description)} |`;
}

export function settingsTable(): string {
  const rows = Object.entries(SETTINGS).map(([name, setting]) => row(name, setting));
  return ['<!-- settings -->', '| variable | default | meaning |', '|---|---|---|', ...rows, '<!-- /settings -->'].join('\n');
}

/** The README with its settings table rewritten; throws if it has no settings block. */
export function renderSettingsDocs(markdown: string): string {
  if (!BLOCK.test(markdown)) throw new Error('README.md has no <!-- settings --> … <!-- /settings --> block');
  return markdown.replace(BLOCK, () => settingsTable());
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(README, renderSettingsDocs(readFileSync(README, 'utf8')));
}
