// ARI_SERVERS (several Asterisk servers, docs/scaling.md): read from the variable or from the file
// ARI_SERVERS_FILE names; bad input is refused with the field at fault and never the text itself
// (it holds passwords); ARI_URL stays the one-server form, named `asterisk`.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';

const SECRET = 'a-password-that-must-never-show';
const servers = [
  { name: 'a', url: 'http://asterisk-a:8088/', username: 'engine', password: SECRET },
  { name: 'b', url: 'https://asterisk-b:8089', username: 'engine', password: SECRET, weight: 3 },
];

function refused(env: Record<string, string>, pattern: RegExp): void {
  assert.throws(() => loadConfig(env), (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.match(err.message, pattern);
    assert.doesNotMatch(err.message, new RegExp(SECRET), 'the message never quotes a password');
    return true;
  });
}

describe('ARI_SERVERS', () => {
  test('a JSON array of servers, weight 1 unless given', () => {
    const config = loadConfig({ ARI_SERVERS: JSON.stringify(servers) });
    assert.deepEqual(config.ariServers, [
      { name: 'a', url: 'http://asterisk-a:8088', username: 'engine', password: SECRET, weight: 1 },
      { name: 'b', url: 'https://asterisk-b:8089', username: 'engine', password: SECRET, weight: 3 },
    ]);
  });

  test('ARI_SERVERS_FILE: the same JSON from a file (a Docker secret)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ari-servers-'));
    try {
      writeFileSync(join(dir, 'servers.json'), JSON.stringify(servers));
      assert.deepEqual(loadConfig({ ARI_SERVERS_FILE: join(dir, 'servers.json') }).ariServers?.map((s) => s.name), ['a', 'b']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('ARI_URL is the one-server form; the two together are refused; neither: the built-in simulator', () => {
    assert.deepEqual(loadConfig({ ARI_URL: 'http://asterisk:8088', ARI_PASSWORD: SECRET }).ariServers,
      [{ name: 'asterisk', url: 'http://asterisk:8088', username: 'engine', password: SECRET, weight: 1 }]);
    refused({ ARI_URL: 'http://asterisk:8088', ARI_PASSWORD: SECRET, ARI_SERVERS: JSON.stringify(servers) }, /ARI_URL and ARI_SERVERS are exclusive/);
    assert.equal(loadConfig({}).ariServers, undefined);
  });

  test('bad input names the field at fault and never quotes the text', () => {
    refused({ ARI_SERVERS: `[{"name":"a","password":"${SECRET}"` }, /ARI_SERVERS is not valid JSON/);
    refused({ ARI_SERVERS: '[]' }, /ARI_SERVERS must be a JSON array of 1 to 64 servers/);
    refused({ ARI_SERVERS: JSON.stringify({ servers }) }, /must be a JSON array/);
    refused({ ARI_SERVERS: JSON.stringify([servers[0], { ...servers[1], name: 'a' }]) }, /ARI_SERVERS\[1\]\.name "a" is used twice/);
    refused({ ARI_SERVERS: JSON.stringify([{ ...servers[0], name: 'a b' }]) }, /ARI_SERVERS\[0\]\.name must be/);
    refused({ ARI_SERVERS: JSON.stringify([{ ...servers[0], url: 'ftp://x' }]) }, /ARI_SERVERS\[0\]\.url must be http\(s\)/);
    refused({ ARI_SERVERS: JSON.stringify([{ ...servers[0], password: '' }]) }, /ARI_SERVERS\[0\]\.password must be a non-empty string/);
    refused({ ARI_SERVERS: JSON.stringify([{ ...servers[0], weight: -1 }]) }, /ARI_SERVERS\[0\]\.weight must be an integer from 0 to 1000/);
    refused({ ARI_SERVERS: JSON.stringify([{ ...servers[0], region: 'eu' }]) }, /ARI_SERVERS\[0\] has an unknown field "region"/);
    refused({ ARI_SERVERS_FILE: '/nonexistent/servers.json' }, /ARI_SERVERS_FILE: cannot read/);
  });
});
