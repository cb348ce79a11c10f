// Asterisk 22.10.1 loses short `sound:http(s)://` media: main/file.c sizes the buffer for the
// cached file's local path from the URL's own length (strlen(language) + strlen(url) + 4), and
// res_http_media_cache's path (<astcachedir>/bucket-XXXXXX) is cut to fit. The playback then
// fails after a successful GET ("File http://… does not exist in any format"). Measured on a
// real 22.10.1 with astcachedir /opt/lab/run/cache (32-character path), language en: a URL of 26
// characters fails, 27 plays; the default /var/cache/asterisk needs 28.
//
// A fragment makes the URL longer without changing the request (libcurl never sends the
// fragment: the server saw `GET /a.wav` for `…/a.wav#…` on the same Asterisk), and ending it with
// the path's own extension keeps the format Asterisk derives from the URL (its URI parser leaves
// the fragment in the path). Every URL shorter than MIN_MEDIA_URL_LENGTH is padded so, which
// covers cache folders of up to about 120 characters.

/** URLs at least this long are sent as written. */
export const MIN_MEDIA_URL_LENGTH = 128;
const FILLER = 'engine-padding-';

/** The media URI as Asterisk is asked to play it: a short `sound:http(s)://` URL padded with a fragment. */
export function asteriskMediaUri(uri: string): string {
  if (!/^sound:https?:\/\//.test(uri)) return uri;
  const url = uri.slice('sound:'.length);
  if (url.length >= MIN_MEDIA_URL_LENGTH) return uri;
  const path = url.replace(/[?#].*$/, '');
  const ext = /\/[^/]*\.([A-Za-z0-9]{1,8})$/.exec(path)?.[1];
  const tail = ext ? `.${ext}` : '';
  const start = url.includes('#') ? url : `${url}#`;
  const missing = Math.max(0, MIN_MEDIA_URL_LENGTH - start.length - tail.length);
  return `sound:${start}${FILLER.repeat(Math.ceil(missing / FILLER.length)).slice(0, missing)}${tail}`;
}
