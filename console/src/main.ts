import { api, loadSession, type Session } from './api.js';
import { h, replace, onAsync } from './dom.js';
import { renderConnect } from './pages/connect.js';
import { renderRules } from './pages/rules.js';
import { renderSync } from './pages/sync.js';
import { renderGroups } from './pages/groups.js';
import { renderAudit } from './pages/audit.js';
import { renderPeople } from './pages/people.js';
import { renderLog } from './pages/log.js';
import { renderWebhooks } from './pages/webhooks.js';
import { heldBanner, renderHeld, type HeldList } from './pages/held.js';

/** A page draws into `root` and may return a function that stops what it started (timers). */
export type Page = (root: HTMLElement, session: Session) => void | (() => void);

const PAGES: { hash: string; title: string; render: Page }[] = [
  { hash: 'connect', title: 'Connect an IdP', render: renderConnect },
  { hash: 'rules', title: 'Mapping and rules', render: renderRules },
  { hash: 'sync', title: 'Sync monitor', render: renderSync },
  { hash: 'groups', title: 'Groups and people', render: renderGroups },
  { hash: 'people', title: 'People', render: renderPeople },
  { hash: 'log', title: 'Provisioning log', render: renderLog },
  { hash: 'audit', title: 'Audit log', render: renderAudit },
  { hash: 'webhooks', title: 'Webhooks', render: renderWebhooks },
  { hash: 'held', title: 'Held changes', render: renderHeld },
];

const app = document.getElementById('app')!;

function signedOut(message: string): void {
  replace(
    app,
    h(
      'main',
      { class: 'signed-out' },
      h('h1', {}, 'Signed out'),
      h('p', {}, message),
      h('p', {}, 'To sign in again, open the console from your account in the application that gave you access (it makes a new sign-in link each time).'),
    ),
  );
}

async function start(): Promise<void> {
  let session: Session;
  try {
    session = await loadSession();
  } catch {
    signedOut('This browser has no console session (or it expired).');
    return;
  }
  window.addEventListener('console:signed-out', () => signedOut('Your console session ended or expired.'));
  const main = h('main', { id: 'main', tabindex: '-1' });
  // Shown on every page while the deprovisioning breaker holds changes (docs/deprovisioning.md).
  const banner = h('div', { 'aria-live': 'polite' });
  const refreshBanner = () =>
    void api
      .get<HeldList>('/deprovisioning/held')
      .then((list) => replace(banner, heldBanner(list)))
      .catch(() => undefined);
  window.addEventListener('console:held-changed', refreshBanner);
  // A failure no handler showed (dom.ts onAsync): said above the page, never lost.
  const failure = h('p', { role: 'alert', class: 'status bad', hidden: true });
  window.addEventListener('console:failed', (ev) => {
    failure.textContent = `Something went wrong: ${String((ev as CustomEvent<string>).detail)}`;
    failure.hidden = false;
  });
  const links = PAGES.map((p) => h('a', { href: `#/${p.hash}`, 'data-page': p.hash }, p.title));
  const signOut = h('button', { type: 'button', class: 'secondary' }, 'Sign out');
  onAsync(signOut, 'click', async () => {
    await api.delete('/session');
    signedOut('You signed out.');
  });
  replace(
    app,
    h('a', { href: '#main', class: 'skip' }, 'Skip to content'),
    h(
      'header',
      {},
      h('div', { class: 'brand' }, h('strong', {}, 'scim-sync console'), h('span', { class: 'tenant', 'data-tenant': session.tenantId }, `Tenant ${session.tenantName ?? ''} · ${session.tenantId}`)),
      h('nav', { 'aria-label': 'Console sections' }, links),
      signOut,
    ),
    banner,
    failure,
    main,
  );

  let stop: void | (() => void);
  const route = () => {
    const wanted = location.hash.replace(/^#\/?/, '').split('/')[0] ?? '';
    const page = PAGES.find((p) => p.hash === wanted) ?? PAGES[0]!;
    if (typeof stop === 'function') stop();
    links.forEach((l) => (l.dataset.page === page.hash ? l.setAttribute('aria-current', 'page') : l.removeAttribute('aria-current')));
    document.title = `${page.title} · scim-sync console`;
    main.replaceChildren(h('h1', {}, page.title));
    stop = page.render(main, session);
    refreshBanner();
  };
  window.addEventListener('hashchange', () => {
    route();
    main.focus();
  });
  route();
}

void start();
