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
interface HeldGroupChange {
  groupId: string;
  groupName?: string;
  userId: string;
  userName?: string;
  state: 'held' | 'rejected';
  decidedAt?: string;
  changes: { id: string; at: string; requestId?: string }[];
}
interface HeldGroupDeletion {
  groupId: string;
  groupName?: string;
  state: 'held' | 'rejected';
  decidedAt?: string;
  change: { id: string; at: string; requestId?: string };
}
export interface HeldList {
  breaker: { enabled: boolean; windowMinutes: number; users: number; percentOfActive: number; tripped: boolean; trippedAt?: string };
  held: number;
  rejected: number;
  items: HeldUser[];
  groupChanges: { held: number; rejected: number; items: HeldGroupChange[] };
  groupDeletions: HeldGroupDeletion[];
}

/** Every held change: users' deprovisions, IdP group-member removals, IdP group deletions. */
const heldTotal = (list: HeldList) => list.held + list.groupChanges.held + list.groupDeletions.filter((d) => d.state === 'held').length;

/** The banner every page shows while deprovisions are held (null when none are). */
export function heldBanner(list: HeldList): HTMLElement | null {
  const total = heldTotal(list);
  if (total === 0 && !list.breaker.tripped) return null;
  return h(
    'div',
    { class: 'banner bad', role: 'alert', 'data-testid': 'held-banner' },
    h('strong', {}, 'Deprovisioning breaker tripped: '),
    `${total} change${total === 1 ? '' : 's'} from the IdP held; those users keep their access until you decide. `,
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
  const groupHeld = h('section', { 'aria-labelledby': 'group-held-h' });
  const linking = h('section', { 'aria-labelledby': 'link-h' });
  root.append(warning, status, breaker, held, groupHeld, linking);

  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const decide = async (verdict: 'allow' | 'reject', userIds?: string[], groupIds?: string[]) => {
    try {
      const body = userIds ? { userIds } : groupIds ? { groupIds } : {};
      const r = await api.post<{ decided: string[]; decidedGroupChanges: string[]; decidedGroupDeletions: string[] }>(`/deprovisioning/held/${verdict}`, body);
      status.textContent = `${verdict === 'allow' ? 'Applied' : 'Rejected'}: ${plural(r.decided.length, 'user')}, ${plural(r.decidedGroupChanges.length, 'group member removal')}, ${plural(r.decidedGroupDeletions.length, 'group deletion')}.`;
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
    const total = heldTotal(list);
    const allowAll = h('button', { type: 'button' }, `Allow all (${total})`);
    allowAll.disabled = total === 0;
    allowAll.addEventListener('click', () => void decide('allow'));
    const rejectAll = h('button', { type: 'button', class: 'secondary' }, `Reject all (${total})`);
    rejectAll.disabled = total === 0;
    rejectAll.addEventListener('click', () => void decide('reject'));
    replace(
      held,
      h('h2', { id: 'held-h' }, 'Held changes'),
      h('p', { 'data-testid': 'held-count' }, `${list.held} held, ${list.rejected} rejected.`),
      h('div', { class: 'form-row' }, allowAll, ' ', rejectAll),
      table(['User', 'The IdP asked', 'State', 'Changes', ''], rows, 'Deprovisions held by the breaker, oldest first', 'No held changes.'),
    );

    // IdP group changes: member removals (per membership; decided per group or per user) and group deletions.
    const groupName = (g: { groupId: string; groupName?: string }) => g.groupName ?? g.groupId;
    const groupButtons = (g: { groupId: string; groupName?: string; state: 'held' | 'rejected' }, what: string) => {
      const allow = h('button', { type: 'button', 'aria-label': `${g.state === 'held' ? 'Allow' : 'Apply now'} ${what} ${groupName(g)}` }, g.state === 'held' ? 'Allow' : 'Apply now');
      allow.addEventListener('click', () => void decide('allow', undefined, [g.groupId]));
      const reject = h('button', { type: 'button', class: 'secondary', 'aria-label': `Reject ${what} ${groupName(g)}` }, 'Reject');
      reject.addEventListener('click', () => void decide('reject', undefined, [g.groupId]));
      return g.state === 'held' ? [allow, ' ', reject] : allow;
    };
    const memberRows = list.groupChanges.items.map((c) => {
      const tr = row(
        groupName(c),
        c.userName ?? c.userId,
        c.state === 'held' ? 'held: membership kept' : `rejected ${when(c.decidedAt)}: membership kept`,
        h(
          'ul',
          {},
          c.changes.map((x) => h('li', {}, `removed by the IdP ${when(x.at)}${x.requestId ? ` · request ${x.requestId}` : ''}`)),
        ),
        groupButtons(c, 'removals from'),
      );
      tr.dataset.groupId = c.groupId;
      tr.dataset.userId = c.userId;
      tr.dataset.state = c.state;
      return tr;
    });
    const deletionRows = list.groupDeletions.map((d) => {
      const tr = row(
        groupName(d),
        d.state === 'held' ? 'held: group, members and grants kept' : `rejected ${when(d.decidedAt)}: group kept`,
        `deleted by the IdP ${when(d.change.at)}${d.change.requestId ? ` · request ${d.change.requestId}` : ''}`,
        groupButtons(d, 'deletion of'),
      );
      tr.dataset.groupId = d.groupId;
      tr.dataset.state = d.state;
      return tr;
    });
    replace(
      groupHeld,
      h('h2', { id: 'group-held-h' }, 'Held group changes'),
      h(
        'p',
        { 'data-testid': 'group-held-count' },
        `${list.groupChanges.held} member removals held, ${list.groupChanges.rejected} rejected; ${list.groupDeletions.filter((d) => d.state === 'held').length} group deletions held.`,
      ),
      h('p', { class: 'hint' }, 'SCIM already shows these changes to the IdP; the memberships (and what mappings give through them) stay until you allow them.'),
      table(['IdP group', 'Member', 'State', 'Changes', ''], memberRows, 'IdP group-member removals held by the breaker, oldest first', 'No held member removals.'),
      table(['IdP group', 'State', 'The IdP asked', ''], deletionRows, 'IdP group deletions held by the breaker, oldest first', 'No held group deletions.'),
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
