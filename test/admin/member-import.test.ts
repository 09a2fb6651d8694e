import { parseMemberCsv, splitCsvLine } from '../../src/domain/groups/member-import';
import { startAdminStack, expectError, expectStatus, type AdminStack } from './admin-fixtures';

let s: AdminStack;
beforeAll(async () => {
  s = await startAdminStack();
});
afterAll(() => s.close());

describe('CSV parsing', () => {
  it('reads quoted fields and escaped quotes', () => {
    expect(splitCsvLine('"a,b@example.com", manager')).toEqual(['a,b@example.com', 'manager']);
    expect(splitCsvLine('"say ""hi""",member')).toEqual(['say "hi"', 'member']);
    expect(splitCsvLine('"open,member')).toBeNull();
  });

  it('needs the email,role header and skips blank lines', () => {
    expect(parseMemberCsv('\uFEFFEmail,Role\r\n\r\na@example.com,member\r\n')).toEqual([{ line: 3, fields: ['a@example.com', 'member'] }]);
    expect(() => parseMemberCsv('name,role\na,member')).toThrow(/header/);
    expect(() => parseMemberCsv('email,role\n')).toThrow(/no rows/);
  });
});

describe('GET /admin/v1/groups/:id/members/import/template', () => {
  it('downloads a CSV template that a preview accepts once filled in', async () => {
    const g = expectStatus(await s.admin.post('/groups', { name: 'Template team' }), 201).body.id;
    const res = expectStatus(await s.admin.get(`/groups/${g}/members/import/template`), 200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toContain('members-import-template.csv');
    expect(res.text).toBe('email,role\r\n');
    await s.user('templated@example.com');
    const preview = expectStatus(await s.admin.post(`/groups/${g}/members/import`).set('Content-Type', 'text/csv').send(`${res.text}templated@example.com,manager\r\n`), 201);
    expect(preview.body.summary).toEqual({ added: 1, skipped: 0, error: 0 });
    // Only for those who may import into the group.
    const outsider = await s.user('template.outsider@example.com');
    expectError(await s.as(outsider, 'member').get(`/groups/${g}/members/import/template`), 404, 'GROUP_NOT_FOUND');
  });
});

describe('POST /admin/v1/groups/:id/members/import (preview) and …/confirm', () => {
  it('previews per row (added, skipped, error), then confirm applies exactly the preview', async () => {
    const existing = await s.user('already@example.com');
    const ann = await s.user('ann@example.com');
    const bob = await s.user('bob@example.com');
    const late = await s.user('late@example.com');
    const customer = await s.user('client@example.com', { audience: 'customer' });
    const g = expectStatus(await s.admin.post('/groups', { name: 'Imported team' }), 201).body.id;
    expectStatus(await s.admin.post(`/groups/${g}/members`, { userId: existing }), 201);

    const csv = [
      'email,role',
      'ann@example.com,member',
      'BOB@example.com,manager',
      'already@example.com,member',
      'nobody@example.com,member',
      'ann@example.com,manager',
      'bob@example.com,owner',
      'not-an-email,member',
      'client@example.com,member',
      'a@example.com,member,extra',
    ].join('\n');
    const preview = expectStatus(await s.admin.post(`/groups/${g}/members/import`).set('Content-Type', 'text/csv').send(csv), 201);
    expect(preview.body.status).toBe('previewed');
    expect(preview.body.summary).toEqual({ added: 2, skipped: 3, error: 4 });
    const outcomes = preview.body.rows.map((r: { line: number; outcome: string; reason?: string }) => [r.line, r.outcome, r.reason ?? '']);
    expect(outcomes).toEqual([
      [2, 'added', ''],
      [3, 'added', ''],
      [4, 'skipped', 'already a member'],
      [5, 'skipped', 'unknown e-mail'],
      [6, 'skipped', 'duplicate of line 2'],
      [7, 'error', 'invalid role "owner" (member or manager)'],
      [8, 'error', 'malformed e-mail address'],
      [9, 'error', 'a customer: this group holds internal users only'],
      [10, 'error', 'malformed line: expected 2 fields, found 3'],
    ]);
    // Nothing changed yet.
    expect(expectStatus(await s.admin.get(`/groups/${g}`), 200).body.memberCount).toBe(1);

    // A user who becomes known after the preview is not added: confirm applies the preview, not a re-run.
    await s.runtime.deps.models.User.updateOne({ _id: late }, { $set: { 'lc.emails': ['late@example.com', 'nobody@example.com'] } });

    const confirmed = expectStatus(await s.admin.post(`/groups/${g}/members/import/${preview.body.id}/confirm`), 200);
    expect(confirmed.body.status).toBe('applied');
    const members = expectStatus(await s.admin.get(`/groups/${g}/members`), 200).body.items as { userId: string; role: string; sources: string[] }[];
    const byId = new Map(members.map((m) => [m.userId, m]));
    expect([...byId.keys()].sort()).toEqual([existing, ann, bob].sort());
    expect(byId.get(ann)).toMatchObject({ role: 'member', sources: ['import'] });
    expect(byId.get(bob)).toMatchObject({ role: 'manager', sources: ['import'] });
    expect(byId.has(customer)).toBe(false);

    const again = await s.admin.post(`/groups/${g}/members/import/${preview.body.id}/confirm`);
    expectError(again, 409, 'IMPORT_ALREADY_APPLIED');
    expect(expectStatus(await s.admin.get(`/groups/${g}/members/import/${preview.body.id}`), 200).body.status).toBe('applied');
  });

  it('confirming a stale preview re-checks each row and reports (and audits) what really happened', async () => {
    const carol = await s.user('carol.stale@example.com');
    const dan = await s.user('dan.stale@example.com');
    const eve = await s.user('eve.stale@example.com');
    const g = expectStatus(await s.admin.post('/groups', { name: 'Stale preview' }), 201).body.id;
    const preview = expectStatus(
      await s.admin.post(`/groups/${g}/members/import`, { csv: 'email,role\ncarol.stale@example.com,manager\ndan.stale@example.com,member\neve.stale@example.com,member' }),
      201,
    );
    expect(preview.body.summary).toEqual({ added: 3, skipped: 0, error: 0 });
    // Meanwhile: Carol is added by hand as a member, Dan is deleted by the IdP.
    expectStatus(await s.admin.post(`/groups/${g}/members`, { userId: carol, role: 'member' }), 201);
    expect((await s.scim.delete(`/Users/${dan}`)).status).toBe(204);

    const confirmed = expectStatus(await s.admin.post(`/groups/${g}/members/import/${preview.body.id}/confirm`), 200);
    expect(confirmed.body.summary).toEqual({ added: 1, skipped: 2, error: 0 });
    expect(confirmed.body.rows.map((r: { email: string; outcome: string; reason?: string }) => [r.email, r.outcome, r.reason ?? ''])).toEqual([
      ['carol.stale@example.com', 'skipped', 'already a member (since the preview)'],
      ['dan.stale@example.com', 'skipped', 'the user no longer exists'],
      ['eve.stale@example.com', 'added', ''],
    ]);
    const members = expectStatus(await s.admin.get(`/groups/${g}/members`), 200).body.items as { userId: string; role: string; sources: string[] }[];
    expect(members.map((m) => [m.userId, m.role, m.sources]).sort()).toEqual(
      [
        [carol, 'member', ['manual']],
        [eve, 'member', ['import']],
      ].sort(),
    );
    const audit = expectStatus(await s.admin.get(`/audit?action=group.members.imported&objectId=${g}`), 200).body.items;
    expect(audit[0].after).toMatchObject({ added: [{ userId: eve, role: 'member' }], skippedAtConfirm: 2 });
    // The stored import says the same.
    expect(expectStatus(await s.admin.get(`/groups/${g}/members/import/${preview.body.id}`), 200).body.summary).toEqual({ added: 1, skipped: 2, error: 0 });
  });

  it('accepts the CSV as JSON {csv} too', async () => {
    await s.user('json.csv@example.com');
    const g = expectStatus(await s.admin.post('/groups', { name: 'JSON import' }), 201).body.id;
    const preview = expectStatus(await s.admin.post(`/groups/${g}/members/import`, { csv: 'email\njson.csv@example.com' }), 201);
    expect(preview.body.rows).toEqual([expect.objectContaining({ outcome: 'added', role: 'member' })]);
  });

  it('refuses more than 1,000 rows', async () => {
    const g = expectStatus(await s.admin.post('/groups', { name: 'Too big' }), 201).body.id;
    const rows = Array.from({ length: 1001 }, (_, i) => `user${i}@example.com,member`);
    const res = await s.admin
      .post(`/groups/${g}/members/import`)
      .set('Content-Type', 'text/csv')
      .send(['email,role', ...rows].join('\n'));
    expectError(res, 400, 'IMPORT_TOO_MANY_ROWS');
    const ok = await s.admin
      .post(`/groups/${g}/members/import`)
      .set('Content-Type', 'text/csv')
      .send(['email,role', ...rows.slice(0, 1000)].join('\n'));
    expect(expectStatus(ok, 201).body.summary).toEqual({ added: 0, skipped: 1000, error: 0 });
  });

  it('an import into a dynamic group is refused', async () => {
    const g = expectStatus(await s.admin.post('/groups', { name: 'Dynamic import', kind: 'dynamic' }), 201).body.id;
    expectError(await s.admin.post(`/groups/${g}/members/import`).set('Content-Type', 'text/csv').send('email,role\na@example.com,member'), 409, 'GROUP_DYNAMIC_MEMBERS');
  });

  it('a member who does not manage the group cannot import into it', async () => {
    const plain = await s.user('plain.importer@example.com');
    const g = expectStatus(await s.admin.post('/groups', { name: 'Guarded import' }), 201).body.id;
    expectStatus(await s.admin.post(`/groups/${g}/members`, { userId: plain }), 201);
    expectError(await s.as(plain, 'member').post(`/groups/${g}/members/import`).set('Content-Type', 'text/csv').send('email,role\nx@example.com,member'), 403, 'FORBIDDEN');
  });
});
