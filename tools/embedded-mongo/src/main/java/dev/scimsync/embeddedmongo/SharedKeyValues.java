package dev.scimsync.embeddedmongo;

import java.util.concurrent.ConcurrentHashMap;

/**
 * One string instance per distinct key value an index stores often. Every decoded document brings
 * its own copy of each string, so an index over `{tenantId: 1, …}` held one copy of the tenant id
 * per entry: at 470,000 users a tenant's 10.7 million entries held about ten million such strings,
 * and a 1,000,000-user seed filled the embedded server's default heap (docs/benchmarks.md). Each
 * key position keeps a pool of the values it has seen, up to {@link #MAX_PER_KEY}: a low-cardinality
 * position (tenant, group, status) is then stored once per value, and a unique one (a user id)
 * stops growing its pool at the cap, costing a hash lookup per stored entry and no memory beyond it.
 */
final class SharedKeyValues {

    static final int MAX_PER_KEY = 4096;

    private final ConcurrentHashMap<String, String>[] pools;

    @SuppressWarnings("unchecked")
    SharedKeyValues(int keys) {
        pools = new ConcurrentHashMap[keys];
        for (int i = 0; i < keys; i++) {
            pools[i] = new ConcurrentHashMap<>();
        }
    }

    /** Replaces, in place, each string value of an entry about to be stored by the pool's instance. */
    void share(Object[] values) {
        for (int i = 0; i < values.length && i < pools.length; i++) {
            if (values[i] instanceof String value) {
                ConcurrentHashMap<String, String> pool = pools[i];
                String shared = pool.get(value);
                if (shared != null) {
                    values[i] = shared;
                } else if (pool.size() < MAX_PER_KEY) {
                    shared = pool.putIfAbsent(value, value);
                    if (shared != null) {
                        values[i] = shared;
                    }
                }
            }
        }
    }

    /** Distinct values pooled at a key position (for tests). */
    int pooled(int key) {
        return pools[key].size();
    }
}
