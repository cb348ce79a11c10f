import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { checkE164, numberInfo } from '../../src/domain/e164.js';
import { checkDestination, type DestinationPolicy } from '../../src/domain/destination-policy.js';

describe('checkE164', () => {
  test('a number checked again (remembered) gives the same answer, and its classification cannot be changed by a caller', () => {
    const first = checkE164('+448712345678', 'numberToDial');
    assert.ok(first.ok);
    const info = first.info();
    info.type = 'altered';
    const again = checkE164('+448712345678', 'to');
    assert.ok(again.ok);
    assert.equal(again.e164, '+448712345678');
    assert.deepEqual(again.info(), numberInfo('+448712345678'));
    assert.notEqual(again.info().type, 'altered');
    const invalid = checkE164('+1814404309', 'to');
    assert.ok(!invalid.ok && invalid.error.fieldName === 'to');
  });

  test('accepts valid E.164 numbers and returns them unchanged', () => {
    for (const n of ['+18144043093', '+12025550123', '+441174960000', '+33612345678']) {
      const checked = checkE164(n, 'numberToDial');
      assert.ok(checked.ok, n);
      assert.equal(checked.e164, n);
      // The parsed number's details come with it, so callers need not parse it again.
      assert.deepEqual(checked.info(), numberInfo(n), n);
    }
  });

  const invalid: Array<[string, unknown]> = [
    ['no plus', '8144043093'],
    ['one digit short', '+1814404309'],
    ['no such country code', '+999123'],
    ['letters', '+1814404309a'],
    ['letters only', 'abc'],
    ['@', '+1814@4043093'],
    ['/', '+1814/4043093'],
    ['&', '+18144043093&x=1'],
    [',', '+18144043093,+12025550123'],
    ['space', '+1 814 404 3093'],
    ['leading space', ' +18144043093'],
    ['empty', ''],
    ['plus only', '+'],
    ['30 digits', `+${'1'.repeat(30)}`],
    ['16 digits', '+1814404309312345'],
    ['national trunk prefix kept', '+4401174960000'],
    ['unicode digits', '+١٨١٤٤٠٤٣٠٩٣'],
    ['control char', '+18144043093\n'],
    ['number type', 18144043093],
    ['null', null],
    ['undefined', undefined],
    ['object', { number: '+18144043093' }],
    ['array', ['+18144043093']],
  ];
  for (const [label, value] of invalid) {
    test(`refuses ${label}`, () => {
      const result = checkE164(value, 'numberToDial');
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.error.fieldName, 'numberToDial');
      assert.equal(result.error.errorCode, 'InvalidPhoneNumber');
      assert.match(result.error.message, /numberToDial/);
    });
  }

  test('uses the given field name', () => {
    const result = checkE164('x', 'callerId');
    assert.equal(result.ok ? '' : result.error.fieldName, 'callerId');
  });
});

describe('numberInfo', () => {
  test('country and type as libphonenumber-js classifies them', () => {
    assert.deepEqual(numberInfo('+19005551234'), { country: 'US', type: 'PREMIUM_RATE' });
    assert.deepEqual(numberInfo('+18005551234'), { country: 'US', type: 'TOLL_FREE' });
    assert.deepEqual(numberInfo('+441174960000'), { country: 'GB', type: 'FIXED_LINE' });
    assert.equal(numberInfo('+33891234567').type, 'PREMIUM_RATE');
    assert.equal(numberInfo('+18144043093').country, 'US');
  });
});

describe('checkDestination', () => {
  const open: DestinationPolicy = { allowedDestinations: [], blockedNumberTypes: [] };
  const defaults: DestinationPolicy = { allowedDestinations: [], blockedNumberTypes: ['PREMIUM_RATE', 'SHARED_COST', 'UAN', 'VOICEMAIL', 'PAGER', 'PERSONAL_NUMBER'] };

  test('an empty policy allows every valid number', () => {
    assert.equal(checkDestination('+19005551234', open), undefined);
    assert.equal(checkDestination('+441174960000', open), undefined);
  });

  test('allowed countries', () => {
    const policy = { ...open, allowedDestinations: ['US', 'ca'] };
    assert.equal(checkDestination('+18144043093', policy), undefined);
    const refused = checkDestination('+441174960000', policy);
    assert.equal(refused?.errorCode, 'DestinationNotAllowed');
    assert.equal(refused?.fieldName, 'numberToDial');
    assert.match(refused?.message ?? '', /GB/);
  });

  test('allowed E.164 prefixes', () => {
    const policy = { ...open, allowedDestinations: ['+44'] };
    assert.equal(checkDestination('+441174960000', policy), undefined);
    assert.equal(checkDestination('+18144043093', policy)?.errorCode, 'DestinationNotAllowed');
    assert.equal(checkDestination('+18144043093', { ...open, allowedDestinations: ['+1814'] }), undefined);
    assert.equal(checkDestination('+12025550123', { ...open, allowedDestinations: ['+1814'] })?.errorCode, 'DestinationNotAllowed');
  });

  test('high-risk number types are refused with their type', () => {
    for (const [number, type] of [['+19005551234', 'PREMIUM_RATE'], ['+33891234567', 'PREMIUM_RATE'], ['+15005550006', 'PERSONAL_NUMBER']] as const) {
      const refused = checkDestination(number, defaults, 'to');
      assert.equal(refused?.errorCode, 'HighRiskNumberType', number);
      assert.equal(refused?.fieldName, 'to');
      assert.match(refused?.message ?? '', new RegExp(type));
    }
    assert.equal(checkDestination('+18144043093', defaults), undefined);
    assert.equal(checkDestination('+18005551234', defaults), undefined);
    assert.equal(checkDestination('+18005551234', { ...open, blockedNumberTypes: ['toll_free'] })?.errorCode, 'HighRiskNumberType');
  });

  test('the country rule is checked before the type rule', () => {
    const policy = { allowedDestinations: ['GB'], blockedNumberTypes: ['PREMIUM_RATE'] };
    assert.equal(checkDestination('+19005551234', policy)?.errorCode, 'DestinationNotAllowed');
    assert.equal(checkDestination('+448712345678', policy)?.errorCode, 'HighRiskNumberType');
  });
});
