// CSV as ServiceStack's CSV format writes it: a list response becomes one row per item (any other
// response one row), with a header row of the item DTO's fields. RFC 4180: CRLF line ends, fields
// with a comma, quote or line break quoted, quotes doubled. Lists and dictionaries are JSON text.
// Spreadsheets run a cell starting with = + - @ (or a tab / CR) as a formula: such cells get a
// leading apostrophe, so a number to dial like +1814… shows as text instead of being evaluated.
import { allFields, dto } from './operations/dtos.js';

const FORMULA_START = /^[=+\-@\t\r]/;

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The item DTO of a list DTO (its `items` field), or the DTO itself. */
function rowsOf(dtoName: string, body: unknown): { columns: string[]; rows: unknown[] } {
  const d = dto(dtoName);
  const items = d.fields.find((f) => f.name === 'items');
  if (items && typeof items.type === 'object' && 'list' in items.type && typeof items.type.list === 'object') {
    const rows = (body as { items?: unknown[] } | undefined)?.items ?? [];
    return { columns: allFields(dto(items.type.list.ref)).map((f) => f.name), rows };
  }
  return { columns: allFields(d).map((f) => f.name), rows: [body] };
}

export function toCsv(dtoName: string, body: unknown): string {
  const { columns, rows } = rowsOf(dtoName, body);
  const lines = [columns.map(cell).join(',')];
  for (const row of rows) {
    const r = (row ?? {}) as Record<string, unknown>;
    lines.push(columns.map((c) => cell(r[c])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
