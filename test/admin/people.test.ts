import { CORE_USER_URN, CUSTOM_USER_URN, ENTERPRISE_USER_URN } from '../../src/attributes/urns';
import { queryTerms, searchTermsOf } from '../../src/attributes/search-terms';
import { startSyncStack, type SyncStack } from '../workers/sync-fixtures';

/**
 * The console's people search (GET /users?search=) and person page (GET /users/:id): a person is
 * found by any whole word or value of their attributes, pages continue by cursor without repeats,
 * and the person page says why they are in each group, what triggered it, with names for ids.
 */
describe('search terms of a user', () => {
  it('holds every string value whole and split into words, lower-cased, never the password', () => {
    const terms = searchTermsOf({
      userName: 'Noah.Rossi@Acme.example',
      name: { givenName: 'Noah', familyName: 'Rossi' },
      displayName: 'Noah Rossi',
      emails: [{ value: 'noah.rossi@acme.example', type: 'work' }],
      password: 'Secret-Pass-1',
      enterprise: { employeeNumber: 'EMP-4711', department: 'Customer Success' },
      custom: { tags: ['Blue Team'], level: 7 },
    });
    expect(terms).toEqual(
      expect.arrayContaining([
        'noah.rossi@acme.example',
        'noah.rossi',
        'acme.example',
        'noah',
        'rossi',
        'noah rossi',
        'emp-4711',
        'customer success',
        'customer',
        'success',
        'blue team',
        'blue',
        '7',
        'work',
      ]),
    );
    expect(terms.some((t) => t.includes('secret'))).toBe(false);
  });

  it('reads a query as its lower-cased words, punctuation around them dropped', () => {
    expect(queryTerms('  Rossi, Noah ')).toEqual(['rossi', 'noah']);
    expect(queryTerms('noah.rossi@acme.example')).toEqual(['noah.rossi@acme.example']);
    expect(queryTerms('')).toEqual([]);
  });
});

describe('people search and the person page', () => {
  let s: SyncStack;
  const ids: Record<string, string> = {};

  const create = async (userName: string, body: Record<string, unknown>) => {
    const res = await s.scim.post('/Users', { schemas: [CORE_USER_URN, ENTERPRISE_USER_URN, CUSTOM_USER_URN], userName, active: true, ...body });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  beforeAll(async () => {
    s = await startSyncStack();
    ids.noah1 = await create('noah.rossi@acme.example', {
      name: { givenName: 'Noah', familyName: 'Rossi' },
      displayName: 'Noah Rossi',
      emails: [{ value: 'noah.rossi@acme.example', type: 'work', primary: true }],
      externalId: '00u1ab2cd3EF',
      [ENTERPRISE_USER_URN]: { department: 'Support', employeeNumber: 'EMP-4711' },
    });
    ids.noah2 = await create('nrossi@contoso.example', {
      displayName: 'Noah Rossi',
      emails: [{ value: 'nrossi@contoso.example', type: 'work', primary: true }],
      [CUSTOM_USER_URN]: { region: 'Lombardy' },
    });
    ids.mia = await create('mia@acme.example', { displayName: 'Mia Noah', emails: [{ value: 'mia@acme.example', type: 'work' }] });
  });

  afterAll(async () => {
    await s?.close();
  });

  const search = async (q: string, extra = '') => {
    const res = await s.admin.get(`/users?search=${encodeURIComponent(q)}${extra}`);
    expect(res.status).toBe(200);
    return res.body as { items: { id: string }[]; nextCursor: string | null };
  };
  const found = async (q: string) => (await search(q)).items.map((u) => u.id).sort();

  it('finds a person by e-mail, name, userName, externalId, an enterprise and a custom attribute', async () => {
    expect(await found('noah.rossi@acme.example')).toEqual([ids.noah1]);
    expect(await found('NRossi@Contoso.example')).toEqual([ids.noah2]);
    expect(await found('Noah Rossi')).toEqual([ids.noah1, ids.noah2].sort());
    expect(await found('Rossi, Noah')).toEqual([ids.noah1, ids.noah2].sort());
    expect(await found('noah')).toEqual([ids.noah1, ids.noah2, ids.mia].sort());
    expect(await found('00u1ab2cd3ef')).toEqual([ids.noah1]);
    expect(await found('emp-4711')).toEqual([ids.noah1]);
    expect(await found('lombardy')).toEqual([ids.noah2]);
    expect(await found('acme.example noah')).toEqual([ids.noah1, ids.mia].sort());
    expect(await found('nobody')).toEqual([]);
  });

  it('finds a person by the new value after the IdP changes it, not by the old one', async () => {
    await s.patchUser(ids.noah2!, { op: 'replace', path: `${CUSTOM_USER_URN}:region`, value: 'Piedmont' });
    expect(await found('piedmont')).toEqual([ids.noah2]);
    expect(await found('lombardy')).toEqual([]);
  });

  it('pages a search by cursor: every match once, in id order', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; nextCursor: string | null } = await search('noah', `&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((u) => u.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([ids.noah1, ids.noah2, ids.mia].sort());
  });

  it("shows a person's attributes, why a rule put them in a group (expression and trigger) and their events with names", async () => {
    const engineering = await s.internalGroup('Engineering');
    const rule = await s.createRule({ name: 'Engineers by department', expression: 'department = "Engineering"', targetGroupId: engineering });
    await s.settle();
    await s.patchUser(ids.noah1!, { op: 'replace', path: `${ENTERPRISE_USER_URN}:department`, value: 'Engineering' });
    await s.settle();
    const res = await s.admin.get(`/users/${ids.noah1}`);
    expect(res.status).toBe(200);
    expect(res.body.attributes).toMatchObject({
      userName: 'noah.rossi@acme.example',
      name: { givenName: 'Noah', familyName: 'Rossi' },
      [ENTERPRISE_USER_URN]: { department: 'Engineering', employeeNumber: 'EMP-4711' },
    });
    expect(JSON.stringify(res.body.attributes)).not.toContain('password');
    const membership = (
      res.body.groups as {
        groupId: string;
        why: { kind: string; rule?: { expression: string } }[];
        cause: { actor: { type: string; id: string }; after: { expression?: string; trigger?: { action: string; before?: unknown; after?: unknown } } } | null;
      }[]
    ).find((g) => g.groupId === engineering);
    expect(membership?.why).toEqual([expect.objectContaining({ kind: 'rule', rule: expect.objectContaining({ expression: 'department = "Engineering"' }) })]);
    expect(membership?.cause).toMatchObject({ actor: { type: 'rule', id: rule.id }, after: { expression: 'department = "Engineering"', trigger: { action: 'user.patched' } } });
    expect(JSON.stringify(membership?.cause?.after.trigger)).toContain('Support');
    const events = res.body.recentEvents as { action: string; names: Record<string, string> }[];
    expect(events.find((e) => e.action === 'membership.added')?.names).toEqual({ actor: 'Engineers by department', object: 'Engineering', user: 'Noah Rossi' });
    expect(events.find((e) => e.action === 'user.patched')?.names).toMatchObject({ object: 'Noah Rossi', actor: expect.any(String) });
  });

  it('names user, group and rule in the audit log rows of auto-assignment', async () => {
    const res = await s.admin.get('/audit?category=auto_assignment&limit=5');
    expect(res.status).toBe(200);
    expect(res.body.items[0]).toMatchObject({ action: 'membership.added', names: { actor: 'Engineers by department', object: 'Engineering', user: 'Noah Rossi' } });
  });

  it('refuses the people search to a member who supervises no group', async () => {
    const member = await s.member();
    const res = await member.get('/users?search=noah');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
  });
});
