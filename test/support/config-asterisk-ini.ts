// A small reader for Asterisk's configuration syntax, enough to cross-check asterisk-config/:
// `[name]`, `[name](template, …)`, `[name](!)` templates, `[name](+)` additions, `key = value`
// and `key => value`, `;` comments (`\;` is a literal semicolon), `#include` / `#tryinclude`.
import { readFileSync, existsSync } from 'node:fs';
import { join, dirname, isAbsolute } from 'node:path';

export interface Entry { key: string; value: string }

export interface Section {
  name: string;
  /** `(!)`: a template, never an object of its own. */
  template: boolean;
  /** Templates this section inherits from, in order. */
  inherits: string[];
  entries: Entry[];
  file: string;
}

export interface ConfigFile {
  sections: Section[];
  /** Every file read, the top one first (includes followed). */
  files: string[];
}

const SECTION = /^\[([^\]]+)\](?:\(([^)]*)\))?$/;
const ENTRY = /^([^=]+?)\s*=>?\s*(.*)$/;
const INCLUDE = /^#(include|tryinclude)\s+"?([^"]+?)"?$/;

function stripComment(line: string): string {
  let out = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && line[i + 1] === ';') {
      out += ';';
      i++;
    } else if (c === ';') {
      break;
    } else {
      out += c;
    }
  }
  return out.trim();
}

function readInto(path: string, config: ConfigFile, state: { current: Section | undefined }): void {
  config.files.push(path);
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const where = `${path}:${index + 1}`;
    const line = stripComment(raw);
    if (line === '') return;
    const include = INCLUDE.exec(line);
    if (include) {
      const target = include[2] ?? '';
      const file = isAbsolute(target) ? target : join(dirname(path), target);
      if (!existsSync(file)) {
        if (include[1] === 'tryinclude') return;
        throw new Error(`${where}: #include of missing file ${target}`);
      }
      readInto(file, config, state);
      return;
    }
    if (line.startsWith('#')) throw new Error(`${where}: unknown directive ${line}`);
    const section = SECTION.exec(line);
    if (section) {
      const name = (section[1] ?? '').trim();
      const options = (section[2] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      if (options.includes('+')) {
        const existing = [...config.sections].reverse().find((s) => s.name === name);
        if (!existing) throw new Error(`${where}: [${name}](+) adds to a section that does not exist`);
        state.current = existing;
        return;
      }
      const created: Section = {
        name,
        template: options.includes('!'),
        inherits: options.filter((o) => o !== '!'),
        entries: [],
        file: path,
      };
      config.sections.push(created);
      state.current = created;
      return;
    }
    const entry = ENTRY.exec(line);
    if (!entry) throw new Error(`${where}: cannot parse "${raw}"`);
    if (!state.current) throw new Error(`${where}: "${line}" outside of any section`);
    state.current.entries.push({ key: (entry[1] ?? '').trim(), value: (entry[2] ?? '').trim() });
  });
}

export function readAsteriskConfig(path: string): ConfigFile {
  const config: ConfigFile = { sections: [], files: [] };
  readInto(path, config, { current: undefined });
  return config;
}

/** Objects as Asterisk builds them: non-template sections with their templates' entries first. */
export function resolvedSections(config: ConfigFile): Section[] {
  const templates = new Map(config.sections.filter((s) => s.template).map((s) => [s.name, s]));
  const flatten = (section: Section, seen: Set<string>): Entry[] => {
    const inherited = section.inherits.flatMap((name) => {
      const template = templates.get(name);
      if (!template) throw new Error(`[${section.name}] inherits from unknown template ${name}`);
      if (seen.has(name)) throw new Error(`template loop through ${name}`);
      return flatten(template, new Set([...seen, name]));
    });
    return [...inherited, ...section.entries];
  };
  return config.sections
    .filter((s) => !s.template)
    .map((s) => ({ ...s, entries: flatten(s, new Set()) }));
}

/** The last value of a key (later lines override earlier ones, as in Asterisk). */
export function get(section: Section, key: string): string | undefined {
  return [...section.entries].reverse().find((e) => e.key === key)?.value;
}

export function getAll(section: Section, key: string): string[] {
  return section.entries.filter((e) => e.key === key).map((e) => e.value);
}

export function sectionsOfType(sections: Section[], type: string): Section[] {
  return sections.filter((s) => get(s, 'type') === type);
}
