import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTemplate } from '../../src/domain/template.js';

test('replaces {{var}} with the variable', () => {
  assert.equal(renderTemplate('You pressed {{choice}}.', { choice: '1' }), 'You pressed 1.');
  assert.equal(renderTemplate('{{a}}{{b}}-{{ a }}', { a: 'x', b: 'y' }), 'xy-x');
});

test('a missing variable renders as the empty string', () => {
  assert.equal(renderTemplate('[{{missing}}]', {}), '[]');
});

test('inherited object properties are not variables', () => {
  assert.equal(renderTemplate('{{constructor}}{{toString}}{{__proto__}}', {}), '');
});

test('text that is not a placeholder is kept as written', () => {
  assert.equal(renderTemplate('{{1abc}} {single} {{}} {{a b}}', { a: 'x' }), '{{1abc}} {single} {{}} {{a b}}');
  assert.equal(renderTemplate('no placeholders', { a: 'x' }), 'no placeholders');
});

test('values are inserted literally, never re-expanded', () => {
  assert.equal(renderTemplate('{{a}}', { a: '{{b}}', b: 'no' }), '{{b}}');
  assert.equal(renderTemplate('{{a}}', { a: '$& $1' }), '$& $1');
});
