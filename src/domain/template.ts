// `{{name}}` placeholders filled from session variables (say and set steps). A missing variable
// renders as the empty string; anything that is not a well-formed placeholder is left as written.
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}/g;

export function renderTemplate(template: string, variables: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (_match, name: string) =>
    Object.prototype.hasOwnProperty.call(variables, name) ? String(variables[name]) : '');
}

