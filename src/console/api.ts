// The API as the console uses it: the pasted token (sessionStorage, never the URL) in the
// Authorization header, the account a SystemAdministrator picked in X-Account-Id, and errors
// read from ServiceStack's ResponseStatus.

import type { flowView, pageView, phoneNumberView, sessionDetailView, sessionView } from '../http/views.js';
import type { deliveryView, webhookView } from '../http/event-views.js';
import type { SimulationReport } from '../services/flow-simulation.js';

const TOKEN_KEY = 'engine.console.token';
const ACCOUNT_KEY = 'engine.console.account';

export interface FieldError { fieldName: string; errorCode: string; message: string }

export class ApiError extends Error {
  constructor(readonly status: number, readonly errorCode: string, message: string, readonly fieldErrors: FieldError[]) {
    super(message);
  }
}

export interface Claims { sub?: string; roles: string[]; accountId?: string; exp?: number }

export const auth = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  account: (): string | null => sessionStorage.getItem(ACCOUNT_KEY),
  signIn(token: string): void {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.removeItem(ACCOUNT_KEY);
  },
  setAccount(account: string | null): void {
    if (account) sessionStorage.setItem(ACCOUNT_KEY, account);
    else sessionStorage.removeItem(ACCOUNT_KEY);
  },
  signOut(): void {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(ACCOUNT_KEY);
  },
  /** What the token says about its holder: for display only, the server decides. */
  claims(): Claims | undefined {
    const part = auth.token()?.split('.')[1];
    if (!part) return undefined;
    try {
      const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
      const c = JSON.parse(json) as Record<string, unknown>;
      return {
        ...(typeof c.sub === 'string' ? { sub: c.sub } : {}),
        roles: Array.isArray(c.roles) ? c.roles.filter((r): r is string => typeof r === 'string') : [],
        ...(typeof c.accountId === 'string' ? { accountId: c.accountId } : {}),
        ...(typeof c.exp === 'number' ? { exp: c.exp } : {}),
      };
    } catch {
      return undefined;
    }
  },
};

/** Called on a 401: the token is gone or expired, the console goes back to sign-in. */
let onUnauthenticated: () => void = () => undefined;
export function whenUnauthenticated(fn: () => void): void {
  onUnauthenticated = fn;
}

export function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  return request<T>(method, path, body, true);
}

/** Proves the token just pasted: a 401 is the sign-in form's to show, not a reason to reset. */
export function checkToken(): Promise<unknown> {
  return request('GET', '/flows?countPerPage=1', undefined, false);
}

/** The token and the picked account, as every request (the event streams' too) carries them. */
export function authHeaders(accept: string): Record<string, string> {
  const headers: Record<string, string> = { accept };
  const token = auth.token();
  if (token) headers.authorization = `Bearer ${token}`;
  const account = auth.account();
  if (account) headers['x-account-id'] = account;
  return headers;
}

/** The ApiError of a non-2xx answer, from its ResponseStatus when it has one; a 401 signs out. */
export function errorOf(status: number, text: string, resetOn401 = true): ApiError {
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  const rs = (parsed as { responseStatus?: { errorCode?: string; message?: string; errors?: FieldError[] } } | undefined)?.responseStatus;
  if (status === 401 && resetOn401) onUnauthenticated();
  return new ApiError(status, rs?.errorCode ?? 'Error', rs?.message ?? `HTTP ${status}`, rs?.errors ?? []);
}

/** One authenticated request (a JSON body if any); a network failure is an ApiError like the API's own. */
async function send(method: string, path: string, body: unknown, accept: string): Promise<Response> {
  const headers = authHeaders(accept);
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    return await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'NetworkError', 'The engine cannot be reached', []);
  }
}

async function request<T>(method: string, path: string, body: unknown, resetOn401: boolean): Promise<T> {
  const res = await send(method, path, body, 'application/json');
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  if (!res.ok) throw errorOf(res.status, text, resetOn401);
  try {
    return (text ? JSON.parse(text) : undefined) as T;
  } catch {
    return undefined as T;
  }
}

/** A file the API serves (a recording) as a blob the page can play: fetched with the token, never put in a URL. */
export async function apiBlob(method: string, path: string, body?: unknown): Promise<Blob> {
  const res = await send(method, path, body, '*/*');
  if (!res.ok) throw errorOf(res.status, await res.text());
  return res.blob();
}

export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

// ---- the API's shapes: the server's own view functions define them ----

export type SessionSummary = ReturnType<typeof sessionView>;
export type WebhookDeliveryView = ReturnType<typeof deliveryView>;
export type WebhookView = ReturnType<typeof webhookView>;
/** A leg as the session page reads it (GetSession has `legs` once calls have several legs). */
export interface LegView {
  channelId: string; role: string; endpoint: string; number: string; state: string;
  dateCreated: string; dateAnswered: string | null; dateEnded: string | null; cause: number | null; causeTxt: string | null;
}
export type SessionDetail = ReturnType<typeof sessionDetailView> & { webhookDeliveries?: WebhookDeliveryView[]; legs?: LegView[] };
export type TimelineEntry = SessionDetail['timeline'][number];
export type FlowView = ReturnType<typeof flowView>;
export type PhoneNumberView = ReturnType<typeof phoneNumberView>;
export type PageOf<T> = ReturnType<typeof pageView<unknown, T>>;
export type { SimulationReport };
export type SimulationResult = SimulationReport['results'][number];
