package dev.scimsync.embeddedmongo;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.bson.Document;

/**
 * Chooses the index that serves a query, as MongoDB's rules would: an exact unique lookup (the `_id`
 * index, or a unique index with every key bound by equality) first, then the index whose equality
 * prefix binds the most keys, then one that bounds a range, then one that yields the requested
 * sort (so a limit stops the scan early); ties go to the index declared first. mongo-java-server's
 * own choice is the first index whose keys are exactly the query's fields, which no compound index
 * with a sort or a range ever is.
 */
final class QueryPlanner {

    private QueryPlanner() {
    }

    /**
     * A chosen index: its name and key pattern, whether it yields the sort, whether its entries
     * alone answer the query (every condition an equality the scan's bounds apply exactly: a count
     * needs no document), and its candidate positions.
     */
    record Plan<P>(String indexName, Document keyPattern, boolean ordered, boolean covering, Function<LongAdder, Stream<P>> positions) {
    }

    /** The plan for a query and sort, or null for a collection scan. */
    static <P> Plan<P> plan(List<Index<P>> indexes, Document query, Document orderBy) {
        if (query == null) {
            return null;
        }
        FieldConditions conditions = FieldConditions.of(query);
        Plan<P> best = null;
        int bestScore = -1;
        for (Index<P> index : List.copyOf(indexes)) {
            int score;
            Plan<P> plan;
            if (index instanceof SortedIndex<P> sorted) {
                SortedIndex.Scan<P> scan = sorted.scanFor(conditions, orderBy);
                if (scan == null) {
                    continue;
                }
                score = (scan.exact() ? 1000 : 0) + scan.equalityFields() * 10 + (scan.range() ? 5 : 0) + (scan.ordered() ? 3 : 0)
                    + (sorted.isMultikey() ? 0 : 1);
                plan = new Plan<>(index.getName(), keyPattern(index), scan.ordered(), covers(query, sorted, scan), scan::positions);
            } else if (!query.isEmpty() && index.canHandle(query)) {
                // The library's own unique lookup (the `_id` index): one entry per queried value.
                score = 2000;
                plan = new Plan<>(index.getName(), keyPattern(index), false, false,
                    counter -> StreamSupport.stream(index.getPositions(query).spliterator(), false).peek(p -> counter.increment()));
            } else {
                continue;
            }
            if (score > bestScore) {
                best = plan;
                bestScore = score;
            }
        }
        return best;
    }

    /**
     * Whether the scan's entries are exactly the query's matches: every field of the query is an
     * equality (or $in) on a scalar of a type whose index equality is the matcher's (strings,
     * numbers, dates, booleans: not null, arrays or documents, whose matching has more rules), on
     * one of the keys the scan binds, or a range of dates on the key after them (its bounds are
     * the range's, closed by the date type's bracket, so its entries are the dates in it: the
     * outbox's `{tenantId, sync.pendingSince: {$gte: <earliest date>}}` counts, as MongoDB's
     * COUNT_SCAN does), of an index holding every document once.
     */
    private static boolean covers(Document query, SortedIndex<?> index, SortedIndex.Scan<?> scan) {
        if (index.isMultikey() || index.isSparseOrPartial()) {
            return false;
        }
        List<String> bound = index.getKeys().subList(0, scan.equalityFields()).stream().map(k -> k.getKey()).toList();
        String rangeKey = scan.range() ? index.getKeys().get(scan.equalityFields()).getKey() : null;
        for (var entry : query.entrySet()) {
            Object value = entry.getValue();
            if (entry.getKey().equals(rangeKey)) {
                if (!isDateRange(value)) {
                    return false;
                }
                continue;
            }
            if (value instanceof Document operators && operators.size() == 1 && operators.get("$in") instanceof java.util.Collection<?> values) {
                if (!values.stream().allMatch(QueryPlanner::isPlainScalar)) {
                    return false;
                }
            } else if (value instanceof Document operators && operators.size() == 1 && operators.containsKey("$eq")) {
                if (!isPlainScalar(operators.get("$eq"))) {
                    return false;
                }
            } else if (!isPlainScalar(value)) {
                return false;
            }
            if (!bound.contains(entry.getKey())) {
                return false;
            }
        }
        return true;
    }

    /** `$gt`, `$gte`, `$lt` and `$lte` of dates only (a date range matches dates only, in MongoDB too). */
    private static boolean isDateRange(Object value) {
        return value instanceof Document operators && !operators.isEmpty()
            && operators.entrySet().stream().allMatch(op -> List.of("$gt", "$gte", "$lt", "$lte").contains(op.getKey()) && op.getValue() instanceof java.time.Instant);
    }

    private static boolean isPlainScalar(Object value) {
        return value instanceof String || value instanceof Boolean || value instanceof java.time.Instant
            || (value instanceof Number n && !Double.isNaN(n.doubleValue()));
    }

    private static Document keyPattern(Index<?> index) {
        Document key = new Document();
        index.getKeys().forEach(k -> key.put(k.getKey(), k.isAscending() ? 1 : -1));
        return key;
    }
}
