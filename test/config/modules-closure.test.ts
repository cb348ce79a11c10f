// Checks asterisk-config/modules.conf against what an Asterisk 22.10.1 build really ships
// (../shared/ari-reference/asterisk-22.10.1-modules.json: every module of the build, its
// requires/optional modules, and the config files the core and the modules read at start). A
// module that does not exist, a dependency left out or a missing config file makes a real
// Asterisk print ERROR lines or refuse to start; none of that shows against the simulator.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAsteriskConfig, getAll } from '../support/config-asterisk-ini.js';

const CONF = fileURLToPath(new URL('../../asterisk-config', import.meta.url));
const MODULES_JSON = fileURLToPath(new URL('../../../shared/ari-reference/asterisk-22.10.1-modules.json', import.meta.url));
const SKIP = existsSync(MODULES_JSON)
  ? false
  : `module list of Asterisk 22.10.1 absent: ${MODULES_JSON} (../shared/ari-reference is not part of the repository)`;

interface ModuleInfo { module: string; requires: string[]; optional: string[] }
interface Mention { level: string; source: string | null; message: string }
interface ModulesReference {
  asteriskVersion: string;
  modules: ModuleInfo[];
  note: {
    configFilesMentionedAtStartup: Record<string, Mention[]>;
    coreAndAriPjsipFiles: Record<string, string[]>;
  };
}

/** Names modules require that are parts of the asterisk binary, not loadable modules. */
const BUILT_IN = new Set(['ccss', 'cdr', 'cel', 'dnsmgr', 'enum', 'extconfig', 'http', 'udptl']);

/**
 * Who reads the files the reference names through a shared loader (config_options.c,
 * res_sorcery_config.c, cdrel_custom/config.c) or only in prose: the loader's name does not
 * identify the module. `core` is the asterisk binary. Every file the reference names must be here
 * or be traceable to its module by source file, so a new file in the reference fails this test
 * instead of being ignored.
 */
const READER: Record<string, string> = {
  'acl.conf': 'core', 'cdr.conf': 'core', 'cel.conf': 'core', 'features.conf': 'core', 'udptl.conf': 'core',
  'stasis.conf': 'core', 'http.conf': 'core', 'asterisk.conf': 'core', 'modules.conf': 'core',
  'aeap.conf': 'res_aeap', 'agents.conf': 'app_agent_pool', 'ari.conf': 'res_ari', 'chan_websocket.conf': 'chan_websocket',
  'confbridge.conf': 'app_confbridge', 'geolocation.conf': 'res_geolocation', 'pjproject.conf': 'res_pjproject',
  'pjsip.conf': 'res_pjsip', 'pjsip_notify.conf': 'res_pjsip_notify', 'pjsip_wizard.conf': 'res_pjsip_config_wizard',
  'prometheus.conf': 'res_prometheus', 'res_http_media_cache.conf': 'res_http_media_cache', 'res_parking.conf': 'res_parking',
  'statsd.conf': 'res_statsd', 'websocket_client.conf': 'res_websocket_client', 'cdr_custom.conf': 'cdr_custom',
  'cel_custom.conf': 'cel_custom', 'cdr_sqlite3_custom.conf': 'cdr_sqlite3_custom', 'cel_sqlite3_custom.conf': 'cel_sqlite3_custom',
  'extensions.conf': 'pbx_config', 'musiconhold.conf': 'res_musiconhold', 'rtp.conf': 'res_rtp_asterisk',
};
const SHARED_LOADERS = new Set(['config_options.c', 'res_sorcery_config.c', 'cdrel_custom/config.c']);

const reference = SKIP ? undefined : (JSON.parse(readFileSync(MODULES_JSON, 'utf8')) as ModulesReference);
const byName = new Map((reference?.modules ?? []).map((m) => [m.module.replace(/\.so$/, ''), m]));
const bySource = new Map((reference?.modules ?? []).map((m) => [
  ((m as ModuleInfo & { source?: string }).source ?? '').split('/').pop() ?? '', m.module.replace(/\.so$/, ''),
]));

const modulesConf = readAsteriskConfig(join(CONF, 'modules.conf')).sections.find((s) => s.name === 'modules');
const bare = (name: string) => name.replace(/\.so$/, '');
const listed = (key: string) => (modulesConf ? getAll(modulesConf, key).map(bare) : []);
const required = listed('require');
const loaded = new Set([...listed('preload'), ...listed('load'), ...required]);
const noload = new Set(listed('noload'));

/** Every module `name` needs loaded first, transitively (built-in parts of the core excluded). */
function closure(name: string): Set<string> {
  const out = new Set<string>();
  const stack = [name];
  while (stack.length > 0) {
    for (const dep of byName.get(stack.pop() ?? '')?.requires ?? []) {
      if (!BUILT_IN.has(dep) && !out.has(dep)) {
        out.add(dep);
        stack.push(dep);
      }
    }
  }
  return out;
}

/** Config file → the module (or `core`) that reads it, for every file the reference names. */
function readers(ref: ModulesReference): Map<string, { reader: string; quiet: boolean }> {
  const out = new Map<string, { reader: string; quiet: boolean }>();
  for (const [file, mentions] of Object.entries(ref.note.configFilesMentionedAtStartup)) {
    const sources = mentions.map((m) => m.source);
    const traced = sources.map((s) => (s === null || SHARED_LOADERS.has(s) ? undefined : bySource.get(s.split('/').pop() ?? '') ?? 'core'));
    const reader = READER[file] ?? traced.find((r) => r !== undefined);
    assert.ok(reader, `the reference names ${file} (${sources.join(', ')}): add who reads it to READER`);
    // A file whose absence is only a NOTICE (manager.conf: AMI stays off) is not needed.
    out.set(file, { reader, quiet: mentions.every((m) => m.level === 'NOTICE') });
  }
  for (const lines of Object.values(ref.note.coreAndAriPjsipFiles)) {
    for (const line of lines) {
      const file = line.split(' ')[0] ?? '';
      if (out.has(file)) continue;
      const reader = READER[file];
      assert.ok(reader, `the reference names ${file} ("${line}"): add who reads it to READER`);
      out.set(file, { reader, quiet: /NOTICE only/.test(line) });
    }
  }
  return out;
}

describe('modules.conf against the modules of an Asterisk 22.10.1 build', { skip: SKIP }, () => {
  test('the reference is the 22.10.1 build and modules.conf loads an explicit list', () => {
    assert.equal(reference?.asteriskVersion, '22.10.1');
    assert.ok(modulesConf, 'modules.conf has a [modules] section');
    assert.equal(getAll(modulesConf, 'autoload')[0], 'no');
    assert.ok(loaded.size > 20);
  });

  test('every module named exists in 22.10.1', () => {
    const missing = [...loaded, ...noload].filter((m) => !byName.has(m));
    assert.deepEqual(missing, [], `not in Asterisk 22.10.1: ${missing.map((m) => `${m}.so`).join(', ')}`);
  });

  test('everything a loaded module requires is a module of the build or part of the core', () => {
    for (const m of loaded) {
      for (const dep of byName.get(m)?.requires ?? []) {
        assert.ok(byName.has(dep) || BUILT_IN.has(dep), `${m} requires ${dep}, which is neither a module nor built in`);
      }
    }
  });

  test('the dependency closure of every require/load is loaded, and none of it is noload', () => {
    const problems: string[] = [];
    for (const m of loaded) {
      for (const dep of closure(m)) {
        if (noload.has(dep)) problems.push(`${m}.so needs ${dep}.so, which is noload`);
        else if (!loaded.has(dep)) problems.push(`${m}.so needs ${dep}.so, which is not loaded`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test('no module is both loaded and noload', () => {
    assert.deepEqual([...noload].filter((m) => loaded.has(m)), []);
  });

  test('every config file the core and the loaded modules read at start is in asterisk-config/', () => {
    assert.ok(reference);
    const needed = [...readers(reference)]
      .filter(([, r]) => !r.quiet && (r.reader === 'core' || loaded.has(r.reader)))
      .map(([file]) => file);
    // The files Asterisk 22.10.1 printed "Unable to load config file" for with this module set.
    for (const file of ['cdr.conf', 'cel.conf', 'features.conf', 'acl.conf', 'udptl.conf', 'pjproject.conf', 'websocket_client.conf', 'ccss.conf']) {
      assert.ok(needed.includes(file), `${file} is among the files read`);
    }
    const absent = needed.filter((f) => !existsSync(join(CONF, f)));
    assert.deepEqual(absent, [], `missing from asterisk-config/: ${absent.join(', ')}`);
  });
});
