import type { MemberImportDoc, MembershipRole } from '../../persistence/models';
import type { UserProfile } from '../../persistence/users-repository';
import { newId } from '../../persistence/ids';
import { repositoriesOf } from '../../persistence/repositories';
import { AppError } from '../../errors/app-error';
import { accessEvents } from '../access-events';
import type { Access } from '../access/policy';
import { canSeeUser } from '../access/user-visibility';
import { assertMayGrantMembership } from '../access/admin-grant';
import { membershipAccessState } from '../permissions/access-difference';
import { permissionEngine } from '../permissions/engine';
import { auditAdminChange, type GroupsDeps } from './deps';
import type { GroupRecord } from './group-record';
import { assertAssignable, assertNotIdpGroup } from './groups';
import { isEmail } from '../email-address';
import { assertMembersEditable, groupForMemberChange, IMPORT_SOURCE, MEMBER_ROLES } from './members';
import { audienceOf } from './user-identity';

/**
 * CSV member import (product doc 001, "Bulk (CSV import)"): `email,role` with a header line, at
 * most 1,000 rows. A preview decides every row (added / skipped / error) and is stored; confirming
 * applies exactly the rows the preview marked "added", once, with the membership source 'import'.
 */
export const MAX_IMPORT_ROWS = 1000;

export type ImportRow = MemberImportDoc['rows'][number];

/** The template to download and fill (product doc 001, "Download template CSV"): the header the preview expects. */
export const IMPORT_TEMPLATE_CSV = 'email,role\r\n';

/** The template, for whoever may import into the group (the same 404/403 as a preview). */
export async function importTemplate(deps: GroupsDeps, access: Access, groupId: string): Promise<{ csv: string; fileName: string }> {
  await groupForMemberChange(deps, access, groupId);
  return { csv: IMPORT_TEMPLATE_CSV, fileName: 'members-import-template.csv' };
}

/** Splits one CSV line (RFC 4180: quoted fields, "" inside quotes). Returns null for an unterminated quote. */
export function splitCsvLine(line: string): string[] | null {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  if (quoted) return null;
  fields.push(field);
  return fields.map((f) => f.trim());
}

interface ParsedLine {
  line: number;
  fields: string[] | null;
}

/** The data lines of the CSV (blank lines skipped), after checking the `email,role` header. */
export function parseMemberCsv(text: string): ParsedLine[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerIndex = lines.findIndex((l) => l.trim() !== '');
  if (headerIndex < 0) throw new AppError('badRequest', 'IMPORT_EMPTY', 'The CSV is empty: expected a header line "email,role" and rows');
  const header = splitCsvLine(lines[headerIndex]!)?.map((h) => h.toLowerCase());
  if (!header || header[0] !== 'email' || (header.length > 1 && header[1] !== 'role') || header.length > 2) {
    throw new AppError('badRequest', 'IMPORT_BAD_HEADER', 'The first line must be the header "email,role"', { details: { header: lines[headerIndex] } });
  }
  const rows: ParsedLine[] = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue;
    rows.push({ line: i + 1, fields: splitCsvLine(lines[i]!) });
    if (rows.length > MAX_IMPORT_ROWS) {
      throw new AppError('badRequest', 'IMPORT_TOO_MANY_ROWS', `A CSV import takes at most ${MAX_IMPORT_ROWS} rows`, { details: { maxRows: MAX_IMPORT_ROWS } });
    }
  }
  if (rows.length === 0) throw new AppError('badRequest', 'IMPORT_EMPTY', 'The CSV has a header but no rows');
  return rows;
}

function importView(doc: MemberImportDoc) {
  const summary = { added: 0, skipped: 0, error: 0 };
  for (const r of doc.rows) summary[r.outcome]++;
  return {
    id: doc._id,
    groupId: doc.groupId,
    status: doc.status,
    summary,
    rows: doc.rows,
    createdAt: doc.createdAt.toISOString(),
    ...(doc.appliedAt ? { appliedAt: doc.appliedAt.toISOString() } : {}),
  };
}

async function checkImportable(deps: GroupsDeps, access: Access, groupId: string): Promise<GroupRecord> {
  const g = await groupForMemberChange(deps, access, groupId);
  assertNotIdpGroup(g);
  assertMembersEditable(g);
  assertAssignable(g);
  // Checked again on confirm: the group may have gained an admin-level role since the preview.
  await assertMayGrantMembership(deps.models, access, g, `import members into "${g.name}"`);
  return g;
}

/** Decides every row against the current users and members, without changing anything but the stored preview. */
export async function previewImport(deps: GroupsDeps, access: Access, groupId: string, csv: string) {
  const g = await checkImportable(deps, access, groupId);
  const parsed = parseMemberCsv(csv);
  const { tenantId } = access;
  const emails = [...new Set(parsed.flatMap((p) => (p.fields?.[0] ? [p.fields[0].toLowerCase()] : [])))];
  const users = emails.length ? await repositoriesOf(deps.models).users.profilesMatching(tenantId, { emailsAnyOf: emails }) : [];
  const byEmail = new Map<string, UserProfile[]>();
  for (const u of users) for (const e of u.lc.emails ?? []) if (emails.includes(e)) byEmail.set(e, [...(byEmail.get(e) ?? []), u]);
  const members = users.length
    ? await deps.memberships.membersAmong(
        tenantId,
        groupId,
        users.map((u) => u._id),
      )
    : [];
  const memberIds = new Set(members.map((m) => m.userId));
  // Users outside the caller's view read as unknown e-mails (the rule of loadVisibleUser).
  const unrestricted = access.isAdmin;
  const seenEmails = new Map<string, number>();

  const rows: ImportRow[] = [];
  for (const p of parsed) {
    const email = p.fields?.[0] ?? '';
    const row = (outcome: ImportRow['outcome'], reason?: string, extra: Partial<ImportRow> = {}): ImportRow => ({ line: p.line, email, outcome, ...(reason ? { reason } : {}), ...extra });
    if (!p.fields) {
      rows.push(row('error', 'malformed line: unterminated quote'));
      continue;
    }
    if (p.fields.length > 2) {
      rows.push(row('error', `malformed line: expected 2 fields, found ${p.fields.length}`));
      continue;
    }
    if (!isEmail(email)) {
      rows.push(row('error', email === '' ? 'malformed line: missing e-mail' : 'malformed e-mail address'));
      continue;
    }
    const roleText = (p.fields[1] ?? '').toLowerCase() || 'member';
    if (!MEMBER_ROLES.includes(roleText as MembershipRole)) {
      rows.push(row('error', `invalid role "${p.fields[1]}" (member or manager)`, { role: p.fields[1] }));
      continue;
    }
    const role = roleText as MembershipRole;
    const key = email.toLowerCase();
    const firstLine = seenEmails.get(key);
    if (firstLine !== undefined) {
      rows.push(row('skipped', `duplicate of line ${firstLine}`, { role }));
      continue;
    }
    seenEmails.set(key, p.line);
    const matches = byEmail.get(key) ?? [];
    let visible = matches;
    if (!unrestricted) {
      const checks = await Promise.all(matches.map((u) => canSeeUser(deps.models, access, u)));
      visible = matches.filter((_, i) => checks[i]);
    }
    if (visible.length === 0) {
      rows.push(row('skipped', 'unknown e-mail', { role }));
      continue;
    }
    if (visible.length > 1) {
      rows.push(row('error', 'the e-mail address belongs to several users', { role }));
      continue;
    }
    const user = visible[0]!;
    if (memberIds.has(user._id)) {
      rows.push(row('skipped', 'already a member', { role, userId: user._id }));
      continue;
    }
    if (g.origin === 'internal' && audienceOf(user) !== g.audience) {
      rows.push(row('error', g.audience === 'customer' ? 'not a customer: this group holds customers only' : 'a customer: this group holds internal users only', { role, userId: user._id }));
      continue;
    }
    rows.push(row('added', undefined, { role, userId: user._id }));
  }

  const doc: MemberImportDoc = { _id: newId('imp'), tenantId, groupId, createdBy: access.caller.userId, rows, status: 'previewed', createdAt: new Date() };
  await repositoriesOf(deps.models).memberImports.insert(doc);
  return importView(doc);
}

/** The import, if the caller may use it (Access.canUseImport: its creator, or an admin); otherwise 404 as for none (issue 18 #10). */
async function loadImport(deps: GroupsDeps, access: Access, groupId: string, importId: string): Promise<MemberImportDoc> {
  const doc = await repositoriesOf(deps.models).memberImports.findOfGroup(access.tenantId, groupId, importId);
  if (!doc || !access.canUseImport(doc)) throw new AppError('notFound', 'IMPORT_NOT_FOUND', `Import ${importId} not found for group ${groupId}`, { details: { importId, groupId } });
  return doc;
}

export async function getImport(deps: GroupsDeps, access: Access, groupId: string, importId: string) {
  await groupForMemberChange(deps, access, groupId);
  return importView(await loadImport(deps, access, groupId, importId));
}

/**
 * Applies the preview's "added" rows: no re-matching of e-mails, but each row is checked against
 * the current state and the rows report what really happened. A user gone, no longer of the
 * group's audience or no longer visible to the caller is skipped; one who became a member since the
 * preview is skipped as "already a member" (their membership and role are left as they are). The
 * status flips from 'previewed' to 'applied' in one conditional write first, so a second (or
 * concurrent) confirm is refused and the rows are applied at most once.
 */
export async function confirmImport(deps: GroupsDeps, access: Access, groupId: string, importId: string) {
  const g = await checkImportable(deps, access, groupId);
  const { tenantId } = access;
  const existing = await loadImport(deps, access, groupId, importId);
  const appliedAt = new Date();
  const claimed = await repositoriesOf(deps.models).memberImports.claimForApply(tenantId, groupId, importId, appliedAt, access.caller.userId);
  if (!claimed) {
    throw new AppError('conflict', 'IMPORT_ALREADY_APPLIED', `Import ${importId} was confirmed already`, { details: { importId, appliedAt: existing.appliedAt } });
  }
  const doc = claimed;
  const planned = doc.rows.filter((r) => r.outcome === 'added' && r.userId);
  const users = planned.length ? await repositoriesOf(deps.models).users.profilesMatching(tenantId, { ids: planned.map((r) => r.userId!) }) : [];
  const byId = new Map(users.map((u) => [u._id, u]));
  const verdict = new Map<string, string>();
  for (const r of planned) {
    const user = byId.get(r.userId!);
    if (!user) verdict.set(r.userId!, 'the user no longer exists');
    else if (audienceOf(user) !== g.audience) verdict.set(r.userId!, `the user is no longer ${g.audience === 'customer' ? 'a customer' : 'an internal user'}`);
    else if (!access.isAdmin && !(await canSeeUser(deps.models, access, user))) verdict.set(r.userId!, 'unknown e-mail');
  }
  const created = new Set<string>();
  for (const role of MEMBER_ROLES) {
    const ids = planned.filter((r) => (r.role ?? 'member') === role && !verdict.has(r.userId!)).map((r) => r.userId!);
    if (ids.length) for (const u of await deps.memberships.createIfAbsent(tenantId, groupId, ids, IMPORT_SOURCE, role)) created.add(u);
  }
  const rows = doc.rows.map((r): ImportRow => {
    if (r.outcome !== 'added' || !r.userId || created.has(r.userId)) return r;
    const { reason: _previewReason, ...rest } = r;
    return { ...rest, outcome: 'skipped', reason: verdict.get(r.userId) ?? 'already a member (since the preview)' };
  });
  await repositoriesOf(deps.models).memberImports.setRows(tenantId, importId, rows);
  const added = rows.filter((r) => r.outcome === 'added' && r.userId);
  await auditAdminChange(
    deps,
    access.caller,
    'group.members.imported',
    { type: 'Group', id: groupId },
    {
      after: { importId, added: added.map((r) => ({ userId: r.userId, role: r.role ?? 'member' })), skippedAtConfirm: planned.length - added.length },
      state: await membershipAccessState(permissionEngine(deps.models), tenantId, new Map(added.map((r) => [r.userId!, { joined: [{ groupId, source: IMPORT_SOURCE }], left: [] }]))),
    },
  );
  for (const r of added) accessEvents.emit({ tenantId, kind: 'membership', groupId, userId: r.userId! });
  return importView({ ...doc, rows });
}
