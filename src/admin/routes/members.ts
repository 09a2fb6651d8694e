import express, { type Router } from 'express';
import type { AdminDeps } from '../admin-deps';
import { AppError } from '../../errors/app-error';
import { addMember, changeMemberRole, listMembers, removeMember } from '../../domain/groups/members';
import { confirmImport, getImport, importTemplate, previewImport } from '../../domain/groups/member-import';
import { accessOf, groupsDepsOf, param, queryOf } from './route-kit';

/** The CSV arrives as text/csv (or text/plain), or as JSON {"csv": "..."}. */
function csvOf(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body && typeof body === 'object' && typeof (body as { csv?: unknown }).csv === 'string') return (body as { csv: string }).csv;
  throw new AppError('badRequest', 'IMPORT_NO_CSV', 'Send the CSV as a text/csv body, or as JSON {"csv": "email,role\\n..."}');
}

/** /groups/:id/members (+ /:userId) and the CSV import (/groups/:id/members/import). */
export function membersRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const gd = groupsDepsOf(deps);
  const csvText = express.text({ type: ['text/csv', 'text/plain'], limit: '1mb' });

  router.get('/groups/:id/members', async (req, res) => {
    res.json(await listMembers(gd, await accessOf(deps, req, res), param(req, 'id'), queryOf(req)));
  });
  router.post('/groups/:id/members', async (req, res) => {
    res.status(201).json(await addMember(gd, await accessOf(deps, req, res), param(req, 'id'), req.body));
  });
  router.post('/groups/:id/members/import', csvText, async (req, res) => {
    res.status(201).json(await previewImport(gd, await accessOf(deps, req, res), param(req, 'id'), csvOf(req.body)));
  });
  // Before /:importId: 'template' is not an import id.
  router.get('/groups/:id/members/import/template', async (req, res) => {
    const template = await importTemplate(gd, await accessOf(deps, req, res), param(req, 'id'));
    res.type('text/csv; charset=utf-8').attachment(template.fileName).send(template.csv);
  });
  router.get('/groups/:id/members/import/:importId', async (req, res) => {
    res.json(await getImport(gd, await accessOf(deps, req, res), param(req, 'id'), param(req, 'importId')));
  });
  router.post('/groups/:id/members/import/:importId/confirm', async (req, res) => {
    res.json(await confirmImport(gd, await accessOf(deps, req, res), param(req, 'id'), param(req, 'importId')));
  });
  router.patch('/groups/:id/members/:userId', async (req, res) => {
    res.json(await changeMemberRole(gd, await accessOf(deps, req, res), param(req, 'id'), param(req, 'userId'), req.body));
  });
  router.delete('/groups/:id/members/:userId', async (req, res) => {
    res.json(await removeMember(gd, await accessOf(deps, req, res), param(req, 'id'), param(req, 'userId'), queryOf(req).source));
  });
  return router;
}
