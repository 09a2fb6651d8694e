import express, { type Router } from 'express';
import { z } from 'zod';
import type { AdminDeps } from '../admin-deps';
import { createInvitation, getInvitation, INVITATION_MAX_GROUPS, listInvitations, revokeInvitation } from '../../domain/groups/invitations';
import { mount, operation } from '../contract/operation';
import { cursorQuery, email, idList, page } from '../contract/schema-kit';
import { InvitationSchema, MEMBER_ROLES } from '../contract/schemas';
import { accessOf, groupsDepsOf } from './route-kit';

const invitationPath = z.strictObject({ id: z.string().describe('Invitation id') });

export const invitationsOperations = {
  list: operation({
    method: 'get',
    path: '/invitations',
    tag: 'Invitations',
    summary: 'List invitations (admins: all; others: the ones they sent)',
    query: z.strictObject({
      status: z.enum(['pending', 'accepted', 'revoked']).optional().describe('pending, accepted or revoked'),
      email: z.string().max(254).optional().describe('Exact address'),
      ...cursorQuery(200),
    }),
    responses: { 200: { description: 'OK', schema: page(InvitationSchema) } },
  }),
  create: operation({
    method: 'post',
    path: '/invitations',
    tag: 'Invitations',
    summary: 'Invite an e-mail address into groups; applied when that user is provisioned (at once if they exist and the caller can see them)',
    description: 'An existing user the caller cannot see is neither revealed nor added: the invitation stays pending, answered as for an address no user has.',
    body: z.strictObject({
      email: email(),
      groupIds: idList(INVITATION_MAX_GROUPS, 'Groups to add the user to (duplicates ignored)').transform((ids) => [...new Set(ids)]),
      role: z.enum(MEMBER_ROLES).optional(),
    }),
    responses: { 201: { description: 'Invited', schema: InvitationSchema } },
    errors: [403, 404, 409],
  }),
  get: operation({
    method: 'get',
    path: '/invitations/{id}',
    tag: 'Invitations',
    summary: 'Get an invitation',
    params: invitationPath,
    responses: { 200: { description: 'OK', schema: InvitationSchema } },
    errors: [404],
  }),
  revoke: operation({
    method: 'delete',
    path: '/invitations/{id}',
    tag: 'Invitations',
    summary: 'Revoke a pending invitation (kept as revoked)',
    params: invitationPath,
    responses: { 200: { description: 'Revoked', schema: InvitationSchema } },
    errors: [404, 409],
  }),
};

/** /invitations: invite an e-mail address into groups; applied when that user is provisioned. */
export function invitationsRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const gd = groupsDepsOf(deps);
  const ops = invitationsOperations;

  mount(router, ops.list, async ({ query }, req, res) => {
    res.json(await listInvitations(gd, await accessOf(deps, req, res), query));
  });
  mount(router, ops.create, async ({ body }, req, res) => {
    res.status(201).json(await createInvitation(gd, await accessOf(deps, req, res), body));
  });
  mount(router, ops.get, async ({ params }, req, res) => {
    res.json(await getInvitation(gd, await accessOf(deps, req, res), params.id));
  });
  // Revoking keeps the record (status 'revoked') for the audit trail.
  mount(router, ops.revoke, async ({ params }, req, res) => {
    res.json(await revokeInvitation(gd, await accessOf(deps, req, res), params.id));
  });
  return router;
}
