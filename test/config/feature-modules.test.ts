// The modules the engine's features need (src/telephony/asterisk-modules.ts: per port operation
// and media kind) against asterisk-config/modules.conf. A real Asterisk with `autoload = no` runs
// without a feature's module and ARI often still answers 2xx (music on hold: 204 and silence;
// `sound:http` media: PlaybackFinished failed), so nothing but this check notices before a lab run.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAsteriskConfig, getAll, get } from '../support/config-asterisk-ini.js';
import {
  CONNECTION_MODULES, MEDIA_MODULES, PORT_OPERATION_MODULES, modulesTheEngineNeeds,
} from '../../src/telephony/asterisk-modules.js';

const CONF = fileURLToPath(new URL('../../asterisk-config', import.meta.url));
const MODULES_JSON = fileURLToPath(new URL('../../../shared/ari-reference/asterisk-22.10.1-modules.json', import.meta.url));

/** Modules modules.conf loads (require, load or preload), without `.so`. */
function loadedBy(modulesConfPath: string): Set<string> {
  const section = readAsteriskConfig(modulesConfPath).sections.find((s) => s.name === 'modules');
  assert.ok(section, 'modules.conf has a [modules] section');
  return new Set(['require', 'load', 'preload'].flatMap((k) => getAll(section, k)).map((m) => m.replace(/\.so$/, '')));
}

/** What needs a module: the port operations and media kinds that name it. */
function neededBy(module: string): string[] {
  return [
    ...(CONNECTION_MODULES as readonly string[]).includes(module) ? ['the ARI connection'] : [],
    ...Object.entries(PORT_OPERATION_MODULES).filter(([, ms]) => ms.includes(module)).map(([op]) => `port.${op}`),
    ...Object.entries(MEDIA_MODULES).filter(([, ms]) => ms.includes(module)).map(([kind]) => `${kind} media`),
  ];
}

/** The needed modules a modules.conf does not load, each with what needs it. */
function missingFrom(modulesConfPath: string): string[] {
  const loaded = loadedBy(modulesConfPath);
  return modulesTheEngineNeeds().filter((m) => !loaded.has(m)).map((m) => `${m}.so (needed by ${neededBy(m).join(', ')})`);
}

describe('modules.conf loads what the engine\'s features need', () => {
  test('every module a port operation or media kind names is loaded', () => {
    assert.deepEqual(missingFrom(join(CONF, 'modules.conf')), []);
  });

  test('the check fails when res_http_media_cache or res_musiconhold is taken out', () => {
    const text = readFileSync(join(CONF, 'modules.conf'), 'utf8');
    for (const module of ['res_http_media_cache', 'res_musiconhold']) {
      const dir = mkdtempSync(join(tmpdir(), 'modules-conf-'));
      const without = text.split('\n').filter((line) => !line.includes(`${module}.so`)).join('\n');
      assert.notEqual(without, text, `modules.conf names ${module}.so`);
      writeFileSync(join(dir, 'modules.conf'), without);
      const missing = missingFrom(join(dir, 'modules.conf'));
      assert.equal(missing.length, 1, missing.join('; '));
      assert.match(missing[0] ?? '', new RegExp(`^${module}\\.so \\(needed by .+\\)$`));
    }
  });

  test('music on hold has a default class that plays files', () => {
    const moh = readAsteriskConfig(join(CONF, 'musiconhold.conf')).sections.find((s) => s.name === 'default');
    assert.ok(moh, 'musiconhold.conf has a [default] class (the engine names no class)');
    assert.equal(get(moh, 'mode'), 'files');
    assert.ok(get(moh, 'directory'), 'the default class names its directory');
  });

  test('every named module exists in an Asterisk 22.10.1 build', {
    skip: existsSync(MODULES_JSON) ? false : `module list of Asterisk 22.10.1 absent: ${MODULES_JSON} (../shared/ari-reference is not part of the repository)`,
  }, () => {
    const reference = JSON.parse(readFileSync(MODULES_JSON, 'utf8')) as { modules: Array<{ module: string }> };
    const known = new Set(reference.modules.map((m) => m.module.replace(/\.so$/, '')));
    assert.deepEqual(modulesTheEngineNeeds().filter((m) => !known.has(m)), []);
  });
});
