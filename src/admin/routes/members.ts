import express, { type Router } from 'express';
import { z } from 'zod';
import type { AdminDeps } from '../admin-deps';
import { addMember, ADMIN_SOURCES, changeMemberRole, listMembers, removeMember } from '../../domain/groups/members';
import { confirmImport, getImport, importTemplate, previewImport } from '../../domain/groups/member-import';
import { mount, operation } from '../contract/operation';
import { cursorQuery, email, id } from '../contract/schema-kit';
import { MEMBER_ROLES, MemberImportSchema, MemberRemovalSchema, MemberSchema } from '../contract/schemas';
import { accessOf, groupsDepsOf } from './route-kit';
import { groupPath } from './groups';

const memberPath = z.strictObject({ id: z.string().describe('Group id (grp_…)'), userId: z.string().describe('User id') });
const importPath = z.strictObject({ id: z.string().describe('Group id (grp_…)'), importId: z.string().describe('Import id') });

export const membersOperations = {
  list: operation({
    method: 'get',
    path: '/groups/{id}/members',
    tag: 'Members',
    summary: 'List members, ordered by user id',
    params: groupPath,
    query: z.strictObject(cursorQuery(500)),
    responses: {
      200: {
        description: 'OK',
        schema: z.strictObject({
          items: z.array(MemberSchema),
          total: z.number().int().nullable().describe('null when a customer admin sees a stored group scoped to their workspace'),
          nextCursor: z.string().nullable(),
        }),
      },
    },
    errors: [404],
  }),
  add: operation({
    method: 'post',
    path: '/groups/{id}/members',
    tag: 'Members',
    summary: "Add a member (source 'manual')",
    description:
      'Admins, customer admins (customer groups), the group owner and managers, and its Group Administrators (users they can see). Only admins add members to a group whose members get admin-level access (Admins, or a group holding or inheriting the Admin role or one as strong): 403 ADMIN_GRANT_REQUIRES_ADMIN. Automatic and dynamic groups are refused.',
    params: groupPath,
    body: z
      .strictObject({
        userId: id('The user to add; or').optional(),
        email: email('their e-mail address (exactly one of userId and email; an address several visible users share answers 409 USER_EMAIL_AMBIGUOUS)').optional(),
        role: z.enum(MEMBER_ROLES).optional(),
      })
      .check((ctx) => {
        if ((ctx.value.userId === undefined) === (ctx.value.email === undefined))
          ctx.issues.push({ code: 'custom', path: ['userId'], message: 'Give exactly one of "userId" and "email"', input: ctx.value });
      })
      .meta({ oneOf: [{ required: ['userId'] }, { required: ['email'] }] })
      .transform((b) => (b.userId !== undefined ? { userId: b.userId, role: b.role } : { email: b.email ?? '', role: b.role })),
    responses: { 201: { description: 'Added', schema: MemberSchema } },
    errors: [403, 404, 409],
  }),
  changeRole: operation({
    method: 'patch',
    path: '/groups/{id}/members/{userId}',
    tag: 'Members',
    summary: "Change a member's role in the group",
    params: memberPath,
    body: z.strictObject({ role: z.enum(MEMBER_ROLES) }),
    responses: { 200: { description: 'OK', schema: MemberSchema } },
    errors: [403, 404, 409],
  }),
  remove: operation({
    method: 'delete',
    path: '/groups/{id}/members/{userId}',
    tag: 'Members',
    summary: "Remove what the admin API granted ('manual' and 'import')",
    description: 'Other sources (scim, rules, owner) keep the membership. The owner cannot be removed (GROUP_OWNER_NOT_REMOVABLE).',
    params: memberPath,
    query: z.strictObject({ source: z.enum(ADMIN_SOURCES).optional().describe('Remove only this source') }),
    responses: { 200: { description: 'The Member as it stands now (sources [] once the membership ended), and what was removed', schema: MemberRemovalSchema } },
    errors: [403, 404, 409],
  }),
  previewImport: operation({
    method: 'post',
    path: '/groups/{id}/members/import',
    tag: 'Members',
    summary: 'Preview a CSV member import (email,role; at most 1,000 rows)',
    description: 'Stores the per-row outcome (added / skipped / error); nothing changes until confirmed.',
    params: groupPath,
    body: z
      .union([z.string().describe('The CSV as a JSON string'), z.strictObject({ csv: z.string().describe('email,role header then rows') })], {
        error: 'Send the CSV as a text/csv body, or as JSON {"csv": "email,role\\n..."}',
      })
      .meta({ 'x-error-code': 'IMPORT_NO_CSV' })
      .transform((b) => (typeof b === 'string' ? b : b.csv)),
    otherBodyContent: { 'text/csv': { schema: { type: 'string', description: 'email,role header then rows' } } },
    responses: { 201: { description: 'Previewed', schema: MemberImportSchema } },
    errors: [403, 404, 409],
  }),
  importTemplate: operation({
    method: 'get',
    path: '/groups/{id}/members/import/template',
    tag: 'Members',
    summary: 'Download the CSV import template (email,role header; role member or manager, default member)',
    params: groupPath,
    responses: { 200: { description: 'The template', content: { 'text/csv': { schema: { type: 'string', description: 'email,role' } } } } },
    errors: [403, 404],
  }),
  getImport: operation({
    method: 'get',
    path: '/groups/{id}/members/import/{importId}',
    tag: 'Members',
    summary: 'Get an import preview',
    params: importPath,
    responses: { 200: { description: 'OK', schema: MemberImportSchema } },
    errors: [403, 404],
  }),
  confirmImport: operation({
    method: 'post',
    path: '/groups/{id}/members/import/{importId}/confirm',
    tag: 'Members',
    summary: "Apply the previewed 'added' rows (source 'import'); once",
    description:
      'Each row is re-checked against the current state and the rows report what really happened: a user gone, of another audience, no longer visible, or a member since the preview (membership and role left as they are) is skipped with the reason. Only real additions are audited.',
    params: importPath,
    responses: { 200: { description: 'OK', schema: MemberImportSchema } },
    errors: [403, 404, 409],
  }),
};

/** /groups/:id/members (+ /:userId) and the CSV import (/groups/:id/members/import). */
export function membersRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const gd = groupsDepsOf(deps);
  const ops = membersOperations;
  // The CSV arrives as text/csv (or text/plain), or as JSON {"csv": "..."}.
  const csvText = express.text({ type: ['text/csv', 'text/plain'], limit: '1mb' });

  mount(router, ops.list, async ({ params, query }, req, res) => {
    res.json(await listMembers(gd, await accessOf(deps, req, res), params.id, query));
  });
  mount(router, ops.add, async ({ params, body }, req, res) => {
    res.status(201).json(await addMember(gd, await accessOf(deps, req, res), params.id, body));
  });
  mount(
    router,
    ops.previewImport,
    async ({ params, body }, req, res) => {
      res.status(201).json(await previewImport(gd, await accessOf(deps, req, res), params.id, body));
    },
    csvText,
  );
  // Before /:importId: 'template' is not an import id.
  mount(router, ops.importTemplate, async ({ params }, req, res) => {
    const template = await importTemplate(gd, await accessOf(deps, req, res), params.id);
    res.type('text/csv; charset=utf-8').attachment(template.fileName).send(template.csv);
  });
  mount(router, ops.getImport, async ({ params }, req, res) => {
    res.json(await getImport(gd, await accessOf(deps, req, res), params.id, params.importId));
  });
  mount(router, ops.confirmImport, async ({ params }, req, res) => {
    res.json(await confirmImport(gd, await accessOf(deps, req, res), params.id, params.importId));
  });
  mount(router, ops.changeRole, async ({ params, body }, req, res) => {
    res.json(await changeMemberRole(gd, await accessOf(deps, req, res), params.id, params.userId, body.role));
  });
  mount(router, ops.remove, async ({ params, query }, req, res) => {
    res.json(await removeMember(gd, await accessOf(deps, req, res), params.id, params.userId, query.source));
  });
  return router;
}
