// The ARI requests one call causes, written so that the engine's and the floor's compare: ids,
// application names and app arguments are replaced by placeholders; query values that shape
// what Asterisk does (media, endpoint, timeout, caller ID, hangup reason) are kept.
import type { TraceEntry } from '../ari-proxy.js';

const KEPT_VALUES = new Set(['media', 'endpoint', 'timeout', 'callerId', 'reason', 'reason_code', 'otherChannelId']);

function route(path: string): string {
  const parts = path.split('/').slice(2);
  return `/${parts.map((p, i) => (i % 2 === 1 && p !== '' ? '{id}' : p)).join('/')}`;
}

function bodyShape(body: string | undefined): string {
  if (!body) return '';
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    const keys = Object.keys(parsed).sort().map((k) => {
      const v = parsed[k];
      return v && typeof v === 'object' && !Array.isArray(v) ? `${k}{${Object.keys(v).sort().join(',')}}` : k;
    });
    return ` body{${keys.join(',')}}`;
  } catch {
    return ' body(not JSON)';
  }
}

export function normalizeTrace(entries: readonly TraceEntry[]): string[] {
  return entries.filter((e) => e.kind === 'request').map((e) => {
    const params = new URLSearchParams(e.query ?? '');
    const query = [...new Set(params.keys())].sort().map((k) => (KEPT_VALUES.has(k) ? `${k}=${params.getAll(k).join('|')}` : k));
    return `${e.method ?? '?'} ${route(e.path ?? '')}${query.length ? `?${query.join('&')}` : ''}${bodyShape(e.body)} → ${e.status ?? '?'}`;
  });
}

/** Differences, position by position; empty when both programs send the same requests. */
export function compareSequences(engine: readonly string[], floor: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(engine.length, floor.length); i++) {
    if (engine[i] !== floor[i]) out.push(`#${i + 1}: engine ${engine[i] ?? '(none)'} | floor ${floor[i] ?? '(none)'}`);
  }
  return out;
}
