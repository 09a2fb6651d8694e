import { api, ApiError, qs } from '../api.js';
import { field, h, replace, row, table } from '../dom.js';
import type { Page } from '../main.js';

interface AuditEvent {
  id: string;
  at: string;
  actor: { type: string; id: string; as?: string };
  action: string;
  object: { type: string; id: string };
}

const FILTERS = [
  ['action', 'Action (exact, or a prefix ending in . or *)', 'group.member*'],
  ['actor', 'Actor (id, or type:id)', 'scim-token:tok_…'],
  ['objectId', 'Object id', 'grp_…'],
  ['objectType', 'Object type', 'Group'],
] as const;

export const renderAudit: Page = (root) => {
  const inputs = Object.fromEntries(FILTERS.map(([name, , placeholder]) => [name, h('input', { type: 'text', name, placeholder })])) as Record<string, HTMLInputElement>;
  const category = h('select', { name: 'category' }, h('option', { value: '' }, 'All'), h('option', { value: 'auto_assignment' }, 'Auto-assignment (rules, mappings, dynamic groups)'));
  const from = h('input', { type: 'datetime-local', name: 'from' });
  const to = h('input', { type: 'datetime-local', name: 'to' });
  const results = h('section', { 'aria-live': 'polite', 'aria-label': 'Audit events' });
  const form = h('form', { class: 'filters' }, field('Category', category), FILTERS.map(([name, label]) => field(label, inputs[name]!)), field('From', from), field('To', to), h('button', { type: 'submit' }, 'Filter'));
  root.append(form, results);

  const iso = (v: string) => (v ? new Date(v).toISOString() : undefined);
  const load = async (cursor?: string, more = false) => {
    const params = { category: category.value, ...Object.fromEntries(FILTERS.map(([n]) => [n, inputs[n]!.value.trim()])), from: iso(from.value), to: iso(to.value), limit: 50, cursor };
    const page = await api.get<{ items: AuditEvent[]; nextCursor: string | null }>(`/audit${qs(params)}`);
    const rows = page.items.map((e) => row(new Date(e.at).toLocaleString(), h('code', {}, e.action), `${e.actor.type}:${e.actor.id}${e.actor.as ? ` (as ${e.actor.as})` : ''}`, `${e.object.type} ${e.object.id}`));
    const next = page.nextCursor ? h('button', { type: 'button', class: 'secondary' }, 'More') : null;
    next?.addEventListener('click', () => void load(page.nextCursor!, true));
    const t = table(['When', 'Action', 'Actor', 'Object'], rows, 'Audit events, newest first', 'No events match.');
    if (more) results.querySelector('.more')?.replaceWith(t, h('div', { class: 'more' }, next));
    else replace(results, t, h('div', { class: 'more' }, next));
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void load().catch((err: ApiError) => replace(results, h('p', { class: 'bad' }, err.message)));
  });
  void load().catch((err: ApiError) => replace(results, h('p', { class: 'bad' }, err.message)));
};
