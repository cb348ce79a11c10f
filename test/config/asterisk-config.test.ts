// Cross-checks asterisk-config/, docker-compose.yml, the lab images and the engine's own
// configuration: no Asterisk and no Docker engine run here, so every name, port, password and
// range they share is compared as text.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { loadRouter } from '../../src/domain/routing.js';
import { DEMO_CALLER_ID, DEMO_EXTENSION } from '../../src/demo.js';
import { isExtension } from '../../src/domain/extension.js';
import {
  readAsteriskConfig, resolvedSections, get, getAll, sectionsOfType, type Section,
} from '../support/config-asterisk-ini.js';
import { parseYaml, composeDefault, asMap, asList, asString } from '../support/config-yaml.js';
import { SCENARIO_APP } from '../support/scenario-lab.js';

const REPO = join(import.meta.dirname, '..', '..');
const CONF = join(REPO, 'asterisk-config');

function conf(name: string): Section[] {
  return resolvedSections(readAsteriskConfig(join(CONF, name)));
}

function section(sections: Section[], name: string, type?: string): Section {
  const found = sections.filter((s) => s.name === name && (type === undefined || get(s, 'type') === type));
  assert.equal(found.length, 1, `exactly one [${name}]${type ? ` of type ${type}` : ''}`);
  return found[0] as Section;
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

const compose = asMap(parseYaml(readFileSync(join(REPO, 'docker-compose.yml'), 'utf8')), 'compose file');
const services = asMap(compose.services, 'services');
const service = (name: string) => asMap(services[name], `services.${name}`);
const env = (name: string) => {
  const raw = asMap(service(name).environment, `services.${name}.environment`);
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, composeDefault(asString(v, `${name}.${k}`))]));
};
const engineEnv = env('engine');
const asteriskEnv = env('asterisk');
/** The engine's configuration exactly as it will start in the compose lab. */
const engineConfig = loadConfig(engineEnv);

describe('asterisk-config files', () => {
  test('holds exactly the files Asterisk reads for the lab, all parseable', () => {
    const files = readdirSync(CONF).sort();
    assert.deepEqual(files, [
      'acl.conf', 'ari.conf', 'ari_users.conf', 'asterisk.conf', 'ccss.conf', 'cdr.conf', 'cel.conf', 'chan_websocket.conf',
      'extensions.conf', 'features.conf', 'http.conf', 'indications.conf', 'logger.conf', 'modules.conf', 'musiconhold.conf',
      'pjproject.conf', 'pjsip.conf', 'res_http_media_cache.conf', 'rtp.conf', 'stasis.conf', 'udptl.conf', 'websocket_client.conf',
    ]);
    // Files whose defaults are what the lab wants are comments only; every other one has sections.
    const commentsOnly = ['acl.conf', 'pjproject.conf', 'websocket_client.conf'];
    for (const file of files) {
      assert.equal(readAsteriskConfig(join(CONF, file)).sections.length > 0, !commentsOnly.includes(file), file);
    }
    // CDR and CEL stay off: the engine records every call in its own session timeline.
    for (const file of ['cdr.conf', 'cel.conf']) assert.equal(get(section(conf(file), 'general'), 'enable'), 'no', file);
    // ari_users.conf is read through ari.conf's #include.
    assert.deepEqual(readAsteriskConfig(join(CONF, 'ari.conf')).files.map((f) => f.slice(CONF.length + 1)), ['ari.conf', 'ari_users.conf']);
  });

  test('asterisk.conf keeps each install\'s own directories (rest-api documents, sounds)', () => {
    const sections = conf('asterisk.conf');
    assert.equal(sections.find((s) => s.name === 'directories'), undefined);
    assert.equal(get(section(sections, 'options'), 'live_dangerously'), 'no');
  });

  test('modules.conf loads exactly what ARI, Stasis, PJSIP, media and bridging need', () => {
    const modules = section(conf('modules.conf'), 'modules');
    assert.equal(get(modules, 'autoload'), 'no');
    const loaded = [...getAll(modules, 'load'), ...getAll(modules, 'require'), ...getAll(modules, 'preload')];
    assert.equal(new Set(loaded).size, loaded.length, 'no module listed twice');
    for (const m of loaded) assert.match(m, /^[a-z0-9_]+\.so$/, m);
    const required = new Set(getAll(modules, 'require'));
    for (const m of [
      'res_http_websocket', 'res_ari', 'res_ari_applications', 'res_ari_asterisk', 'res_ari_bridges',
      'res_ari_channels', 'res_ari_endpoints', 'res_ari_events', 'res_ari_playbacks', 'res_ari_recordings', 'res_ari_sounds',
      'res_stasis', 'res_stasis_answer', 'res_stasis_playback', 'res_stasis_recording', 'app_stasis',
      'res_pjproject', 'res_pjsip', 'res_pjsip_session', 'chan_pjsip', 'res_pjsip_sdp_rtp', 'res_pjsip_authenticator_digest',
      'res_pjsip_endpoint_identifier_user', 'res_pjsip_endpoint_identifier_ip', 'res_pjsip_registrar', 'res_pjsip_nat',
      'res_rtp_asterisk', 'res_timing_timerfd', 'pbx_config', 'res_sorcery_config', 'res_sorcery_memory', 'res_sorcery_astdb',
      'bridge_simple', 'bridge_native_rtp', 'codec_ulaw', 'codec_alaw', 'format_gsm', 'format_wav', 'format_pcm', 'app_dial',
    ]) {
      assert.ok(required.has(`${m}.so`), `${m}.so is required`);
    }
    assert.equal(getAll(modules, 'noload').filter((m) => loaded.includes(m)).length, 0);
  });
});

describe('ARI: Asterisk and the engine agree', () => {
  test('the compose lab starts the engine against the real Asterisk, not the simulator', () => {
    assert.ok(engineConfig.ariServers?.[0], 'ARI_URL is set for the engine');
    assert.equal(engineConfig.ariServers?.[0].url, 'http://asterisk:8088');
    assert.ok('asterisk' in services, 'ARI_URL names the asterisk service');
  });

  test('the engine\'s ARI user and password exist in ari.conf', () => {
    const ari = engineConfig.ariServers?.[0];
    assert.ok(ari);
    const sections = conf('ari.conf');
    assert.equal(get(section(sections, 'general'), 'enabled'), 'yes');
    const user = section(sections, ari.username, 'user');
    assert.equal(get(user, 'read_only'), 'no', 'the engine needs write access');
    assert.equal(get(user, 'password_format'), 'plain');
    assert.equal(get(user, 'password'), ari.password);
    // Asterisk is given the same credentials to generate its ari_users.conf.
    assert.equal(asteriskEnv.ARI_USERNAME, engineEnv.ARI_USERNAME);
    assert.equal(asteriskEnv.ARI_PASSWORD, engineEnv.ARI_PASSWORD);
  });

  test('the ARI user file the container generates matches what the engine is given', () => {
    const ari = engineConfig.ariServers?.[0];
    assert.ok(ari);
    const dir = mkdtempSync(join(tmpdir(), 'ari-users-'));
    try {
      const out = join(dir, 'ari_users.conf');
      execFileSync('sh', [join(REPO, 'docker/asterisk/render-ari-users.sh'), out], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ARI_USERNAME: asteriskEnv.ARI_USERNAME, ARI_PASSWORD: asteriskEnv.ARI_PASSWORD },
      });
      const user = section(resolvedSections(readAsteriskConfig(out)), ari.username, 'user');
      assert.equal(get(user, 'password'), ari.password);
      assert.equal(get(user, 'read_only'), 'no');

      // A password Asterisk would read differently is refused rather than silently changed.
      const bad = spawnSync('sh', [join(REPO, 'docker/asterisk/render-ari-users.sh'), join(dir, 'bad.conf')], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ARI_PASSWORD: 'secret;comment' },
        encoding: 'utf8',
      });
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /must not contain ';'/);
      assert.ok(!existsSync(join(dir, 'bad.conf')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('http.conf serves ARI where ARI_URL points', () => {
    const ari = engineConfig.ariServers?.[0];
    assert.ok(ari);
    const url = new URL(ari.url);
    const general = section(conf('http.conf'), 'general');
    assert.equal(get(general, 'enabled'), 'yes');
    assert.equal(get(general, 'bindport'), url.port || '80');
    const bind = get(general, 'bindaddr');
    assert.ok(bind === '0.0.0.0' || bind === '::' || bind === url.hostname, `bindaddr ${bind} reachable as ${url.hostname}`);
    assert.equal(get(general, 'tlsenable') ?? 'no', url.protocol === 'https:' ? 'yes' : 'no');
  });

  const stasisApps = (sections: Section[]) => sections.flatMap((s) => s.entries)
    .flatMap((e) => [...e.value.matchAll(/\bStasis\(([^,)]+)/g)].map((m) => m[1]));

  test('the dialplan\'s Stasis application is the engine\'s ARI_APP ([test-inbound]: the scenarios\' app)', () => {
    const dialplan = conf('extensions.conf');
    const apps = stasisApps(dialplan.filter((s) => s.name !== 'test-inbound'));
    // Phones reach the engines through [engine-inbound] alone: one Stasis() into an application
    // of ENGINE_APPS (docs/scaling.md), `engine` when it is unset: the default ARI_APP.
    assert.deepEqual(apps, ['${CUT(ENGINE_APPS_TRY'], 'one Stasis() line, into an application of ENGINE_APPS');
    const inbound = section(dialplan, 'engine-inbound').entries.map((e) => e.value);
    const fallback = /\?([A-Za-z0-9_.-]+):\$\{ENV\(ENGINE_APPS\)\}/.exec(inbound[0] ?? '')?.[1];
    assert.equal(fallback, engineConfig.ariApp, 'ENGINE_APPS unset: the compose engine\'s ARI_APP');
    assert.equal(fallback, loadConfig({}).ariApp, 'and the engine\'s default ARI_APP');
    assert.ok(inbound.some((v) => /GotoIf\(\$\["\$\{STASISSTATUS\}" != "FAILED"\]\?done\)/.test(v)), 'a failed Stasis() tries the next application');
    for (const v of inbound) assert.doesNotMatch(v, /\b(Dial|Goto|Gosub)\(/, v);
    const scenarioApps = stasisApps(dialplan.filter((s) => s.name === 'test-inbound'));
    assert.ok(scenarioApps.length >= 2, 'E.164 numbers and lab extensions');
    assert.deepEqual([...new Set(scenarioApps)], [SCENARIO_APP], 'the inbound scenarios\' calls enter the scenarios\' application');
    const standIn = (JSON.parse(readFileSync(join(REPO, 'config/test-callees.sim.json'), 'utf8')) as Record<string, { stasis?: { app: string; args: string[] } }>)['@test-inbound'];
    assert.deepEqual(standIn?.stasis, { app: SCENARIO_APP, args: ['inbound', '${EXTEN}', '${CALLERID(num)}'] }, 'its simulator stand-in enters the same app with the same arguments');
    const lines = section(dialplan, 'test-inbound').entries.filter((e) => /\bStasis\(/.test(e.value));
    for (const line of lines) assert.match(line.value, /^n,Stasis\(engine-scenarios,inbound,\$\{EXTEN\},\$\{CALLERID\(num\)\}\)$/);
  });

  test('ARI is not published to the host', () => {
    for (const [name, value] of Object.entries(services)) {
      const ports = asList(asMap(value, name).ports ?? [], `${name}.ports`).map((p) => asString(p, `${name}.ports`));
      for (const p of ports) assert.doesNotMatch(p, /(^|:)8088(\/tcp)?$/, `${name} publishes ${p}`);
    }
  });
});

describe('PJSIP endpoints and routing', () => {
  const sip = conf('pjsip.conf');
  const endpoints = sectionsOfType(sip, 'endpoint');
  const lab = JSON.parse(readFileSync(join(REPO, 'config/routes.lab.json'), 'utf8')) as { default?: string; rules: Array<{ endpoint: string }> };
  const example = JSON.parse(readFileSync(join(REPO, 'config/routes.example.json'), 'utf8')) as { default?: string; rules: Array<{ endpoint: string }> };
  const testCallees = JSON.parse(readFileSync(join(REPO, 'config/routes.test-callees.json'), 'utf8')) as { default?: string; rules: Array<{ endpoint: string }> };

  test('every endpoint a routing rule targets is defined in pjsip.conf or the dialplan', () => {
    const dialplan = conf('extensions.conf');
    for (const routes of [lab, example, testCallees]) {
      const targets = [...routes.rules.map((r) => r.endpoint), routes.default ?? 'PJSIP/{number}@trunk'];
      for (const target of targets) {
        const local = /^Local\/([^@/]+)@([^@/]+)$/.exec(target);
        if (local) {
          const [, exten, context] = local;
          const extens = dialplan.find((s) => s.name === context)?.entries.filter((e) => e.key === 'exten').map((e) => e.value.split(',')[0]);
          assert.ok(extens?.includes(exten ?? ''), `${target}: no extension ${exten} in [${context}] of extensions.conf`);
          continue;
        }
        const m = /^PJSIP\/(?:[^@]*@)?([^@/]+)$/.exec(target);
        assert.ok(m, `${target} is a PJSIP endpoint or a Local channel`);
        const name = m[1] ?? '';
        assert.ok(endpoints.some((e) => e.name === name), `${target}: no endpoint [${name}] in pjsip.conf`);
      }
    }
    // The scripted callees of the dialplan and the lab phones the scenarios ring have a simulator
    // stand-in each, keyed by the same endpoint; "@test-inbound" stands in for [test-inbound].
    const standIns = Object.keys(JSON.parse(readFileSync(join(REPO, 'config/test-callees.sim.json'), 'utf8')) as object).sort();
    const routed = testCallees.rules.map((r) => r.endpoint).filter((e) => e.startsWith('Local/') || e === 'PJSIP/phone1' || e === 'PJSIP/phone2');
    assert.deepEqual(standIns, [...routed, '@test-inbound'].sort());
    // The compose lab's engine reaches the same test callees.
    for (const rule of testCallees.rules) assert.ok(lab.rules.some((r) => r.endpoint === rule.endpoint), `routes.lab.json has ${rule.endpoint}`);
    // The compose lab loads routes.lab.json through the ./config mount.
    assert.equal(engineConfig.routesFile, '/app/config/routes.lab.json');
    assert.ok(asList(service('engine').volumes, 'engine.volumes').includes('./config:/app/config:ro'));
    const router = loadRouter(join(REPO, 'config/routes.lab.json'));
    for (let i = 1; i <= 4; i++) assert.equal(router.endpointFor(`+1202555010${i}`), `PJSIP/phone${i}`);
  });

  test('every endpoint has an AOR, and authentication (phones) or an address match (trunk)', () => {
    const auths = sectionsOfType(sip, 'auth');
    const aors = sectionsOfType(sip, 'aor');
    const identifies = sectionsOfType(sip, 'identify');
    assert.ok(endpoints.length >= 5);
    for (const e of endpoints) {
      const aorNames = list(get(e, 'aors'));
      assert.ok(aorNames.length > 0, `[${e.name}] has aors`);
      for (const a of aorNames) assert.ok(aors.some((s) => s.name === a), `[${e.name}] aor ${a} exists`);
      const auth = list(get(e, 'auth'));
      for (const a of auth) {
        const s = auths.find((x) => x.name === a);
        assert.ok(s, `[${e.name}] auth ${a} exists`);
        assert.ok(get(s, 'username') && get(s, 'password'), `[${e.name}] auth ${a} has credentials`);
      }
      if (auth.length === 0) {
        assert.ok(identifies.some((i) => get(i, 'endpoint') === e.name && get(i, 'match')), `[${e.name}] without auth is matched by address`);
        assert.ok(list(get(e, 'outbound_auth')).every((a) => auths.some((s) => s.name === a)), `[${e.name}] outbound_auth exists`);
      }
      assert.equal(get(e, 'direct_media'), 'no', `[${e.name}] direct_media`);
      assert.equal(get(e, 'dtmf_mode'), 'rfc4733', `[${e.name}] dtmf_mode`);
      assert.equal(getAll(e, 'disallow')[0], 'all', `[${e.name}] disallow=all first`);
      const codecs = getAll(e, 'allow').flatMap(list);
      assert.ok(codecs.includes('ulaw') && codecs.includes('alaw'), `[${e.name}] allows ulaw and alaw`);
    }
  });

  test('lab phones phone1…phone4: authenticated, one contact each', () => {
    for (let i = 1; i <= 4; i++) {
      const phone = section(sip, `phone${i}`, 'endpoint');
      assert.equal(get(phone, 'context'), 'from-phones');
      const [authName] = list(get(phone, 'auth'));
      const auth = section(sip, authName ?? '', 'auth');
      assert.equal(get(auth, 'username'), `phone${i}`);
      const aor = section(sip, `phone${i}`, 'aor');
      assert.equal(get(aor, 'max_contacts'), '1');
      assert.match(get(phone, 'callerid') ?? '', new RegExp(`<100${i}>$`));
    }
  });

  test('the never-registered test endpoint can take no contact and reaches no dialplan', () => {
    const endpoint = section(sip, 'test-unregistered', 'endpoint');
    assert.equal(get(endpoint, 'context'), 'from-trunk', 'calls from it are refused');
    assert.equal(get(section(sip, 'test-unregistered', 'aor'), 'max_contacts'), '0');
    assert.equal(loadRouter(join(REPO, 'config/routes.test-callees.json')).endpointFor('+12025550155'), 'PJSIP/test-unregistered');
  });

  test('transports: UDP and TCP on 5060, both published by compose', () => {
    const transports = sectionsOfType(sip, 'transport');
    assert.deepEqual(transports.map((t) => get(t, 'protocol')).sort(), ['tcp', 'udp']);
    for (const t of transports) assert.equal(get(t, 'bind'), '0.0.0.0:5060');
    const ports = asList(service('asterisk').ports, 'asterisk.ports');
    assert.ok(ports.includes('5060:5060/udp') && ports.includes('5060:5060/tcp'));
  });
});

describe('no guest reaches the trunk', () => {
  const sip = conf('pjsip.conf');
  const dialplan = conf('extensions.conf');

  test('no anonymous endpoint, no guest settings anywhere', () => {
    const endpoints = sectionsOfType(sip, 'endpoint');
    assert.ok(!endpoints.some((e) => e.name === 'anonymous'));
    const order = list(get(section(sip, 'global', 'global'), 'endpoint_identifier_order'));
    assert.ok(order.length > 0 && !order.includes('anonymous'));
    for (const file of readdirSync(CONF)) {
      for (const s of conf(file)) {
        for (const e of s.entries) {
          assert.ok(!['allowguest', 'allow_guest', 'anonymous'].includes(e.key.toLowerCase()), `${file} [${s.name}] ${e.key}`);
        }
      }
    }
  });

  test('no general, default or public context; only the endpoints\' contexts and the test callees exist', () => {
    const contexts = dialplan.filter((s) => s.name !== 'general').map((s) => s.name).sort();
    const used = [...new Set(sectionsOfType(sip, 'endpoint').map((e) => get(e, 'context') ?? 'default'))];
    // [test-callees] is reached only by Local channels the engine originates and by Goto from
    // [from-phones]: no endpoint lands in it, and nothing in it dials out. [engine-transfer] is
    // reached only by the engine's POST /channels/{id}/continue (transfer step); it dials nothing
    // but the endpoint the engine put in ENGINE_TRANSFER_TO.
    // [test-inbound] is reached only by Local channels the scenarios originate; it enters Stasis only.
    // [engine-inbound] is reached only by Goto from [from-phones]; it enters Stasis only.
    assert.deepEqual(contexts, [...used, 'engine-inbound', 'engine-transfer', 'test-callees', 'test-inbound'].sort());
    for (const e of section(dialplan, 'test-callees').entries) assert.doesNotMatch(e.value, /\b(Dial|Goto|Gosub|Stasis)\(/, e.value);
    for (const e of section(dialplan, 'test-inbound').entries) assert.doesNotMatch(e.value, /\b(Dial|Goto|Gosub)\(/, e.value);
    for (const e of section(dialplan, 'engine-transfer').entries) {
      const dial = /\bDial\(([^,)]*)/.exec(e.value);
      if (dial) assert.equal(dial[1], '${ENGINE_TRANSFER_TO}', e.value);
    }
    assert.ok(!contexts.includes('default') && !contexts.includes('public'));
    for (const s of dialplan) assert.equal(s.entries.some((e) => e.key === 'include'), false, `[${s.name}] includes no other context`);
  });

  test('[from-phones] sends the block 8000-8999 to the engine as extensions; it overlaps no other extension', () => {
    const fromPhones = section(dialplan, 'from-phones').entries.filter((e) => e.key === 'exten');
    assert.equal(fromPhones.filter((e) => e.value.startsWith('_8XXX,')).length, 1, 'one _8XXX line');
    const lines = section(dialplan, 'from-phones').entries.map((e) => e.value);
    const start = lines.findIndex((v) => v.startsWith('_8XXX,'));
    assert.match(lines[start + 1] ?? '', /^n,Set\(ENGINE_DIALED=\$\{EXTEN\}\)$/);
    assert.match(lines[start + 2] ?? '', /^n,Goto\(engine-inbound,s,1\)$/);
    for (const e of fromPhones) {
      const exten = e.value.split(',')[0] ?? '';
      if (exten !== '_8XXX') assert.ok(!exten.startsWith('8') && !exten.startsWith('_8'), `${exten} overlaps the engine's block`);
    }
    assert.ok(isExtension(DEMO_EXTENSION) && /^8\d{3}$/.test(DEMO_EXTENSION), 'the demo extension is in the block');
    // A transfer to an extension (engine-transfer) has its line too.
    const transfer = section(dialplan, 'engine-transfer').entries.filter((e) => e.key === 'exten').map((e) => e.value.split(',')[0]);
    assert.deepEqual(transfer, ['_+ZX.', '_X.']);
  });

  test('no dialplan line dials the trunk', () => {
    for (const s of dialplan) {
      for (const e of s.entries) assert.doesNotMatch(e.value, /trunk/i, `[${s.name}] ${e.key} => ${e.value}`);
    }
    const fromTrunk = section(dialplan, 'from-trunk');
    for (const e of fromTrunk.entries) assert.match(e.value, /,Hangup\(/, 'calls from the provider are refused');
  });
});

describe('the demo caller ID', () => {
  test('README, the lab and API docs show the caller ID the demo seeds (a valid number, unlike +15551230000)', () => {
    for (const doc of ['README.md', 'docs/lab.md', 'docs/api.md']) {
      const text = readFileSync(join(REPO, doc), 'utf8');
      assert.ok(text.includes(DEMO_CALLER_ID), `${doc} shows ${DEMO_CALLER_ID}`);
      assert.ok(!text.includes('+15551230000'), `${doc} shows no other demo caller ID`);
    }
  });
});

describe('media and the compose lab', () => {
  test('the RTP range in rtp.conf is the range compose publishes', () => {
    const general = section(conf('rtp.conf'), 'general');
    const start = Number(get(general, 'rtpstart'));
    const end = Number(get(general, 'rtpend'));
    assert.ok(start > 1024 && end > start && end - start < 1000, 'a narrow range');
    const ports = asList(service('asterisk').ports, 'asterisk.ports').map((p) => asString(p, 'port'));
    assert.ok(ports.includes(`${start}-${end}:${start}-${end}/udp`), `compose publishes ${start}-${end}/udp`);
  });

  for (const [serviceName, dir, phone, answermode] of [['labphone', 'docker/labphone', 'phone1', 'auto'], ['labphone2', 'docker/labphone/phone2', 'phone2', 'manual']] as const) {
  test(`${serviceName} registers as ${phone} from its fixed address, answers ${answermode === 'auto' ? 'automatically' : 'when told'}, takes ctrl_tcp commands`, () => {
    const accounts = readFileSync(join(REPO, dir, 'accounts'), 'utf8').split('\n').filter((l) => l.startsWith('<'));
    assert.equal(accounts.length, 1);
    const account = accounts[0] ?? '';
    const user = /^<sip:([^@>]+)@([^>;]+)>/.exec(account);
    assert.ok(user);
    assert.equal(user[1], phone);
    assert.ok(user[2] === 'asterisk', 'registers with the asterisk service');
    const params = Object.fromEntries(account.split(';').slice(1).map((p) => p.split('=') as [string, string]));
    assert.equal(params.answermode, answermode);
    const sip = conf('pjsip.conf');
    const auth = section(sip, list(get(section(sip, phone, 'endpoint'), 'auth'))[0] ?? '', 'auth');
    assert.equal(params.auth_user, get(auth, 'username'));
    assert.equal(params.auth_pass, get(auth, 'password'));

    const config = Object.fromEntries(readFileSync(join(REPO, dir, 'config'), 'utf8').split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'))
      .map((l) => l.trim().split(/\s+/))
      .filter((parts) => parts[0] !== 'module' && parts[0] !== 'module_app' && parts[0] !== 'module_tmp')
      .map((parts) => [parts[0] ?? '', parts.slice(1).join(' ')]));
    const modules = readFileSync(join(REPO, dir, 'config'), 'utf8').split('\n')
      .map((l) => l.trim().split(/\s+/)).filter((p) => p[0]?.startsWith('module')).map((p) => p[1]);
    assert.ok(modules.includes('ctrl_tcp.so') && modules.includes('menu.so') && modules.includes('g711.so'));
    assert.ok(config.ctrl_tcp_listen, 'ctrl_tcp_listen is set');

    // net_interface must be an address (baresip 1.0.0): the one compose gives the container.
    const address = asString(asMap(asMap(service(serviceName).networks, `${serviceName}.networks`).lab, 'lab').ipv4_address, 'ipv4_address');
    assert.equal(config.net_interface, address);
    assert.equal(config.sip_listen, `${address}:5060`);
    if (serviceName === 'labphone2') {
      const volumes = asList(service(serviceName).volumes, 'labphone2.volumes').map((v) => asString(v, 'volume'));
      assert.deepEqual(volumes.sort(), [`./${dir}/accounts:/home/phone/.baresip/accounts:ro`, `./${dir}/config:/home/phone/.baresip/config:ro`]);
    }
  });
  }

  test('fixed addresses sit in the lab subnet that Asterisk treats as local', () => {
    const ipam = asList(asMap(asMap(asMap(compose.networks, 'networks').lab, 'lab').ipam, 'ipam').config, 'ipam.config');
    const subnet = asString(asMap(ipam[0], 'ipam.config[0]').subnet, 'subnet');
    assert.equal(asteriskEnv.LAB_LOCAL_NET, subnet);
    const [base = '', bits = ''] = subnet.split('/');
    assert.equal(bits, '24');
    const prefix = base.split('.').slice(0, 3).join('.');
    for (const name of ['asterisk', 'engine', 'labphone', 'labphone2']) {
      const ip = asString(asMap(asMap(service(name).networks, `${name}.networks`).lab, 'lab').ipv4_address, 'ipv4_address');
      assert.ok(ip.startsWith(`${prefix}.`), `${name} ${ip} in ${subnet}`);
    }
  });

  test('the engine keeps its SQLite file on a volume and runs in demo mode unless JWT_SECRET is set', () => {
    assert.equal(engineConfig.databasePath, '/data/engine.sqlite');
    assert.ok(asList(service('engine').volumes, 'engine.volumes').includes('engine-data:/data'));
    assert.ok(asMap(compose.volumes, 'volumes')['engine-data'] !== undefined);
    assert.equal(engineConfig.demoMode, true, 'the demo seeds its account, number and flow');
    assert.equal(loadConfig({ ...engineEnv, JWT_SECRET: 'x'.repeat(40) }).demoMode, false);
  });

  test('images: pinned Asterisk 22, multi-stage non-root engine with a healthcheck', () => {
    const asterisk = readFileSync(join(REPO, 'docker/asterisk/Dockerfile'), 'utf8');
    assert.match(asterisk, /^FROM andrius\/asterisk:22\.\d+\.\d+_debian-[a-z]+$/m);
    assert.match(asterisk, /asterisk-core-sounds-en-gsm=\d/);
    const engine = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
    const froms = [...engine.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    assert.equal(froms.length, 2);
    for (const image of froms) assert.match(image ?? '', /^node:\d+\.\d+\.\d+-bookworm-slim$/);
    assert.match(engine, /^USER node$/m);
    assert.match(engine, /^HEALTHCHECK /m);
    assert.match(engine, /npm ci --omit=dev/);
    const labphone = readFileSync(join(REPO, 'docker/labphone/Dockerfile'), 'utf8');
    assert.match(labphone, /^FROM debian:12\.\d+-slim$/m);
    assert.match(labphone, /baresip-core=1\.0\.0-/);
  });

  test('docker-compose validates the compose file', (t) => {
    const probe = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
    if (probe.error) {
      t.skip('docker-compose is not installed (apt-get install docker-compose); the compose file was not validated');
      return;
    }
    const run = spawnSync('docker-compose', ['-f', join(REPO, 'docker-compose.yml'), 'config', '-q'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    assert.equal(run.status, 0, run.stderr);
  });
});
