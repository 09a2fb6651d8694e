import { api, ApiError } from '../api.js';
import { field, h, replace, row, statusLine, table, when, onAsync } from '../dom.js';
import type { Page } from '../main.js';

interface HeldUser {
  user: { id: string; userName: string; displayName?: string };
  idpState: 'inactive' | 'deleted';
  state: 'held' | 'rejected';
  since: string;
  decidedAt?: string;
  changes: { id: string; kind: 'deactivate' | 'delete'; at: string; requestId?: string; retroactive?: boolean }[];
}
export interface HeldList {
  breaker: { enabled: boolean; windowMinutes: number; users: number; percentOfActive: number; tripped: boolean; trippedAt?: string };
  held: number;
  rejected: number;
  items: HeldUser[];
}

/** The banner every page shows while deprovisions are held (null when none are). */
export function heldBanner(list: HeldList): HTMLElement | null {
  if (list.held === 0 && !list.breaker.tripped) return null;
  return h(
    'div',
    { class: 'banner bad', role: 'alert', 'data-testid': 'held-banner' },
    h('strong', {}, 'Deprovisioning breaker tripped: '),
    `${list.held} change${list.held === 1 ? '' : 's'} from the IdP held; those users keep their access until you decide. `,
    h('a', { href: '#/held' }, 'Review held changes'),
  );
}

export const renderHeld: Page = (root) => {
  const status = statusLine();
  const warning = h(
    'p',
    { class: 'hint', 'data-testid': 'fails-open' },
    "Which way it fails: a held change keeps the user's access. That protects against a mistaken unassignment, but after a real offboarding the person keeps access until you Allow it. ",
    'Deactivate a departing user at once with "Deactivate now", or exempt users and groups from the breaker below.',
  );
  const breaker = h('section', { 'aria-labelledby': 'breaker-h' });
  const held = h('section', { 'aria-labelledby': 'held-h' });
  const linking = h('section', { 'aria-labelledby': 'link-h' });
  root.append(warning, status, breaker, held, linking);

  const decide = async (verdict: 'allow' | 'reject', userIds?: string[]) => {
    try {
      const r = await api.post<{ decided: string[] }>(`/deprovisioning/held/${verdict}`, userIds ? { userIds } : {});
      status.textContent = `${verdict === 'allow' ? 'Applied' : 'Rejected'}: ${r.decided.length} user${r.decided.length === 1 ? '' : 's'}.`;
      window.dispatchEvent(new CustomEvent('console:held-changed'));
      await refresh();
    } catch (err) {
      status.textContent = (err as ApiError).message;
    }
  };

  const refresh = async () => {
    const list = await api.get<HeldList>('/deprovisioning/held');
    const b = list.breaker;
    const users = h('input', { type: 'number', min: 0, value: b.users, inputmode: 'numeric' });
    const percent = h('input', { type: 'number', min: 0, max: 100, value: b.percentOfActive, inputmode: 'numeric' });
    const windowMinutes = h('input', { type: 'number', min: 1, value: b.windowMinutes, inputmode: 'numeric' });
    const enabled = h('input', { type: 'checkbox', checked: b.enabled });
    const save = h('button', { type: 'button' }, 'Save breaker settings');
    onAsync(save, 'click', async () => {
      try {
        await api.patch('/deprovisioning/settings', {
          breaker: { enabled: enabled.checked, users: Number(users.value), percentOfActive: Number(percent.value), windowMinutes: Number(windowMinutes.value) },
        });
        status.textContent = 'Breaker settings saved.';
        await refresh();
      } catch (err) {
        status.textContent = (err as ApiError).message;
      }
    });
    replace(
      breaker,
      h('h2', { id: 'breaker-h' }, 'Circuit breaker'),
      h(
        'p',
        { 'data-testid': 'breaker-state' },
        b.tripped ? `Tripped ${when(b.trippedAt)}: further deprovisions are held.` : b.enabled ? 'Closed: deprovisions are applied.' : 'Off: deprovisions are always applied.',
      ),
      h('div', { class: 'form-row' }, field('On', enabled), field('More than … users', users), field('More than … % of active users', percent), field('Within … minutes', windowMinutes), save),
    );

    const rows = list.items.map((i) => {
      const allow = h('button', { type: 'button', 'aria-label': `${i.state === 'held' ? 'Allow' : 'Deactivate now'} ${i.user.userName}` }, i.state === 'held' ? 'Allow' : 'Deactivate now');
      allow.addEventListener('click', () => void decide('allow', [i.user.id]));
      const reject = h('button', { type: 'button', class: 'secondary', 'aria-label': `Reject ${i.user.userName}` }, 'Reject');
      reject.addEventListener('click', () => void decide('reject', [i.user.id]));
      const kinds = i.changes.map((c) => `${c.kind}${c.retroactive ? ' (applied before the trip)' : ''} ${when(c.at)}${c.requestId ? ` · request ${c.requestId}` : ''}`);
      const tr = row(
        i.user.displayName ?? i.user.userName,
        i.idpState === 'deleted' ? 'deleted by the IdP' : 'deactivated by the IdP',
        i.state === 'held' ? 'held: access unchanged' : `rejected ${when(i.decidedAt)}: access unchanged`,
        h(
          'ul',
          {},
          kinds.map((k) => h('li', {}, k)),
        ),
        i.state === 'held' ? [allow, ' ', reject] : allow,
      );
      tr.dataset.userId = i.user.id;
      tr.dataset.state = i.state;
      return tr;
    });
    const allowAll = h('button', { type: 'button' }, `Allow all (${list.held})`);
    allowAll.disabled = list.held === 0;
    allowAll.addEventListener('click', () => void decide('allow'));
    const rejectAll = h('button', { type: 'button', class: 'secondary' }, `Reject all (${list.held})`);
    rejectAll.disabled = list.held === 0;
    rejectAll.addEventListener('click', () => void decide('reject'));
    replace(
      held,
      h('h2', { id: 'held-h' }, 'Held changes'),
      h('p', { 'data-testid': 'held-count' }, `${list.held} held, ${list.rejected} rejected.`),
      h('div', { class: 'form-row' }, allowAll, ' ', rejectAll),
      table(['User', 'The IdP asked', 'State', 'Changes', ''], rows, 'Deprovisions held by the breaker, oldest first', 'No held changes.'),
    );
  };

  const userId = h('input', { type: 'text', autocomplete: 'off', spellcheck: false });
  const link = h('button', { type: 'button' }, 'Link to the IdP');
  onAsync(link, 'click', async () => {
    try {
      const r = await api.post<{ id: string; userName: string }>(`/users/${encodeURIComponent(userId.value.trim())}/link`);
      status.textContent = `${r.userName} is linked: the IdP's next create of a matching user takes it over.`;
    } catch (err) {
      status.textContent = (err as ApiError).message;
    }
  });
  replace(
    linking,
    h('h2', { id: 'link-h' }, 'Link a user created here to the IdP'),
    h('p', { class: 'hint' }, 'An IdP user whose userName or e-mail matches a user created through the admin API is refused (409) until you link them.'),
    h('div', { class: 'form-row' }, field('User id', userId), link),
  );

  void refresh().catch((err) => (status.textContent = (err as ApiError).message));
};
