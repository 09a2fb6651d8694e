import { z } from 'zod';
import { timestamp } from './schema-kit';

/**
 * The admin API's named schemas (components.schemas of the document): what the migrated
 * operations answer. Strict objects: an answer carrying a field the document does not declare
 * fails the response check (src/admin/contract/response-check.ts) in the test suite.
 */
const obj = z.strictObject;
const str = (description?: string) => (description ? z.string().describe(description) : z.string());
const LEVELS = ['hide', 'view', 'use', 'edit', 'create', 'delete'] as const;
export const AUDIENCES = ['user', 'customer'] as const;
export const MEMBER_ROLES = ['member', 'manager'] as const;
export const RESOURCE_TYPES = ['agent', 'data source', 'project'] as const;
export const levelEnum = z.enum(LEVELS);

export const ErrorSchema = obj({
  error: z.looseObject({ code: str('Stable UPPER_SNAKE identifier'), message: z.string(), details: z.looseObject({}).optional() }),
}).meta({ id: 'Error' });

export const GroupSchema = obj({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  origin: z.enum(['internal', 'scim']).describe("'scim' groups are the IdP's and read-only here"),
  audience: z.enum(AUDIENCES),
  kind: z.enum(['static', 'dynamic']),
  status: z.enum(['active', 'archived']),
  default: z.boolean().describe('A default group: not renamed, changed, archived or deleted'),
  system: z.string().nullable().describe('Key of a default group'),
  automatic: z.enum(['allInternal', 'allCustomers']).nullable().describe('Contains every active internal user / customer'),
  parentId: z.string().nullable(),
  ownerId: z.string().nullable(),
  rule: obj({ expression: z.string().optional(), ruleId: z.string().optional() }).nullable().optional().describe('Dynamic groups only'),
  readOnly: z.boolean(),
  memberCount: z.number().int().optional(),
  createdAt: timestamp(),
  updatedAt: timestamp(),
}).meta({ id: 'Group' });

// Open (not strict): answers that carry a user summary may add their own fields beside it
// (POST /users/{id}/link adds `linked`).
export const UserSummarySchema = z
  .looseObject({
    id: z.string(),
    userName: z.string(),
    displayName: z.string().optional(),
    emails: z.array(z.string()),
    audience: z.enum(AUDIENCES),
    active: z.boolean(),
  })
  .meta({ id: 'UserSummary' });

const memberShape = {
  userId: z.string(),
  role: z.enum(MEMBER_ROLES),
  sources: z.array(str("Who holds the membership: 'scim', 'manual', 'import', 'owner', 'rule:<id>', 'dynamic', 'automatic'")),
  user: UserSummarySchema.nullable().optional(),
};
export const MemberSchema = obj(memberShape).meta({ id: 'Member' });
export const MemberRemovalSchema = obj({ ...memberShape, removedSources: z.array(z.string()), membershipEnded: z.boolean() }).describe(
  'The Member as it stands now (sources [] once the membership ended), and what was removed',
);

export const MemberImportSchema = obj({
  id: z.string(),
  groupId: z.string(),
  status: z.enum(['previewed', 'applied']),
  summary: obj({ added: z.number().int(), skipped: z.number().int(), error: z.number().int() }),
  rows: z.array(
    obj({
      line: z.number().int(),
      email: z.string(),
      role: z.string().optional(),
      outcome: z.enum(['added', 'skipped', 'error']),
      reason: z.string().optional(),
      userId: z.string().optional(),
    }),
  ),
  createdAt: timestamp().optional(),
  appliedAt: timestamp().optional(),
}).meta({ id: 'MemberImport' });

export const InvitationSchema = obj({
  id: z.string(),
  email: z.string(),
  groupIds: z.array(z.string()),
  role: z.enum(MEMBER_ROLES).optional(),
  status: z.enum(['pending', 'accepted', 'revoked']),
  invitedBy: z.string().optional(),
  userId: z.string().nullable().optional(),
  result: z
    .array(obj({ groupId: z.string(), outcome: z.enum(['added', 'skipped']), role: z.enum(MEMBER_ROLES).optional(), reason: z.string().optional() }))
    .nullable()
    .optional(),
  createdAt: timestamp().optional(),
  acceptedAt: timestamp().nullable().optional(),
  revokedAt: timestamp().nullable().optional(),
}).meta({ id: 'Invitation' });

export const AdministratorSchema = obj({ userId: z.string(), user: UserSummarySchema.nullable().optional(), createdAt: timestamp().optional() }).meta({ id: 'Administrator' });

export const ProjectSchema = z
  .looseObject({ id: z.string(), type: z.enum(['project']).optional(), name: z.string(), level: str("The group's level on the project (edit)").optional() })
  .meta({ id: 'Project' });

export const AuditEventSchema = z
  .looseObject({
    id: z.string(),
    at: timestamp(),
    actor: z.looseObject({
      type: z.enum(['scim-token', 'admin', 'user', 'rule', 'system', 'cli']).describe('admin: an admin-API caller the access policy holds a tenant admin; user: any other admin-API caller'),
      id: z.string(),
      as: z.enum(['customer-admin', 'group-administrator', 'manager', 'member']).optional().describe('For a user: the grounds the access policy let them act on'),
    }),
    action: str('e.g. group.created, group.member.added, user.created'),
    object: z.looseObject({ type: z.string(), id: z.string() }),
    before: z.unknown().optional(),
    after: z.unknown().optional(),
    requestId: z.string().nullable().optional(),
    names: z
      .looseObject({
        actor: str("The actor's name: a SCIM token's label, a rule's name, a user's name").optional(),
        object: str("The object's name (a user's or a group's)").optional(),
        user: str('The name of the user a membership event names (after/before.userId)').optional(),
      })
      .optional()
      .describe('Names for the ids, where they still exist (the ids stay authoritative)'),
  })
  .meta({ id: 'AuditEvent' });

export const RoleSchema = z
  .looseObject({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable().optional(),
    privileges: z.array(z.looseObject({ target: z.string(), level: levelEnum, implies: z.array(z.string()).optional() })),
    default: z.boolean().optional(),
    system: z.string().nullable().optional(),
    audience: z.enum(AUDIENCES).optional().describe('customer: a role for customers, which customer admins create, change and assign to customer groups'),
  })
  .meta({ id: 'Role' });

export const AuthorizeDecisionSchema = z
  .looseObject({
    allowed: z.boolean(),
    decision: z.enum(['allow', 'deny']),
    userId: z.string().optional(),
    action: z.string().optional(),
    target: z.string().optional(),
    resource: z.looseObject({ id: z.string().optional(), type: z.string().optional(), name: z.string().optional() }).optional(),
    level: str('The highest level the user holds (hide when none)').optional(),
    reason: z.looseObject({ code: str('ADMIN, GROUP_ROLE, INHERITED_GROUP_ROLE, GROUP_RESOURCE, NO_GRANT, …'), message: z.string(), source: z.looseObject({}).optional() }),
  })
  .meta({ id: 'AuthorizeDecision' });

export const ResourceSchema = z
  .looseObject({
    id: z.string(),
    type: z.enum(RESOURCE_TYPES),
    name: z.string(),
    createdBy: z.string().nullable().optional(),
    groups: z.array(z.looseObject({ groupId: z.string(), level: z.string() })).optional(),
    createdAt: timestamp().optional(),
    updatedAt: timestamp().optional(),
  })
  .meta({ id: 'Resource' });

export const PermissionsSchema = z.looseObject({}).describe('Effective permissions: per target and per resource the best level with every source (group, role)').meta({ id: 'Permissions' });
export const CatalogSchema = z.looseObject({}).describe('Targets, levels (hide < view < use < edit < create < delete; only data sources offer use) and dependencies').meta({ id: 'Catalog' });

export const ScimTokenSchema = obj({
  tokenId: z.string(),
  hint: str('The first characters, to tell tokens apart'),
  label: z.string().nullable(),
  createdAt: timestamp(),
  revokedAt: timestamp().nullable(),
  expiresAt: timestamp().nullable().describe('A token rotated with a grace period works until then'),
  lastRequest: obj({
    at: timestamp(),
    method: z.string(),
    path: str('Under the SCIM base URL, without the query'),
    status: z.number().int(),
    userAgent: z.string().optional(),
  })
    .nullable()
    .describe('The newest request made with the token (written at most every few seconds per process, at once when the outcome turns from success to failure or back)'),
}).meta({ id: 'ScimToken' });
export const ScimTokenWithSecretSchema = obj({ ...ScimTokenSchema.shape, token: str('The bearer token: shown in this answer only') });

export const SessionSchema = obj({
  tenantId: z.string(),
  tenantName: z.string().nullable().optional(),
  subject: str("The token's sub, or the console session's id (csn_…)"),
  kind: z.enum(['user', 'operator']),
  role: z.string(),
  via: z.enum(['bearer', 'console-session']),
  expiresAt: timestamp().optional().describe('Console sessions only'),
  csrfToken: str('Console sessions only: send as X-CSRF-Token on POST, PATCH and DELETE').optional(),
}).meta({ id: 'Session' });

/** Named schemas every document carries (the hand-written fragments of routes not yet migrated refer to them). */
export const SHARED_SCHEMAS: readonly z.ZodType[] = [ErrorSchema, AuditEventSchema, UserSummarySchema, GroupSchema];
