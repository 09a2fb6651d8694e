import { api, ApiError } from '../api.js';
import { debounce, field, h, replace, row, statusLine, table, when, onAsync } from '../dom.js';
import type { Page } from '../main.js';
import type { MappingInput, PreviewUser, Rule, RuleInput, RulePreview, RulePreviewInput, RuleUpdate, RuleValidation, RuleValidationInput } from '../admin-api.js';

interface Group {
  id: string;
  name: string;
  audience: string;
  kind: string;
  automatic?: string | null;
  origin: string;
}
const who = (u: PreviewUser) => u.displayName ?? u.userName ?? u.id;
const mappingExpression = (idpGroup: string) => `groups eq ${JSON.stringify(idpGroup)}`;

/** The line of `text` an error points into, with a caret under its column. */
function caret(text: string, line: number, column: number): HTMLElement {
  const source = text.split('\n')[line - 1] ?? '';
  return h('pre', { class: 'caret', 'aria-hidden': 'true' }, `${source}\n${' '.repeat(Math.max(0, column - 1))}^`);
}

export const renderRules: Page = (root) => {
  const list = h('section', { 'aria-labelledby': 'rules-h' });
  const editor = h('section', { 'aria-labelledby': 'editor-h', class: 'editor' });
  const status = statusLine();
  root.append(status, list, editor);
  let groups: Group[] = [];
  const groupName = (id: string) => groups.find((g) => g.id === id)?.name ?? id;

  const loadList = async () => {
    const { items } = await api.get<{ items: Rule[] }>('/rules');
    const rows = items.map((r) => {
      const toggle = h('input', { type: 'checkbox', checked: r.enabled, 'aria-label': `${r.name} enabled`, disabled: r.kind === 'dynamic' });
      onAsync(toggle, 'change', async () => {
        try {
          await api.patch(`/rules/${r.id}`, { enabled: toggle.checked } satisfies RuleUpdate);
          status.textContent = `${r.name} ${toggle.checked ? 'enabled' : 'disabled'}; the worker applies it.`;
        } catch (err) {
          toggle.checked = !toggle.checked;
          status.textContent = (err as ApiError).message;
        }
      });
      const actions = h('div', { class: 'actions' });
      if (r.kind !== 'dynamic') {
        const edit = h('button', { type: 'button', class: 'secondary', 'aria-label': `Edit ${r.name}` }, 'Edit');
        edit.addEventListener('click', () => openEditor(r));
        const del = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${r.name}` }, 'Delete');
        onAsync(del, 'click', async () => {
          if (!confirm(`Delete ${r.name}? The memberships it gave are removed.`)) return;
          await api.delete(`/rules/${r.id}`);
          status.textContent = `${r.name} deleted.`;
          await loadList();
        });
        actions.append(edit, del);
      }
      const last = r.lastRun ? `${r.lastRun.outcome}: matched ${r.lastRun.matched}, +${r.lastRun.added} −${r.lastRun.removed} · ${when(r.lastRun.finishedAt)}` : r.sync?.pending ? 'pending' : '—';
      return row(r.name, r.kind === 'mapping' ? 'SSO mapping' : r.kind === 'dynamic' ? 'dynamic group' : 'rule', h('code', {}, r.expression), groupName(r.targetGroupId), toggle, last, actions);
    });
    const add = h('button', { type: 'button' }, 'New rule or mapping');
    add.addEventListener('click', () => openEditor());
    replace(
      list,
      h('h2', { id: 'rules-h' }, 'Rules and SSO group mappings'),
      add,
      table(['Name', 'Kind', 'Expression', 'Target group', 'Enabled', 'Last run', 'Actions'], rows, 'Auto-assignment rules, SSO group mappings and dynamic groups', 'No rules yet.'),
    );
  };

  /** Every product group (the list pages by 200): a target group must be offered however many there are. */
  async function allGroups(): Promise<Group[]> {
    const out: Group[] = [];
    for (let page = 1; ; page++) {
      const res = await api.get<{ items: Group[]; total: number }>(`/groups?limit=200&page=${page}`);
      out.push(...res.items);
      if (res.items.length === 0 || out.length >= res.total) return out;
    }
  }

  function openEditor(existing?: Rule): void {
    const isMapping = existing?.kind === 'mapping';
    const kind = h(
      'select',
      { name: 'kind', disabled: Boolean(existing) },
      h('option', { value: 'rule' }, 'Auto-assignment rule (expression)'),
      h('option', { value: 'mapping', selected: isMapping }, 'SSO group mapping (IdP group → group)'),
    );
    const name = h('input', { type: 'text', name: 'name', required: true, maxlength: '200', value: existing?.name ?? '' });
    const target = h(
      'select',
      { name: 'targetGroupId', required: true },
      groups
        .filter((g) => g.origin === 'internal' && g.kind === 'static' && !g.automatic)
        .map((g) => h('option', { value: g.id, selected: g.id === existing?.targetGroupId }, `${g.name} (${g.audience})`)),
    );
    const newGroupName = h('input', { type: 'text', name: 'newGroup', maxlength: '200', placeholder: 'e.g. Engineering' });
    const newGroupAudience = h('select', { name: 'newGroupAudience' }, h('option', { value: 'user' }, 'internal users'), h('option', { value: 'customer' }, 'customers'));
    const createGroup = h('button', { type: 'button', class: 'secondary' }, 'Create group');
    const groupStatus = h('span', { class: 'hint', role: 'status' });
    onAsync(createGroup, 'click', async () => {
      const wanted = newGroupName.value.trim();
      if (!wanted) return void (groupStatus.textContent = "Type the new group's name first.");
      try {
        const g = await api.post<Group>('/groups', { name: wanted, audience: newGroupAudience.value });
        groups.push(g);
        target.append(h('option', { value: g.id }, `${g.name} (${g.audience})`));
        target.value = g.id;
        newGroupName.value = '';
        groupStatus.textContent = `Group ${g.name} created and chosen as the target.`;
        validate();
      } catch (err) {
        groupStatus.textContent = (err as ApiError).message;
      }
    });
    const newGroup = h('div', { class: 'inline' }, field('Or create a group named', newGroupName), field('For', newGroupAudience), createGroup, groupStatus);
    const expression = h('textarea', { name: 'expression', rows: '3', spellcheck: 'false', class: 'mono' }, existing && !isMapping ? existing.expression : '');
    const idpGroup = h('input', { type: 'text', name: 'idpGroup', value: existing?.idpGroup ?? '', list: 'idp-groups' });
    const idpGroups = h('datalist', { id: 'idp-groups' });
    const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: existing?.enabled ?? true });
    const validation = h('div', { class: 'validation', role: 'status', 'aria-live': 'polite', id: 'expression-check' });
    const previewOut = h('div', { class: 'preview', 'aria-live': 'polite' });
    const dryRun = h('button', { type: 'button', class: 'secondary' }, 'Dry run');
    const save = h('button', { type: 'submit', disabled: true }, existing ? 'Save changes' : 'Save');
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const close = () => {
      replace(editor);
      status.textContent = 'Editing cancelled: nothing saved.';
    };
    cancel.addEventListener('click', close);
    expression.setAttribute('aria-describedby', 'expression-check');
    const expressionField = field('Expression', expression, 'SCIM filter (title sw "Support") or the product form (department = "Sales" AND country in "US","CA")');
    const idpField = field('IdP group (displayName or externalId)', idpGroup);
    void api.get<{ items: Group[] }>('/groups?origin=scim&limit=200').then(({ items }) => {
      replace(
        idpGroups,
        items.map((g) => h('option', { value: g.name })),
      );
    });
    /** The dry run's warnings (a value never seen, an IdP group never pushed, no match), each suggestion a button that puts it in place of what was typed. */
    const warningsOf = (p: RulePreview): HTMLElement[] =>
      p.warnings.map((w) => {
        const typed = w.value;
        const uses =
          typed === undefined
            ? []
            : w.suggestions.map((s) => {
                const use = h('button', { type: 'button', class: 'secondary' }, `Use “${s}”`);
                use.addEventListener('click', () => {
                  if (kind.value === 'mapping') idpGroup.value = s;
                  // The quoted value as typed (an IdP group name comes back lower-cased, so ignoring case).
                  else expression.value = expression.value.replace(new RegExp(JSON.stringify(typed).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), () => JSON.stringify(s));
                  validate();
                  invalidate();
                });
                return use;
              });
        return h('div', { class: 'callout', 'data-testid': 'preview-warning' }, h('p', {}, w.message), uses.length ? h('div', { class: 'actions' }, ...uses) : null);
      });

    const currentExpression = () => (kind.value === 'mapping' ? mappingExpression(idpGroup.value.trim()) : expression.value);
    // Save is offered only for the expression and target the last dry run showed.
    let previewed = '';
    const key = () => `${currentExpression()}\u0000${target.value}`;
    const invalidate = () => {
      save.disabled = previewed !== key();
      // A dry run of something else than what is typed now is not shown as if it were current.
      if (previewed !== '' && previewed !== key()) {
        previewed = '';
        replace(previewOut, h('p', { class: 'hint' }, 'Changed since the dry run: run it again.'));
      }
    };
    const showKind = () => {
      expressionField.hidden = kind.value === 'mapping';
      idpField.hidden = kind.value !== 'mapping';
    };

    // Catches its own failures (shown under the editor), so the debounced call may drop the promise.
    const validateNow = async () => {
      invalidate();
      const text = currentExpression();
      if (kind.value === 'rule' && text.trim() === '') return replace(validation);
      try {
        const v = await api.post<RuleValidation>('/rules/validate', { expression: text, ...(target.value ? { targetGroupId: target.value } : {}) } satisfies RuleValidationInput);
        if (v.valid) {
          expression.removeAttribute('aria-invalid');
          replace(validation, h('p', { class: 'ok' }, `Valid. Uses ${v.attributes.map((a) => a.split(':').pop()).join(', ') || 'no attributes'}.`), v.note ? h('p', { class: 'hint' }, v.note) : null);
        } else {
          expression.setAttribute('aria-invalid', 'true');
          const { line, column, hint, message } = v.error;
          // The API's message ends with the hint in parentheses; it is shown on a line of its own.
          const what = hint ? message.replace(` (${hint})`, '') : message;
          replace(
            validation,
            h('p', { class: 'bad' }, what),
            line && column && kind.value === 'rule' ? caret(text, line, column) : null,
            hint ? h('p', { class: 'suggestion' }, `Hint: ${hint}`) : null,
          );
        }
      } catch (err) {
        replace(validation, h('p', { class: 'bad' }, (err as ApiError).message));
      }
    };
    const validate = debounce(() => void validateNow(), 250);

    onAsync(dryRun, 'click', async () => {
      replace(previewOut, h('p', {}, 'Running…'));
      try {
        const p = await api.post<RulePreview>('/rules/preview', {
          expression: currentExpression(),
          targetGroupId: target.value,
          ...(existing ? { ruleId: existing.id } : {}),
          sampleSize: 10,
        } satisfies RulePreviewInput);
        const m = p.membership;
        replace(
          previewOut,
          h('h3', {}, 'Dry run'),
          ...warningsOf(p),
          h(
            'p',
            { 'data-testid': 'preview-summary' },
            `${p.matched} users match. Would add ${m?.adds.count ?? 0}, remove ${m?.removes.count ?? 0}${m ? ` (${m.alreadyMembers} already members)` : ''}.`,
          ),
          m && m.adds.sample.length ? h('p', {}, 'Added, e.g.: ', m.adds.sample.map(who).join(', ')) : null,
          m && m.removes.sample.length ? h('p', {}, 'Removed, e.g.: ', m.removes.sample.map(who).join(', ')) : null,
          p.audience && p.audience.excluded.count ? h('p', { class: 'hint' }, p.audience.note) : null,
          h('p', { class: 'hint' }, 'Nothing changed yet: save to apply.'),
        );
        previewed = key();
        invalidate();
      } catch (err) {
        replace(previewOut, h('p', { class: 'bad' }, (err as ApiError).message));
      }
    });

    const form = h(
      'form',
      { 'aria-labelledby': 'editor-h' },
      h('h2', { id: 'editor-h' }, existing ? `Edit ${existing.name}` : 'New rule or mapping'),
      field('Kind', kind),
      field('Name', name),
      field('Target group', target),
      newGroup,
      expressionField,
      idpField,
      idpGroups,
      validation,
      h('div', { class: 'field checkbox' }, enabled, h('label', { for: 'rule-enabled' }, 'Enabled')),
      h('div', { class: 'actions' }, dryRun, save, cancel),
      previewOut,
    );
    enabled.id = 'rule-enabled';
    form.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') close();
    });
    onAsync(form, 'submit', async (ev) => {
      ev.preventDefault();
      try {
        if (existing)
          await api.patch(`/rules/${existing.id}`, {
            name: name.value,
            targetGroupId: target.value,
            enabled: enabled.checked,
            ...(isMapping ? {} : { expression: expression.value }),
          } satisfies RuleUpdate);
        else if (kind.value === 'mapping')
          await api.post('/mappings', { idpGroup: idpGroup.value.trim(), targetGroupId: target.value, enabled: enabled.checked, ...(name.value ? { name: name.value } : {}) } satisfies MappingInput);
        else await api.post('/rules', { name: name.value, expression: expression.value, targetGroupId: target.value, enabled: enabled.checked } satisfies RuleInput);
        status.textContent = `${name.value || 'Mapping'} saved; the worker applies it.`;
        replace(editor);
        await loadList();
      } catch (err) {
        replace(previewOut, h('p', { class: 'bad' }, (err as ApiError).message));
      }
    });
    for (const el of [expression, idpGroup]) el.addEventListener('input', validate);
    target.addEventListener('change', validate);
    kind.addEventListener('change', () => {
      showKind();
      validate();
    });
    showKind();
    replace(editor, form);
    (existing ? name : kind).focus();
    if (existing) validate();
  }

  void (async () => {
    groups = await allGroups();
    await loadList();
  })().catch((err: ApiError) => root.append(h('p', { class: 'error' }, err.message)));
};
