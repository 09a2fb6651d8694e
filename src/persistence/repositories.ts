import type { Models } from './models';
import { AttributeValuesRepository } from './attribute-values-repository';
import { AuditEventsRepository } from './audit-events-repository';
import { ChangeEventsRepository } from './change-events-repository';
import { ConsoleSessionsRepository } from './console-sessions-repository';
import { GroupAdministratorsRepository } from './group-administrators-repository';
import { GroupsRepository } from './groups-repository';
import { InvitationsRepository } from './invitations-repository';
import { MemberImportsRepository } from './member-imports-repository';
import { MembershipsRepository } from './memberships-repository';
import { PendingChangesRepository } from './pending-changes-repository';
import { ProvisioningLogRepository } from './provisioning-log-repository';
import { ResourceGrantsRepository } from './resource-grants-repository';
import { ResourcesRepository } from './resources-repository';
import { RoleAssignmentsRepository } from './role-assignments-repository';
import { RolesRepository } from './roles-repository';
import { RulesRepository } from './rules-repository';
import { ScimTokensRepository } from './scim-tokens-repository';
import { TenantsRepository } from './tenants-repository';
import { UsersRepository } from './users-repository';
import { WebhooksRepository } from './webhooks-repository';

/** One repository per collection, each owning that collection's queries. */
export interface Repositories {
  attributeValues: AttributeValuesRepository;
  auditEvents: AuditEventsRepository;
  changeEvents: ChangeEventsRepository;
  consoleSessions: ConsoleSessionsRepository;
  groupAdministrators: GroupAdministratorsRepository;
  groups: GroupsRepository;
  invitations: InvitationsRepository;
  memberImports: MemberImportsRepository;
  memberships: MembershipsRepository;
  pendingChanges: PendingChangesRepository;
  provisioningLog: ProvisioningLogRepository;
  resourceGrants: ResourceGrantsRepository;
  resources: ResourcesRepository;
  roleAssignments: RoleAssignmentsRepository;
  roles: RolesRepository;
  rules: RulesRepository;
  scimTokens: ScimTokensRepository;
  tenants: TenantsRepository;
  users: UsersRepository;
  webhooks: WebhooksRepository;
}

// Repositories hold no state but the models, so one set per connection's models is enough; the
// domain keeps receiving the models handle it already has and asks for repositories with it.
const byModels = new WeakMap<Models, Repositories>();

/** The repositories over these models (the same object for the same models). */
export function repositoriesOf(models: Models): Repositories {
  let repos = byModels.get(models);
  if (!repos) {
    repos = {
      attributeValues: new AttributeValuesRepository(models),
      auditEvents: new AuditEventsRepository(models),
      changeEvents: new ChangeEventsRepository(models),
      consoleSessions: new ConsoleSessionsRepository(models),
      groupAdministrators: new GroupAdministratorsRepository(models),
      groups: new GroupsRepository(models),
      invitations: new InvitationsRepository(models),
      memberImports: new MemberImportsRepository(models),
      memberships: new MembershipsRepository(models),
      pendingChanges: new PendingChangesRepository(models),
      provisioningLog: new ProvisioningLogRepository(models),
      resourceGrants: new ResourceGrantsRepository(models),
      resources: new ResourcesRepository(models),
      roleAssignments: new RoleAssignmentsRepository(models),
      roles: new RolesRepository(models),
      rules: new RulesRepository(models),
      scimTokens: new ScimTokensRepository(models),
      tenants: new TenantsRepository(models),
      users: new UsersRepository(models),
      webhooks: new WebhooksRepository(models),
    };
    byModels.set(models, repos);
  }
  return repos;
}
