// The settings table (src/config.ts) is the one declaration of every setting: the README's table
// is generated from it, each documented default is the one applied, each check names its setting,
// secrets come from <NAME>_FILE too, and no other module reads the environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, readSetting, SETTINGS, type Setting } from '../../src/config.js';
import { README, renderSettingsDocs } from '../../scripts/settings-docs.js';

test('the README configuration table is generated from SETTINGS (run `npm run docs:settings`)', () => {
  const readme = readFileSync(README, 'utf8');
  assert.equal(readme, renderSettingsDocs(readme));
});

test('every documented default is the value applied when the variable is unset', () => {
  for (const [name, setting] of Object.entries(SETTINGS) as Array<[string, Setting<unknown>]>) {
    const unset = setting.parse(undefined, name);
    if (/^[`(]/.test(setting.default)) {
      // A described default: unset means "derived from another setting" (or demo mode).
      assert.equal(unset, undefined, `${name} unset`);
    } else {
      assert.deepEqual(unset, setting.parse(setting.default, name), `${name}: documented default ${setting.default}`);
    }
  }
});

test('a bad value is refused with the setting\'s name in the message', () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'abc' }, /^PORT must be an integer from 0 to 65535/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be fatal, error, warn, info, debug, trace or silent/],
    [{ ARI_SIM_PORT: '70000' }, /^ARI_SIM_PORT must be an integer/],
    [{ TTS_PROVIDER: 'festival' }, /^TTS_PROVIDER must be espeak-ng, http or none/],
    [{ TTS_PROVIDER: 'http' }, /^TTS_HTTP_URL is required with TTS_PROVIDER=http/],
    [{ ARI_URL: 'http://asterisk:8088' }, /^ARI_PASSWORD \(or ARI_PASSWORD_FILE\) is required with ARI_URL/],
    [{ ARI_APP: 'a b' }, /^ARI_APP may hold letters/],
    [{ JWT_SECRET: 'short' }, /^JWT_SECRET must be at least 32 characters/],
    [{ JWT_ALGORITHM: 'none' }, /^JWT_ALGORITHM must be HS256, RS256 or ES256/],
    [{ SIM_TIME_SCALE: '11' }, /^SIM_TIME_SCALE must be > 0 and <= 10/],
    [{ ALLOW_PRIVATE_DESTINATIONS: 'yes' }, /^ALLOW_PRIVATE_DESTINATIONS must be true or false/],
  ];
  for (const [env, message] of cases) {
    assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && message.test(err.message), JSON.stringify(env));
  }
});

test('settings are shaped for their readers; LOG_LEVEL and ARI_SIM_PORT are read here too', () => {
  const config = loadConfig({ LOG_LEVEL: 'debug', ARI_SIM_PORT: '8090', DATABASE_PATH: '/var/lib/engine/db.sqlite', RECORDING_RETENTION_DAYS: '2', BLOCKED_NUMBER_TYPES: '' });
  assert.equal(config.logLevel, 'debug');
  assert.deepEqual(config.simulator, { port: 8090, timeScale: 1 });
  assert.equal(config.tts.cacheDir, '/var/lib/engine/tts-cache');
  assert.equal(config.recordingRetentionMs, 2 * 86_400_000);
  assert.deepEqual(config.blockedNumberTypes, [], 'set but empty is an empty list');
  assert.equal(config.demoMode, true);
  assert.equal(readSetting('LOG_LEVEL', { LOG_LEVEL: 'warn' }), 'warn');
});

test('secrets come from <NAME>_FILE; an unreadable file is a clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'settings-'));
  const file = join(dir, 'secret');
  writeFileSync(file, 'a-secret-that-is-long-enough-0123456789\n');
  const config = loadConfig({ JWT_SECRET_FILE: file, ARI_URL: 'http://asterisk:8088', ARI_PASSWORD_FILE: file, METRICS_TOKEN_FILE: file });
  assert.equal(config.jwt.key, 'a-secret-that-is-long-enough-0123456789');
  assert.equal(config.ariServers?.[0]?.password, 'a-secret-that-is-long-enough-0123456789');
  assert.equal(config.metrics.token, 'a-secret-that-is-long-enough-0123456789');
  assert.equal(config.demoMode, false);
  assert.throws(() => loadConfig({ JWT_SECRET_FILE: join(dir, 'missing') }), (err: unknown) => err instanceof ConfigError && /^JWT_SECRET_FILE: cannot read/.test(err.message));
  assert.equal(loadConfig({ PORT_FILE: file }).port, 3000, 'only secrets are read from files');
});

test('no module in src/ reads the environment but config.ts (and the simulator\'s own CLI)', () => {
  const src = fileURLToPath(new URL('../../src/', import.meta.url));
  const readers = (readdirSync(src, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && readFileSync(join(src, f), 'utf8').includes('process.env'))
    .map((f) => f.replaceAll('\\', '/'))
    .sort();
  assert.deepEqual(readers, ['config.ts', 'sim/cli.ts']);
});
