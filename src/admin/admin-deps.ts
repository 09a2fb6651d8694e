import type { Config } from '../config/config';
import type { Logger } from '../observability/logger';
import type { Models } from '../persistence/models';
import type { MembershipsRepository } from '../persistence/memberships-repository';
import type { SchemaRegistry } from '../attributes/registry';
import type { JobProducer } from '../queue/producer';
import type { ResourceLimits } from '../scim/service/resource-limits';

/** Everything the admin API needs, injected by the composition root (src/runtime.ts). */
export interface AdminDeps {
  models: Models;
  memberships: MembershipsRepository;
  registry: SchemaRegistry;
  producer: JobProducer;
  logger: Logger;
  jwt: Config['adminJwt'];
  /** PUBLIC_BASE_URL, for the SCIM base URL shown to operators. */
  publicBaseUrl?: string;
  /** The SCIM resource size limits, for users the admin API provisions. */
  resourceLimits: ResourceLimits;
  /** WEBHOOKS_ALLOW_PRIVATE_TARGETS: whether endpoints may point at private addresses. */
  webhooks?: { allowPrivateTargets: boolean };
}
