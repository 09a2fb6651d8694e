import type { SyncStack } from '../workers/sync-fixtures';

/** What the breaker must keep: whether each user is in the rule's target group and may edit a Ticket (a role on that group). */
export interface MappedAccess {
  mapped: boolean;
  edit: boolean;
}

/** Each user's membership of `team` (the rule's target group) and the access the admin API's /authorize answers for it. */
export async function mappedAccessOf(s: SyncStack, team: string, users: string[]): Promise<Record<string, MappedAccess>> {
  const teamMembers = await s.membersOf(team);
  const out: Record<string, MappedAccess> = {};
  for (const id of users) {
    const auth = await s.admin.post('/authorize', { userId: id, action: 'edit', target: 'Ticket' });
    expect(auth.status).toBe(200);
    out[id] = { mapped: teamMembers.has(id), edit: auth.body.allowed === true };
  }
  return out;
}

/** The expectation that every one of `users` has `access`. */
export const allWith = (users: string[], access: MappedAccess): Record<string, MappedAccess> => Object.fromEntries(users.map((id) => [id, access]));
