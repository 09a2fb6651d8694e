import type { Models } from '../../persistence/models';
import type { ResourceLimits } from './resource-limits';
import type { JobProducer } from '../../queue/producer';
import type { Logger } from '../../observability/logger';
import type { SchemaRegistry } from '../../attributes/registry';
import type { MembershipsRepository } from '../../persistence/memberships-repository';

/** Everything the SCIM use-cases need, injected once by the composition root. */
export interface ScimDeps {
  models: Models;
  registry: SchemaRegistry;
  memberships: MembershipsRepository;
  producer: JobProducer;
  logger: Logger;
  limits: { maxPageSize: number; defaultPageSize: number; bulkMaxOperations: number; bulkMaxPayloadBytes: number } & ResourceLimits;
}
