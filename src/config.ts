// One typed, validated configuration read from the environment; fails fast with a clear message.
// Each setting is declared once, in SETTINGS: its name, the default the docs show, what it means
// and how its text is read and checked. loadConfig() shapes the values into the Config the rest of
// the engine reads and adds the checks that span settings (a JWT key for the chosen algorithm, a
// password with ARI_URL). The README's configuration table is generated from SETTINGS
// (`npm run docs:settings`; test/config/settings.test.ts fails when it is out of date).
// Secrets may come from `<NAME>_FILE` (Docker secrets) instead of the variable itself.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';

export class ConfigError extends Error {}

/** Documented in the README; the demo secret is public on purpose and only used in demo mode. */
export const DEMO_JWT_SECRET = 'demo-secret-not-for-production-use-0123456789';

export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256';

/** Which X-Forwarded-For entries to believe: the last `hops` proxies, or proxies at these addresses/CIDRs. */
export type TrustProxy = { hops: number } | { proxies: string[] };

export interface Setting<T> {
  /** The default as the docs show it: a literal value, or a description in parentheses or backticks. */
  default: string;
  description: string;
  /** Also read from the file `<NAME>_FILE` names. */
  secret?: true;
  /** `raw` is the variable's text, undefined when unset; throws ConfigError with the name. */
  parse(raw: string | undefined, name: string): T;
}

// ---- readers: each returns a Setting whose documented default is the one it applies ----

function int(description: string, fallback: number, min: number, max: number): Setting<number> {
  return {
    default: String(fallback),
    description,
    parse(raw, name) {
      if (raw === undefined || raw === '') return fallback;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return n;
    },
  };
}

function optionalInt(description: string, min: number, max: number): Setting<number | undefined> {
  const reader = int(description, 0, min, max);
  return { default: '', description, parse: (raw, name) => (raw ? reader.parse(raw, name) : undefined) };
}

function text(description: string, fallback: string, check?: { pattern: RegExp; message: string }): Setting<string> {
  return {
    default: fallback,
    description,
    parse(raw, name) {
      const value = raw || fallback;
      if (check && !check.pattern.test(value)) throw new ConfigError(`${name} ${check.message}`);
      return value;
    },
  };
}

function optionalText(description: string, shownDefault = ''): Setting<string | undefined> {
  return { default: shownDefault, description, parse: (raw) => raw || undefined };
}

function secretText(description: string, shownDefault = ''): Setting<string | undefined> {
  return { default: shownDefault, description, secret: true, parse: (raw) => raw || undefined };
}

function oneOf<const T extends string>(description: string, values: readonly T[], fallback: T): Setting<T> {
  return {
    default: fallback,
    description,
    parse(raw, name) {
      const value = raw ?? fallback;
      if ((values as readonly string[]).includes(value)) return value as T;
      throw new ConfigError(`${name} must be ${values.slice(0, -1).join(', ')} or ${values.at(-1)} (got ${JSON.stringify(value)})`);
    },
  };
}

function bool(description: string): Setting<boolean> {
  return {
    default: 'false',
    description,
    parse(raw, name) {
      const value = (raw ?? '').trim().toLowerCase();
      if (value === '' || value === 'false' || value === '0') return false;
      if (value === 'true' || value === '1') return true;
      throw new ConfigError(`${name} must be true or false (got "${raw}")`);
    },
  };
}

/** Comma-separated; set but empty is an empty list (not the default). */
function list(description: string, fallback: string): Setting<string[]> {
  return { default: fallback, description, parse: (raw) => (raw ?? fallback).split(',').map((s) => s.trim()).filter(Boolean) };
}

function httpUrl(description: string, shownDefault = ''): Setting<string | undefined> {
  return {
    default: shownDefault,
    description,
    parse(raw, name) {
      if (!raw) return undefined;
      if (!/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(raw)) throw new ConfigError(`${name} must be an http(s) URL`);
      return raw.replace(/\/+$/, '');
    },
  };
}

const ariUrl: Setting<string | undefined> = {
  default: '',
  description: 'Asterisk\'s HTTP server, e.g. `http://asterisk:8088`. Empty: start the built-in simulator.',
  parse(raw, name) {
    if (!raw) return undefined;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(`${name} is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${name} must be http(s)://host:port`);
    return url.origin;
  },
};

/** One Asterisk server of ARI_SERVERS (docs/scaling.md). Its name is what logs, /ready and metrics show. */
export interface AriServerConfig {
  name: string;
  url: string;
  username: string;
  password: string;
  /** Share of new outgoing calls relative to the others (default 1; 0: takes no new calls). */
  weight: number;
}

/** The name of the one server of ARI_URL (and of the built-in simulator). */
export const SINGLE_SERVER_NAME = 'asterisk';

const SERVER_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_SERVERS = 64;

/** A JSON array of servers. Errors never quote the text: it holds passwords. */
const ariServers: Setting<AriServerConfig[] | undefined> = {
  default: '',
  description: 'Several Asterisk servers instead of `ARI_URL`: a JSON array of `{"name","url","username","password","weight"}` (weight optional, default 1) ([scaling](docs/scaling.md)).',
  secret: true,
  parse(raw, name) {
    if (!raw || raw.trim() === '') return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new ConfigError(`${name} is not valid JSON (a JSON array of {"name","url","username","password"} is expected)`);
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > MAX_SERVERS) {
      throw new ConfigError(`${name} must be a JSON array of 1 to ${MAX_SERVERS} servers`);
    }
    const names = new Set<string>();
    return parsed.map((item: unknown, i): AriServerConfig => {
      const at = `${name}[${i}]`;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new ConfigError(`${at} must be an object`);
      const o = item as Record<string, unknown>;
      if (typeof o.name !== 'string' || !SERVER_NAME.test(o.name)) throw new ConfigError(`${at}.name must be 1 to 64 letters, digits, _ . -`);
      if (names.has(o.name)) throw new ConfigError(`${at}.name "${o.name}" is used twice`);
      names.add(o.name);
      const url = typeof o.url === 'string' ? ariUrl.parse(o.url, `${at}.url`) : undefined;
      if (!url) throw new ConfigError(`${at}.url must be Asterisk's http(s)://host:port`);
      if (typeof o.username !== 'string' || o.username === '') throw new ConfigError(`${at}.username must be a non-empty string`);
      if (typeof o.password !== 'string' || o.password === '') throw new ConfigError(`${at}.password must be a non-empty string`);
      const weight = o.weight ?? 1;
      if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > 1000) throw new ConfigError(`${at}.weight must be an integer from 0 to 1000`);
      const known = new Set(['name', 'url', 'username', 'password', 'weight']);
      const extra = Object.keys(o).find((k) => !known.has(k));
      if (extra !== undefined) throw new ConfigError(`${at} has an unknown field "${extra.slice(0, 32)}"`);
      return { name: o.name, url, username: o.username, password: o.password, weight };
    });
  },
};

const simTimeScale: Setting<number> = {
  default: '1',
  description: 'Speed of the built-in simulator (0.1 = ten times faster).',
  parse(raw, name) {
    const value = Number(raw || '1');
    if (!(value > 0 && value <= 10)) throw new ConfigError(`${name} must be > 0 and <= 10`);
    return value;
  },
};

const trustProxy: Setting<TrustProxy | undefined> = {
  default: '',
  description: 'Reverse proxies whose `X-Forwarded-For` is believed: a hop count (1 = one proxy) or comma-separated addresses/CIDRs. Empty: none.',
  parse(raw, name) {
    const value = (raw ?? '').trim();
    if (value === '' || value === 'false' || value === '0') return undefined;
    if (/^\d+$/.test(value)) {
      const hops = Number(value);
      if (hops > 32) throw new ConfigError(`${name} as a hop count must be from 0 to 32`);
      return { hops };
    }
    const proxies = value.split(',').map((s) => s.trim()).filter(Boolean);
    for (const entry of proxies) {
      const [address = '', prefix, extra] = entry.split('/');
      const family = isIP(address);
      const bits = Number(prefix);
      const prefixOk = prefix === undefined || (/^\d+$/.test(prefix) && bits <= (family === 6 ? 128 : 32));
      if (family === 0 || extra !== undefined || !prefixOk) {
        throw new ConfigError(`${name} must be a hop count or comma-separated IP addresses/CIDRs (got "${entry}"; "true" is refused: it would believe any client)`);
      }
    }
    return { proxies };
  },
};

/** postgres://… (secret: it may carry a password; never logged). */
const databaseUrl: Setting<string | undefined> = {
  default: '',
  description: 'PostgreSQL instead of SQLite, shared by several engines: `postgres://user:password@host:5432/db` ([PostgreSQL](docs/postgresql.md)).',
  secret: true,
  parse(raw, name) {
    if (!raw) return undefined;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(`${name} must be a postgres:// URL`);
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new ConfigError(`${name} must be a postgres:// URL (got ${url.protocol}//…)`);
    return raw;
  },
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Every setting the engine reads, in the order the README lists them. */
export const SETTINGS = {
  PORT: int('HTTP API port.', 3000, 0, 65535),
  HOST: text('HTTP API bind address.', '0.0.0.0'),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int('Idle keep-alive connections are closed after this. Longer than the idle timeout of a proxy or client in front (60 s on common load balancers): a request sent on a connection at the moment the engine closes it is lost to a reset.', 65000, 1000, 600000),
  DATABASE_PATH: text('SQLite file (WAL mode); created with its folder. Unused with `DATABASE_URL`.', './data/engine.sqlite'),
  DATABASE_URL: databaseUrl,
  DATABASE_POOL_SIZE: int('With `DATABASE_URL`: PostgreSQL connections of this engine at most.', 10, 1, 1000),
  DATABASE_STATEMENT_TIMEOUT_MS: int('With `DATABASE_URL`: longest statement before PostgreSQL cancels it.', 10000, 100, 600000),
  DATABASE_OUTAGE_HOLD_MS: int('With `DATABASE_URL`: how long a live call\'s writes are held in memory while PostgreSQL is unreachable; beyond, the call ends `failed`.', 60000, 1000, 3600000),
  CLUSTER_CONTROL_TIMEOUT_MS: int('How long a control of a session another engine runs waits for that engine\'s answer (503 beyond) ([cluster](docs/cluster.md)).', 5000, 100, 60000),
  LOG_LEVEL: oneOf('pino level of the JSON log lines on stdout.', LOG_LEVELS, 'info'),
  JWT_ALGORITHM: oneOf('The one algorithm tokens are accepted with: HS256 (`JWT_SECRET`), RS256 or ES256 (`JWT_PUBLIC_KEY`).', ['HS256', 'RS256', 'ES256'], 'HS256'),
  JWT_SECRET: secretText('HS256 secret (at least 32 characters). Unset: **demo mode**, a public secret, logged loudly.', '(demo mode)'),
  JWT_PUBLIC_KEY: secretText('PEM public key for RS256/ES256.'),
  JWT_ISSUER: optionalText('Required `iss` when set.'),
  JWT_AUDIENCE: optionalText('Required `aud` when set.'),
  ARI_URL: ariUrl,
  ARI_USERNAME: text('ARI user (`ari.conf`).', 'engine'),
  ARI_PASSWORD: secretText('ARI password; required with `ARI_URL`.'),
  ARI_SERVERS: ariServers,
  ARI_APP: text('This engine\'s own Stasis application name: each engine on an Asterisk needs its own; the engine refuses to start when another holds it ([scaling](docs/scaling.md#stasis-applications)).', 'engine', { pattern: /^[A-Za-z0-9_.-]{1,64}$/, message: 'may hold letters, digits, _ . - only' }),
  ARI_SIM_PORT: int('Port of the built-in simulator when `ARI_URL` is empty (0: any free port).', 0, 0, 65535),
  SIM_TIME_SCALE: simTimeScale,
  ROUTES_FILE: optionalText('JSON routing rules (number ranges to endpoints); unset: everything to `PJSIP/{number}@trunk`.'),
  ORIGINATE_TIMEOUT_SEC: int('Ring time before no-answer.', 30, 1, 600),
  MAX_BODY_BYTES: int('Largest request body accepted (413 beyond).', 65536, 1024, 10 * 1024 * 1024),
  MAX_LIVE_CALLS_PER_ACCOUNT: int('Concurrent live calls per account (429 beyond).', 100, 1, 100000),
  MAX_CALLS_PER_SECOND_PER_ACCOUNT: int('New calls per second per account (429 beyond).', 10, 1, 100000),
  UNAUTHENTICATED_PER_MINUTE: int('Requests without a valid token per client IP per minute, counted before any JWT work (429 beyond).', 120, 1, 1000000),
  FLOW_MAX_STEPS: int('Steps executed per session before the flow is stopped (loop guard).', 500, 1, 100000),
  FLOW_MAX_DURATION_MS: int('Longest session once answered.', 3600000, 1000, 86400000),
  ALLOWED_DESTINATIONS: list('Comma-separated ISO countries (`US`) or E.164 prefixes (`+44`) allowed as destinations; empty: all.', ''),
  BLOCKED_NUMBER_TYPES: list('libphonenumber-js number types refused as destinations.', 'PREMIUM_RATE,SHARED_COST,UAN,VOICEMAIL,PAGER,PERSONAL_NUMBER'),
  DRAIN_TIMEOUT_MS: int('On SIGTERM/SIGINT, how long live calls may go on before they are hung up.', 30000, 0, 3600000),
  TRUST_PROXY: trustProxy,
  ALLOW_PRIVATE_DESTINATIONS: bool('`true`: webhooks and media URLs may reach loopback, private and link-local addresses (labs, tests); cloud metadata addresses stay refused.'),
  UNOWNED_CHANNEL_SWEEP_MS: int('Every this long, channels in this engine\'s Stasis application that none of its calls runs (a call Asterisk answered after the engine gave up on it) are hung up, once seen so on two sweeps in a row and older than twice `ORIGINATE_TIMEOUT_SEC` ([operations](docs/operations.md#channels-no-call-owns)); 0: never.', 60000, 0, 3600000),
  SESSION_LEASE_MS: int('Lease of an engine on its live sessions, renewed every third of it; another engine ends them once it expired ([owners](docs/webhooks.md#owners-and-claims)).', 30000, 3000, 3600000),
  WEBHOOK_TIMEOUT_MS: int('Deadline of one webhook attempt ([webhooks](docs/webhooks.md#delivery-and-retries)).', 10000, 100, 120000),
  WEBHOOK_RETRY_BASE_MS: int('First retry delay; doubles per attempt (±20% jitter).', 1000, 1, 3600000),
  WEBHOOK_RETRY_MAX_DELAY_MS: int('Longest delay between two attempts.', 600000, 1, 86400000),
  WEBHOOK_MAX_AGE_MS: int('An event still undelivered this long after it happened is abandoned.', 86400000, 1000, 30 * 86400000),
  WEBHOOK_CONCURRENCY_PER_DESTINATION: int('Requests in flight per destination origin.', 4, 1, 1000),
  RECORDING_RETENTION_DAYS: int('Recordings older than this many days are deleted, from Asterisk too (0: kept until `DELETE /recordings/{id}`).', 0, 0, 36500),
  TTS_PROVIDER: oneOf('Text to speech of `say` text: espeak-ng (local, Debian package `espeak-ng`), http (`TTS_HTTP_URL`) or none ([flows](docs/flows.md#text-to-speech)).', ['espeak-ng', 'http', 'none'], 'espeak-ng'),
  TTS_ESPEAK_PATH: text('The espeak-ng binary.', 'espeak-ng'),
  TTS_HTTP_URL: httpUrl('With `TTS_PROVIDER=http` (required then): POST `{text, voice, language}` here, a 16-bit PCM WAV comes back.'),
  TTS_TIMEOUT_MS: int('Longest synthesis of one text.', 20000, 100, 300000),
  TTS_CACHE_DIR: optionalText('Synthesized audio by content hash.', '`<DATABASE_PATH folder>/tts-cache`'),
  TTS_CACHE_MAX_BYTES: int('Size cap of the TTS cache; least recently used files are evicted.', 104857600, 1024, 1e12),
  MEDIA_PUBLIC_BASE_URL: httpUrl('Base URL at which Asterisk reaches the engine\'s `/media/` (generated audio, unguessable expiring names).', '`http://HOST:PORT` (127.0.0.1 for 0.0.0.0)'),
  MEDIA_URL_TTL_MS: int('Lifetime of a published media name.', 3600000, 1000, 7 * 86400000),
  MEDIA_SOUNDS_DIR: optionalText('Instead of serving it: write generated audio into this directory, shared with Asterisk\'s sounds path.'),
  MEDIA_SOUNDS_PREFIX: text('With `MEDIA_SOUNDS_DIR`: the sound name prefix Asterisk finds that directory under.', 'engine-tts'),
  EVENT_STREAMS_PER_ACCOUNT: int('Live event streams (SSE) open at once per account (429 beyond).', 20, 1, 10000),
  EVENT_STREAM_HEARTBEAT_MS: int('Comment line sent on idle event streams.', 15000, 100, 600000),
  METRICS_TOKEN: secretText('Bearer token `GET /metrics` requires when set (not a JWT) ([metrics](docs/operations.md#metrics-prometheus)).'),
  METRICS_PORT: optionalInt('Serve `/metrics` on this port (same `HOST`) instead of the API port.', 0, 65535),
} satisfies Record<string, Setting<unknown>>;

export type SettingName = keyof typeof SETTINGS;
export type SettingValues = { [K in SettingName]: ReturnType<(typeof SETTINGS)[K]['parse']> };

type Env = Record<string, string | undefined>;

function rawValue(env: Env, name: string, setting: Setting<unknown>): string | undefined {
  const file = setting.secret ? env[`${name}_FILE`] : undefined;
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      throw new ConfigError(`${name}_FILE: cannot read ${file}`);
    }
  }
  return env[name];
}

/** One setting, read and checked on its own (for programs that need no whole Config). */
export function readSetting<K extends SettingName>(name: K, env: Env = process.env): SettingValues[K] {
  const setting: Setting<unknown> = SETTINGS[name];
  return setting.parse(rawValue(env, name, setting), name) as SettingValues[K];
}

function readSettings(env: Env): SettingValues {
  const values: Record<string, unknown> = {};
  for (const name of Object.keys(SETTINGS) as SettingName[]) values[name] = readSetting(name, env);
  return values as SettingValues;
}

/** The settings shaped for their readers, with the checks that span several settings. */
export function loadConfig(env: Env = process.env) {
  const v = readSettings(env);
  const algorithm: JwtAlgorithm = v.JWT_ALGORITHM;
  let key: string;
  let demoMode = false;
  if (algorithm === 'HS256') {
    if (v.JWT_SECRET === undefined) {
      key = DEMO_JWT_SECRET;
      demoMode = true;
    } else if (v.JWT_SECRET.length < 32) {
      throw new ConfigError('JWT_SECRET must be at least 32 characters');
    } else {
      key = v.JWT_SECRET;
    }
  } else {
    if (!v.JWT_PUBLIC_KEY || !v.JWT_PUBLIC_KEY.includes('PUBLIC KEY')) throw new ConfigError(`JWT_PUBLIC_KEY (PEM) is required with ${algorithm}`);
    key = v.JWT_PUBLIC_KEY;
  }

  let ariServers: AriServerConfig[] | undefined = v.ARI_SERVERS;
  if (v.ARI_URL) {
    if (ariServers) throw new ConfigError('ARI_URL and ARI_SERVERS are exclusive: list every server in ARI_SERVERS');
    if (!v.ARI_PASSWORD) throw new ConfigError('ARI_PASSWORD (or ARI_PASSWORD_FILE) is required with ARI_URL');
    ariServers = [{ name: SINGLE_SERVER_NAME, url: v.ARI_URL, username: v.ARI_USERNAME, password: v.ARI_PASSWORD, weight: 1 }];
  }
  if (v.TTS_PROVIDER === 'http' && !v.TTS_HTTP_URL) throw new ConfigError('TTS_HTTP_URL is required with TTS_PROVIDER=http');

  return {
    port: v.PORT,
    host: v.HOST,
    httpKeepAliveTimeoutMs: v.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    databasePath: v.DATABASE_PATH,
    /** PostgreSQL (shared by several engines) instead of the SQLite file, when set. */
    postgres: v.DATABASE_URL === undefined ? undefined : {
      url: v.DATABASE_URL, poolSize: v.DATABASE_POOL_SIZE, statementTimeoutMs: v.DATABASE_STATEMENT_TIMEOUT_MS, outageHoldMs: v.DATABASE_OUTAGE_HOLD_MS,
    },
    clusterControlTimeoutMs: v.CLUSTER_CONTROL_TIMEOUT_MS,
    logLevel: v.LOG_LEVEL,
    /** HMAC secret (HS256) or PEM public key (RS256/ES256). */
    jwt: { algorithm, key, issuer: v.JWT_ISSUER, audience: v.JWT_AUDIENCE },
    /** The Asterisk servers (ARI_URL: one, named "asterisk"); undefined: start the built-in simulator (embedded default). */
    ariServers,
    ariApp: v.ARI_APP,
    simulator: { port: v.ARI_SIM_PORT, timeScale: v.SIM_TIME_SCALE },
    routesFile: v.ROUTES_FILE,
    /** True when no JWT secret was configured: a fixed, publicly known demo secret is in use. */
    demoMode,
    originateTimeoutSec: v.ORIGINATE_TIMEOUT_SEC,
    limits: {
      maxBodyBytes: v.MAX_BODY_BYTES,
      maxLiveCallsPerAccount: v.MAX_LIVE_CALLS_PER_ACCOUNT,
      maxCallsPerSecondPerAccount: v.MAX_CALLS_PER_SECOND_PER_ACCOUNT,
      unauthenticatedPerMinute: v.UNAUTHENTICATED_PER_MINUTE,
      flowMaxSteps: v.FLOW_MAX_STEPS,
      flowMaxDurationMs: v.FLOW_MAX_DURATION_MS,
    },
    allowedDestinations: v.ALLOWED_DESTINATIONS,
    blockedNumberTypes: v.BLOCKED_NUMBER_TYPES,
    drainTimeoutMs: v.DRAIN_TIMEOUT_MS,
    /** Undefined: X-Forwarded-For is ignored, the socket's peer is the client. */
    trustProxy: v.TRUST_PROXY,
    allowPrivateDestinations: v.ALLOW_PRIVATE_DESTINATIONS,
    sessionLeaseMs: v.SESSION_LEASE_MS,
    /** 0: no sweep. */
    unownedChannelSweepMs: v.UNOWNED_CHANNEL_SWEEP_MS,
    webhooks: {
      timeoutMs: v.WEBHOOK_TIMEOUT_MS,
      retryBaseMs: v.WEBHOOK_RETRY_BASE_MS,
      retryMaxDelayMs: v.WEBHOOK_RETRY_MAX_DELAY_MS,
      maxAgeMs: v.WEBHOOK_MAX_AGE_MS,
      perDestination: v.WEBHOOK_CONCURRENCY_PER_DESTINATION,
    },
    tts: {
      provider: v.TTS_PROVIDER,
      espeakPath: v.TTS_ESPEAK_PATH,
      httpUrl: v.TTS_HTTP_URL,
      timeoutMs: v.TTS_TIMEOUT_MS,
      cacheDir: v.TTS_CACHE_DIR ?? join(dirname(v.DATABASE_PATH), 'tts-cache'),
      cacheMaxBytes: v.TTS_CACHE_MAX_BYTES,
    },
    /** 0: kept until deleted. */
    recordingRetentionMs: v.RECORDING_RETENTION_DAYS * 86_400_000,
    media: {
      /** Undefined: http://HOST:port listened on, 127.0.0.1 for 0.0.0.0. */
      publicBaseUrl: v.MEDIA_PUBLIC_BASE_URL,
      urlTtlMs: v.MEDIA_URL_TTL_MS,
      soundsDir: v.MEDIA_SOUNDS_DIR,
      soundsPrefix: v.MEDIA_SOUNDS_PREFIX,
    },
    events: { maxStreamsPerAccount: v.EVENT_STREAMS_PER_ACCOUNT, heartbeatMs: v.EVENT_STREAM_HEARTBEAT_MS },
    metrics: { token: v.METRICS_TOKEN, port: v.METRICS_PORT },
  };
}

export type Config = ReturnType<typeof loadConfig>;
