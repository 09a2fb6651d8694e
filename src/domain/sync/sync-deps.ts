import type { Models } from '../../persistence/models';
import type { MembershipsRepository } from '../../persistence/memberships-repository';
import type { Logger } from '../../observability/logger';
import type { SchemaRegistry } from '../../attributes/registry';
import type { JobName, JobPayloads } from '../../queue/jobs';
import type { AccessEvents } from '../access-events';
import type { RuleSetCache } from './rule-set';

/** Enqueues sync jobs; the API's JobProducer and the worker's own queue client both fit. Best effort: false when Redis refused. */
export interface JobEnqueuer {
  enqueue<N extends JobName>(name: N, data: JobPayloads[N]): Promise<boolean>;
}

/** What the sync engine needs: the database, the schema (to compile rules and render users), a queue and a log. */
export interface SyncDeps {
  models: Models;
  memberships: MembershipsRepository;
  registry: SchemaRegistry;
  logger: Logger;
  ruleSets: RuleSetCache;
  accessEvents?: AccessEvents;
  /** Aborted when the worker stops abruptly: no membership write starts after that. */
  signal?: AbortSignal;
}
