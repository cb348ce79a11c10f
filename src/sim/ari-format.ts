// Small formatting rules of Asterisk's ARI output, kept apart so they can be unit-tested.

/** Asterisk's timestamp format: 2026-11-20T23:20:58.710+0000 (milliseconds, numeric UTC offset). */
export function ariTimestamp(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

export interface CallerId {
  name: string;
  number: string;
}

/**
 * Parses a callerId parameter as ast_callerid_parse does for the cases the traces show:
 * `"Alice" <+1555>`, `Alice Smith <555>`, `<+1555>`, `+1555` (a number), `Alice` (a name).
 */
export function parseCallerId(raw: string | undefined): CallerId {
  const text = (raw ?? '').trim();
  if (text === '') return { name: '', number: '' };
  const angle = /^(.*)<([^>]*)>\s*$/.exec(text);
  if (angle) {
    let name = (angle[1] ?? '').trim();
    if (name.startsWith('"') && name.endsWith('"') && name.length >= 2) name = name.slice(1, -1);
    return { name, number: (angle[2] ?? '').trim() };
  }
  if (/^[+0-9*#()\-. ]+$/.test(text) && /[0-9]/.test(text)) return { name: '', number: text.replace(/[()\-. ]/g, '') };
  let name = text;
  if (name.startsWith('"') && name.endsWith('"') && name.length >= 2) name = name.slice(1, -1);
  return { name, number: '' };
}

export function formatCallerIdAll(c: CallerId): string {
  return `"${c.name}" <${c.number}>`;
}

/** Q.850 cause texts as Asterisk's ast_cause2str prints them. */
export const CAUSE_TEXT: Record<number, string> = {
  0: 'Unknown',
  1: 'Unallocated (unassigned) number',
  3: 'No route to destination',
  4: 'Channel unacceptable',
  16: 'Normal Clearing',
  17: 'User busy',
  18: 'No user responding',
  19: 'User alerting, no answer',
  21: 'Call Rejected',
  22: 'Number changed',
  26: 'Answered elsewhere',
  27: 'Destination out of order',
  28: 'Invalid number format',
  31: 'Normal, unspecified',
  34: 'Circuit/channel congestion',
  38: 'Network out of order',
  41: 'Temporary failure',
  42: 'Switching equipment congestion',
  58: 'Bearer capability not available',
  127: 'Interworking, unspecified',
};

export function causeText(cause: number): string {
  return CAUSE_TEXT[cause] ?? 'Unknown';
}

/** DELETE /channels/{id}?reason=… as Asterisk maps it. */
export const HANGUP_REASONS: Record<string, number> = {
  normal: 16,
  busy: 17,
  congestion: 34,
  no_answer: 19,
  timeout: 19,
  rejected: 21,
  unallocated: 1,
  normal_unspecified: 31,
  number_incomplete: 28,
  codec_mismatch: 58,
  interworking: 127,
  failure: 38,
  answered_elsewhere: 26,
};

/** Asterisk's ast_true(): what a boolean query parameter accepts as true. */
export function astTrue(value: string | undefined): boolean {
  return value !== undefined && /^(yes|true|y|t|1|on)$/i.test(value.trim());
}

/** Query decoding as Asterisk does it: raw `+` is a space, the last repeated key wins. */
export function parseQuery(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!raw) return out;
  for (const part of raw.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    out.set(key, value);
  }
  return out;
}

function decode(s: string): string {
  const spaced = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** `*` globs over endpoint names, e.g. `PJSIP/*@trunk`; match against normalizeEndpoint(name). */
export function globToRegExp(glob: string): RegExp {
  const slash = glob.indexOf('/');
  const tech = slash < 0 ? glob : glob.slice(0, slash);
  const rest = slash < 0 ? '' : glob.slice(slash);
  const esc = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${esc(tech.toLowerCase())}${esc(rest)}$`);
}

/** Lower-cases the technology, as Asterisk looks channel technologies up case-insensitively. */
export function normalizeEndpoint(endpoint: string): string {
  const slash = endpoint.indexOf('/');
  return slash < 0 ? endpoint : endpoint.slice(0, slash).toLowerCase() + endpoint.slice(slash);
}
