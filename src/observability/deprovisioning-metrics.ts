import { Counter, register as globalRegistry } from 'prom-client';

/** Deprovisions by outcome (applied, held) and breaker trips, per process (docs/deprovisioning.md). */
export const deprovisionsTotal =
  (globalRegistry.getSingleMetric('scim_deprovisions_total') as Counter<'outcome'> | undefined) ??
  new Counter({
    name: 'scim_deprovisions_total',
    help: 'IdP deprovisions (deactivations, deletions, mapped group-member removals and group deletions) by outcome: applied or held by the circuit breaker',
    labelNames: ['outcome'] as const,
  });

export const breakerTripsTotal =
  (globalRegistry.getSingleMetric('scim_deprovisioning_breaker_trips_total') as Counter | undefined) ??
  new Counter({ name: 'scim_deprovisioning_breaker_trips_total', help: "Times a tenant's deprovisioning circuit breaker tripped" });
