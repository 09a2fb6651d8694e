import { api, ApiError, qs } from '../api.js';
import { field, h, pagedTable, replace, row } from '../dom.js';
import type { Page } from '../main.js';
import { actorOf, describeTrigger, objectOf, type AuditRow } from './people.js';

const FILTERS = [
  ['action', 'Action (exact, or a prefix ending in . or *)', 'group.member*'],
  ['actorName', 'Actor (a person’s name or e-mail, a token’s label, a rule’s name)', 'Okta production'],
  ['objectName', 'About (a person’s name or e-mail, a group’s name)', 'Noah Rossi'],
  ['objectType', 'Object type', 'Group'],
] as const;

/** What a rule's membership change was about: the expression, and the user change that triggered it. */
function detailOf(e: AuditRow): string | HTMLElement {
  const after = e.after as { expression?: string; trigger?: { action: string; before?: unknown; after?: unknown } } | null | undefined;
  if (!after?.expression && !after?.trigger) return '';
  return h('span', {}, after.expression ? h('code', {}, after.expression) : null, after.trigger ? ` · trigger ${describeTrigger(after.trigger)}` : null);
}

interface Named {
  id: string;
  kind: string;
  name: string;
}

/** What each name filter stood for ("Actor: token Okta production"), so a name matching nothing or too much is visible. */
function matchedText(matched: Record<'actor' | 'object', Named[] | undefined>): string {
  const part = (label: string, things: Named[] | undefined) =>
    things === undefined ? null : things.length === 0 ? `${label}: nothing by that name` : `${label}: ${things.map((t) => `${t.kind} ${t.name}`).join(', ')}`;
  return [part('Actor', matched.actor), part('About', matched.object)].filter((p) => p !== null).join(' · ');
}

export const renderAudit: Page = (root) => {
  const inputs = Object.fromEntries(FILTERS.map(([name, , placeholder]) => [name, h('input', { type: 'text', name, placeholder })])) as Record<string, HTMLInputElement>;
  const category = h('select', { name: 'category' }, h('option', { value: '' }, 'All'), h('option', { value: 'auto_assignment' }, 'Auto-assignment (rules, mappings, dynamic groups)'));
  const from = h('input', { type: 'datetime-local', name: 'from' });
  const to = h('input', { type: 'datetime-local', name: 'to' });
  const results = h('section', { 'aria-live': 'polite', 'aria-label': 'Audit events' });
  const matchedNote = h('p', { class: 'hint', 'data-testid': 'audit-matched' });
  const form = h(
    'form',
    { class: 'filters' },
    field('Category', category),
    FILTERS.map(([name, label]) => field(label, inputs[name]!)),
    field('From', from),
    field('To', to),
    h('button', { type: 'submit' }, 'Filter'),
  );
  root.append(form, matchedNote, results);

  const iso = (v: string) => (v ? new Date(v).toISOString() : undefined);
  const load = async () => {
    const params = { category: category.value, ...Object.fromEntries(FILTERS.map(([n]) => [n, inputs[n]!.value.trim()])), from: iso(from.value), to: iso(to.value), limit: 50 };
    const page = async (cursor?: string) => {
      const res = await api.get<{ items: AuditRow[]; nextCursor: string | null; matched?: Record<'actor' | 'object', Named[] | undefined> }>(`/audit${qs({ ...params, cursor })}`);
      if (!cursor) matchedNote.textContent = res.matched ? matchedText(res.matched) : '';
      return { next: res.nextCursor, rows: res.items.map((e) => row(new Date(e.at).toLocaleString(), h('code', { class: 'nowrap' }, e.action), actorOf(e), objectOf(e), detailOf(e))) };
    };
    replace(results, await pagedTable(['When', 'Action', 'Actor', 'Object', 'Why'], 'Audit events, newest first (ids on hover)', 'No events match.', page));
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void load().catch((err: ApiError) => replace(results, h('p', { class: 'bad' }, err.message)));
  });
  void load().catch((err: ApiError) => replace(results, h('p', { class: 'bad' }, err.message)));
};
