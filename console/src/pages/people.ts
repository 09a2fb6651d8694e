import { api, ApiError, qs } from '../api.js';
import { field, h, pagedTable, replace, row, table } from '../dom.js';
import type { Page } from '../main.js';

interface UserSummary {
  id: string;
  userName: string;
  displayName?: string;
  emails: string[];
  audience: string;
  active: boolean;
}
interface Why {
  kind: string;
  description: string;
  rule?: { id: string; name: string; expression: string };
}
interface Cause {
  at: string;
  actor: { type: string; id: string };
  after: { expression?: string; trigger?: { action: string; at?: string; before?: unknown; after?: unknown } } | null;
}
interface PersonGroup {
  groupId: string;
  groupName: string | null;
  role: string;
  why: Why[];
  cause?: Cause | null;
}
export interface AuditRow {
  id: string;
  at: string;
  actor: { type: string; id: string; as?: string };
  action: string;
  object: { type: string; id: string };
  names?: { actor?: string; object?: string; user?: string };
  after?: unknown;
  before?: unknown;
}
interface Person extends UserSummary {
  groups: PersonGroup[];
  attributes?: Record<string, unknown>;
  recentEvents?: AuditRow[];
}
interface Source {
  kind: string;
  group?: { name: string };
  role?: { name: string };
}
interface Permissions {
  admin: Source | null;
  targets: { target: string; level: string; sources?: Source[] }[];
}

export const personName = (u: { displayName?: string; userName: string }) => u.displayName || u.userName;

/** A name with its id on hover (and in the accessible description), for rows that name things. */
export const named = (name: string | undefined, id: string) => h('span', { title: id, 'data-id': id }, name ?? id);

/** An audit row's actor in words: a token by its label, a rule by its name, a user by theirs. */
export function actorOf(e: AuditRow): HTMLElement {
  const kind: Record<string, string> = { 'scim-token': 'IdP token', rule: 'rule', admin: 'admin', user: 'user', system: 'system', cli: 'CLI' };
  return h('span', {}, `${kind[e.actor.type] ?? e.actor.type} `, named(e.names?.actor, e.actor.id), e.actor.as ? ` (as ${e.actor.as})` : null);
}

/** What an audit row touched: the object by name, and the user a membership event names. */
export function objectOf(e: AuditRow): HTMLElement {
  return h('span', {}, `${e.object.type} `, named(e.names?.object, e.object.id), e.names?.user ? h('span', {}, ' · user ', named(e.names.user, userIdOf(e) ?? '')) : null);
}

function userIdOf(e: AuditRow): string | undefined {
  for (const side of [e.after, e.before]) {
    const id = (side as { userId?: unknown } | null | undefined)?.userId;
    if (typeof id === 'string') return id;
  }
  return undefined;
}

/** Leaves of a nested value as "path → value" pairs (extension URNs shortened to their name). */
function leaves(value: unknown, path = ''): [string, string][] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, `${path}[${i}]`));
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => {
      if (k === 'schemas') return [];
      const key = k.startsWith('urn:') ? (/:extension:([^:]+):/.exec(k)?.[1] ?? k) : k;
      return leaves(v, path ? `${path}.${key}` : key);
    });
  }
  return [[path, typeof value === 'string' ? value : JSON.stringify(value)]];
}

/** The user change that triggered a rule's decision, in words: "department Support → Engineering". */
export function describeTrigger(trigger: { action: string; before?: unknown; after?: unknown }): string {
  const before = new Map(leaves(trigger.before));
  const after = new Map(leaves(trigger.after));
  const changes = [...new Set([...before.keys(), ...after.keys()])].map((path) => `${path.split('.').pop()} ${before.get(path) ?? '(none)'} → ${after.get(path) ?? '(none)'}`);
  return `${trigger.action}${changes.length ? `: ${changes.join(', ')}` : ''}`;
}

function causeLine(cause: Cause): HTMLElement {
  const trigger = cause.after?.trigger;
  return h('li', { class: 'cause' }, `Added ${new Date(cause.at).toLocaleString()}`, trigger ? ` after the change ${describeTrigger(trigger)}` : null);
}

const describeSource = (s: Source) => [s.group ? `group ${s.group.name}` : null, s.role ? `role ${s.role.name}` : null, s.kind].filter(Boolean).join(' · ');

async function renderPerson(box: HTMLElement, userId: string): Promise<void> {
  const [person, perms] = await Promise.all([api.get<Person>(`/users/${encodeURIComponent(userId)}`), api.get<Permissions>(`/users/${encodeURIComponent(userId)}/permissions`)]);
  const groups = person.groups.map((g) =>
    row(
      named(g.groupName ?? undefined, g.groupId),
      g.role,
      h(
        'ul',
        { class: 'sources' },
        g.why.map((w) =>
          h(
            'li',
            {},
            w.rule ? [`${w.kind === 'mapping' ? 'SSO mapping' : w.kind === 'dynamic' ? "the group's own rule" : 'rule'} “${w.rule.name}”: `, h('code', {}, w.rule.expression)] : w.description,
          ),
        ),
        g.cause ? causeLine(g.cause) : null,
      ),
    ),
  );
  replace(
    box,
    h('h2', { id: 'person-h', tabindex: '-1' }, personName(person), ' ', h('span', { class: `badge ${person.active ? 'ok' : 'bad'}` }, person.active ? 'active' : 'deactivated')),
    h('p', { class: 'hint' }, `${person.userName} · ${person.emails.join(', ') || 'no e-mail'} · ${person.audience === 'customer' ? 'customer' : 'internal user'} · `, h('code', {}, person.id)),
    h('h3', {}, 'Attributes'),
    person.attributes
      ? table(
          ['Attribute', 'Value'],
          leaves(person.attributes).map(([k, v]) => row(k, v)),
          'Attributes the IdP sent (core, enterprise and custom)',
          'No attributes.',
        )
      : null,
    h('h3', {}, 'Groups and why'),
    table(['Group', 'Role', 'Why they are here'], groups, `Groups of ${personName(person)} and the reason for each`, 'In no group.'),
    h('h3', {}, 'Effective permissions'),
    perms.admin ? h('p', {}, `Tenant admin: ${describeSource(perms.admin)}`) : null,
    table(
      ['Target', 'Level', 'Because of'],
      perms.targets.filter((t) => t.level !== 'hide').map((t) => row(t.target, t.level, (t.sources ?? []).map(describeSource).join('; '))),
      'What the person may do, and why',
      'No permissions above hide.',
    ),
    h('h3', {}, 'Recent events'),
    table(
      ['When', 'Action', 'By', 'Object'],
      (person.recentEvents ?? []).map((e) => row(new Date(e.at).toLocaleString(), h('code', {}, e.action), actorOf(e), objectOf(e))),
      'Newest events about this person',
      'No events.',
    ),
  );
  (box.querySelector('h2') as HTMLElement).focus();
}

/** The search typed last, kept while the console is open (opening a person re-renders the page). */
let lastSearch = '';

export const renderPeople: Page = (root) => {
  const input = h('input', { type: 'search', name: 'search', value: lastSearch, autocomplete: 'off' });
  const form = h(
    'form',
    { class: 'filters', role: 'search' },
    field('Find a person', input, 'Whole words or values: a name, an e-mail address or its domain, userName, externalId, an employee number or any attribute value'),
    h('button', { type: 'submit' }, 'Search'),
  );
  const results = h('section', { 'aria-label': 'People found', 'aria-live': 'polite' });
  const person = h('section', { class: 'detail', 'aria-label': 'Person' });
  root.append(form, results, person);

  const search = async () => {
    lastSearch = input.value.trim();
    let indexing = false;
    const load = async (cursor?: string) => {
      const page = await api.get<{ items: UserSummary[]; nextCursor: string | null; indexing?: boolean }>(`/users${qs({ search: lastSearch || undefined, limit: 50, cursor })}`);
      indexing ||= page.indexing === true;
      return {
        next: page.nextCursor,
        rows: page.items.map((u) => row(h('a', { href: `#/people/${encodeURIComponent(u.id)}` }, personName(u)), u.emails.join(', ') || '—', u.userName, u.active ? 'active' : 'deactivated')),
      };
    };
    const table = await pagedTable(
      ['Name', 'E-mail', 'userName', 'Status'],
      lastSearch ? `People matching “${lastSearch}”` : 'Everyone, by id',
      'Nobody matches. Search whole words: “Rossi”, not “Ros”.',
      load,
    );
    replace(
      results,
      indexing ? h('p', { class: 'callout', role: 'status' }, 'People provisioned before search existed are still being indexed: some may be missing for a minute. Search again shortly.') : null,
      table,
    );
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void search().catch((err: ApiError) => replace(results, h('p', { class: 'bad' }, err.message)));
  });
  void search().catch((err: ApiError) => replace(results, h('p', { class: 'bad' }, err.message)));
  const id = decodeURIComponent(location.hash.split('/')[2] ?? '');
  if (id) void renderPerson(person, id).catch((err: ApiError) => replace(person, h('p', { class: 'bad' }, err.message)));
};
