package dev.scimsync.embeddedmongo;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import de.bwaldvogel.mongo.backend.LibraryAccess;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.Document;

/**
 * What a query says about each field that an index can use as bounds: a set of points (equality,
 * `$eq`, `$in`) or a range (`$gt`, `$gte`, `$lt`, `$lte`). Everything else (`$ne`, `$exists`,
 * `$regex`, `$elemMatch`, `$or`, array equality…) bounds nothing; the collection still matches
 * every candidate against the whole query, so bounds only have to contain every matching document.
 * Conjunctions in `$and` are read as if they were top-level fields.
 */
final class FieldConditions {

    /** Values of one field that bound an index scan. Values are normalized as the library's indexes normalize them. */
    sealed interface Condition permits Points, Range {
        /** Whether no document missing the field can satisfy it (a sparse index may then serve it). */
        boolean excludesMissing();
    }

    record Points(List<Object> values) implements Condition {
        @Override
        public boolean excludesMissing() {
            return values.stream().noneMatch(v -> v == null);
        }
    }

    /**
     * A range; a side without a bound is closed by the type bracket of the other side's value
     * (`{$lt: date}` scans dates only, as MongoDB does), or left open when the type has no bracket here.
     */
    record Range(Object low, boolean lowInclusive, Object high, boolean highInclusive, boolean bothGiven) implements Condition {
        @Override
        public boolean excludesMissing() {
            return low != KeyOrder.LOW && high != KeyOrder.HIGH;
        }

        /**
         * The lower side alone, closed by its type bracket. On a multikey index `{$gt: 5, $lt: 10}`
         * matches [3, 12] with no element between 5 and 10, so only one side may bound the scan.
         */
        Range oneSided() {
            if (!bothGiven) {
                return this;
            }
            Object bracket = bracketHigh(low);
            return new Range(low, lowInclusive, bracket, !(bracket instanceof Document), false);
        }
    }

    private final Map<String, Condition> conditions = new LinkedHashMap<>();
    private final Map<String, Object> raw = new LinkedHashMap<>();

    private FieldConditions() {
    }

    static FieldConditions of(Document query) {
        FieldConditions result = new FieldConditions();
        if (query != null) {
            result.read(query);
        }
        return result;
    }

    Condition get(String field) {
        return conditions.get(field);
    }

    /** The query's own condition on a field (for partial-index implication), or null. */
    Object raw(String field) {
        return raw.get(field);
    }

    private void read(Document query) {
        for (Map.Entry<String, Object> entry : query.entrySet()) {
            String key = entry.getKey();
            Object value = entry.getValue();
            if (key.equals("$and") && value instanceof Collection<?> parts) {
                for (Object part : parts) {
                    if (part instanceof Document document) {
                        read(document);
                    }
                }
            } else if (!key.startsWith("$")) {
                raw.putIfAbsent(key, value);
                Condition condition = conditionOf(value);
                // Either of two conjuncts bounds the field; points are the narrower kind.
                if (condition != null && (!conditions.containsKey(key) || (condition instanceof Points && conditions.get(key) instanceof Range))) {
                    conditions.put(key, condition);
                }
            }
        }
    }

    private static Condition conditionOf(Object value) {
        if (value instanceof Document document && document.keySet().stream().anyMatch(k -> k.startsWith("$"))) {
            if (document.containsKey("$eq")) {
                return pointable(document.get("$eq")) ? new Points(List.of(normalized(document.get("$eq")))) : null;
            }
            if (document.get("$in") instanceof Collection<?> values) {
                List<Object> points = new ArrayList<>();
                for (Object v : values) {
                    if (!pointable(v)) {
                        return null;
                    }
                    points.add(normalized(v));
                }
                return new Points(points);
            }
            return rangeOf(document);
        }
        return pointable(value) ? new Points(java.util.Collections.singletonList(normalized(value))) : null;
    }

    /** Values an index can look up as they are: not arrays (whole-array equality), regexes or operator documents. */
    private static boolean pointable(Object value) {
        if (value instanceof Collection<?> || BsonRegularExpression.isRegularExpression(value) || value instanceof java.util.regex.Pattern) {
            return false;
        }
        return !(value instanceof Document document) || document.keySet().stream().noneMatch(k -> k.startsWith("$"));
    }

    private static Range rangeOf(Document operators) {
        Object low = null;
        boolean lowInclusive = true;
        Object high = null;
        boolean highInclusive = true;
        if (operators.containsKey("$gte")) {
            low = operators.get("$gte");
        }
        if (operators.containsKey("$gt")) {
            low = operators.get("$gt");
            lowInclusive = false;
        }
        if (operators.containsKey("$lte")) {
            high = operators.get("$lte");
        }
        if (operators.containsKey("$lt")) {
            high = operators.get("$lt");
            highInclusive = false;
        }
        if ((low == null && high == null) || !pointable(low) || !pointable(high)) {
            return null;
        }
        low = normalized(low);
        high = normalized(high);
        boolean bothGiven = low != null && high != null;
        if (low == null) {
            lowInclusive = true;
            low = bracketLow(high);
        }
        if (high == null) {
            Object bracket = bracketHigh(low);
            highInclusive = !(bracket instanceof Document);
            high = bracket;
        }
        return new Range(low, lowInclusive, high, highInclusive, bothGiven);
    }

    private static Object normalized(Object value) {
        return LibraryAccess.normalizeValue(value);
    }

    /** The smallest value of the value's BSON type, or LOW when this launcher knows no bracket for it. */
    static Object bracketLow(Object value) {
        if (value instanceof Number) {
            return Double.NEGATIVE_INFINITY;
        } else if (value instanceof String) {
            return "";
        } else if (value instanceof Instant) {
            return Instant.MIN;
        }
        return KeyOrder.LOW;
    }

    /** The largest value of the type (for strings: the empty document, the first value after them, exclusive). */
    static Object bracketHigh(Object value) {
        if (value instanceof Number) {
            return Double.POSITIVE_INFINITY;
        } else if (value instanceof String) {
            return new Document();
        } else if (value instanceof Instant) {
            return Instant.MAX;
        }
        return KeyOrder.HIGH;
    }
}
