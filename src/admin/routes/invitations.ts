import express, { type Router } from 'express';
import type { AdminDeps } from '../admin-deps';
import { createInvitation, getInvitation, listInvitations, revokeInvitation } from '../../domain/groups/invitations';
import { accessOf, groupsDepsOf, param, queryOf } from './route-kit';

/** /invitations: invite an e-mail address into groups; applied when that user is provisioned. */
export function invitationsRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const gd = groupsDepsOf(deps);

  router.get('/invitations', async (req, res) => {
    res.json(await listInvitations(gd, await accessOf(deps, req, res), queryOf(req)));
  });
  router.post('/invitations', async (req, res) => {
    res.status(201).json(await createInvitation(gd, await accessOf(deps, req, res), req.body));
  });
  router.get('/invitations/:id', async (req, res) => {
    res.json(await getInvitation(gd, await accessOf(deps, req, res), param(req, 'id')));
  });
  // Revoking keeps the record (status 'revoked') for the audit trail.
  router.delete('/invitations/:id', async (req, res) => {
    res.json(await revokeInvitation(gd, await accessOf(deps, req, res), param(req, 'id')));
  });
  return router;
}
