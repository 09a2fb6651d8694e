import { api, ApiError, qs } from '../api.js';
import { field, h, pagedTable, replace, row } from '../dom.js';
import type { Page } from '../main.js';
import { named } from './people.js';

interface Entry {
  id: string;
  at: string;
  tokenId: string | null;
  tokenLabel: string | null;
  method: string;
  path: string;
  objectId: string | null;
  objectName: string | null;
  status: number;
  reason: string | null;
  reasonText: string | null;
  change: string | null;
  userAgent: string | null;
}

const options = (pairs: [string, string][]) => pairs.map(([value, text]) => h('option', { value }, text));

/** The provisioning log: every SCIM request the IdP made with one of the tenant's tokens, refused ones included. */
export const renderLog: Page = (root) => {
  const outcome = h(
    'select',
    { name: 'outcome' },
    options([
      ['', 'All'],
      ['succeeded', 'Succeeded'],
      ['failed', 'Failed (4xx, 5xx)'],
      ['unauthorized', 'Refused token (401)'],
    ]),
  );
  const method = h(
    'select',
    { name: 'method' },
    options([
      ['', 'Any'],
      ['GET', 'GET'],
      ['POST', 'POST'],
      ['PUT', 'PUT'],
      ['PATCH', 'PATCH'],
      ['DELETE', 'DELETE'],
    ]),
  );
  const resource = h(
    'select',
    { name: 'resource' },
    options([
      ['', 'Any'],
      ['Users', 'Users'],
      ['Groups', 'Groups'],
      ['Bulk', 'Bulk'],
    ]),
  );
  const token = h('select', { name: 'tokenId' }, options([['', 'Any token']]));
  const objectId = h('input', { type: 'text', name: 'objectId', placeholder: 'usr_… or grp_…' });
  const form = h(
    'form',
    { class: 'filters' },
    field('Outcome', outcome),
    field('Method', method),
    field('Resource', resource),
    field('Token', token),
    field('User or group id', objectId),
    h('button', { type: 'submit' }, 'Filter'),
  );
  const results = h('section', { 'aria-label': 'Provisioning requests', 'aria-live': 'polite' });
  root.append(
    h(
      'p',
      { class: 'hint' },
      'Every SCIM request made with one of your tokens, newest first, refused ones too (with the reason). A request whose token this service never issued cannot be attributed to you and is not shown.',
    ),
    form,
    results,
  );

  const load = async () => {
    const params = { outcome: outcome.value, method: method.value, resource: resource.value, tokenId: token.value, objectId: objectId.value.trim(), limit: 50 };
    const page = async (cursor?: string) => {
      const res = await api.get<{ items: Entry[]; nextCursor: string | null }>(`/provisioning-log${qs({ ...params, cursor })}`);
      return {
        next: res.nextCursor,
        rows: res.items.map((e) =>
          row(
            new Date(e.at).toLocaleString(),
            e.tokenId ? named(e.tokenLabel ?? undefined, e.tokenId) : '—',
            h('code', {}, `${e.method} ${e.path}`),
            e.objectId ? named(e.objectName ?? undefined, e.objectId) : '—',
            h('span', {}, h('span', { class: `badge ${e.status < 400 ? 'ok' : 'bad'}` }, String(e.status)), e.reasonText ? h('span', { class: 'bad' }, ` ${e.reasonText}`) : null),
            e.change ?? '',
            e.userAgent ?? '',
          ),
        ),
      };
    };
    replace(results, await pagedTable(['When', 'Token', 'Request', 'User or group', 'Status', 'Change', 'Client'], 'SCIM requests, newest first (ids on hover)', 'No request matches.', page));
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void load().catch((err: ApiError) => replace(results, h('p', { class: 'bad' }, err.message)));
  });
  void (async () => {
    const tokens = await api.get<{ items: { tokenId: string; label: string | null; hint: string }[] }>('/scim-tokens');
    token.append(...options(tokens.items.map((t) => [t.tokenId, `${t.label ?? 'unlabelled'} (${t.hint}…)`])));
    await load();
  })().catch((err: ApiError) => replace(results, h('p', { class: 'bad' }, err.message)));
};
