import { api, ApiError } from '../api.js';
import { field, h, replace, row, statusLine, table, when, onAsync } from '../dom.js';
import type { Page } from '../main.js';

interface LastRequest {
  at: string;
  method: string;
  path: string;
  status: number;
  userAgent?: string;
}
interface LogEntry {
  at: string;
  method: string;
  path: string;
  status: number;
  userAgent: string | null;
  tokenLabel: string | null;
  reasonText: string | null;
}
interface Token {
  tokenId: string;
  hint: string;
  label: string | null;
  createdAt: string;
  revokedAt: string | null;
  expiresAt: string | null;
  lastRequest: LastRequest | null;
}

/** The exact field names of each IdP's admin console (README "Point Okta or Entra at it"). */
function setupGuides(baseUrl: string): HTMLElement {
  const code = (t: string) => h('code', {}, t);
  return h(
    'section',
    { 'aria-labelledby': 'setup-h' },
    h('h2', { id: 'setup-h' }, 'Step-by-step setup'),
    h(
      'details',
      { open: true },
      h('summary', {}, 'Okta'),
      h(
        'ol',
        {},
        h(
          'li',
          {},
          'SCIM provisioning in Okta belongs to a SAML 2.0 or SWA app integration (an OIDC app made with the classic wizard cannot have it). In the Okta Admin Console open ',
          h('strong', {}, 'Applications → Applications'),
          ', pick the app (or ',
          h('strong', {}, 'Create App Integration → SAML 2.0'),
          '), then ',
          h('strong', {}, 'General → App Settings → Edit'),
          ', tick ',
          h('strong', {}, 'Enable SCIM provisioning'),
          ' and ',
          h('strong', {}, 'Save'),
          '.',
        ),
        h('li', {}, 'Open the ', h('strong', {}, 'Provisioning'), ' tab → ', h('strong', {}, 'Integration'), ' → ', h('strong', {}, 'Edit'), '.'),
        h('li', {}, h('strong', {}, 'SCIM connector base URL'), ': ', code(baseUrl)),
        h('li', {}, h('strong', {}, 'Unique identifier field for users'), ': ', code('userName')),
        h('li', {}, h('strong', {}, 'Supported provisioning actions'), ': Push New Users, Push Profile Updates, Push Groups (PATCH or full PUT both work).'),
        h(
          'li',
          {},
          h('strong', {}, 'Authentication Mode'),
          ': ',
          code('HTTP Header'),
          '; ',
          h('strong', {}, 'Authorization'),
          ': the token created below, ',
          h('strong', {}, 'without "Bearer "'),
          ' (Okta adds it). If the provisioning log shows “Bearer Bearer”, remove it.',
        ),
        h(
          'li',
          {},
          h('strong', {}, 'Test Connector Configuration'),
          ', then ',
          h('strong', {}, 'Save'),
          '. Under ',
          h('strong', {}, 'Provisioning → To App'),
          ' → ',
          h('strong', {}, 'Edit'),
          ' enable Create Users, Update User Attributes and Deactivate Users.',
        ),
        h('li', {}, h('strong', {}, 'Assignments'), ' tab: assign the people (or groups of people) to provision. Only assigned users are pushed.'),
        h(
          'li',
          {},
          h('strong', {}, 'Push Groups'),
          ' tab: ',
          h('strong', {}, '+ Push Groups'),
          ' → find the groups by name → ',
          h('strong', {}, 'Save'),
          '. Mappings here name these pushed groups; a group that is not pushed is unknown to the rules.',
        ),
      ),
    ),
    h(
      'details',
      {},
      h('summary', {}, 'Microsoft Entra ID'),
      h(
        'ol',
        {},
        h(
          'li',
          {},
          'In the Microsoft Entra admin center open ',
          h('strong', {}, 'Enterprise applications'),
          ' → your application (or ',
          h('strong', {}, 'New application → Create your own application'),
          ', non-gallery).',
        ),
        h('li', {}, h('strong', {}, 'Provisioning'), ' → ', h('strong', {}, 'Provisioning Mode'), ': ', code('Automatic'), '.'),
        h(
          'li',
          {},
          'Under ',
          h('strong', {}, 'Admin Credentials'),
          ': ',
          h('strong', {}, 'Tenant URL'),
          ': ',
          code(baseUrl),
          '; ',
          h('strong', {}, 'Secret Token'),
          ': a token created below (no "Bearer").',
        ),
        h('li', {}, h('strong', {}, 'Test Connection'), ', then ', h('strong', {}, 'Save'), '. No ', code('aadOptscim062020'), ' flag is needed: both Entra PATCH dialects are accepted.'),
        h(
          'li',
          {},
          'Check ',
          h('strong', {}, 'Mappings'),
          ' (Provision Microsoft Entra ID Users / Groups), assign users and groups under ',
          h('strong', {}, 'Users and groups'),
          ', set ',
          h('strong', {}, 'Provisioning Status'),
          ' to ',
          code('On'),
          '.',
        ),
      ),
    ),
  );
}

function copyable(label: string, value: string, id: string): HTMLElement {
  const input = h('input', { id, type: 'text', readonly: true, value, class: 'mono' });
  const button = h('button', { type: 'button', class: 'secondary' }, 'Copy');
  onAsync(button, 'click', async () => {
    input.select();
    await navigator.clipboard?.writeText(value).catch(() => undefined);
    button.textContent = 'Copied';
  });
  return h('div', { class: 'copyable' }, field(label, input), button);
}

function lastRequestText(r: LastRequest | null): string {
  if (!r) return 'none yet';
  return `${r.method} ${r.path} → ${r.status} · ${when(r.at)}${r.userAgent ? ` · ${r.userAgent}` : ''}`;
}

export const renderConnect: Page = (root) => {
  const endpoint = h('section', { 'aria-labelledby': 'endpoint-h' });
  const last = h('section', { 'aria-labelledby': 'last-h' });
  const tokens = h('section', { 'aria-labelledby': 'tokens-h' });
  const revealed = h('div', { class: 'revealed', 'aria-live': 'polite' });
  const status = statusLine();
  const guides = h('div');
  root.append(endpoint, last, tokens, guides);

  const reveal = (token: string, what: string) =>
    replace(revealed, h('div', { class: 'callout', role: 'alert' }, h('p', {}, h('strong', {}, `${what}. Copy it now: it is shown once.`)), copyable('New SCIM token', token, 'new-token')));

  const load = async () => {
    const data = await api.get<{ scimBaseUrl: string; items: Token[] }>('/scim-tokens');
    replace(endpoint, h('h2', { id: 'endpoint-h' }, 'SCIM endpoint'), copyable('SCIM base URL', data.scimBaseUrl, 'scim-base-url'));
    // The newest request of the provisioning log: every request, failures included, written after each answer.
    const newest = (await api.get<{ items: LogEntry[] }>('/provisioning-log?limit=1')).items[0] ?? null;
    const ok = newest ? newest.status < 400 : undefined;
    const text = newest
      ? `${ok ? 'Succeeded' : 'Failed'}: ${lastRequestText({ ...newest, userAgent: newest.userAgent ?? undefined })}${newest.tokenLabel ? ` · token ${newest.tokenLabel}` : ''}${newest.reasonText ? ` · ${newest.reasonText}` : ''}`
      : 'No request yet: once the IdP is set up, its first call shows here.';
    replace(
      last,
      h('h2', { id: 'last-h' }, 'Last request from the IdP'),
      h('p', { class: `last-request ${ok === undefined ? '' : ok ? 'ok' : 'bad'}`, 'data-testid': 'last-request' }, text),
      h('p', {}, h('a', { href: '#/log' }, 'Every request in the provisioning log')),
    );
    const label = h('input', { type: 'text', name: 'label', maxlength: '100', placeholder: 'e.g. Okta production' });
    const create = h('form', { class: 'inline' }, field('Label of a new token', label), h('button', { type: 'submit' }, 'Create token'));
    onAsync(create, 'submit', async (ev) => {
      ev.preventDefault();
      try {
        const t = await api.post<Token & { token: string }>('/scim-tokens', label.value.trim() ? { label: label.value.trim() } : {});
        await load();
        reveal(t.token, `Token ${t.label ?? t.tokenId} created`);
      } catch (err) {
        status.textContent = (err as ApiError).message;
      }
    });
    const rows = data.items.map((t) => {
      const actions = h('div', { class: 'actions' });
      const expired = t.expiresAt !== null && new Date(t.expiresAt).getTime() <= Date.now();
      if (!t.revokedAt && !expired) {
        const grace = h(
          'select',
          { 'aria-label': `How long token ${t.label ?? t.hint} keeps working after a rotation` },
          [
            ['0', 'Old token stops now'],
            ['3600', 'Old token works 1 more hour'],
            ['86400', 'Old token works 24 more hours'],
            ['604800', 'Old token works 7 more days'],
          ].map(([v, text]) => h('option', { value: v! }, text)),
        );
        const rotate = h('button', { type: 'button', class: 'secondary', 'aria-label': `Rotate token ${t.label ?? t.hint}` }, 'Rotate');
        onAsync(rotate, 'click', async () => {
          const seconds = Number(grace.value);
          if (
            !confirm(
              seconds === 0
                ? 'Rotate: a new token replaces this one, which stops working now. Give the IdP the new token.'
                : `Rotate: a new token replaces this one, which keeps working for ${grace.selectedOptions[0]?.textContent?.replace('Old token works ', '') ?? ''}. Give the IdP the new token meanwhile.`,
            )
          )
            return;
          const r = await api.post<{ replacement: Token & { token: string } }>(`/scim-tokens/${t.tokenId}/rotate`, { graceSeconds: seconds });
          await load();
          reveal(r.replacement.token, `Token ${t.label ?? t.hint} rotated`);
        });
        actions.append(grace);
        const revoke = h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke token ${t.label ?? t.hint}` }, 'Revoke');
        onAsync(revoke, 'click', async () => {
          if (!confirm('Revoke: the IdP using this token is refused from now on.')) return;
          await api.delete(`/scim-tokens/${t.tokenId}`);
          status.textContent = `Token ${t.label ?? t.hint} revoked.`;
          await load();
        });
        actions.append(rotate, revoke);
      }
      const tr = row(
        t.label ?? '—',
        h('span', {}, h('code', {}, `${t.hint}…`), ' ', h('code', { class: 'hint' }, t.tokenId)),
        when(t.createdAt),
        t.revokedAt || expired
          ? h('span', { class: 'badge bad' }, expired ? 'rotated' : 'revoked')
          : t.expiresAt
            ? h('span', { class: 'badge' }, `rotated: works until ${new Date(t.expiresAt).toLocaleString()}`)
            : h('span', { class: 'badge ok' }, 'active'),
        lastRequestText(t.lastRequest),
        actions,
      );
      tr.dataset.tokenId = t.tokenId;
      return tr;
    });
    replace(
      tokens,
      h('h2', { id: 'tokens-h' }, 'SCIM tokens'),
      revealed,
      create,
      status,
      table(['Label', 'Token', 'Created', 'State', 'Last request', 'Actions'], rows, 'SCIM bearer tokens of this tenant'),
    );
    replace(guides, setupGuides(data.scimBaseUrl));
  };
  void load().catch((err: ApiError) => root.append(h('p', { class: 'error' }, err.message)));
};
