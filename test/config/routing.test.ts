import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseRoutes, loadRouter, RoutingError, DEFAULT_ENDPOINT } from '../../src/domain/routing.js';

const REPO = join(import.meta.dirname, '..', '..');

function rejects(json: unknown, pattern: RegExp): void {
  assert.throws(() => parseRoutes(json), (err: unknown) => {
    assert.ok(err instanceof RoutingError, `expected RoutingError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('routing rules', () => {
  test('no rules: everything goes to the trunk with the E.164 number', () => {
    const router = parseRoutes({ rules: [] });
    assert.equal(DEFAULT_ENDPOINT, 'PJSIP/{number}@trunk');
    assert.equal(router.endpointFor('+18144043093'), 'PJSIP/+18144043093@trunk');
  });

  test('exact match, X pattern, range and prefix, first match wins', () => {
    const router = parseRoutes({
      rules: [
        { match: '+12025550101', endpoint: 'PJSIP/phone1' },
        { match: '+1202555011X', endpoint: 'PJSIP/phone2' },
        { range: ['+12025550120', '+12025550129'], endpoint: 'PJSIP/phone3' },
        { prefix: '+1202555', endpoint: 'PJSIP/phone4' },
        { prefix: '+44', endpoint: 'PJSIP/{digits}@uk' },
      ],
    });
    assert.equal(router.endpointFor('+12025550101'), 'PJSIP/phone1');
    assert.equal(router.endpointFor('+12025550110'), 'PJSIP/phone2');
    assert.equal(router.endpointFor('+12025550119'), 'PJSIP/phone2');
    assert.equal(router.endpointFor('+12025550120'), 'PJSIP/phone3');
    assert.equal(router.endpointFor('+12025550129'), 'PJSIP/phone3');
    assert.equal(router.endpointFor('+12025550130'), 'PJSIP/phone4');
    assert.equal(router.endpointFor('+12025550102'), 'PJSIP/phone4');
    assert.equal(router.endpointFor('+442079460000'), 'PJSIP/442079460000@uk');
    assert.equal(router.endpointFor('+18144043093'), 'PJSIP/+18144043093@trunk');
  });

  test('an X pattern does not match a longer or shorter number', () => {
    const router = parseRoutes({ rules: [{ match: '+1202555011X', endpoint: 'PJSIP/phone2' }] });
    assert.equal(router.endpointFor('+120255501101'), 'PJSIP/+120255501101@trunk');
    assert.equal(router.endpointFor('+1202555011'), 'PJSIP/+1202555011@trunk');
  });

  test('a range only holds numbers of its own length', () => {
    const router = parseRoutes({ rules: [{ range: ['+12025550120', '+12025550129'], endpoint: 'PJSIP/phone3' }] });
    assert.equal(router.endpointFor('+120255501250'), 'PJSIP/+120255501250@trunk');
    assert.equal(router.endpointFor('+12025550119'), 'PJSIP/+12025550119@trunk');
  });

  test('the default can be replaced and use {digits}', () => {
    const router = parseRoutes({ default: 'PJSIP/{digits}@provider', rules: [] });
    assert.equal(router.endpointFor('+18144043093'), 'PJSIP/18144043093@provider');
  });

  test('comments are allowed', () => {
    const router = parseRoutes({ $comment: 'lab', rules: [{ match: '+12025550101', endpoint: 'PJSIP/phone1', comment: 'desk' }] });
    assert.equal(router.endpointFor('+12025550101'), 'PJSIP/phone1');
  });

  test('a number that is not E.164 is refused, never substituted into a dial string', () => {
    const router = parseRoutes({ rules: [] });
    for (const bad of ['8144043093', '+0123', '+1814404309&PJSIP/x', '+1814 404', '', '+', '+1234567890123456']) {
      assert.throws(() => router.endpointFor(bad), RoutingError, bad);
    }
  });

  test('any E.164 number routes to a complete endpoint', () => {
    const router = parseRoutes({ rules: [{ prefix: '+1', endpoint: 'PJSIP/{digits}@na' }] });
    fc.assert(fc.property(fc.stringMatching(/^\+[1-9]\d{1,14}$/), (n) => {
      const endpoint = router.endpointFor(n);
      assert.ok(!/[{}\s]/.test(endpoint), endpoint);
      assert.equal(endpoint, n.startsWith('+1') ? `PJSIP/${n.slice(1)}@na` : `PJSIP/${n}@trunk`);
    }));
  });
});

describe('routing extensions', () => {
  test('match (X patterns too) and range rules route extensions; E.164 rules and the default never do', () => {
    const router = parseRoutes({
      default: 'PJSIP/{number}@trunk',
      rules: [
        { match: '1001', endpoint: 'PJSIP/phone1' },
        { match: '20XX', endpoint: 'PJSIP/desk{digits}' },
        { range: ['7000', '7004'], endpoint: 'Local/{number}@lab' },
        { prefix: '+', endpoint: 'PJSIP/{number}@other' },
      ],
    });
    assert.equal(router.endpointForExtension('1001'), 'PJSIP/phone1');
    assert.equal(router.endpointForExtension('2042'), 'PJSIP/desk2042');
    assert.equal(router.endpointForExtension('7003'), 'Local/7003@lab');
    assert.equal(router.endpointForExtension('7005'), undefined, 'outside the range');
    assert.equal(router.endpointForExtension('70030'), undefined, 'a range holds extensions of its own length');
    assert.equal(router.endpointForExtension('1002'), undefined, 'no rule: no route, not the trunk default');
    assert.equal(router.endpointFor('+18144043093'), 'PJSIP/+18144043093@other', 'an extension rule never matches an E.164 number');
    assert.equal(parseRoutes({ rules: [{ match: '+12025550101', endpoint: 'PJSIP/phone1' }] }).endpointForExtension('12025550101'.slice(0, 8)), undefined);
  });

  test('a string that is not an extension is refused, never substituted into a dial string', () => {
    const router = parseRoutes({ rules: [2, 3, 4, 5, 6, 7, 8].map((n) => ({ match: 'X'.repeat(n), endpoint: 'PJSIP/{number}' })) });
    for (const bad of ['1', '123456789', '10&1', '1001,x', '+1001', '', ' 1001', '10 01']) {
      assert.throws(() => router.endpointForExtension(bad), RoutingError, bad);
    }
    fc.assert(fc.property(fc.stringMatching(/^[0-9]{2,8}$/), (n) => {
      assert.equal(router.endpointForExtension(n), `PJSIP/${n}`);
    }));
  });

  test('extension matchers are validated', () => {
    rejects({ rules: [{ match: '1', endpoint: 'PJSIP/a' }] }, /rules\[0\]\.match: .*nor an extension of 2 to 8 digits/);
    rejects({ rules: [{ match: '123456789', endpoint: 'PJSIP/a' }] }, /\.match/);
    rejects({ rules: [{ match: '10*1', endpoint: 'PJSIP/a' }] }, /\.match/);
    rejects({ rules: [{ range: ['1001', '+12025550101'], endpoint: 'PJSIP/a' }] }, /must both be E\.164 numbers, or both extensions/);
    rejects({ rules: [{ range: ['1001', '10010'], endpoint: 'PJSIP/a' }] }, /same number of digits/);
    rejects({ rules: [{ range: ['1004', '1001'], endpoint: 'PJSIP/a' }] }, /comes after/);
    rejects({ rules: [{ prefix: '10', endpoint: 'PJSIP/a' }] }, /\.prefix: .*extensions use match or range/);
    // Extensions may not reach the default's trunk through a rule (they escape the destination policy).
    rejects({ rules: [{ match: '9XXX', endpoint: 'PJSIP/{number}@trunk' }] }, /rules\[0\]\.endpoint: .*"@trunk", the default route's trunk/);
    rejects({ default: 'PJSIP/{digits}@carrier', rules: [{ range: ['100', '199'], endpoint: 'PJSIP/1555{digits}@carrier' }] }, /"@carrier"/);
    assert.equal(parseRoutes({ rules: [{ match: '+1555XXXXXXX', endpoint: 'PJSIP/{number}@trunk' }, { match: '7000', endpoint: 'Local/answer@test-callees' }] })
      .endpointForExtension('7000'), 'Local/answer@test-callees', 'E.164 rules may use the trunk; extension rules other endpoints');
  });
});

describe('bad rules files', () => {
  test('the document must be an object with a rules array', () => {
    rejects([], /routes: must be a JSON object/);
    rejects(null, /routes: must be a JSON object/);
    rejects({}, /routes\.rules: must be an array/);
    rejects({ rules: {} }, /routes\.rules: must be an array/);
    rejects({ rules: [], routes: [] }, /unknown key "routes"/);
  });

  test('each rule has exactly one matcher and known keys', () => {
    rejects({ rules: ['PJSIP/phone1'] }, /rules\[0\]: must be an object/);
    rejects({ rules: [{ endpoint: 'PJSIP/phone1' }] }, /rules\[0\]: needs exactly one of/);
    rejects({ rules: [{ match: '+12025550101', prefix: '+1', endpoint: 'PJSIP/phone1' }] }, /exactly one/);
    rejects({ rules: [{ match: '+12025550101', endpiont: 'PJSIP/phone1' }] }, /unknown key "endpiont"/);
  });

  test('matchers are validated', () => {
    rejects({ rules: [{ match: '12025550101', endpoint: 'PJSIP/a' }] }, /rules\[0\]\.match: .*not an E\.164/);
    rejects({ rules: [{ match: '+1202555010Y', endpoint: 'PJSIP/a' }] }, /\.match/);
    rejects({ rules: [{ match: 12025550101, endpoint: 'PJSIP/a' }] }, /\.match/);
    rejects({ rules: [{ prefix: '1', endpoint: 'PJSIP/a' }] }, /\.prefix/);
    rejects({ rules: [{ prefix: '+1-202', endpoint: 'PJSIP/a' }] }, /\.prefix/);
    rejects({ rules: [{ range: '+12025550101', endpoint: 'PJSIP/a' }] }, /\.range: must be/);
    rejects({ rules: [{ range: ['+12025550101'], endpoint: 'PJSIP/a' }] }, /\.range: must be/);
    rejects({ rules: [{ range: ['+12025550101', '+1202555019'], endpoint: 'PJSIP/a' }] }, /same number of digits/);
    rejects({ rules: [{ range: ['+12025550109', '+12025550101'], endpoint: 'PJSIP/a' }] }, /comes after/);
    rejects({ rules: [{ range: ['+12025550101', 'x'], endpoint: 'PJSIP/a' }] }, /E\.164/);
  });

  test('endpoints are validated', () => {
    const bad: Array<[unknown, RegExp]> = [
      [undefined, /endpoint: must be a non-empty string/],
      ['', /endpoint: must be a non-empty string/],
      ['phone1', /not Technology\/resource/],
      ['PJSIP/phone1 extra', /not Technology\/resource/],
      ['PJSIP/phone1&PJSIP/phone2', /not Technology\/resource/],
      ['PJSIP/{num}@trunk', /unknown placeholder \{num\}/],
      ['PJSIP/{number@trunk', /unbalanced brace/],
    ];
    for (const [endpoint, pattern] of bad) {
      rejects({ rules: [{ prefix: '+1', endpoint }] }, pattern);
    }
    rejects({ default: 'trunk', rules: [] }, /routes\.default: .*not Technology\/resource/);
  });
});

describe('loadRouter', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'routes-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('no file: the trunk default', () => {
    assert.equal(loadRouter().endpointFor('+18144043093'), 'PJSIP/+18144043093@trunk');
    assert.equal(loadRouter('').endpointFor('+18144043093'), 'PJSIP/+18144043093@trunk');
  });

  test('a missing file, bad JSON and a bad rule name the file', () => {
    const missing = join(dir, 'nope.json');
    assert.throws(() => loadRouter(missing), (err: unknown) => err instanceof RoutingError && err.message.includes(missing) && /cannot read \(ENOENT\)/.test(err.message));
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"rules": [');
    assert.throws(() => loadRouter(broken), (err: unknown) => err instanceof RoutingError && err.message.includes(broken) && /not valid JSON/.test(err.message));
    const badRule = join(dir, 'bad.json');
    writeFileSync(badRule, JSON.stringify({ rules: [{ prefix: '+1', endpoint: 'nowhere' }] }));
    assert.throws(() => loadRouter(badRule), (err: unknown) => err instanceof RoutingError && err.message.startsWith(`routes file ${badRule}: routes.rules[0].endpoint`));
  });

  test('the shipped example and lab files route the lab numbers to the lab phones', () => {
    for (const file of ['config/routes.example.json', 'config/routes.lab.json']) {
      const router = loadRouter(join(REPO, file));
      for (let i = 1; i <= 4; i++) assert.equal(router.endpointFor(`+1202555010${i}`), `PJSIP/phone${i}`, file);
      assert.equal(router.endpointFor('+18144043093'), 'PJSIP/+18144043093@trunk', file);
      assert.equal(router.endpointFor('+442079460000'), 'PJSIP/+442079460000@trunk', file);
      for (let i = 1; i <= 4; i++) assert.equal(router.endpointForExtension(`100${i}`), `PJSIP/phone${i}`, file);
      assert.equal(router.endpointForExtension('8000'), undefined, `${file}: the engine's own extensions are not dialed out`);
    }
    const lab = loadRouter(join(REPO, 'config/routes.lab.json'));
    assert.equal(lab.endpointForExtension('7000'), 'Local/answer@test-callees');
    assert.equal(lab.endpointForExtension('7002'), 'Local/busy@test-callees');
  });
});
