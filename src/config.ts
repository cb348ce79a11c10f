// One typed, validated configuration read from the environment; fails fast with a clear message.
// Secrets may come from `<NAME>_FILE` (Docker secrets) instead of the variable itself.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';

export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256';

/** Which X-Forwarded-For entries to believe: the last `hops` proxies, or proxies at these addresses/CIDRs. */
export type TrustProxy = { hops: number } | { proxies: string[] };

export interface Config {
  port: number;
  host: string;
  databasePath: string;
  jwt: {
    algorithm: JwtAlgorithm;
    /** HMAC secret (HS256) or PEM public key (RS256/ES256). */
    key: string;
    issuer?: string;
    audience?: string;
  };
  /** Undefined: start the built-in simulator and connect to it (embedded default). */
  ari: { url: string; username: string; password: string; app: string } | undefined;
  ariApp: string;
  routesFile?: string;
  /** True when no JWT secret was configured: a fixed, publicly known demo secret is in use. */
  demoMode: boolean;
  originateTimeoutSec: number;
  limits: {
    maxBodyBytes: number;
    maxLiveCallsPerAccount: number;
    maxCallsPerSecondPerAccount: number;
    /** Unauthenticated requests per IP per minute, counted before any JWT work. */
    unauthenticatedPerMinute: number;
    flowMaxSteps: number;
    flowMaxDurationMs: number;
  };
  /** ISO country codes or E.164 prefixes allowed as destinations; empty: all countries. */
  allowedDestinations: string[];
  /** libphonenumber-js number types refused as destinations. */
  blockedNumberTypes: string[];
  drainTimeoutMs: number;
  /** Undefined: X-Forwarded-For is ignored, the socket's peer is the client. */
  trustProxy: TrustProxy | undefined;
  /** Time scale of the embedded simulator (1 = real time). */
  simTimeScale: number;
  /** Requests to user-chosen URLs (webhooks, media) may reach loopback/private addresses (labs, tests). */
  allowPrivateDestinations: boolean;
  /** Lease of an engine process on its live sessions (renewed every third of it). */
  sessionLeaseMs: number;
  webhooks: {
    timeoutMs: number;
    retryBaseMs: number;
    retryMaxDelayMs: number;
    maxAgeMs: number;
    perDestination: number;
  };
  tts: {
    provider: 'espeak-ng' | 'http' | 'none';
    espeakPath: string;
    httpUrl: string | undefined;
    timeoutMs: number;
    cacheDir: string;
    cacheMaxBytes: number;
  };
  /** Recordings older than this are deleted (from Asterisk too); 0: kept until deleted. */
  recordingRetentionMs: number;
  media: {
    /** Base URL Asterisk reaches the engine's /media/ at (undefined: http://HOST:port listened on, 127.0.0.1 for 0.0.0.0). */
    publicBaseUrl: string | undefined;
    urlTtlMs: number;
    /** Write generated audio here (Asterisk's sounds path, shared) instead of serving it over HTTP. */
    soundsDir: string | undefined;
    soundsPrefix: string;
  };
  events: {
    /** Live event streams (SSE) open at once per account. */
    maxStreamsPerAccount: number;
    heartbeatMs: number;
  };
  /** GET /metrics: bearer token required when set; on its own port (not the API's) when port is set. */
  metrics: { token: string | undefined; port: number | undefined };
}

export class ConfigError extends Error {}

/** Documented in the README; the demo secret is public on purpose and only used in demo mode. */
export const DEMO_JWT_SECRET = 'demo-secret-not-for-production-use-0123456789';

interface Setting { env: string; default: string; description: string }

export const SETTINGS: Setting[] = [
  { env: 'PORT', default: '3000', description: 'HTTP API port.' },
  { env: 'HOST', default: '0.0.0.0', description: 'HTTP API bind address.' },
  { env: 'DATABASE_PATH', default: './data/engine.sqlite', description: 'SQLite file (WAL mode); created with its folder.' },
  { env: 'JWT_SECRET', default: '(demo secret, demo mode only)', description: 'HS256 secret (at least 32 characters). Or JWT_SECRET_FILE.' },
  { env: 'JWT_ALGORITHM', default: 'HS256', description: 'HS256, RS256 or ES256; the only algorithm accepted.' },
  { env: 'JWT_PUBLIC_KEY', default: '', description: 'PEM public key for RS256/ES256. Or JWT_PUBLIC_KEY_FILE.' },
  { env: 'JWT_ISSUER', default: '', description: 'Required `iss` when set.' },
  { env: 'JWT_AUDIENCE', default: '', description: 'Required `aud` when set.' },
  { env: 'ARI_URL', default: '', description: 'e.g. http://asterisk:8088. Empty: start the built-in simulator.' },
  { env: 'ARI_USERNAME', default: 'engine', description: 'ARI user (ari.conf).' },
  { env: 'ARI_PASSWORD', default: '', description: 'ARI password; required with ARI_URL. Or ARI_PASSWORD_FILE.' },
  { env: 'ARI_APP', default: 'engine', description: 'Stasis application name.' },
  { env: 'ROUTES_FILE', default: '', description: 'JSON routing rules (number ranges to endpoints); default: everything to PJSIP/{number}@trunk.' },
  { env: 'ORIGINATE_TIMEOUT_SEC', default: '30', description: 'Ring time before no-answer.' },
  { env: 'MAX_BODY_BYTES', default: '65536', description: 'Largest request body accepted (413 beyond).' },
  { env: 'MAX_LIVE_CALLS_PER_ACCOUNT', default: '100', description: 'Concurrent live calls per account (429 beyond).' },
  { env: 'MAX_CALLS_PER_SECOND_PER_ACCOUNT', default: '10', description: 'New calls per second per account (429 beyond).' },
  { env: 'UNAUTHENTICATED_PER_MINUTE', default: '120', description: 'Requests without a valid token per client IP per minute (429 beyond).' },
  { env: 'FLOW_MAX_STEPS', default: '500', description: 'Steps executed per session before the flow is stopped (loop guard).' },
  { env: 'FLOW_MAX_DURATION_MS', default: '3600000', description: 'Longest session once answered.' },
  { env: 'ALLOWED_DESTINATIONS', default: '', description: 'Comma-separated ISO countries (US) or E.164 prefixes (+44); empty: all.' },
  { env: 'BLOCKED_NUMBER_TYPES', default: 'PREMIUM_RATE,SHARED_COST,UAN,VOICEMAIL,PAGER,PERSONAL_NUMBER', description: 'Number types refused as destinations.' },
  { env: 'DRAIN_TIMEOUT_MS', default: '30000', description: 'On SIGTERM, live calls get this long before they are hung up.' },
  { env: 'TRUST_PROXY', default: '', description: 'Reverse proxies whose X-Forwarded-For is believed: a hop count (1 = one proxy) or comma-separated addresses/CIDRs. Empty: none.' },
  { env: 'SIM_TIME_SCALE', default: '1', description: 'Embedded simulator speed (0.1 = ten times faster).' },
  { env: 'ALLOW_PRIVATE_DESTINATIONS', default: 'false', description: 'true: webhooks and media URLs may reach loopback, private and link-local addresses (labs, tests); cloud metadata addresses stay refused.' },
  { env: 'SESSION_LEASE_MS', default: '30000', description: 'Lease of an engine on its live sessions; another engine ends them once it expired.' },
  { env: 'WEBHOOK_TIMEOUT_MS', default: '10000', description: 'Deadline of one webhook attempt.' },
  { env: 'WEBHOOK_RETRY_BASE_MS', default: '1000', description: 'First retry delay; doubles per attempt (±20% jitter).' },
  { env: 'WEBHOOK_RETRY_MAX_DELAY_MS', default: '600000', description: 'Longest delay between two attempts.' },
  { env: 'WEBHOOK_MAX_AGE_MS', default: '86400000', description: 'An event still undelivered this long after it happened is abandoned.' },
  { env: 'WEBHOOK_CONCURRENCY_PER_DESTINATION', default: '4', description: 'Requests in flight per destination origin.' },
  { env: 'RECORDING_RETENTION_DAYS', default: '0', description: 'Recordings older than this many days are deleted, from Asterisk too (0: kept until DELETE /recordings/{id}).' },
  { env: 'TTS_PROVIDER', default: 'espeak-ng', description: 'Text to speech of say text: espeak-ng (local, Debian package espeak-ng), http (TTS_HTTP_URL) or none.' },
  { env: 'TTS_ESPEAK_PATH', default: 'espeak-ng', description: 'The espeak-ng binary.' },
  { env: 'TTS_HTTP_URL', default: '', description: 'TTS_PROVIDER=http: POST {text, voice, language} here, a 16-bit PCM WAV comes back.' },
  { env: 'TTS_TIMEOUT_MS', default: '20000', description: 'Longest synthesis of one text.' },
  { env: 'TTS_CACHE_DIR', default: '<DATABASE_PATH folder>/tts-cache', description: 'Synthesized audio by content hash.' },
  { env: 'TTS_CACHE_MAX_BYTES', default: '104857600', description: 'Size cap of the TTS cache; least recently used files are evicted.' },
  { env: 'MEDIA_PUBLIC_BASE_URL', default: 'http://HOST:PORT', description: 'Base URL at which Asterisk reaches the engine\'s /media/ (generated audio, unguessable expiring names).' },
  { env: 'MEDIA_URL_TTL_MS', default: '3600000', description: 'Lifetime of a published media name.' },
  { env: 'MEDIA_SOUNDS_DIR', default: '', description: 'Instead of serving it: write generated audio into this directory, shared with Asterisk\'s sounds path.' },
  { env: 'MEDIA_SOUNDS_PREFIX', default: 'engine-tts', description: 'With MEDIA_SOUNDS_DIR: the sound name prefix Asterisk finds that directory under.' },
  { env: 'EVENT_STREAMS_PER_ACCOUNT', default: '20', description: 'Live event streams (SSE) open at once per account (429 beyond).' },
  { env: 'EVENT_STREAM_HEARTBEAT_MS', default: '15000', description: 'Comment line sent on idle event streams.' },
  { env: 'METRICS_TOKEN', default: '', description: 'Bearer token GET /metrics requires when set (not a JWT). Or METRICS_TOKEN_FILE.' },
  { env: 'METRICS_PORT', default: '', description: 'Serve /metrics on this port (same HOST) instead of the API port.' },
  { env: 'LOG_LEVEL', default: 'info', description: 'pino level.' },
];

type Env = Record<string, string | undefined>;

function secret(env: Env, name: string): string | undefined {
  const file = env[`${name}_FILE`];
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      throw new ConfigError(`${name}_FILE: cannot read ${file}`);
    }
  }
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
  return n;
}

function ttsProvider(value: string | undefined): Config['tts']['provider'] {
  const v = value || 'espeak-ng';
  if (v === 'espeak-ng' || v === 'http' || v === 'none') return v;
  throw new ConfigError(`TTS_PROVIDER must be espeak-ng, http or none (got ${JSON.stringify(v)})`);
}

function ttsHttpUrl(env: Env): string | undefined {
  if (!env.TTS_HTTP_URL) {
    if (env.TTS_PROVIDER === 'http') throw new ConfigError('TTS_HTTP_URL is required with TTS_PROVIDER=http');
    return undefined;
  }
  if (!/^https?:\/\/[^\s]+$/.test(env.TTS_HTTP_URL)) throw new ConfigError('TTS_HTTP_URL must be an http(s) URL');
  return env.TTS_HTTP_URL;
}

function mediaBaseUrl(env: Env): string | undefined {
  const url = env.MEDIA_PUBLIC_BASE_URL;
  if (!url) return undefined;
  if (!/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(url)) throw new ConfigError('MEDIA_PUBLIC_BASE_URL must be an http(s) URL');
  return url.replace(/\/+$/, '');
}

function bool(env: Env, name: string): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new ConfigError(`${name} must be true or false (got "${env[name]}")`);
}

function list(env: Env, name: string, fallback: string): string[] {
  return (env[name] ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);
}

function trustProxy(raw: string | undefined): TrustProxy | undefined {
  const value = (raw ?? '').trim();
  if (value === '' || value === 'false' || value === '0') return undefined;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > 32) throw new ConfigError('TRUST_PROXY as a hop count must be from 0 to 32');
    return { hops };
  }
  const proxies = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of proxies) {
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    const bits = Number(prefix);
    const prefixOk = prefix === undefined || (/^\d+$/.test(prefix) && bits <= (family === 6 ? 128 : 32));
    if (family === 0 || extra !== undefined || !prefixOk) {
      throw new ConfigError(`TRUST_PROXY must be a hop count or comma-separated IP addresses/CIDRs (got "${entry}"; "true" is refused: it would believe any client)`);
    }
  }
  return { proxies };
}

export function loadConfig(env: Env = process.env): Config {
  const algorithm = (env.JWT_ALGORITHM ?? 'HS256') as JwtAlgorithm;
  if (!['HS256', 'RS256', 'ES256'].includes(algorithm)) throw new ConfigError('JWT_ALGORITHM must be HS256, RS256 or ES256');

  let key: string | undefined;
  let demoMode = false;
  if (algorithm === 'HS256') {
    key = secret(env, 'JWT_SECRET');
    if (key === undefined) {
      key = DEMO_JWT_SECRET;
      demoMode = true;
    } else if (key.length < 32) {
      throw new ConfigError('JWT_SECRET must be at least 32 characters');
    }
  } else {
    key = secret(env, 'JWT_PUBLIC_KEY');
    if (!key || !key.includes('PUBLIC KEY')) throw new ConfigError(`JWT_PUBLIC_KEY (PEM) is required with ${algorithm}`);
  }

  const ariApp = env.ARI_APP || 'engine';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(ariApp)) throw new ConfigError('ARI_APP may hold letters, digits, _ . - only');
  let ari: Config['ari'];
  if (env.ARI_URL) {
    let url: URL;
    try {
      url = new URL(env.ARI_URL);
    } catch {
      throw new ConfigError('ARI_URL is not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError('ARI_URL must be http(s)://host:port');
    const password = secret(env, 'ARI_PASSWORD');
    if (!password) throw new ConfigError('ARI_PASSWORD (or ARI_PASSWORD_FILE) is required with ARI_URL');
    ari = { url: url.origin, username: env.ARI_USERNAME || 'engine', password, app: ariApp };
  }

  const simTimeScale = Number(env.SIM_TIME_SCALE ?? '1');
  if (!(simTimeScale > 0 && simTimeScale <= 10)) throw new ConfigError('SIM_TIME_SCALE must be > 0 and <= 10');

  return {
    port: int(env, 'PORT', 3000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    databasePath: env.DATABASE_PATH || './data/engine.sqlite',
    jwt: { algorithm, key, issuer: env.JWT_ISSUER || undefined, audience: env.JWT_AUDIENCE || undefined },
    ari,
    ariApp,
    routesFile: env.ROUTES_FILE || undefined,
    demoMode,
    originateTimeoutSec: int(env, 'ORIGINATE_TIMEOUT_SEC', 30, 1, 600),
    limits: {
      maxBodyBytes: int(env, 'MAX_BODY_BYTES', 65536, 1024, 10 * 1024 * 1024),
      maxLiveCallsPerAccount: int(env, 'MAX_LIVE_CALLS_PER_ACCOUNT', 100, 1, 100000),
      maxCallsPerSecondPerAccount: int(env, 'MAX_CALLS_PER_SECOND_PER_ACCOUNT', 10, 1, 100000),
      unauthenticatedPerMinute: int(env, 'UNAUTHENTICATED_PER_MINUTE', 120, 1, 1000000),
      flowMaxSteps: int(env, 'FLOW_MAX_STEPS', 500, 1, 100000),
      flowMaxDurationMs: int(env, 'FLOW_MAX_DURATION_MS', 3600000, 1000, 86400000),
    },
    allowedDestinations: list(env, 'ALLOWED_DESTINATIONS', ''),
    blockedNumberTypes: list(env, 'BLOCKED_NUMBER_TYPES', 'PREMIUM_RATE,SHARED_COST,UAN,VOICEMAIL,PAGER,PERSONAL_NUMBER'),
    drainTimeoutMs: int(env, 'DRAIN_TIMEOUT_MS', 30000, 0, 3600000),
    trustProxy: trustProxy(env.TRUST_PROXY),
    simTimeScale,
    allowPrivateDestinations: bool(env, 'ALLOW_PRIVATE_DESTINATIONS'),
    sessionLeaseMs: int(env, 'SESSION_LEASE_MS', 30000, 3000, 3600000),
    webhooks: {
      timeoutMs: int(env, 'WEBHOOK_TIMEOUT_MS', 10000, 100, 120000),
      retryBaseMs: int(env, 'WEBHOOK_RETRY_BASE_MS', 1000, 1, 3600000),
      retryMaxDelayMs: int(env, 'WEBHOOK_RETRY_MAX_DELAY_MS', 600000, 1, 86400000),
      maxAgeMs: int(env, 'WEBHOOK_MAX_AGE_MS', 86400000, 1000, 30 * 86400000),
      perDestination: int(env, 'WEBHOOK_CONCURRENCY_PER_DESTINATION', 4, 1, 1000),
    },
    tts: {
      provider: ttsProvider(env.TTS_PROVIDER),
      espeakPath: env.TTS_ESPEAK_PATH || 'espeak-ng',
      httpUrl: ttsHttpUrl(env),
      timeoutMs: int(env, 'TTS_TIMEOUT_MS', 20000, 100, 300000),
      cacheDir: env.TTS_CACHE_DIR || join(dirname(env.DATABASE_PATH || './data/engine.sqlite'), 'tts-cache'),
      cacheMaxBytes: int(env, 'TTS_CACHE_MAX_BYTES', 104857600, 1024, 1e12),
    },
    recordingRetentionMs: int(env, 'RECORDING_RETENTION_DAYS', 0, 0, 36500) * 86_400_000,
    media: {
      publicBaseUrl: mediaBaseUrl(env),
      urlTtlMs: int(env, 'MEDIA_URL_TTL_MS', 3600000, 1000, 7 * 86400000),
      soundsDir: env.MEDIA_SOUNDS_DIR || undefined,
      soundsPrefix: env.MEDIA_SOUNDS_PREFIX || 'engine-tts',
    },
    events: {
      maxStreamsPerAccount: int(env, 'EVENT_STREAMS_PER_ACCOUNT', 20, 1, 10000),
      heartbeatMs: int(env, 'EVENT_STREAM_HEARTBEAT_MS', 15000, 100, 600000),
    },
    metrics: {
      token: secret(env, 'METRICS_TOKEN'),
      port: env.METRICS_PORT ? int(env, 'METRICS_PORT', 0, 0, 65535) : undefined,
    },
  };
}
