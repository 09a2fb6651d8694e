import express, { type Router } from 'express';
import { z } from 'zod';
import type { AdminDeps } from '../admin-deps';
import { requireTenantAdmin } from './route-kit';
import { AppError } from '../../errors/app-error';
import { syncQueueInspectorOf } from '../../queue/inspector-locator';
import { syncStatus } from '../../domain/sync/sync-status';
import { decodeTimeCursor, encodeTimeCursor } from '../../domain/paging/time-cursor';
import { mount, operation } from '../contract/operation';
import { page, timestamp } from '../contract/schema-kit';

// ---- the contract --------------------------------------------------------------------------

const JOB_NAMES = ['user.changed', 'group.membersChanged', 'rule.changed'] as const;
const SYNC_QUERY = { 'x-error-code': 'SYNC_INVALID_QUERY' } as const;
const limit = z.coerce.number().int().min(1).max(1000).default(100).describe('Page size (1-1000, default 100)');
const cursor = z.string().optional().describe('nextCursor of the previous page (opaque: only a cursor this API returned is accepted)');
const count = () => z.number().int();
const runFields = {
  version: count(),
  outcome: z.enum(['completed', 'removed', 'targetMissing']),
  matched: count(),
  added: count(),
  removed: count(),
  durationMs: count(),
  finishedAt: timestamp(),
};

export const SyncStatusSchema = z
  .strictObject({
    pending: z
      .strictObject({
        users: count(),
        groups: count(),
        rules: count(),
        total: count(),
        oldestPendingSince: timestamp().nullable(),
        oldestPendingAgeSeconds: z.number().nullable(),
      })
      .describe('Documents whose latest change the worker has not processed yet (the outbox): exact, counted from an index'),
    jobs: z
      .union([
        z.strictObject({
          waiting: count(),
          active: count(),
          delayed: count().describe('Waiting for a retry (exponential backoff) or a delay'),
          failed: count(),
          exact: z.boolean().describe('false: a list of the queue was longer than 5,000 jobs and these counts are lower bounds'),
          completedLastHour: count(),
          failedLastHour: count(),
          lastSuccessAt: timestamp().nullable(),
        }),
        z.strictObject({ error: z.string().describe('Redis did not answer (the outbox still holds every change)') }),
      ])
      .describe("This tenant's jobs among the first 5,000 of each of the queue's lists"),
    lastSuccessfulEvaluationAt: timestamp().nullable(),
    rules: z.array(
      z.strictObject({
        id: z.string(),
        kind: z.enum(['rule', 'mapping', 'dynamic']),
        name: z.string(),
        targetGroupId: z.string(),
        enabled: z.boolean(),
        pending: z.boolean(),
        progress: z.strictObject({ matched: count(), added: count(), removed: count() }).optional(),
        lastRun: z.strictObject(runFields).optional(),
      }),
    ),
  })
  .meta({ id: 'SyncStatus' });

const jobData = z.looseObject({}).describe("The job's payload (tenantId and the object it is about)");
export const SyncJobSchema = z
  .strictObject({
    id: z.string(),
    name: z.enum(JOB_NAMES),
    data: jobData,
    state: z.enum(['waiting', 'prioritized', 'delayed', 'active']),
    attemptsMade: count(),
    enqueuedAt: timestamp(),
    dueAt: timestamp().nullable().describe("For a delayed job: when it becomes due (a retry's backoff)"),
  })
  .meta({ id: 'SyncJob' });
export const SyncFailureSchema = z
  .strictObject({
    id: z.string(),
    name: z.enum(JOB_NAMES),
    data: jobData,
    error: z.string(),
    stacktrace: z.array(z.string()),
    attemptsMade: count(),
    enqueuedAt: timestamp(),
    failedAt: timestamp().nullable(),
  })
  .meta({ id: 'SyncFailure' });

const ADMIN = [403];

export const syncOperations = {
  status: operation({
    method: 'get',
    path: '/sync/status',
    tag: 'Sync',
    summary: "Outbox, jobs, last successful evaluation and each rule's last full run, for the caller's tenant",
    responses: { 200: { description: 'OK', schema: SyncStatusSchema } },
    errors: ADMIN,
  }),
  failures: operation({
    method: 'get',
    path: '/sync/failures',
    tag: 'Sync',
    summary: "The tenant's failed sync jobs (after every retry) with their error, newest failure first, paged with a cursor",
    description:
      'Read from the queue by failure time, so new failures do not shift later pages. A page looks at 1,000 failed jobs of the queue at most: ' +
      "when other tenants' failures fill that window the page comes back short (even empty) with a nextCursor.",
    query: z.strictObject({ limit, cursor }).meta(SYNC_QUERY),
    responses: { 200: { description: 'OK', schema: page(SyncFailureSchema) } },
    errors: ADMIN,
  }),
  jobs: operation({
    method: 'get',
    path: '/sync/jobs',
    tag: 'Sync',
    summary: "The tenant's queued sync jobs in one state (waiting, including prioritized; delayed, e.g. a retry's backoff; active), paged with a cursor",
    description:
      "A page looks at 1,000 jobs of the queue at most: when other tenants' jobs fill that window the page comes back short (even empty) with a nextCursor. " +
      'The lists move while they are read, so a job may appear twice or be missed between pages.',
    query: z.strictObject({ state: z.enum(['waiting', 'delayed', 'active']).default('waiting').describe('waiting includes prioritized'), limit, cursor }).meta(SYNC_QUERY),
    responses: { 200: { description: 'OK', schema: page(SyncJobSchema) } },
    errors: ADMIN,
  }),
  retry: operation({
    method: 'post',
    path: '/sync/failures/{id}/retry',
    tag: 'Sync',
    summary: 'Run a failed job again (same payload, through the per-object deduplication)',
    params: z.strictObject({ id: z.string().describe('Job id') }),
    responses: { 202: { description: 'Queued', schema: z.strictObject({ jobId: z.string(), retriedFrom: z.string() }) } },
    errors: [...ADMIN, 404, 409],
  }),
};

// ---- the routes ----------------------------------------------------------------------------

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

/**
 * /sync: the identity-sync worker seen from one tenant: the outbox (pending documents and the
 * oldest one's age), its jobs (waiting, active, failed, completed in the last hour), the last
 * successful evaluation, each rule's last full run; and failed jobs with their errors, which an
 * operator can retry. Tenant admins only (requireTenantAdmin).
 */
export function syncRoutes(deps: AdminDeps): Router {
  const router = express.Router();
  const ops = syncOperations;
  const adminTenant = async (req: express.Request, res: express.Response, what: string) => (await requireTenantAdmin(deps, req, res, what)).tenantId;

  mount(router, ops.status, async (_input, req, res) => {
    const tenantId = await adminTenant(req, res, 'see the sync status');
    res.json(await syncStatus(deps.models, syncQueueInspectorOf(req.app), tenantId));
  });
  mount(router, ops.failures, async ({ query }, req, res) => {
    const tenantId = await adminTenant(req, res, 'see sync failures');
    const after = query.cursor ? decodeTimeCursor(query.cursor) : undefined;
    const found = await syncQueueInspectorOf(req.app).failuresPage(tenantId, query.limit, after ? { at: after.at.getTime(), id: after.id } : undefined);
    const next = found.next && 'at' in found.next ? encodeTimeCursor({ at: new Date(found.next.at), _id: found.next.id }) : null;
    res.json({ items: found.items, nextCursor: next });
  });
  mount(router, ops.jobs, async ({ query }, req, res) => {
    const tenantId = await adminTenant(req, res, 'see sync jobs');
    const found = await syncQueueInspectorOf(req.app).queuedPage(tenantId, query.state, query.limit, query.cursor ? decodeListCursor(query.cursor) : undefined);
    res.json({ items: found.items, nextCursor: found.next && 'list' in found.next ? encodeListCursor(found.next) : null });
  });
  mount(router, ops.retry, async ({ params }, req, res) => {
    const tenantId = await adminTenant(req, res, 'retry sync jobs');
    res.status(202).json(await syncQueueInspectorOf(req.app).retry(tenantId, params.id));
  });
  return router;
}
