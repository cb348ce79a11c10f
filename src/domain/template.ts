// `{{name}}` placeholders filled from session variables (say and set steps). A missing variable
// renders as the empty string; anything that is not a well-formed placeholder is left as written.
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}/g;

export function renderTemplate(template: string, variables: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (_match, name: string) =>
    Object.prototype.hasOwnProperty.call(variables, name) ? String(variables[name]) : '');
}


/** Rendered text is bounded like a template: a variable cannot make a call read a book. */
export const MAX_SPOKEN_TEXT = 1000;

/**
 * The text a say step's `text` template gives to text to speech: rendered, whitespace folded,
 * bounded. The console's preview goes through it too, so both hit the same cached audio.
 */
export function spokenText(template: string, variables: Record<string, string>): string {
  return renderTemplate(template, variables).replace(/\s+/g, ' ').trim().slice(0, MAX_SPOKEN_TEXT);
}

/** The variable names a template's placeholders use, once each. */
export function placeholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}
