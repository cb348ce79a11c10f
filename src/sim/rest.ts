// Request plumbing shared by every simulated resource: decoded parameters, replies, errors, the event sink.
import { astTrue } from './ari-format.js';

export class ApiError extends Error {
  constructor(readonly status: number, readonly body: unknown) {
    super(typeof body === 'object' && body !== null && 'message' in body ? String((body as { message: unknown }).message) : `HTTP ${status}`);
  }
}

export const fail = (status: number, message: string): never => {
  throw new ApiError(status, { message });
};

/** Where events go: the server routes them to the WebSockets of the given applications. */
export interface EventSink {
  deliver(apps: ReadonlySet<string>, event: Record<string, unknown>): void;
  /** Active: a WebSocket holds it (Stasis() into it works). */
  hasApp(app: string): boolean;
  /** Registered: active ones, and inactive ones res_stasis has not cleaned up yet (GET /applications). */
  apps(): string[];
}

export interface Reply {
  status: number;
  body?: unknown;
  /** A binary body (a stored recording's file) instead of JSON. */
  file?: { contentType: string; data: Buffer };
}

/** Decoded parameters of one request, typed on demand the way Asterisk's generated code does. */
export class Args {
  constructor(private readonly values: Map<string, unknown>, private readonly defaults: Map<string, unknown>) {}

  has(name: string): boolean {
    return this.values.has(name);
  }

  str(name: string): string | undefined {
    const v = this.values.get(name) ?? this.defaults.get(name);
    if (v === undefined || v === null) return undefined;
    if (Array.isArray(v)) return v.map(String).join(',');
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }

  /** Asterisk's atoi: non-numbers read as 0. */
  int(name: string): number | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    const n = Number.parseInt(v, 10);
    return Number.isNaN(n) ? 0 : n;
  }

  bool(name: string): boolean {
    const v = this.values.get(name) ?? this.defaults.get(name);
    if (typeof v === 'boolean') return v;
    return astTrue(v === undefined ? undefined : String(v));
  }

  /** allowMultiple: a JSON array, or a comma-separated string (a repeated key keeps only the last). */
  list(name: string): string[] {
    const v = this.values.get(name);
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) return v.map(String).filter((s) => s !== '');
    return String(v).split(',').map((s) => s.trim()).filter((s) => s !== '');
  }

  /** The `variables` body object (`{"variables": {...}}`). */
  vars(): Record<string, string> {
    const v = this.values.get('variables');
    const out: Record<string, string> = {};
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) out[k] = typeof val === 'string' ? val : JSON.stringify(val);
    }
    return out;
  }
}
