import { adminErrors, ref, type Json } from '../openapi-kit';
import express, { type Request, type Response, type Router } from 'express';
import type { AdminDeps } from '../admin-deps';
import { requireTenantAdmin } from './route-kit';
import { AppError } from '../../errors/app-error';
import { syncQueueInspectorOf } from '../../queue/inspector-locator';
import { syncStatus } from '../../domain/sync/sync-status';

/** Sync monitoring shows the tenant's configuration and jobs: tenant admins only (see requireTenantAdmin). */
async function adminTenant(deps: AdminDeps, req: Request, res: Response, what: string): Promise<string> {
  return (await requireTenantAdmin(deps, req, res, what)).tenantId;
}

function limitOf(req: Request): number {
  const raw = req.query.limit;
  if (raw === undefined) return 100;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1 || n > 1000) throw new AppError('badRequest', 'SYNC_INVALID_QUERY', 'limit must be a whole number from 1 to 1000', { details: { field: 'limit' } });
  return n;
}

/**
 * /sync: the identity-sync worker seen from one tenant: the outbox (pending documents and the
 * oldest one's age), its jobs (waiting, active, failed, completed in the last hour), the last
 * successful evaluation, each rule's last full run; and failed jobs with their errors, which an
 * operator can retry.
 */
export function syncRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  router.get('/sync/status', async (req, res) => {
    const tenantId = await adminTenant(deps, req, res, 'see the sync status');
    res.json(await syncStatus(deps.models, syncQueueInspectorOf(req.app), tenantId));
  });
  router.get('/sync/failures', async (req, res) => {
    const tenantId = await adminTenant(deps, req, res, 'see sync failures');
    res.json({ items: await syncQueueInspectorOf(req.app).failures(tenantId, limitOf(req)) });
  });
  router.post('/sync/failures/:id/retry', async (req, res) => {
    const tenantId = await adminTenant(deps, req, res, 'retry sync jobs');
    const id = String((req.params as Record<string, string | undefined>).id ?? '');
    res.status(202).json(await syncQueueInspectorOf(req.app).retry(tenantId, id));
  });
  return router;
}

// ---- OpenAPI description of these routes (merged into src/admin/openapi.ts) ----------------

export const syncOpenApi: { paths: Record<string, Json>; schemas: Record<string, Json> } = {
  paths: {
    '/sync/status': {
      get: {
        tags: ['Sync'],
        summary: "Outbox, jobs, last successful evaluation and each rule's last full run, for the caller's tenant",
        responses: { '200': { description: 'OK', content: { 'application/json': { schema: ref('SyncStatus') } } }, ...adminErrors() },
      },
    },
    '/sync/failures': {
      get: {
        tags: ['Sync'],
        summary: 'Failed sync jobs (after every retry) with their error',
        parameters: [{ name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000 } }],
        responses: {
          '200': { description: 'OK', content: { 'application/json': { schema: { type: 'object', properties: { items: { type: 'array', items: ref('SyncFailure') } } } } } },
          ...adminErrors(400),
        },
      },
    },
    '/sync/failures/{id}/retry': {
      post: {
        tags: ['Sync'],
        summary: 'Run a failed job again (same payload, through the per-object deduplication)',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'Job id' }],
        responses: {
          '202': { description: 'Queued', content: { 'application/json': { schema: { type: 'object', properties: { jobId: { type: 'string' }, retriedFrom: { type: 'string' } } } } } },
          ...adminErrors(404, 409),
        },
      },
    },
  },
  schemas: {
    SyncStatus: {
      type: 'object',
      additionalProperties: true,
      description:
        '{pending, jobs, lastSuccessfulEvaluationAt, rules}. `pending` is exact (the outbox marks, counted from an index). ' +
        "`jobs.waiting`, `active`, `delayed` and `failed` count this tenant's jobs among the first 5,000 of each of the queue's lists: " +
        'with `jobs.exact` false a list was longer, and they are lower bounds (a backlog of 100,000 jobs shows as 5,000 waiting).',
    },
    SyncFailure: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        name: { type: 'string', enum: ['user.changed', 'group.membersChanged', 'rule.changed'] },
        data: { type: 'object', additionalProperties: true },
        error: { type: 'string' },
        stacktrace: { type: 'array', items: { type: 'string' } },
        attemptsMade: { type: 'integer' },
        enqueuedAt: { type: 'string', format: 'date-time' },
        failedAt: { type: 'string', format: 'date-time', nullable: true },
      },
    },
  },
};
