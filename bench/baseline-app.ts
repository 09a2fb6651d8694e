import express, { type Express, type Request, type Response } from 'express';
import type { Models, UserDoc } from '../src/persistence/models';
import { newId } from '../src/persistence/ids';
import { MembershipsRepository } from '../src/persistence/memberships-repository';
import { storageKeyOf } from '../src/attributes/registry';

/** The one storage rule the database imposes: field names with '.' (extension URNs) are refused. */
function storable(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k.includes('.') ? storageKeyOf(k) : k, v]));
}

/**
 * The bare baseline: express plus the same database operation each SCIM scenario ends in, with no
 * SCIM processing (no authentication, schema validation, filter compilation, representation,
 * projection, audit event or sync job). It receives the very same request bodies, so JSON parsing
 * is on both sides, and it uses the same collections through the same driver. What the SCIM
 * endpoint costs on top of this is the SCIM layer's overhead.
 */
export function createBaselineApp(models: Models, tenantId: string): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(express.json({ limit: 64 * 1024 * 1024, type: () => true }));

  const sendJson = (res: Response, status: number, body: unknown) => {
    res.status(status).type('application/json').send(JSON.stringify(body));
  };

  // insertOne of the document the SCIM create stores (same fields, same indexes hit).
  app.post('/users', async (req: Request, res: Response) => {
    const body = req.body as Record<string, unknown>;
    const now = new Date();
    const doc: UserDoc = {
      _id: newId('usr'),
      tenantId,
      attrs: storable(body),
      lc: { userName: String(body.userName).toLowerCase() },
      version: 1,
      sync: { version: 1, pendingSince: now },
      createdAt: now,
      updatedAt: now,
    };
    await models.User.collection.insertOne(doc as never);
    sendJson(res, 201, doc);
  });

  // findOne by the userName shadow, or the first page of the tenant's users.
  app.get('/users', async (req: Request, res: Response) => {
    const userName = typeof req.query.userName === 'string' ? req.query.userName : undefined;
    if (userName !== undefined) {
      const doc = await models.User.collection.findOne({ tenantId, 'lc.userName': userName.toLowerCase() } as never);
      if (!doc) return sendJson(res, 404, { error: 'not found' });
      return sendJson(res, 200, doc);
    }
    const limit = Math.max(1, Number(req.query.count ?? 100));
    const docs = await models.User.collection
      .find({ tenantId } as never)
      .limit(limit)
      .toArray();
    sendJson(res, 200, docs);
  });

  // findOne of the group document by _id (the SCIM GET's store lookup, members not read).
  app.get('/groups/:id', async (req: Request, res: Response) => {
    const doc = await models.Group.collection.findOne({ _id: String(req.params.id), tenantId, origin: 'scim' } as never);
    if (!doc) return sendJson(res, 404, { error: 'not found' });
    sendJson(res, 200, doc);
  });

  // The SCIM PATCH body's member ids, added with the persistence call the SCIM PATCH ends in
  // (MembershipsRepository.addSource): the baseline follows that repository's write strategy.
  const memberships = new MembershipsRepository(models);
  app.patch('/groups/:id', async (req: Request, res: Response) => {
    const ops = (req.body as { Operations: { value: { value: string }[] }[] }).Operations;
    const userIds = ops.flatMap((op) => op.value.map((m) => m.value));
    await memberships.addSource(tenantId, String(req.params.id), userIds, 'scim');
    res.status(204).end();
  });

  return app;
}
