import { adminErrors, ref, type Json } from '../openapi-kit';
import express, { type Request, type Response, type Router } from 'express';
import type { AdminDeps } from '../admin-deps';
import { requireTenantAdmin } from './route-kit';
import { AppError } from '../../errors/app-error';
import { syncQueueInspectorOf } from '../../queue/inspector-locator';
import { syncStatus } from '../../domain/sync/sync-status';
import { decodeTimeCursor, encodeTimeCursor } from '../../domain/paging/time-cursor';
import type { JobListState } from '../../queue/queue-inspector';

/** Sync monitoring shows the tenant's configuration and jobs: tenant admins only (see requireTenantAdmin). */
async function adminTenant(deps: AdminDeps, req: Request, res: Response, what: string): Promise<string> {
  return (await requireTenantAdmin(deps, req, res, what)).tenantId;
}

const JOB_STATES: readonly JobListState[] = ['waiting', 'delayed', 'active'];

function queryText(req: Request, name: string): string | undefined {
  const raw = req.query[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new AppError('badRequest', 'SYNC_INVALID_QUERY', `${name} must be given once`, { details: { field: name } });
  return raw;
}

const invalidCursor = () => new AppError('badRequest', 'INVALID_CURSOR', 'The cursor is not one this API returned', { details: { field: 'cursor' } });

/** The queued-jobs cursor: opaque to clients (base64url of [list, offset]), as the other cursors of this API. */
function encodeListCursor(next: { list: number; offset: number }): string {
  return Buffer.from(JSON.stringify([next.list, next.offset])).toString('base64url');
}

function decodeListCursor(cursor: string): { list: number; offset: number } {
  try {
    const [list, offset] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (Number.isSafeInteger(list) && Number.isSafeInteger(offset) && (list as number) >= 0 && (offset as number) >= 0) return { list: list as number, offset: offset as number };
  } catch {
    // fall through to the error below
  }
  throw invalidCursor();
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
    const limit = limitOf(req);
    const cursor = queryText(req, 'cursor');
    const after = cursor ? decodeTimeCursor(cursor) : undefined;
    const page = await syncQueueInspectorOf(req.app).failuresPage(tenantId, limit, after ? { at: after.at.getTime(), id: after.id } : undefined);
    const next = page.next && 'at' in page.next ? encodeTimeCursor({ at: new Date(page.next.at), _id: page.next.id }) : null;
    res.json({ items: page.items, nextCursor: next });
  });
  router.get('/sync/jobs', async (req, res) => {
    const tenantId = await adminTenant(deps, req, res, 'see sync jobs');
    const state = queryText(req, 'state') ?? 'waiting';
    if (!JOB_STATES.includes(state as JobListState)) {
      throw new AppError('badRequest', 'SYNC_INVALID_QUERY', `state must be one of ${JOB_STATES.join(', ')}`, { details: { field: 'state' } });
    }
    const limit = limitOf(req);
    const cursor = queryText(req, 'cursor');
    const page = await syncQueueInspectorOf(req.app).queuedPage(tenantId, state as JobListState, limit, cursor ? decodeListCursor(cursor) : undefined);
    res.json({ items: page.items, nextCursor: page.next && 'list' in page.next ? encodeListCursor(page.next) : null });
  });
  router.post('/sync/failures/:id/retry', async (req, res) => {
    const tenantId = await adminTenant(deps, req, res, 'retry sync jobs');
    const id = String((req.params as Record<string, string | undefined>).id ?? '');
    res.status(202).json(await syncQueueInspectorOf(req.app).retry(tenantId, id));
  });
  return router;
}

// ---- OpenAPI description of these routes (merged into src/admin/openapi.ts) ----------------

const jobsPage = (item: string): Json => ({
  type: 'object',
  properties: { items: { type: 'array', items: ref(item) }, nextCursor: { type: 'string', nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' } },
  required: ['items', 'nextCursor'],
});

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
        summary: "The tenant's failed sync jobs (after every retry) with their error, newest failure first, paged with a cursor",
        description:
          'Read from the queue by failure time, so new failures do not shift later pages. A page looks at 1,000 failed jobs of the queue at most: ' +
          "when other tenants' failures fill that window the page comes back short (even empty) with a nextCursor.",
        parameters: [
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000 } },
          { name: 'cursor', in: 'query', required: false, schema: { type: 'string' }, description: 'nextCursor of the previous page' },
        ],
        responses: {
          '200': { description: 'OK', content: { 'application/json': { schema: jobsPage('SyncFailure') } } },
          ...adminErrors(400),
        },
      },
    },
    '/sync/jobs': {
      get: {
        tags: ['Sync'],
        summary: "The tenant's queued sync jobs in one state (waiting, including prioritized; delayed, e.g. a retry's backoff; active), paged with a cursor",
        description:
          "A page looks at 1,000 jobs of the queue at most: when other tenants' jobs fill that window the page comes back short (even empty) with a nextCursor. " +
          'The lists move while they are read, so a job may appear twice or be missed between pages.',
        parameters: [
          { name: 'state', in: 'query', required: false, schema: { type: 'string', enum: ['waiting', 'delayed', 'active'], default: 'waiting' } },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000 } },
          { name: 'cursor', in: 'query', required: false, schema: { type: 'string' }, description: 'nextCursor of the previous page' },
        ],
        responses: {
          '200': { description: 'OK', content: { 'application/json': { schema: jobsPage('SyncJob') } } },
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
    SyncJob: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        name: { type: 'string', enum: ['user.changed', 'group.membersChanged', 'rule.changed'] },
        data: { type: 'object', additionalProperties: true },
        state: { type: 'string', enum: ['waiting', 'prioritized', 'delayed', 'active'] },
        attemptsMade: { type: 'integer' },
        enqueuedAt: { type: 'string', format: 'date-time' },
        dueAt: { type: 'string', format: 'date-time', nullable: true },
      },
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
