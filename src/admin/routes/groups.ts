import express, { type Router } from 'express';
import { z } from 'zod';
import type { AdminDeps } from '../admin-deps';
import { createGroup, deleteGroup, getGroup, GROUP_DESCRIPTION_MAX, GROUP_NAME_MAX, GROUP_RULE_MAX, GROUP_SORTS, listGroups, setGroupStatus, updateGroup } from '../../domain/groups/groups';
import { mount, operation } from '../contract/operation';
import { id, intQuery, requiredText, text } from '../contract/schema-kit';
import { AUDIENCES, GroupSchema } from '../contract/schemas';
import { accessOf, groupsDepsOf } from './route-kit';

export const groupPath = z.strictObject({ id: z.string().describe('Group id (grp_…)') });
const KINDS = ['static', 'dynamic'] as const;
const ruleInput = z.strictObject({ expression: requiredText(GROUP_RULE_MAX).describe('Rule language, e.g. department = "Sales" AND country in "US","CA"') });

export const groupsOperations = {
  list: operation({
    method: 'get',
    path: '/groups',
    tag: 'Groups',
    summary: 'List groups',
    description:
      'Internal groups by default; origin=scim lists the IdP groups (read-only). Non-admins see the groups they belong to, manage or administer (customer admins: also every customer group).',
    query: z.strictObject({
      q: z.string().max(100).optional().describe('Search: part of the name, case-insensitive'),
      origin: z.enum(['internal', 'scim']).optional().describe('internal (default) or scim'),
      status: z.enum(['active', 'archived']).optional().describe('active or archived'),
      assignable: z.enum(['true', 'false']).optional().describe('true: only groups that can be assigned (active)'),
      audience: z.enum(AUDIENCES).optional().describe('user or customer'),
      kind: z.enum(KINDS).optional().describe('static or dynamic'),
      parentId: z.string().optional().describe('Children of this group'),
      sort: z.enum(GROUP_SORTS).optional().describe('name (default), -name, memberCount, -memberCount'),
      page: intQuery(1, 100_000, '1-based page'),
      limit: intQuery(1, 200, 'Page size (max 200)'),
    }),
    responses: { 200: { description: 'OK', schema: z.strictObject({ items: z.array(GroupSchema), page: z.number().int(), limit: z.number().int(), total: z.number().int() }) } },
  }),
  create: operation({
    method: 'post',
    path: '/groups',
    tag: 'Groups',
    summary: 'Create a group (admins; customer admins for customer groups)',
    body: z
      .strictObject({
        name: requiredText(GROUP_NAME_MAX).describe('1-100 characters, unique per tenant ignoring case'),
        description: text(GROUP_DESCRIPTION_MAX, { multiline: true }).optional(),
        audience: z.enum(AUDIENCES).optional().describe('Default user'),
        kind: z.enum(KINDS).optional().describe('Default static'),
        parentId: id('Parent group: no cycles, at most 5 levels').nullable().optional(),
        ownerId: id('A user of the group audience whom the caller can see (else 404 USER_NOT_FOUND, as for an unknown id); becomes a member who cannot be removed').nullable().optional(),
        rule: ruleInput.nullable().optional().describe('Dynamic groups only: kept as the rule dyn_<groupId>'),
      })
      .meta({ id: 'GroupCreate' }),
    responses: { 201: { description: 'Created', schema: GroupSchema } },
    errors: [403, 404, 409],
  }),
  get: operation({
    method: 'get',
    path: '/groups/{id}',
    tag: 'Groups',
    summary: 'Get a group with its member count',
    params: groupPath,
    responses: { 200: { description: 'OK', schema: GroupSchema } },
    errors: [404],
  }),
  update: operation({
    method: 'patch',
    path: '/groups/{id}',
    tag: 'Groups',
    summary: 'Change a custom group (name, description, parent, owner, rule)',
    description:
      'Default groups and IdP groups are refused (GROUP_DEFAULT_IMMUTABLE, GROUP_READ_ONLY); a parent creating a cycle or more than 5 levels is refused (GROUP_PARENT_CYCLE, GROUP_DEPTH_EXCEEDED).',
    params: groupPath,
    body: z
      .strictObject({
        name: requiredText(GROUP_NAME_MAX).optional().describe('1-100 characters'),
        description: text(GROUP_DESCRIPTION_MAX, { multiline: true }).nullable().optional(),
        parentId: id().nullable().optional(),
        ownerId: id('A user the caller can see (else 404 USER_NOT_FOUND); the previous owner stays a plain member (audited group.owner.changed)').nullable().optional(),
        rule: ruleInput.nullable().optional().describe('Dynamic groups only; null removes the rule'),
        audience: z.enum(AUDIENCES).optional().describe("The group's own audience (it never changes; another value is refused)"),
        kind: z.enum(KINDS).optional().describe("The group's own kind (it never changes; another value is refused)"),
      })
      .meta({ id: 'GroupUpdate' }),
    responses: { 200: { description: 'OK', schema: GroupSchema } },
    errors: [403, 404, 409],
  }),
  delete: operation({
    method: 'delete',
    path: '/groups/{id}',
    tag: 'Groups',
    summary: 'Delete a custom group (not one with child groups)',
    params: groupPath,
    responses: { 204: { description: 'Done; no content' } },
    errors: [403, 404, 409],
  }),
  archive: operation({
    method: 'post',
    path: '/groups/{id}/archive',
    tag: 'Groups',
    summary: 'Archive a custom group (left out of assignment choices)',
    params: groupPath,
    responses: { 200: { description: 'OK', schema: GroupSchema } },
    errors: [403, 404, 409],
  }),
  unarchive: operation({
    method: 'post',
    path: '/groups/{id}/unarchive',
    tag: 'Groups',
    summary: 'Unarchive a group',
    params: groupPath,
    responses: { 200: { description: 'OK', schema: GroupSchema } },
    errors: [403, 404, 409],
  }),
};

/** /groups and /groups/:id: internal groups CRUD, archive/unarchive; IdP groups read-only (origin=scim). */
export function groupsRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const gd = groupsDepsOf(deps);
  const ops = groupsOperations;

  mount(router, ops.list, async ({ query }, req, res) => {
    res.json(await listGroups(gd, await accessOf(deps, req, res), query));
  });
  mount(router, ops.create, async ({ body }, req, res) => {
    res.status(201).json(await createGroup(gd, await accessOf(deps, req, res), body));
  });
  mount(router, ops.get, async ({ params }, req, res) => {
    res.json(await getGroup(gd, await accessOf(deps, req, res), params.id));
  });
  mount(router, ops.update, async ({ params, body }, req, res) => {
    res.json(await updateGroup(gd, await accessOf(deps, req, res), params.id, body));
  });
  mount(router, ops.delete, async ({ params }, req, res) => {
    await deleteGroup(gd, await accessOf(deps, req, res), params.id);
    res.status(204).end();
  });
  mount(router, ops.archive, async ({ params }, req, res) => {
    res.json(await setGroupStatus(gd, await accessOf(deps, req, res), params.id, 'archived'));
  });
  mount(router, ops.unarchive, async ({ params }, req, res) => {
    res.json(await setGroupStatus(gd, await accessOf(deps, req, res), params.id, 'active'));
  });
  return router;
}
