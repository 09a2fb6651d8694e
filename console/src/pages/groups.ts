import { api, ApiError, qs } from '../api.js';
import { field, h, onAsync, pagedTable, replace, row, statusLine, table } from '../dom.js';
import type { Page } from '../main.js';
import type { Rule } from '../admin-api.js';

interface Group {
  id: string;
  name: string;
  description: string | null;
  audience: string;
  kind: string;
  origin: string;
  status: string;
  default: boolean;
  readOnly: boolean;
  memberCount?: number;
  rule?: { expression: string } | null;
}
interface Member {
  userId: string;
  role: string;
  sources: string[];
  user: { userName: string; displayName?: string; emails?: string[] } | null;
}
interface Source {
  kind: string;
  level: string;
  group?: { name: string };
  role?: { name: string };
}
interface Permissions {
  admin: Source | null;
  groups: { id: string; name: string; role: string }[];
  targets: { target: string; level: string; sources?: Source[] }[];
}

const SOURCE_NAMES: Record<string, string> = {
  scim: 'the IdP (SCIM group push)',
  manual: 'added by hand',
  import: 'CSV import',
  owner: 'group owner',
  dynamic: "the group's own rule",
  automatic: 'every user of the audience',
};

/** "Why is this user here": each source of a membership in words, a rule's with its expression. */
function explainSource(source: string, rules: Map<string, Rule>, group: Group): HTMLElement {
  if (source.startsWith('rule:')) {
    const rule = rules.get(source.slice(5));
    return h('li', {}, rule ? `${rule.kind === 'mapping' ? 'SSO mapping' : 'rule'} “${rule.name}”: ` : `rule ${source.slice(5)} (deleted)`, rule ? h('code', {}, rule.expression) : null);
  }
  if (source === 'dynamic' && group.rule) return h('li', {}, "the group's own rule: ", h('code', {}, group.rule.expression));
  return h('li', {}, SOURCE_NAMES[source] ?? source);
}

/** Only a custom group is edited here: the API refuses default groups and IdP groups. */
const editable = (g: Group) => g.origin === 'internal' && !g.default && !g.readOnly;

const describe = (s: Source) => [s.group ? `group ${s.group.name}` : null, s.role ? `role ${s.role.name}` : null, s.kind].filter(Boolean).join(' · ');

export const renderGroups: Page = (root) => {
  const q = h('input', { type: 'search', name: 'q', placeholder: 'Part of the name' });
  const sort = h(
    'select',
    { name: 'sort' },
    [
      ['name', 'Name A–Z'],
      ['-name', 'Name Z–A'],
      ['-memberCount', 'Most members'],
      ['memberCount', 'Fewest members'],
    ].map(([v, t]) => h('option', { value: v! }, t)),
  );
  const origin = h('select', { name: 'origin' }, h('option', { value: 'internal' }, 'Product groups'), h('option', { value: 'scim' }, 'IdP groups (read-only)'));
  const search = h('form', { class: 'filters', role: 'search' }, field('Search groups', q), field('Sort by', sort), field('Show', origin), h('button', { type: 'submit' }, 'Search'));
  const list = h('section', { 'aria-label': 'Groups', 'aria-live': 'polite' });
  const detail = h('section', { 'aria-live': 'polite', class: 'detail' });
  const person = h('section', { 'aria-live': 'polite', class: 'detail' });
  root.append(search, list, detail, person);
  let rules = new Map<string, Rule>();

  const showUser = async (userId: string) => {
    const [user, perms] = await Promise.all([
      api.get<{ userName: string; displayName?: string; active: boolean }>(`/users/${encodeURIComponent(userId)}`),
      api.get<Permissions>(`/users/${encodeURIComponent(userId)}/permissions`),
    ]);
    replace(
      person,
      h('h2', { id: 'person-h' }, `${user.displayName ?? user.userName}${user.active ? '' : ' (deactivated)'}`),
      perms.admin ? h('p', {}, `Tenant admin: ${describe(perms.admin)}`) : null,
      h('h3', {}, 'Groups'),
      h(
        'ul',
        {},
        perms.groups.map((g) => h('li', {}, `${g.name} (${g.role})`)),
      ),
      h('h3', {}, 'Effective permissions'),
      table(
        ['Target', 'Level', 'Because of'],
        perms.targets.filter((t) => t.level !== 'hide').map((t) => row(t.target, t.level, (t.sources ?? []).map(describe).join('; '))),
        'What the user may do, and why',
        'No permissions above hide.',
      ),
    );
    person.querySelector('h2')?.setAttribute('tabindex', '-1');
    (person.querySelector('h2') as HTMLElement | null)?.focus();
  };

  const editStatus = statusLine();
  /** The Edit form of a custom group (name, description): PATCH /groups/{id}; the API's refusal (a duplicate name…) shown in the form. */
  const openEditor = (g: Group, editArea: HTMLElement, editButton: HTMLButtonElement, saved: (updated: Group) => void) => {
    const name = h('input', { type: 'text', name: 'name', required: true, maxlength: '100', value: g.name });
    const description = h('textarea', { name: 'description', rows: '3', maxlength: '1000' }, g.description ?? '');
    const error = h('p', { class: 'bad', role: 'alert', hidden: true });
    const save = h('button', { type: 'submit' }, 'Save changes');
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const close = (message: string) => {
      replace(editArea);
      editButton.hidden = false;
      editButton.focus();
      editStatus.textContent = message;
    };
    cancel.addEventListener('click', () => close('Editing cancelled: nothing saved.'));
    const form = h(
      'form',
      { 'aria-labelledby': 'group-edit-h', class: 'editor' },
      h('h3', { id: 'group-edit-h' }, `Edit ${g.name}`),
      field('Name', name),
      field('Description', description, 'Empty: no description'),
      error,
      h('div', { class: 'actions' }, save, cancel),
    );
    form.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') close('Editing cancelled: nothing saved.');
    });
    onAsync(form, 'submit', async (ev) => {
      ev.preventDefault();
      error.hidden = true;
      const text = description.value.trim();
      try {
        const updated = await api.patch<Group>(`/groups/${encodeURIComponent(g.id)}`, { name: name.value.trim(), description: text === '' ? null : text });
        close(`${updated.name} saved.`);
        saved(updated);
      } catch (err) {
        error.textContent = (err as ApiError).message;
        error.hidden = false;
        name.focus();
      }
    });
    editButton.hidden = true;
    editStatus.textContent = '';
    replace(editArea, form);
    name.focus();
  };

  const showGroup = async (g: Group, renamed?: (updated: Group) => void) => {
    const load = async (cursor?: string) => {
      const members = await api.get<{ items: Member[]; total: number | null; nextCursor: string | null }>(`/groups/${encodeURIComponent(g.id)}/members${qs({ limit: 200, cursor })}`);
      const rows = members.items.map((m) => {
        const open = h('button', { type: 'button', class: 'link' }, m.user?.displayName ?? m.user?.userName ?? m.userId);
        open.addEventListener('click', () => void showUser(m.userId).catch((err: ApiError) => replace(person, h('p', { class: 'bad' }, err.message))));
        const page = h('a', { href: `#/people/${encodeURIComponent(m.userId)}`, 'aria-label': `Person page of ${m.user?.displayName ?? m.user?.userName ?? m.userId}` }, 'Person page');
        return row(
          h('span', {}, open, ' · ', page),
          m.user?.emails?.join(', ') || '—',
          m.role,
          h(
            'ul',
            { class: 'sources' },
            m.sources.map((s) => explainSource(s, rules, g)),
          ),
        );
      });
      return { rows, next: members.nextCursor, total: members.total };
    };
    const first = await pagedTable(['Member', 'E-mail', 'Role', 'Why they are here'], `Members of ${g.name} with the sources that hold each membership`, 'No members.', load);
    replace(person);
    const heading = h('h2', { id: 'detail-h', tabindex: '-1' }, `${g.name}: ${g.memberCount ?? '?'} members`);
    const about = h('p', { class: 'hint' }, g.description ?? '');
    let edit: HTMLElement | null = null;
    if (editable(g)) {
      const button = h('button', { type: 'button', class: 'secondary', 'aria-label': `Edit ${g.name}` }, 'Edit');
      const area = h('div', {});
      button.addEventListener('click', () =>
        openEditor(g, area, button, (updated) => {
          g = { ...g, name: updated.name, description: updated.description };
          heading.textContent = `${g.name}: ${g.memberCount ?? '?'} members`;
          about.textContent = g.description ?? '';
          button.setAttribute('aria-label', `Edit ${g.name}`);
          renamed?.(updated);
        }),
      );
      edit = h('div', {}, h('div', { class: 'actions' }, button), area);
    }
    editStatus.textContent = '';
    replace(detail, heading, about, edit, editStatus, first);
    heading.focus();
  };

  const load = async () => {
    replace(detail);
    replace(person);
    const page = async (cursor?: string) => {
      const n = Number(cursor ?? '1');
      const res = await api.get<{ items: Group[]; total: number; page: number; limit: number }>(`/groups${qs({ q: q.value.trim(), sort: sort.value, origin: origin.value, limit: 100, page: n })}`);
      const rows = res.items.map((g) => {
        const open = h('button', { type: 'button', class: 'link' }, g.name);
        open.addEventListener(
          'click',
          () =>
            void showGroup(g, (updated) => {
              Object.assign(g, { name: updated.name, description: updated.description });
              open.textContent = updated.name;
            }).catch((err: ApiError) => replace(detail, h('p', { class: 'bad' }, err.message))),
        );
        return row(open, g.audience, g.kind, g.status, g.memberCount ?? '—');
      });
      return { rows, total: res.total, next: res.page * res.limit < res.total ? String(res.page + 1) : null };
    };
    replace(list, await pagedTable(['Group', 'Audience', 'Kind', 'Status', 'Members'], 'Groups', 'No groups match.', page));
  };
  search.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void load();
  });
  sort.addEventListener('change', () => void load());
  origin.addEventListener('change', () => void load());
  void (async () => {
    rules = new Map((await api.get<{ items: Rule[] }>('/rules')).items.map((r) => [r.id, r]));
    await load();
  })().catch((err: ApiError) => replace(list, h('p', { class: 'bad' }, err.message)));
};
