// A deliberately small YAML reader for docker-compose.yml (no YAML library is installed):
// block mappings, block sequences (of scalars or of mappings), plain and quoted scalars, comments.
// Anything else (anchors, flow collections, multi-line scalars) is refused loudly, so the compose
// file stays within what this test can check.

export type Yaml = string | Yaml[] | { [key: string]: Yaml };

interface Line { indent: number; text: string; number: number }

function stripComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || text[i - 1] === ' ')) {
      return text.slice(0, i).trimEnd();
    }
  }
  return text.trimEnd();
}

function scalar(raw: string, line: number): string {
  const text = raw.trim();
  if (/^[&*!|>{[]/.test(text)) throw new Error(`line ${line}: unsupported YAML "${text}"`);
  if (text.startsWith('"')) {
    if (!text.endsWith('"') || text.length < 2) throw new Error(`line ${line}: unterminated string`);
    return JSON.parse(text) as string;
  }
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) throw new Error(`line ${line}: unterminated string`);
    return text.slice(1, -1).replaceAll("''", "'");
  }
  return text;
}

/** Splits `key: rest` (the colon must be followed by a space or end the line). */
function keyValue(text: string): [string, string] | undefined {
  const m = /^("[^"]*"|'[^']*'|[^\s:'"][^:]*?):(?:\s+(.*))?$/.exec(text);
  if (!m) return undefined;
  return [scalar(m[1] ?? '', 0), m[2] ?? ''];
}

export function parseYaml(source: string): Yaml {
  const lines: Line[] = [];
  source.split(/\r?\n/).forEach((raw, i) => {
    if (raw.includes('\t')) throw new Error(`line ${i + 1}: tabs are not YAML indentation`);
    const text = stripComment(raw);
    if (text.trim() === '') return;
    const indent = text.length - text.trimStart().length;
    lines.push({ indent, text: text.trim(), number: i + 1 });
  });
  let pos = 0;

  function block(indent: number): Yaml {
    const first = lines[pos];
    if (!first || first.indent < indent) return '';
    return first.text.startsWith('- ') || first.text === '-' ? sequence(first.indent) : mapping(first.indent);
  }

  function mapping(indent: number): Yaml {
    const out: { [key: string]: Yaml } = {};
    for (let line = lines[pos]; line && line.indent === indent; line = lines[pos]) {
      const kv = keyValue(line.text);
      if (!kv) throw new Error(`line ${line.number}: expected "key: value", got "${line.text}"`);
      const [key, rest] = kv;
      if (key in out) throw new Error(`line ${line.number}: duplicate key ${key}`);
      pos++;
      if (rest === '') {
        const next = lines[pos];
        out[key] = next && next.indent > indent ? block(next.indent) : '';
      } else {
        out[key] = scalar(rest, line.number);
      }
    }
    const stray = lines[pos];
    if (stray && stray.indent > indent) throw new Error(`line ${stray.number}: unexpected indentation`);
    return out;
  }

  function sequence(indent: number): Yaml {
    const out: Yaml[] = [];
    for (let line = lines[pos]; line && line.indent === indent && line.text.startsWith('-'); line = lines[pos]) {
      const rest = line.text.slice(1).trim();
      if (rest === '') {
        pos++;
        const next = lines[pos];
        out.push(next && next.indent > indent ? block(next.indent) : '');
      } else if (keyValue(rest) && !/^["']/.test(rest)) {
        // `- key: value` starts a mapping whose further keys sit under the first one.
        const itemIndent = indent + (line.text.length - rest.length);
        lines[pos] = { indent: itemIndent, text: rest, number: line.number };
        out.push(mapping(itemIndent));
      } else {
        pos++;
        out.push(scalar(rest, line.number));
      }
    }
    return out;
  }

  const doc = block(0);
  const left = lines[pos];
  if (left) throw new Error(`line ${left.number}: unexpected "${left.text}"`);
  return doc;
}

/** `${NAME:-default}` / `${NAME-default}` / `${NAME}` as compose resolves them with an empty environment. */
export function composeDefault(value: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (_m, _name: string, fallback?: string) => fallback ?? '');
}

export function asMap(value: Yaml | undefined, what: string): { [key: string]: Yaml } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what} is not a mapping`);
  return value;
}

export function asList(value: Yaml | undefined, what: string): Yaml[] {
  if (!Array.isArray(value)) throw new Error(`${what} is not a list`);
  return value;
}

export function asString(value: Yaml | undefined, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what} is not a string`);
  return value;
}
