import { randomUUID } from 'node:crypto';
import type { GroupDoc, MembershipDoc, Models, UserDoc } from '../src/persistence/models';
import type { SchemaRegistry } from '../src/attributes/registry';
import { newId } from '../src/persistence/ids';
import { membershipId } from '../src/persistence/memberships-repository';

/**
 * Test data written straight to the collections, in the shapes the SCIM services store (the
 * registry validates each body and derives the lower-cased shadows, as UsersService.create does):
 * going through HTTP would make seeding 100,000 memberships take far longer than the benchmark.
 */
export type Progress = (message: string) => void;

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const INSERT_CHUNK = 1000;
const MEMBERSHIP_CHUNK = 5000;

/** The user a provisioning client creates (Entra's POST /Users body, with an enterprise extension). */
export function userBody(userName: string): Record<string, unknown> {
  return {
    schemas: [CORE_USER, ENTERPRISE_USER],
    externalId: randomUUID(),
    userName,
    active: true,
    displayName: `Bench ${userName}`,
    emails: [{ primary: true, type: 'work', value: userName }],
    name: { formatted: `Bench ${userName}`, familyName: 'Bench', givenName: userName.split('@')[0] },
    [ENTERPRISE_USER]: { department: 'Engineering', employeeNumber: userName.replace(/\D/g, '') || '0' },
  };
}

export function groupBody(displayName: string): Record<string, unknown> {
  return { schemas: [CORE_GROUP], externalId: randomUUID(), displayName };
}

export const seededUserName = (i: number) => `seed.user.${i}@bench.example.com`;

/** A user document as a SCIM create stores it (validated attributes and their lower-case shadows), from a SCIM body. */
export function userDocOf(registry: SchemaRegistry, tenantId: string, body: Record<string, unknown>, now: Date): UserDoc {
  const valid = registry.validateResource('User', body, { mode: 'create' });
  return {
    _id: newId('usr'),
    tenantId,
    attrs: valid.attrs,
    lc: registry.shadows('User', valid.attrs) as UserDoc['lc'],
    version: 1,
    sync: { version: 1 },
    createdAt: now,
    updatedAt: now,
  };
}

/** Inserts `count` users; returns their ids in order (user i has userName seededUserName(i)). */
export async function seedUsers(models: Models, registry: SchemaRegistry, tenantId: string, count: number, progress: Progress): Promise<string[]> {
  const ids: string[] = [];
  const now = new Date();
  for (let start = 0; start < count; start += INSERT_CHUNK) {
    const docs: UserDoc[] = [];
    for (let i = start; i < Math.min(count, start + INSERT_CHUNK); i++) docs.push(userDocOf(registry, tenantId, userBody(seededUserName(i)), now));
    await models.User.collection.insertMany(docs as never[], { ordered: false });
    ids.push(...docs.map((d) => d._id));
    progress(`users ${ids.length}/${count}`);
  }
  return ids;
}

/** An IdP (origin 'scim') group without members. */
export async function seedGroup(models: Models, registry: SchemaRegistry, tenantId: string, displayName: string): Promise<string> {
  const valid = registry.validateResource('Group', groupBody(displayName), { mode: 'create' });
  const now = new Date();
  const doc: GroupDoc = {
    _id: newId('grp'),
    tenantId,
    origin: 'scim',
    attrs: valid.attrs,
    lc: registry.shadows('Group', valid.attrs) as GroupDoc['lc'],
    version: 1,
    sync: { version: 1 },
    createdAt: now,
    updatedAt: now,
  };
  await models.Group.collection.insertOne(doc as never);
  return doc._id;
}

/**
 * Adds `count` SCIM-sourced memberships to a group: the given user ids first, then synthetic ids
 * when there are more members than users (the group GET without members never reads the users).
 * Plain inserts of the documents MembershipsRepository.addSource would write: seeding is not
 * what is measured.
 */
export async function seedMemberships(models: Models, tenantId: string, groupId: string, userIds: readonly string[], count: number, progress: Progress): Promise<void> {
  const now = new Date();
  const started = Date.now();
  for (let start = 0; start < count; start += MEMBERSHIP_CHUNK) {
    const docs: MembershipDoc[] = [];
    for (let i = start; i < Math.min(count, start + MEMBERSHIP_CHUNK); i++) {
      const userId = userIds[i] ?? `usr_synthetic${String(i).padStart(9, '0')}`;
      docs.push({ _id: membershipId(groupId, userId), tenantId, groupId, userId, role: 'member', sources: ['scim'], createdAt: now, updatedAt: now });
    }
    await models.Membership.collection.insertMany(docs as never[], { ordered: false });
    const done = Math.min(count, start + MEMBERSHIP_CHUNK);
    const rate = done / Math.max(0.001, (Date.now() - started) / 1000);
    const left = (count - done) / rate;
    progress(`memberships ${done}/${count} (${Math.round(rate)}/s${done < count ? `, ~${Math.ceil(left)} s left` : ''})`);
  }
}
