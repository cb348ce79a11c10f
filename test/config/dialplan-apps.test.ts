// Every dialplan application asterisk-config/extensions.conf runs is built into Asterisk 22's core
// or provided by a module modules.conf loads. With `autoload = no` a missing one shows only when a
// call reaches it: the channel logs `No application 'SendDTMF'` and hangs up (a lab run's menu
// scenario ended "completed without the digit" that way when app_senddtmf was not loaded).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAsteriskConfig, getAll } from '../support/config-asterisk-ini.js';

const CONF = fileURLToPath(new URL('../../asterisk-config', import.meta.url));

/** main/pbx_builtins.c of 22.10.1: the applications the core registers itself. */
const CORE_APPS = new Set([
  'Answer', 'BackGround', 'Busy', 'Congestion', 'ExecIfTime', 'Goto', 'GotoIf', 'GotoIfTime', 'Hangup', 'Incomplete',
  'NoOp', 'Proceeding', 'Progress', 'RaiseException', 'Ringing', 'SayAlpha', 'SayAlphaCase', 'SayDigits', 'SayMoney',
  'SayNumber', 'SayOrdinal', 'SayPhonetic', 'Wait', 'WaitDigit', 'WaitExten',
  // main/pbx_variables.c registers Set and MSet.
  'Set', 'MSet',
]);
/** Applications of loadable modules (apps/app_*.c of 22.10.1). Add an application here before using it. */
const MODULE_APPS: Record<string, string> = {
  Dial: 'app_dial', Echo: 'app_echo', Playback: 'app_playback', SendDTMF: 'app_senddtmf', Stasis: 'app_stasis',
  Record: 'app_record', MixMonitor: 'app_mixmonitor', Verbose: 'app_verbose', Log: 'app_verbose', Read: 'app_read',
  WaitForSilence: 'app_waitforsilence', WaitForNoise: 'app_waitforsilence',
};

/** The application of an `exten => name,priority,App(args)` or `same => priority,App(args)` line. */
function applicationOf(key: string, value: string): string {
  const fields = value.split(',');
  const app = (key === 'exten' ? fields[2] : fields[1]) ?? '';
  return /^\s*([A-Za-z_]+)/.exec(app)?.[1] ?? '';
}

describe('extensions.conf runs only applications Asterisk has loaded', () => {
  const extensions = readAsteriskConfig(join(CONF, 'extensions.conf'));
  const used = new Set<string>();
  for (const section of extensions.sections) {
    for (const { key, value } of section.entries) if (key === 'exten' || key === 'same') used.add(applicationOf(key, value));
  }
  const modules = readAsteriskConfig(join(CONF, 'modules.conf')).sections.find((s) => s.name === 'modules');
  const loaded = new Set(['require', 'load', 'preload'].flatMap((k) => (modules ? getAll(modules, k) : [])).map((m) => m.replace(/\.so$/, '')));

  test('the dialplan is read (it uses applications)', () => {
    assert.ok(used.has('Stasis') && used.has('Dial') && used.has('SendDTMF'), [...used].join(', '));
  });

  test('each application is in the core or in a loaded module', () => {
    const problems: string[] = [];
    for (const app of used) {
      if (CORE_APPS.has(app)) continue;
      const module = MODULE_APPS[app];
      if (module === undefined) problems.push(`${app}: unknown here; add its module to MODULE_APPS`);
      else if (!loaded.has(module)) problems.push(`${app} needs ${module}.so, which modules.conf does not load`);
    }
    assert.deepEqual(problems, []);
  });
});
