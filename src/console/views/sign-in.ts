// Sign-in by pasting a token: kept in sessionStorage (gone with the tab), never put in a URL.
import { ApiError, auth, checkToken } from '../api.js';
import { h } from '../dom.js';
import { errorBox, field, type View } from './common.js';

export const signInView: View = (main) => {
  const token = h('textarea', { name: 'token', rows: 4, required: true, autocomplete: 'off', spellcheck: 'false' });
  const status = h('div', { 'aria-live': 'polite' });
  const form = h('form', {
    class: 'card narrow',
    onsubmit: (ev: Event) => {
      ev.preventDefault();
      void (async () => {
        auth.signIn(token.value.trim());
        try {
          // Any authenticated call proves the token; the server is the judge, not the console.
          await checkToken();
          location.hash = '#/live';
        } catch (err) {
          auth.signOut();
          status.replaceChildren(errorBox(err instanceof ApiError && err.status === 401 ? new Error(`Not signed in: ${err.message}`) : err));
        }
      })();
    },
  },
  h('h1', {}, 'Sign in'),
  h('p', {}, 'Paste a bearer token (a JWT with the role Manager or SystemAdministrator). It is kept for this tab only.'),
  field('Token', token, 'In demo mode: npm run -s token -- --role Manager --account demo'),
  h('button', { type: 'submit' }, 'Sign in'),
  status);
  main.replaceChildren(form);
  token.focus();
};
