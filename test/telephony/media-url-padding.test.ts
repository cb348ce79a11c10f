// Short `sound:http(s)://` URLs are padded with a fragment before they go to Asterisk
// (src/telephony/ari/media-url-padding.ts: Asterisk 22.10.1 cuts the cached file's path to the
// URL's length). The request the media server sees and the format Asterisk picks must not change.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MIN_MEDIA_URL_LENGTH, asteriskMediaUri } from '../../src/telephony/ari/media-url-padding.js';

const urlOf = (uri: string): URL => new URL(uri.slice('sound:'.length));

describe('asteriskMediaUri', () => {
  test('a short URL gets a fragment up to the minimum length, ending with the path\'s extension', () => {
    const padded = asteriskMediaUri('sound:http://127.1:8000/a.wav');
    assert.equal(padded.length - 'sound:'.length, MIN_MEDIA_URL_LENGTH);
    const url = urlOf(padded);
    assert.equal(url.pathname, '/a.wav', 'the request is the same: libcurl does not send the fragment');
    assert.equal(url.search, '');
    assert.match(url.hash, /^#engine-padding-[a-z-]*\.wav$/);
    assert.ok(!padded.includes(','), 'no comma: ARI splits media on commas');
  });

  test('the query string is kept; without an extension the fragment has none', () => {
    const padded = urlOf(asteriskMediaUri('sound:https://x.example/tts?voice=en'));
    assert.equal(padded.pathname, '/tts');
    assert.equal(padded.search, '?voice=en');
    assert.match(padded.hash, /^#engine-padding-[a-z-]*$/);
  });

  test('an existing fragment is lengthened, not replaced', () => {
    const padded = asteriskMediaUri('sound:http://h.example/a.sln16#v2');
    assert.ok(padded.startsWith('sound:http://h.example/a.sln16#v2engine-padding-'), padded);
    assert.ok(padded.endsWith('.sln16'));
  });

  test('long URLs and other media are sent as written', () => {
    const long = `sound:https://media.example.com/${'x'.repeat(MIN_MEDIA_URL_LENGTH)}.wav`;
    for (const uri of [long, 'sound:hello-world', 'tone:ring', 'digits:123', 'recording:abc']) assert.equal(asteriskMediaUri(uri), uri);
  });
});
