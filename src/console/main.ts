// The console's shell: header (who is signed in, the account a SystemAdministrator acts on),
// navigation, and a hash router (#/live, #/sessions/<id>, ...) that renders one view into <main>.
import { auth, whenUnauthenticated } from './api.js';
import { h, replaceChildren } from './dom.js';
import type { View } from './views/common.js';
import { signInView } from './views/sign-in.js';
import { historyView, liveView } from './views/sessions.js';
import { sessionView } from './views/session-detail.js';
import { flowsView } from './views/flows.js';
import { flowView } from './views/flow-editor.js';
import { placeCallView } from './views/place-call.js';
import { extensionsView, numbersView } from './views/numbers.js';
import { webhooksView } from './views/webhooks.js';

const ROUTES: Record<string, { view: View; nav?: string }> = {
  live: { view: liveView, nav: 'Live calls' },
  history: { view: historyView, nav: 'History' },
  sessions: { view: sessionView },
  flows: { view: flowsView, nav: 'Flows' },
  call: { view: placeCallView, nav: 'Place a call' },
  numbers: { view: numbersView, nav: 'Numbers' },
  extensions: { view: extensionsView, nav: 'Extensions' },
  webhooks: { view: webhooksView, nav: 'Webhooks' },
};

const header = document.getElementById('header')!;
const main = document.getElementById('main')!;
let leave: (() => void) | void;

function accountPicker(): HTMLElement | null {
  const claims = auth.claims();
  if (!claims?.roles.includes('SystemAdministrator')) return null;
  const input = h('input', { id: 'account', name: 'account', value: auth.account() ?? claims.accountId ?? '', autocomplete: 'off', size: 12 });
  return h('form', {
    class: 'account-picker',
    onsubmit: (ev: Event) => {
      ev.preventDefault();
      const v = input.value.trim();
      auth.setAccount(v && v !== claims.accountId ? v : null);
      render();
    },
  }, h('label', { for: 'account' }, 'Account'), input, h('button', { type: 'submit' }, 'Switch'));
}

function renderHeader(current: string): void {
  const claims = auth.claims();
  if (!auth.token()) {
    replaceChildren(header, h('p', { class: 'brand' }, 'ari-flow-engine console'));
    return;
  }
  replaceChildren(header,
    h('p', { class: 'brand' }, 'ari-flow-engine'),
    h('nav', { 'aria-label': 'Main' }, h('ul', {}, Object.entries(ROUTES).filter(([, r]) => r.nav).map(([name, r]) =>
      h('li', {}, h('a', { href: `#/${name}`, 'aria-current': name === current ? 'page' : undefined }, r.nav!))))),
    h('div', { class: 'who' },
      h('span', {}, `${claims?.sub ?? 'signed in'} · account ${auth.account() ?? claims?.accountId ?? '?'}`),
      accountPicker(),
      h('button', { type: 'button', onclick: () => { auth.signOut(); location.hash = '#/'; render(); } }, 'Sign out')));
}

function render(): void {
  if (typeof leave === 'function') leave();
  leave = undefined;
  const [path = '', ...rest] = location.hash.replace(/^#\/?/, '').split('?')[0]!.split('/').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return '';
    }
  });
  if (!auth.token()) {
    renderHeader('');
    leave = signInView(main, []);
    return;
  }
  const route = ROUTES[path] ?? ROUTES.live!;
  renderHeader(ROUTES[path] ? path : 'live');
  // #/flows lists, #/flows/<id> shows one.
  leave = (path === 'flows' && rest.length > 0 ? flowView : route.view)(main, rest);
  main.focus({ preventScroll: true });
}

whenUnauthenticated(() => {
  auth.signOut();
  render();
});
window.addEventListener('hashchange', render);
render();
