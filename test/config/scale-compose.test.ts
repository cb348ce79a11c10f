// docker-compose.scale.yml (docs/scaling.md): two engines and two Asterisk servers on one
// PostgreSQL, with a lab phone. Each engine has its own Stasis application and reaches every
// Asterisk; every Asterisk's [engine-inbound] tries exactly the engines' applications.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import { parseYaml, composeDefault, asMap, asList, asString } from '../support/config-yaml.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const FILE = join(REPO, 'docker-compose.scale.yml');
const compose = asMap(parseYaml(readFileSync(FILE, 'utf8')), 'compose file');
const services = asMap(compose.services, 'services');
const env = (name: string): Record<string, string> => {
  const raw = asMap(asMap(services[name], name).environment, `${name}.environment`);
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, composeDefault(asString(v, `${name}.${k}`))]));
};
const engines = Object.keys(services).filter((n) => n.startsWith('engine-'));
const asterisks = Object.keys(services).filter((n) => n.startsWith('asterisk-'));

describe('docker-compose.scale.yml', () => {
  test('PostgreSQL, two engines, two Asterisk servers and a lab phone', () => {
    assert.deepEqual(engines, ['engine-a', 'engine-b']);
    assert.deepEqual(asterisks, ['asterisk-a', 'asterisk-b']);
    assert.match(asString(asMap(services.postgres, 'postgres').image, 'postgres.image'), /^postgres:15/);
    assert.ok(services.labphone, 'a lab phone');
  });

  test('each engine has its own ARI_APP, connects to every Asterisk and shares the PostgreSQL database', () => {
    const apps = engines.map((e) => loadConfig(env(e)).ariApp);
    assert.equal(new Set(apps).size, engines.length, `distinct Stasis applications: ${apps.join(', ')}`);
    for (const e of engines) {
      const config = loadConfig(env(e));
      assert.deepEqual(config.ariServers?.map((s) => s.name), asterisks);
      assert.deepEqual(config.ariServers?.map((s) => new URL(s.url).hostname), asterisks, 'each server by its service name');
      assert.match(env(e).DATABASE_URL ?? '', /^postgres:\/\/[^@]+@postgres:5432\//);
    }
  });

  test('every Asterisk sends calls that come in to the engines\' applications, and only those', () => {
    const apps = engines.map((e) => loadConfig(env(e)).ariApp).sort();
    for (const a of asterisks) assert.deepEqual((env(a).ENGINE_APPS ?? '').split('&').sort(), apps, a);
  });

  test('the lab phone registers with asterisk-a under the name the one-engine lab uses', () => {
    const lab = asMap(asMap(asMap(services['asterisk-a'], 'asterisk-a').networks, 'networks').lab, 'lab');
    assert.deepEqual(asList(lab.aliases, 'aliases'), ['asterisk']);
    assert.match(readFileSync(join(REPO, 'docker/labphone/accounts'), 'utf8'), /<sip:phone1@asterisk>/);
  });

  test('docker-compose validates it', (t) => {
    const probe = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
    if (probe.error) {
      t.skip('docker-compose is not installed (apt-get install docker-compose); docker-compose.scale.yml was not validated');
      return;
    }
    const run = spawnSync('docker-compose', ['-f', FILE, 'config', '-q'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    assert.equal(run.status, 0, run.stderr);
  });
});
