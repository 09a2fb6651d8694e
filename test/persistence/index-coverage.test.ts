import type { Models } from '../../src/persistence/models';
import { describeShape, partialIndex, servingIndexes, shapeOf, shapesOfCommand, type DeclaredIndex, type QueryShape } from '../../src/persistence/query-shapes';
import { startSyncStack, type SyncStack } from '../workers/sync-fixtures';
import { encodeTimeCursor } from '../../src/domain/paging/time-cursor';
import { repositoriesOf } from '../../src/persistence/repositories';

/**
 * Keeps every hot-path query index-served, on both databases' terms. This test runs the hot paths
 * (SCIM lookups and list pages as Okta and Entra send them, user and group writes, membership reads
 * and writes, rule runs, SCIM token, authorize and permission lookups), records every query the app
 * sends (driver command monitoring) and fails when a shape is not served by a declared index under
 * MongoDB's prefix rule, or when the server it runs on (the embedded one in CI) answers `explain`
 * of the recorded command with a collection scan. The table it prints is the one in docs/benchmarks.md.
 */

/**
 * Shapes that an index serves only in part (it bounds some equality fields, the rest are
 * filtered), each with why. Keep this short: a collection scan is never allowed.
 */
const ALLOWED_PARTIAL: Record<string, string> = {
  // Rules reading `groups = "X"`: the members of the named IdP groups. An IdP group holds only
  // `scim` memberships, so an index on `sources` would not narrow what (tenantId, groupId) bounds.
  'memberships find {groupId= sources= tenantId=}': 'IdP groups hold only `scim` memberships',
  // The same read for SCIM's view of an IdP group (a full-list replace): held removals are left out.
  'memberships find {groupId= sources= tenantId= held?}': 'IdP groups hold only `scim` memberships; held removals are filtered',
  // Deleting a group disables the rules that target it: a group is the target of a handful of rules.
  'rules find {enabled= targetGroupId= tenantId= deletedAt? kind?}': 'a group is the target of a few rules; (tenantId, targetGroupId) bounds them',
  // The audit log filtered by two names at once (an actor and what it acted on): the object's index bounds the read, the actor is filtered among its events.
  'audit_events find {actor.id= object.id= tenantId=} sort(at:-1,_id:-1)': "both names given: bounded by the object's own events",
  'audit_events find {actor.id= after.userId= tenantId=} sort(at:-1,_id:-1)': "both names given: bounded by the person's membership events",
  'audit_events find {actor.id= before.userId= tenantId=} sort(at:-1,_id:-1)': "both names given: bounded by the person's ended memberships",
};

/** The driver's session and cluster fields: not part of the command `explain` wraps. */
const SESSION_FIELDS = new Set(['lsid', '$db', '$clusterTime', 'txnNumber', '$readPreference', 'readConcern', 'writeConcern', 'apiVersion']);

/** A command as single-statement commands, one per shape shapesOfCommand reads (in its order): what `explain` takes. */
function statementsOf(command: Record<string, unknown>): Record<string, unknown>[] {
  const bare = Object.fromEntries(Object.entries(command).filter(([k]) => !SESSION_FIELDS.has(k)));
  const name = Object.keys(bare)[0];
  if (name === 'update' || name === 'delete') {
    const list = (bare[name === 'update' ? 'updates' : 'deletes'] as unknown[] | undefined) ?? [];
    return list.map((statement) => ({ [name]: bare[name], [name === 'update' ? 'updates' : 'deletes']: [statement] }));
  }
  return [bare];
}

/** The plan an `explain` answer describes: COLLSCAN when any stage scans the collection, else the index (MongoDB and the embedded server alike). */
/** `counting`: the command counts (aggregate): a plan answered from index entries alone says `(covered)`. */
function planOf(explain: unknown, counting = false): string {
  const stages: string[] = [];
  const indexNames: string[] = [];
  let coversQuery = false;
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (k === 'stage' && typeof v === 'string') stages.push(v);
        else if (k === 'indexName' && typeof v === 'string') indexNames.push(v);
        else if (k === 'coversQuery' && v === true) coversQuery = true;
        else if (k !== 'rejectedPlans') walk(v);
      }
    }
  };
  walk(explain);
  if (stages.includes('COLLSCAN')) return 'COLLSCAN';
  // Answered from index entries alone: the embedded server says so (`coversQuery`, its count from
  // the entries); MongoDB's plan has no FETCH stage.
  const covered = coversQuery || (!stages.includes('FETCH') && (stages.includes('IXSCAN') || stages.includes('COUNT_SCAN')));
  if (indexNames.length > 0) return `IXSCAN ${[...new Set(indexNames)].join(', ')}${counting && covered ? ' (covered)' : ''}`;
  return stages.includes('IDHACK') || stages.includes('EXPRESS_IXSCAN') ? 'IXSCAN _id_' : stages.join(', ') || 'unknown';
}

function declaredIndexes(models: Models): DeclaredIndex[] {
  return (Object.values(models) as Models[keyof Models][]).flatMap((model) =>
    (model.schema.indexes() as [Record<string, unknown>, { unique?: boolean }][]).map(([fields, options]) => ({
      collection: model.collection.collectionName,
      unique: Boolean(options.unique),
      name: Object.entries(fields)
        .map(([k, d]) => `${k}_${String(d)}`)
        .join('_'),
      keys: Object.entries(fields).map(([k, d]) => [k, Number(d) < 0 ? -1 : 1] as [string, 1 | -1]),
    })),
  );
}

describe('query shapes (unit)', () => {
  const indexes: DeclaredIndex[] = [
    {
      collection: 'users',
      name: 'tenant_userName',
      keys: [
        ['tenantId', 1],
        ['lc.userName', 1],
      ],
    },
    {
      collection: 'audit',
      name: 'tenant_at',
      keys: [
        ['tenantId', 1],
        ['at', -1],
      ],
    },
  ];

  it('an equality prefix serves; a missing equality field does not', () => {
    expect(servingIndexes(shapeOf('users', 'find', { tenantId: 't', 'lc.userName': 'a' }), indexes)).toEqual(['tenant_userName']);
    expect(servingIndexes(shapeOf('users', 'find', { tenantId: 't' }), indexes)).toEqual(['tenant_userName']);
    expect(servingIndexes(shapeOf('users', 'find', { tenantId: 't', 'attrs.title': 'x' }), indexes)).toBeUndefined();
    expect(servingIndexes(shapeOf('users', 'find', { 'lc.userName': 'a' }), indexes)).toBeUndefined();
  });

  it('equality, then sort (either direction), then range', () => {
    expect(servingIndexes(shapeOf('audit', 'find', { tenantId: 't' }, { at: -1 }), indexes)).toEqual(['tenant_at']);
    expect(servingIndexes(shapeOf('audit', 'find', { tenantId: 't' }, { at: 1 }), indexes)).toEqual(['tenant_at']);
    expect(servingIndexes(shapeOf('audit', 'find', { tenantId: 't', at: { $lt: new Date() } }), indexes)).toEqual(['tenant_at']);
    expect(servingIndexes(shapeOf('audit', 'find', { tenantId: 't' }, { action: 1 }), indexes)).toBeUndefined();
  });

  it('_id equality is served by the _id index; filters that bound nothing are residual', () => {
    expect(servingIndexes(shapeOf('users', 'find', { _id: { $in: ['a'] }, 'attrs.title': { $regex: 'x', $options: 'i' } }), indexes)).toEqual(['_id_']);
    expect(shapeOf('users', 'find', { tenantId: 't', $nor: [{ a: 1 }], b: { $exists: true } })).toMatchObject({ equality: ['tenantId'], residual: ['$nor', 'b'] });
    expect(shapeOf('users', 'find', { 'lc.userName': { $regex: '^ann' } }).range).toEqual(['lc.userName']);
  });

  it('every branch of a top-level $or must be served', () => {
    const or = shapeOf('users', 'find', { tenantId: 't', $or: [{ 'lc.userName': 'a' }, { 'attrs.title': 'b' }] });
    // The tenant prefix alone serves it (the $or filters within the tenant).
    expect(servingIndexes(or, indexes)).toEqual(['tenant_userName']);
    expect(servingIndexes(shapeOf('users', 'find', { $or: [{ tenantId: 't', 'lc.userName': 'a' }, { 'attrs.title': 'b' }] }), indexes)).toBeUndefined();
  });

  it('reads the query out of each command', () => {
    expect(shapesOfCommand({ update: 'groups', updates: [{ q: { _id: 'g', tenantId: 't' }, u: {} }] }).map(describeShape)).toEqual(['groups update {_id= tenantId=}']);
    expect(shapesOfCommand({ aggregate: 'memberships', pipeline: [{ $match: { tenantId: 't', groupId: 'g' } }, { $sort: { userId: 1 } }] }).map(describeShape)).toEqual([
      'memberships aggregate {groupId= tenantId=} sort(userId:1)',
    ]);
    expect(shapesOfCommand({ insert: 'users', documents: [] })).toEqual([]);
  });
});

describe('index coverage of the hot paths', () => {
  let s: SyncStack;
  const recorded = new Map<string, QueryShape>();
  /** One command of each shape, as `explain` takes it. */
  const commands = new Map<string, Record<string, unknown>>();

  beforeAll(async () => {
    s = await startSyncStack({ monitorCommands: true });
    s.runtime.db.connection.getClient().on('commandStarted', (event) => {
      const command = event.command as Record<string, unknown>;
      const statements = statementsOf(command);
      shapesOfCommand(command).forEach((shape, i) => {
        const key = describeShape(shape);
        recorded.set(key, shape);
        if (!commands.has(key)) commands.set(key, statements[i] ?? statements[0]!);
      });
    });
  });

  afterAll(async () => {
    await s?.close();
  });

  it('serves every query of the provisioning, sync and authorization hot paths from a declared index', async () => {
    // Okta: lookup by userName before each create, create, read, deactivate with PATCH, full PUT.
    const lookup = await s.scim.get(`/Users?filter=${encodeURIComponent('userName eq "ann@contoso.example"')}&startIndex=1&count=100`);
    expect(lookup.status).toBe(200);
    const ann = await s.user('ann', { department: 'Sales', country: 'US', email: 'ann@contoso.example' });
    const bob = await s.user('bob', { department: 'Sales', country: 'CA' });
    expect((await s.scim.get(`/Users/${ann}`)).status).toBe(200);
    expect((await s.scim.get(`/Users?filter=${encodeURIComponent('userName eq "ann"')}`)).body.totalResults).toBe(1);
    await s.patchUser(bob, { op: 'replace', value: { active: false } });
    await s.patchUser(bob, { op: 'replace', value: { active: true } });
    const full = (await s.scim.get(`/Users/${ann}`)).body as Record<string, unknown>;
    expect((await s.scim.put(`/Users/${ann}`, { ...full, title: 'Lead' })).status).toBe(200);

    // A tenant that uses admin-created users and invitations (TenantDoc.uses): a SCIM create then
    // checks both, by userName and by address, and accepts the pending invitation.
    expect((await s.admin.post('/users', { userName: 'pat@contoso.example', email: 'pat@contoso.example', displayName: 'Pat' })).status).toBe(201);
    const invitedTo = await s.internalGroup('Invited');
    expect((await s.admin.post('/invitations', { email: 'cy@contoso.example', groupIds: [invitedTo] })).status).toBe(201);
    const cy = await s.user('cy', { email: 'cy@contoso.example' });
    expect(await s.membersOf(invitedTo)).toEqual(new Map([[cy, ['manual']]]));

    // Entra: externalId and email lookups, group lookup by displayName without members.
    expect((await s.scim.get(`/Users?filter=${encodeURIComponent('externalId eq "ext-1"')}`)).status).toBe(200);
    expect((await s.scim.get(`/Users?filter=${encodeURIComponent('emails[type eq "work"].value eq "ann@contoso.example"')}`)).body.totalResults).toBe(1);
    const groupLookup = await s.scim.get(`/Groups?filter=${encodeURIComponent('displayName eq "Sales"')}&excludedAttributes=members`);
    expect(groupLookup.status).toBe(200);
    const sales = await s.idpGroup('Sales', [ann]);
    expect((await s.scim.get(`/Groups?filter=${encodeURIComponent('externalId eq "grp-ext"')}`)).status).toBe(200);
    await s.patchGroup(sales, { op: 'Add', path: 'members', value: [{ value: bob }] });
    await s.patchGroup(sales, { op: 'Remove', path: 'members', value: [{ value: bob }] });
    await s.patchGroup(sales, { op: 'remove', path: `members[value eq "${ann}"]` });
    await s.patchGroup(sales, { op: 'add', path: 'members', value: [{ value: ann }, { value: bob }] });
    expect((await s.scim.get(`/Groups/${sales}`)).body.members).toHaveLength(2);
    expect((await s.scim.get(`/Groups/${sales}?excludedAttributes=members`)).status).toBe(200);

    // List pages: index pagination and RFC 9865 cursors, users and groups.
    expect((await s.scim.get('/Users?startIndex=1&count=1')).body.itemsPerPage).toBe(1);
    expect((await s.scim.get('/Users?startIndex=2&count=1')).body.itemsPerPage).toBe(1);
    const first = await s.scim.get('/Users?cursor&count=1');
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect((await s.scim.get(`/Users?cursor=${encodeURIComponent(first.body.nextCursor as string)}&count=1`)).status).toBe(200);
    expect((await s.scim.get('/Groups?startIndex=1&count=100')).status).toBe(200);

    // Sync: a rule over users, a mapping from the IdP group, the worker's jobs.
    const target = await s.internalGroup('US sales');
    const rule = await s.createRule({ name: 'US sales', expression: 'department = "Sales" AND country = "US"', targetGroupId: target });
    const engineers = await s.internalGroup('From IdP');
    await s.createRule({ name: 'IdP Sales', expression: 'groups = "Sales"', targetGroupId: engineers });
    await s.settle();
    expect(await s.membersOf(target)).toEqual(new Map([[ann, [`rule:${rule.id}`]]]));
    await s.patchUser(bob, { op: 'replace', path: 'urn:scim-sync:params:scim:schemas:extension:custom:2.0:User:country', value: 'US' });
    await s.settle();

    // A dry run's warnings: a value never seen (with suggestions read from the values seen) and an IdP group never pushed.
    const dryRun = await s.admin.post('/rules/preview', { expression: 'department eq "Sale" or groups eq "Sale"', targetGroupId: target });
    expect(dryRun.body.warnings.map((w: { code: string }) => w.code)).toEqual(['VALUE_NEVER_SEEN', 'IDP_GROUP_UNKNOWN', 'MATCHES_NO_ONE']);

    // The audit log by names (a person, a group, a token's label), as the console filters it.
    expect((await s.admin.get(`/audit?objectName=${encodeURIComponent('ann@contoso.example')}&limit=5`)).body.matched.object).toHaveLength(1);
    expect((await s.admin.get(`/audit?actorName=${encodeURIComponent('US sales')}&objectName=${encodeURIComponent('US sales')}&limit=5`)).status).toBe(200);

    // Authorization and permissions as the vendor's application asks them.
    expect((await s.admin.post('/authorize', { userId: ann, action: 'view', target: 'Ticket' })).status).toBe(200);
    expect((await s.admin.get(`/users/${ann}/permissions`)).status).toBe(200);
    expect((await s.admin.get(`/groups/${target}/members`)).status).toBe(200);

    // The console: people search (one word, several words, the next page) and the person page.
    const found = await s.admin.get('/users?search=ann%40contoso.example&limit=1');
    expect(found.body.items).toHaveLength(1);
    expect((await s.admin.get(`/users?search=${encodeURIComponent('sales us')}&limit=1&cursor=${ann}`)).status).toBe(200);
    expect((await s.admin.get(`/users/${ann}`)).body.recentEvents.length).toBeGreaterThan(0);

    // Hierarchy: a child group, the children of a group, deleting a group (refused while it has children).
    const child = await s.internalGroup('US sales east', { parentId: target });
    expect((await s.admin.get(`/groups?parentId=${target}`)).body.items).toHaveLength(1);
    expect((await s.admin.delete(`/groups/${target}`)).status).toBe(409);
    expect((await s.admin.delete(`/groups/${child}`)).status).toBe(204);

    // Webhooks: the console's delivery log, its first page and the next (an endpoint kept disabled: nothing is sent).
    const hook = (await s.admin.post('/webhooks', { url: 'https://93.184.216.34/hooks', enabled: false })).body as { id: string };
    expect((await s.admin.get(`/webhooks/${hook.id}/deliveries?limit=50`)).status).toBe(200);
    expect((await s.admin.get(`/webhooks/${hook.id}/deliveries?limit=50&cursor=${encodeTimeCursor({ at: new Date(), _id: 'wdl_next' })}`)).status).toBe(200);

    // Sync status, as the console's monitor polls it (every 5 s) and bench:scale waits on it.
    expect((await s.admin.get('/sync/status')).status).toBe(200);

    // A rule run's catch-up (workers/processors/rule-changed.ts): what was written since the run
    // started, each read bounded by its date on an index of its own (issue 23: the users' read
    // was served by the tenant prefix of another index and read every user of the tenant).
    const repos = repositoriesOf(s.runtime.deps.models);
    const since = new Date(Date.now() - 60_000);
    const drain = async (ids: AsyncIterable<string>) => {
      const out: string[] = [];
      for await (const id of ids) out.push(id);
      return out;
    };
    expect(await drain(repos.users.idsUpdatedSince(s.tenantId, since))).toContain(ann);
    expect(await drain(repos.groups.scim.idsUpdatedSince(s.tenantId, since))).toContain(sales);
    expect(await drain(repos.memberships.userIdsWithMembershipChangedSince(s.tenantId, [sales], since))).toEqual(expect.arrayContaining([ann, bob]));

    // Deletes: a user (memberships go with it) and a group.
    expect((await s.scim.delete(`/Users/${bob}`)).status).toBe(204);
    expect((await s.scim.delete(`/Groups/${sales}`)).status).toBe(204);
    await s.settle();

    const indexes = declaredIndexes(s.runtime.db.models);
    const rows = [...recorded.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, shape]) => ({ key, served: servingIndexes(shape, indexes) }));
    const servedBy = (r: (typeof rows)[number]) => {
      if (r.served) return r.served.map((n) => `\`${n}\``).join(', ');
      const partial = partialIndex(recorded.get(r.key)!, indexes);
      const bound = partial ? `\`${partial.name}\` bounds ${partial.bounds.join(', ')}, filters the rest` : 'collection scan';
      return `${bound} (${ALLOWED_PARTIAL[r.key] ?? 'NOT ALLOWED'})`;
    };
    // The server's own plan of one recorded command of each shape (explain does not run it).
    const db = s.runtime.db.connection.db!;
    const plans = new Map<string, string>();
    for (const [key, command] of commands) plans.set(key, planOf(await db.command({ explain: command, verbosity: 'queryPlanner' }), key.split(' ')[1] === 'aggregate'));
    const table = [
      "| query shape (`=` equality, `~` range, `?` filter only) | served by (declared indexes, MongoDB's prefix rule) | plan of the test's server (`explain`) |",
      '|---|---|---|',
      ...rows.map((r) => `| \`${r.key}\` | ${servedBy(r)} | ${plans.get(r.key)} |`),
    ];
    process.stdout.write(`\nIndex coverage (${rows.length} shapes):\n${table.join('\n')}\n`);

    const unserved = rows.filter((r) => !r.served && !(r.key in ALLOWED_PARTIAL)).map((r) => r.key);
    expect(unserved).toEqual([]);
    const scanned = rows.filter((r) => plans.get(r.key) === 'COLLSCAN').map((r) => r.key);
    expect(scanned).toEqual([]);
    // The outbox counts of sync status read no document (issue 23: 30 s through 100,000 documents on H2).
    const outboxCounts = rows.filter((r) => /^(users|groups) aggregate .*sync\.pendingSince~/.test(r.key));
    expect(outboxCounts.map((r) => r.key.split(' ')[0]).sort()).toEqual(['groups', 'users']);
    expect(outboxCounts.filter((r) => !plans.get(r.key)!.endsWith('(covered)')).map((r) => `${r.key}: ${plans.get(r.key)}`)).toEqual([]);
    // The catch-up's reads are bounded by their dates, on both databases' terms.
    const catchUp: Record<string, string> = {
      'users find {tenantId= updatedAt~}': 'tenantId_1_updatedAt_1',
      'groups find {origin= tenantId= updatedAt~}': 'tenantId_1_origin_1_updatedAt_1',
      'memberships find {groupId= sources= tenantId= updatedAt~}': 'tenantId_1_groupId_1_sources_1_updatedAt_1',
      'memberships find {tenantId= endedAt~}': 'tenantId_1_endedAt_1',
    };
    expect(Object.keys(catchUp).map((key) => [key, rows.find((r) => r.key === key)?.served, plans.get(key)])).toEqual(Object.entries(catchUp).map(([key, index]) => [key, [index], `IXSCAN ${index}`]));
    // The recorder saw the hot paths (a recorder that records nothing would pass vacuously).
    const keys = rows.map((r) => r.key).join('\n');
    for (const expected of [
      'attribute_values find',
      'attribute_values update',
      'users find {lc.userName= tenantId= createdVia?}',
      'users find {lc.emails= tenantId= createdVia?}',
      'invitations find {emailLower= status= tenantId=}',
      'memberships find',
      'scim_tokens find',
      'rules find',
      'groups find',
    ])
      expect(keys).toContain(expected);
    expect(rows.length).toBeGreaterThan(20);
  });
});
