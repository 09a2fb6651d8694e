import type { Models } from '../../persistence/models';
import type { ResourceLimits } from './resource-limits';
import type { JobProducer } from '../../queue/producer';
import type { Logger } from '../../observability/logger';
import type { SchemaRegistry } from '../../attributes/registry';
import type { MembershipsRepository } from '../../persistence/memberships-repository';
import type { RecoveryDeps } from '../../domain/recovery/pending-changes';

/** Everything the SCIM use-cases need, injected once by the composition root. */
export interface ScimDeps {
  models: Models;
  registry: SchemaRegistry;
  memberships: MembershipsRepository;
  producer: JobProducer;
  logger: Logger;
  limits: { maxPageSize: number; defaultPageSize: number; bulkMaxOperations: number; bulkMaxPayloadBytes: number } & ResourceLimits;
}

/** What finishing a recorded change needs, taken from the SCIM dependencies (the API's queue). */
export function recoveryDepsOf(deps: ScimDeps): RecoveryDeps {
  return { models: deps.models, memberships: deps.memberships, enqueuer: deps.producer };
}
