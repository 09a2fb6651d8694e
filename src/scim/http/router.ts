import express, { type Request, type Response, type Router } from 'express';
import { AppError, isAppError } from '../../errors/app-error';
import { authenticateScimToken, diagnoseScimAuthFailure } from '../../auth/scim-token';
import { describeChange, type ProvisioningLogWriter } from '../../domain/provisioning-log';
import { ScimTokenActivity } from '../../auth/scim-token-activity';
import { logContext } from '../../observability/logger';
import type { ScimDeps } from '../service/scim-deps';
import type { ScimContext, Preconditions } from '../service/context';
import { UsersService, noAnswer } from '../service/users-service';
import { GroupsService } from '../service/groups-service';
import { ScimQueries, type Selection } from '../service/queries';
import { etagOf, matchesIfNoneMatch } from '../service/etag';
import { locationOf } from '../service/representation';
import { scimErrorHandler, SCIM_CONTENT_TYPE } from './error-response';
import { parseListParams, parseSearchRequest, parseSelection } from './params';
import { listResponse } from './list-response';
import { TokenRateLimiter } from './rate-limit';
import { TenantGate } from './tenant-gate';
import { runBulk, type BulkExecutor } from './bulk';
import { discoveryRouter } from './discovery';
import { ScimEndpoints } from './endpoints';
import { jsonBody } from '../../http/json-body';

export interface ScimRouterOptions {
  publicBaseUrl?: string;
  maxBodyBytes: number;
  rateLimitPerMinute: number;
  /** Where the router's requests are logged (built by the composition root, which flushes it on close). */
  provisioningLog: ProvisioningLogWriter;
  /** SCIM requests run at once in this process (0: no limit) and per-tenant waiting bound (tenant-gate.ts). */
  maxInFlight: number;
  maxQueuedPerTenant: number;
  /** A tenant's slots while another tenant is active (0: all but one, always). */
  maxInFlightShared: number;
}

type Handler = (req: Request, res: Response) => Promise<void>;

/** A path segment decoded, or as sent when it is not valid percent-encoding (this runs after the answer: it must not throw). */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** express 5 forwards rejected promises to the error middleware; this only narrows the types. */
const route = (h: Handler) => (req: Request, res: Response) => h(req, res);

function send(res: Response, status: number, body?: unknown, headers: Record<string, string> = {}) {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  // The provisioning log names the resource a POST created.
  if (status === 201 && typeof (body as { id?: unknown } | undefined)?.id === 'string') res.locals.createdId = (body as { id: string }).id;
  if (body === undefined) {
    res.status(status).end();
    return;
  }
  res.status(status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
}

/**
 * RFC 7644 §3.5.2 lets PATCH answer 200 with the resource or 204. A group PATCH answers 204 unless
 * the client asked for a representation with `attributes`/`excludedAttributes` (Entra documents 204
 * for groups, and echoing a member list on every membership PATCH would cost as much as the PATCH
 * itself). A user PATCH always answers 200 with the user, as Okta's and Entra's user examples show:
 * a user is small, and an IdP that reads the answer finds what it expects.
 */
const patchWantsBody = (sel: Selection) => sel.attributes !== undefined || sel.excludedAttributes !== undefined;

const preconditions = (req: Request): Preconditions => ({
  ifMatch: req.get('if-match') ?? undefined,
  ifNoneMatch: req.get('if-none-match') ?? undefined,
});

/**
 * The SCIM 2.0 endpoint (RFC 7644), mounted at /scim/v2. The bearer token selects the tenant;
 * every use-case call is scoped by it, so another tenant's ids answer 404.
 */
export function scimRouter(deps: ScimDeps, opts: ScimRouterOptions): Router {
  const router = express.Router();
  const users = new UsersService(deps);
  const groups = new GroupsService(deps);
  const queries = new ScimQueries(deps, groups);
  const limiter = new TokenRateLimiter(opts.rateLimitPerMinute);
  const gate = new TenantGate(opts.maxInFlight, opts.maxQueuedPerTenant, opts.maxInFlightShared);
  const activity = new ScimTokenActivity(deps.models, deps.logger);
  const provisioningLog = opts.provisioningLog;
  const endpoints = new ScimEndpoints();
  const contexts = new WeakMap<Request, ScimContext>();
  const ctxOf = (req: Request): ScimContext => {
    const ctx = contexts.get(req);
    if (!ctx) throw new AppError('internal', 'SCIM_NO_CONTEXT', 'request was not authenticated');
    return ctx;
  };

  // Before the body parser: an unsupported method is 405 whatever its body (endpoints.ts).
  router.use(endpoints.guard());

  // Both media types are accepted (RFC 7644 §3.1); a body without a content type is read as JSON too.
  router.use(
    jsonBody({
      limit: opts.maxBodyBytes,
      type: (req) => {
        const ct = req.headers['content-type'];
        return ct === undefined || /json/i.test(String(ct));
      },
    }),
  );

  router.use(
    '/',
    discoveryRouter(endpoints, deps.registry, (req) => baseUrlOf(req, opts.publicBaseUrl), deps.limits),
  );

  // Authentication: the token names the tenant; everything below is scoped by it.
  router.use((req: Request, res: Response, next: (err?: unknown) => void) => {
    const started = new Date();
    const logEntry = (tenantId: string, tokenId: string | undefined, reason?: string) => {
      const path = req.path;
      const [, resource = '', id] = path.split('/');
      const search = id === '.search';
      const objectId = (res.locals.createdId as string | undefined) ?? (id && !search && (resource === 'Users' || resource === 'Groups') ? safeDecode(id) : undefined);
      const userAgent = req.get('user-agent');
      const change = res.statusCode < 400 && !search ? describeChange(req.method, resource, req.body) : undefined;
      provisioningLog.record({
        tenantId,
        at: started,
        method: req.method,
        path: path.slice(0, 300),
        resource: resource.slice(0, 40),
        status: res.statusCode,
        durationMs: Date.now() - started.getTime(),
        ...(tokenId ? { tokenId } : {}),
        ...(objectId ? { objectId: objectId.slice(0, 100) } : {}),
        ...(reason ? { reason } : {}),
        ...(change ? { change } : {}),
        ...(userAgent ? { userAgent: userAgent.slice(0, 200) } : {}),
      });
    };
    authenticateScimToken(deps.models, req.get('authorization'))
      .then((principal) => {
        const path = req.path;
        const userAgent = req.get('user-agent');
        res.on('finish', () => {
          activity.record(principal.tokenId, { at: new Date(), method: req.method, path, status: res.statusCode, ...(userAgent ? { userAgent: userAgent.slice(0, 200) } : {}) });
          logEntry(principal.tenantId, principal.tokenId);
        });
        limiter.take(principal.tokenId);
        const store = logContext.getStore();
        if (store) store.tenantId = principal.tenantId;
        contexts.set(req, {
          tenantId: principal.tenantId,
          actor: { type: 'scim-token', id: principal.tokenId },
          requestId: (req as Request & { id?: string }).id,
          baseUrl: baseUrlOf(req, opts.publicBaseUrl),
        });
        return gate.enter(principal.tenantId).then((release) => {
          // Answered while it waited (the request deadline's 503) or the client went away: nothing to run.
          if (res.writableEnded || res.destroyed) {
            release();
            return;
          }
          res.once('finish', release);
          res.once('close', release);
          next();
        });
      })
      .catch((err: unknown) => {
        // A refused token is diagnosed after the answer, and logged under the tenant it names.
        if (err instanceof AppError && err.status === 401) {
          const header = req.get('authorization');
          res.on('finish', () => {
            diagnoseScimAuthFailure(deps.models, header)
              .then((failure) => failure.tenantId && logEntry(failure.tenantId, failure.tokenId, failure.reason))
              .catch((cause: unknown) => deps.logger.warn('could not diagnose a refused SCIM request', { err: cause }));
          });
        }
        next(err);
      });
  });

  // RFC 7644 §3.11 defines every method on /Me; none is implemented.
  const meUnsupported = () => {
    throw new AppError('notImplemented', 'SCIM_ME_UNSUPPORTED', '/Me is not supported: SCIM tokens identify a provisioning client, not a user');
  };
  endpoints.mount(router, '/Me', { GET: meUnsupported, POST: meUnsupported, PUT: meUnsupported, PATCH: meUnsupported, DELETE: meUnsupported });

  // ---- Users ----
  endpoints.mount(router, '/Users', {
    GET: route(async (req, res) => {
      const { page, resources } = await queries.listUsers(ctxOf(req), parseListParams(req.query));
      send(res, 200, listResponse(resources, page));
    }),
    POST: route(async (req, res) => {
      const ctx = ctxOf(req);
      const { doc, memberless } = await users.createUser(ctx, req.body);
      send(res, 201, await queries.user(ctx, doc, parseSelection(req.query), { memberless }), { ETag: etagOf(doc.version), Location: locationOf(ctx.baseUrl, 'User', doc._id) });
    }),
  });
  endpoints.mount(router, '/Users/.search', {
    POST: route(async (req, res) => {
      const { page, resources } = await queries.listUsers(ctxOf(req), parseSearchRequest(req.body));
      send(res, 200, listResponse(resources, page));
    }),
  });
  endpoints.mount(router, '/Users/:id', {
    GET: route(async (req, res) => {
      const ctx = ctxOf(req);
      const doc = await users.get(ctx, String(req.params.id));
      if (matchesIfNoneMatch(req.get('if-none-match') ?? undefined, doc.version)) return send(res, 304, undefined, { ETag: etagOf(doc.version) });
      send(res, 200, await queries.user(ctx, doc, parseSelection(req.query)), { ETag: etagOf(doc.version) });
    }),
    PUT: route(async (req, res) => {
      const ctx = ctxOf(req);
      const sel = parseSelection(req.query);
      const { doc, answer } = await users.replace(ctx, String(req.params.id), req.body, preconditions(req), (written) => queries.user(ctx, written, sel));
      send(res, 200, answer, { ETag: etagOf(doc.version) });
    }),
    PATCH: route(async (req, res) => {
      const ctx = ctxOf(req);
      const sel = parseSelection(req.query);
      const { doc, answer } = await users.patch(ctx, String(req.params.id), req.body, preconditions(req), (written) => queries.user(ctx, written, sel));
      send(res, 200, answer, { ETag: etagOf(doc.version) });
    }),
    DELETE: route(async (req, res) => {
      await users.delete(ctxOf(req), String(req.params.id), preconditions(req));
      send(res, 204);
    }),
  });

  // ---- Groups ----
  endpoints.mount(router, '/Groups', {
    GET: route(async (req, res) => {
      const { page, resources } = await queries.listGroups(ctxOf(req), parseListParams(req.query));
      send(res, 200, listResponse(resources, page));
    }),
    POST: route(async (req, res) => {
      const ctx = ctxOf(req);
      const doc = await groups.create(ctx, req.body);
      send(res, 201, await queries.group(ctx, doc, parseSelection(req.query)), { ETag: etagOf(doc.version), Location: locationOf(ctx.baseUrl, 'Group', doc._id) });
    }),
  });
  endpoints.mount(router, '/Groups/.search', {
    POST: route(async (req, res) => {
      const { page, resources } = await queries.listGroups(ctxOf(req), parseSearchRequest(req.body));
      send(res, 200, listResponse(resources, page));
    }),
  });
  endpoints.mount(router, '/Groups/:id', {
    GET: route(async (req, res) => {
      const ctx = ctxOf(req);
      const doc = await groups.get(ctx, String(req.params.id));
      if (matchesIfNoneMatch(req.get('if-none-match') ?? undefined, doc.version)) return send(res, 304, undefined, { ETag: etagOf(doc.version) });
      send(res, 200, await queries.group(ctx, doc, parseSelection(req.query)), { ETag: etagOf(doc.version) });
    }),
    PUT: route(async (req, res) => {
      const ctx = ctxOf(req);
      const doc = await groups.replace(ctx, String(req.params.id), req.body, preconditions(req));
      send(res, 200, await queries.group(ctx, doc, parseSelection(req.query)), { ETag: etagOf(doc.version) });
    }),
    PATCH: route(async (req, res) => {
      const ctx = ctxOf(req);
      const sel = parseSelection(req.query);
      const doc = await groups.patch(ctx, String(req.params.id), req.body, preconditions(req));
      if (!patchWantsBody(sel)) return send(res, 204, undefined, { ETag: etagOf(doc.version) });
      send(res, 200, await queries.group(ctx, doc, sel), { ETag: etagOf(doc.version) });
    }),
    DELETE: route(async (req, res) => {
      await groups.delete(ctxOf(req), String(req.params.id), preconditions(req));
      send(res, 204);
    }),
  });

  // ---- Search across resource types (RFC 7644 §3.4.3) ----
  const searchAll = route(async (req, res) => {
    const ctx = ctxOf(req);
    const params = parseSearchRequest(req.body);
    if (params.cursor !== undefined) throw new AppError('badRequest', 'SCIM_ROOT_SEARCH_CURSOR', 'Cursor pagination is supported on /Users and /Groups, not on /.search', { scimType: 'invalidValue' });
    // Users first, then Groups: page over the concatenation.
    const startIndex = params.startIndex ?? 1;
    const count = Math.min(params.count ?? deps.limits.defaultPageSize, deps.limits.maxPageSize);
    // The filter spans both types: an attribute only one of them defines (userName) matches
    // nothing of the other instead of failing the whole search; unknown to both stays a 400.
    let unknownToUsers = false;
    const noMatchIfUnknown = (err: unknown, alsoUnknownElsewhere: boolean) => {
      if (!isAppError(err) || err.code !== 'SCIM_FILTER_UNKNOWN_ATTRIBUTE' || alsoUnknownElsewhere) throw err;
      return undefined;
    };
    const u = await queries.listUsers(ctx, { ...params, startIndex, count }).catch((err: unknown) => {
      unknownToUsers = true;
      return noMatchIfUnknown(err, false);
    });
    const userResources = u?.resources ?? [];
    const userTotal = u?.page.totalResults ?? 0;
    const groupStart = Math.max(1, startIndex - userTotal);
    const groupCount = Math.max(0, count - userResources.length);
    const g = await queries.listGroups(ctx, { ...params, sortBy: undefined, startIndex: groupStart, count: groupCount }).catch((err: unknown) => noMatchIfUnknown(err, unknownToUsers));
    send(res, 200, listResponse([...userResources, ...(g?.resources ?? [])], { totalResults: userTotal + (g?.page.totalResults ?? 0), startIndex }));
  });
  endpoints.mount(router, '/.search', { POST: searchAll });

  // ---- Bulk (RFC 7644 §3.7) ----
  const executeBulk: BulkExecutor = async (ctx, op) => {
    const pre: Preconditions = { ifMatch: op.version };
    const svc = op.resource === 'Users' ? users : groups;
    const type = op.resource === 'Users' ? 'User' : 'Group';
    let doc;
    switch (op.method) {
      case 'POST':
        doc = await svc.create(ctx, op.data);
        return { status: 201, id: doc._id, location: locationOf(ctx.baseUrl, type, doc._id), version: etagOf(doc.version) };
      case 'PUT':
        doc = op.resource === 'Users' ? (await users.replace(ctx, op.id!, op.data, pre, noAnswer)).doc : await groups.replace(ctx, op.id!, op.data, pre);
        return { status: 200, id: doc._id, location: locationOf(ctx.baseUrl, type, doc._id), version: etagOf(doc.version) };
      case 'PATCH':
        doc = op.resource === 'Users' ? (await users.patch(ctx, op.id!, op.data, pre, noAnswer)).doc : await groups.patch(ctx, op.id!, op.data, pre);
        return { status: 200, id: doc._id, location: locationOf(ctx.baseUrl, type, doc._id), version: etagOf(doc.version) };
      case 'DELETE':
        await svc.delete(ctx, op.id!, pre);
        return { status: 204, location: locationOf(ctx.baseUrl, type, op.id!) };
    }
  };
  const bulk = route(async (req, res) => {
    const size = Number(req.get('content-length') ?? Buffer.byteLength(JSON.stringify(req.body ?? null)));
    if (size > deps.limits.bulkMaxPayloadBytes) {
      throw new AppError('payloadTooLarge', 'SCIM_BULK_PAYLOAD_TOO_LARGE', `A bulk request may be at most ${deps.limits.bulkMaxPayloadBytes} bytes`, { scimType: 'tooMany' });
    }
    send(res, 200, await runBulk(ctxOf(req), req.body, deps.limits.bulkMaxOperations, executeBulk));
  });
  endpoints.mount(router, '/Bulk', { POST: bulk });

  router.use(() => {
    throw new AppError('notFound', 'SCIM_NO_ENDPOINT', 'No such SCIM endpoint');
  });
  router.use(scimErrorHandler(deps.logger));
  return router;
}

export function baseUrlOf(req: Request, publicBaseUrl?: string): string {
  if (publicBaseUrl) return `${publicBaseUrl}/scim/v2`;
  // With 'trust proxy' set, express derives protocol and host from X-Forwarded-Proto/Host.
  return `${req.protocol}://${req.host}/scim/v2`;
}
