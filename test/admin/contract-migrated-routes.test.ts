import { startAdminStack, type AdminStack } from './admin-fixtures';

/**
 * Webhooks, events and deprovisioning read their requests with the operation registry's schemas
 * (src/admin/contract): the answers to a bad request keep the codes of the hand readers they replaced,
 * name the field, list the allowed values and suggest the closest one; JSON null is refused; and
 * what the document states as a pattern (blank required text, catalogue targets) is what is refused.
 */

let s: AdminStack;
beforeAll(async () => {
  s = await startAdminStack();
});
afterAll(() => s.close());

const errorOf = (res: { status: number; body: { error?: { code: string; message: string; details?: { field?: string } } } }) => ({
  status: res.status,
  code: res.body.error?.code,
  field: res.body.error?.details?.field,
  message: res.body.error?.message,
});

describe('GET /events', () => {
  it('names an unknown event type with a did-you-mean and the known types (INVALID_EVENT_TYPE)', async () => {
    const e = errorOf(await s.admin.get('/events?types=user.created,user.create'));
    expect(e).toMatchObject({ status: 400, code: 'INVALID_EVENT_TYPE', field: 'types' });
    expect(e.message).toContain('Unknown event type user.create (did you mean "user.created"?); known: user.created, user.updated');
  });

  it('takes blanks around types and empty items, as before', async () => {
    expect((await s.admin.get(`/events?types=${encodeURIComponent(' user.created , ,group.created')}`)).status).toBe(200);
    expect((await s.admin.get('/events?types=')).status).toBe(200);
  });

  it('refuses a limit out of range with its range (INVALID_PARAMETER)', async () => {
    expect(errorOf(await s.admin.get('/events?limit=1001'))).toMatchObject({
      status: 400,
      code: 'INVALID_PARAMETER',
      field: 'limit',
      message: '"limit" must be at most 1000 (a whole number from 1 to 1000)',
    });
  });
});

describe('webhooks', () => {
  it('POST /webhooks: a JSON null body, an unknown field with a did-you-mean, an unknown event type, a URL with credentials', async () => {
    const nul = await s.http.post('/admin/v1/webhooks').set('Authorization', s.adminAuth).set('Content-Type', 'application/json').send('null');
    expect(errorOf(nul)).toMatchObject({ status: 400, code: 'INVALID_PARAMETER', field: 'body' });
    const typo = errorOf(await s.admin.post('/webhooks', { url: 'https://hooks.example.com/x', enabeld: true }));
    expect(typo).toMatchObject({ status: 400, field: 'enabeld' });
    expect(typo.message).toBe('Unknown field "enabeld" (did you mean "enabled"?); allowed: url, types, enabled');
    const type = errorOf(await s.admin.post('/webhooks', { url: 'https://hooks.example.com/x', types: ['user.exploded'] }));
    expect(type).toMatchObject({ status: 400, field: 'types.0' });
    expect(type.message).toContain('"types.0" must be one of user.created, user.updated');
    expect(errorOf(await s.admin.post('/webhooks', { url: 'https://me:secret@hooks.example.com/x' }))).toMatchObject({ status: 400, code: 'WEBHOOK_URL_INVALID', field: 'url' });
  });

  it('POST /webhooks/{id}/rotate-secret states the overlap range; redeliver refuses after with eventId', async () => {
    const rotate = errorOf(await s.admin.post('/webhooks/whe_none/rotate-secret', { overlapHours: 721 }));
    expect(rotate).toMatchObject({ status: 400, field: 'overlapHours', message: '"overlapHours" must be at most 720 (a whole number from 0 to 720)' });
    const both = errorOf(await s.admin.post('/webhooks/whe_none/redeliver', { after: 'djEuMA', eventId: 'evt_1' }));
    expect(both).toMatchObject({ status: 400, field: 'eventId', message: 'Give "after" (everything since) or "eventId" (one event), not both' });
  });
});

describe('deprovisioning', () => {
  it('PATCH /deprovisioning/settings: ranges, a typo with a did-you-mean, a domain name, JSON null', async () => {
    expect(errorOf(await s.admin.patch('/deprovisioning/settings', { breaker: { windowMinutes: 0 } }))).toMatchObject({
      status: 400,
      field: 'breaker.windowMinutes',
      message: '"breaker.windowMinutes" must be at least 1 (a whole number from 1 to 10080)',
    });
    const typo = errorOf(await s.admin.patch('/deprovisioning/settings', { lifecycle: { purgeAfterDay: 3 } }));
    expect(typo.message).toBe('Unknown field "purgeAfterDay" (did you mean "purgeAfterDays"?); allowed: inactiveUsers, purgeAfterDays');
    expect(errorOf(await s.admin.patch('/deprovisioning/settings', { allowedEmailDomains: ['example.com', ' '] }))).toMatchObject({
      status: 400,
      field: 'allowedEmailDomains.1',
      message: '"allowedEmailDomains.1" is not a domain name',
    });
    expect(errorOf(await s.admin.patch('/deprovisioning/settings', { exemptUserIds: null }))).toMatchObject({ status: 400, message: '"exemptUserIds" must be an array, not null' });
  });

  it('keeps allowed domains trimmed, in lower case and once', async () => {
    const res = await s.admin.patch('/deprovisioning/settings', { allowedEmailDomains: [' Example.COM ', 'example.com'] });
    expect(res.status).toBe(200);
    expect(res.body.allowedEmailDomains).toEqual(['example.com']);
    expect((await s.admin.patch('/deprovisioning/settings', { allowedEmailDomains: [] })).status).toBe(200);
  });

  it('POST /deprovisioning/held/allow: an empty list says to leave it out', async () => {
    expect(errorOf(await s.admin.post('/deprovisioning/held/allow', { userIds: [] }))).toMatchObject({
      status: 400,
      field: 'userIds',
      message: '"userIds" names no user; leave it out to decide on every held change',
    });
  });
});

describe('what the document states as a pattern is what is refused', () => {
  it('required text that is blank once trimmed, Unicode blanks included', async () => {
    expect(errorOf(await s.admin.post('/resources', { type: 'agent', name: ' \u00a0\u3000 ' }))).toMatchObject({ status: 400, field: 'name', message: '"name" must not be empty' });
  });

  it('a catalogue target in any case is taken; an unknown one is named with a did-you-mean (PERMISSION_TARGET_UNKNOWN)', async () => {
    const unknown = errorOf(await s.admin.post('/authorize', { userId: 'usr_none', action: 'view', target: 'Tickt' }));
    expect(unknown).toMatchObject({ status: 400, code: 'PERMISSION_TARGET_UNKNOWN', field: 'target' });
    expect(unknown.message).toContain('"target" is not a target of the permission catalogue (did you mean "Ticket"?); targets: Ticket, Issue');
    expect((await s.admin.post('/roles', { name: 'Ticket readers', privileges: [{ target: ' ticket ', level: 'view' }] })).status).toBe(201);
  });
});
