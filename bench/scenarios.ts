import type { BenchOptions } from './options';
import type { RequestSpec } from './load';
import { seededUserName, userBody } from './seed';

/**
 * The issue's scenarios. Each has a SCIM request and the baseline request that ends in the same
 * database operation; both are run with the same load (concurrency, operation and time bounds).
 */
export interface Scenario {
  name: string;
  /** One line for the table legend. */
  description: string;
  /** The 25%-overhead target applies to single-resource requests only. */
  singleResource: boolean;
  concurrency: number;
  maxOps: number;
  maxDurationMs: number;
  warmupOps: number;
  scim: (i: number) => RequestSpec;
  baseline: (i: number) => RequestSpec;
  /** Untimed, after each request (see LoadPlan.reset). */
  scimReset?: (i: number) => Promise<void>;
  baselineReset?: (i: number) => Promise<void>;
  /** Checks one SCIM response body before measuring, so the numbers are for the right answers. */
  verify?: (body: unknown) => string | undefined;
}

export interface BenchData {
  token: string;
  userCount: number;
  userIds: readonly string[];
  smallGroupId: string;
  largeGroupId: string;
  /** Empty SCIM groups, one per PATCH (warm-up included). */
  patchGroupIds: readonly string[];
  runId: string;
  /** Deletes a group's memberships (the untimed reset after each PATCH). */
  deleteMemberships: (groupId: string) => Promise<void>;
}

export const SMALL_GROUP_SIZE = 10;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Scenario names, in the order the issue lists them (the order results are reported in). */
export const SCENARIO_ORDER = ['create-user', 'get-user-by-userName-filter', 'list-100-users', 'get-group-10-members', 'get-group-large-excluded-members', 'patch-group-add-members'] as const;

export function buildScenarios(opts: BenchOptions, data: BenchData): Scenario[] {
  const durationMs = opts.durationSeconds * 1000;
  const scimHeaders = { authorization: `Bearer ${data.token}`, 'content-type': 'application/scim+json', accept: 'application/scim+json' };
  const jsonHeaders = { 'content-type': 'application/json' };
  const scimGet = (path: string): RequestSpec => ({ method: 'GET', path: `/scim/v2${path}`, headers: scimHeaders, expectStatus: 200 });
  const baseGet = (path: string): RequestSpec => ({ method: 'GET', path, expectStatus: 200 });
  // A different seeded user per request, spread over the whole collection (a fixed stride, not random: repeatable).
  const pick = (i: number) => seededUserName((i * 7919) % data.userCount);

  const patchBody = JSON.stringify({
    schemas: [PATCH_OP],
    Operations: [{ op: 'add', path: 'members', value: data.userIds.slice(0, opts.patchMembers).map((value) => ({ value })) }],
  });

  const patchGroup = (i: number) => {
    const id = data.patchGroupIds[i];
    if (id === undefined) throw new Error(`no seeded group for PATCH ${i}`);
    return id;
  };
  const baselineGroup = (i: number) => `grp_base${data.runId}_${i}`;

  const groupGet = (groupId: string, size: number): Pick<Scenario, 'scim' | 'baseline' | 'verify'> => ({
    scim: () => scimGet(`/Groups/${encodeURIComponent(groupId)}?excludedAttributes=members`),
    baseline: () => baseGet(`/groups/${encodeURIComponent(groupId)}`),
    verify: (body) => (isObject(body) && body.id === groupId && !('members' in body) ? undefined : `expected group ${groupId} (${size} members) without members`),
  });

  return [
    {
      name: 'create-user',
      description: 'POST /Users (Entra-style body with the enterprise extension); baseline: insertOne',
      singleResource: true,
      concurrency: opts.connections,
      maxOps: UNBOUNDED,
      maxDurationMs: durationMs,
      warmupOps: 50,
      scim: (i) => ({ method: 'POST', path: '/scim/v2/Users', headers: scimHeaders, body: JSON.stringify(userBody(`scim.${data.runId}.${i}@bench.example.com`)), expectStatus: 201 }),
      baseline: (i) => ({ method: 'POST', path: '/users', headers: jsonHeaders, body: JSON.stringify(userBody(`base.${data.runId}.${i}@bench.example.com`)), expectStatus: 201 }),
      verify: (body) => (isObject(body) && typeof body.id === 'string' ? undefined : 'expected the created user'),
    },
    {
      name: 'get-user-by-userName-filter',
      description: `GET /Users?filter=userName eq "…" among ${data.userCount} users; baseline: findOne {tenantId, lc.userName}`,
      singleResource: true,
      concurrency: opts.connections,
      maxOps: UNBOUNDED,
      maxDurationMs: durationMs,
      warmupOps: 20,
      scim: (i) => scimGet(`/Users?filter=${encodeURIComponent(`userName eq "${pick(i)}"`)}`),
      baseline: (i) => baseGet(`/users?userName=${encodeURIComponent(pick(i))}`),
      verify: (body) => (isObject(body) && body.totalResults === 1 ? undefined : 'expected totalResults 1'),
    },
    {
      name: 'list-100-users',
      description: `GET /Users?count=100 (default attributes, groups included); baseline: find({tenantId}).limit(100)`,
      singleResource: false,
      concurrency: opts.connections,
      maxOps: UNBOUNDED,
      maxDurationMs: durationMs,
      warmupOps: 10,
      scim: () => scimGet('/Users?startIndex=1&count=100'),
      baseline: () => baseGet('/users?count=100'),
      verify: (body) => {
        const expected = Math.min(100, data.userCount);
        return isObject(body) && Array.isArray(body.Resources) && body.Resources.length === expected ? undefined : `expected ${expected} Resources`;
      },
    },
    {
      name: 'get-group-10-members',
      description: `GET /Groups/{id}?excludedAttributes=members, ${SMALL_GROUP_SIZE} members; baseline: findOne group by _id`,
      singleResource: true,
      concurrency: opts.connections,
      maxOps: UNBOUNDED,
      maxDurationMs: durationMs,
      warmupOps: 50,
      ...groupGet(data.smallGroupId, SMALL_GROUP_SIZE),
    },
    {
      name: 'get-group-large-excluded-members',
      description: `GET /Groups/{id}?excludedAttributes=members, ${opts.groupSize} members; baseline: findOne group by _id`,
      singleResource: true,
      concurrency: opts.connections,
      maxOps: UNBOUNDED,
      maxDurationMs: durationMs,
      warmupOps: 50,
      ...groupGet(data.largeGroupId, opts.groupSize),
    },
    {
      name: 'patch-group-add-members',
      description: `PATCH /Groups/{id} adding ${opts.patchMembers} members to an empty group, one at a time, memberships deleted (untimed) after each; baseline: MembershipsRepository.addSource of the ${opts.patchMembers} ids`,
      singleResource: false,
      // One PATCH at a time, as an IdP sends them for one group; each goes to a fresh empty group.
      concurrency: 1,
      maxOps: opts.patchOps,
      // Bounded by count first: a time bound of a few seconds would leave one or two samples.
      maxDurationMs: Math.max(durationMs, 120_000),
      warmupOps: 1,
      scim: (i) => ({ method: 'PATCH', path: `/scim/v2/Groups/${encodeURIComponent(patchGroup(i))}`, headers: scimHeaders, body: patchBody, expectStatus: 204 }),
      baseline: (i) => ({ method: 'PATCH', path: `/groups/${baselineGroup(i)}`, headers: jsonHeaders, body: patchBody, expectStatus: 204 }),
      // Every PATCH starts from the same memberships collection (no run measures a bigger one).
      scimReset: (i) => data.deleteMemberships(patchGroup(i)),
      baselineReset: (i) => data.deleteMemberships(baselineGroup(i)),
    },
  ];
}
